import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from places.territories import TerritoryDataError, load_territories


class Command(BaseCommand):
    help = (
        "Load régions, départements, EPCI, communes and municipal arrondissements from "
        "@etalab/decoupage-administratif; optionally the communes' centre points."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--centres",
            metavar="FILE_OR_URL",
            help="CSV with code_insee, latitude, longitude columns.",
        )
        parser.add_argument(
            "--data-dir",
            default=str(settings.TERRITORIES_DATA_DIR),
            help="Folder of the npm package's JSON files (default: %(default)s).",
        )

    def handle(self, *args, centres=None, data_dir=None, **options):
        started = time.monotonic()
        try:
            report = load_territories(Path(data_dir), centres)
        except TerritoryDataError as error:
            raise CommandError(str(error)) from error
        for message in report.centre_errors[:20]:
            self.stderr.write(f"centres: {message}")
        if len(report.centre_errors) > 20:
            self.stderr.write(f"centres: … and {len(report.centre_errors) - 20} more")
        self.stdout.write(
            f"Territories: {report} in {time.monotonic() - started:.1f} s."
        )
