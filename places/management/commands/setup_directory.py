import pgtrigger
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from places.models import Place

DEMO_SOURCE = "demo"
# What the standard cannot say of the demo places (it has no status): two places
# not yet published and one closed for good, by their id in the file.
DEMO_STATUSES = {
    "futur-espace-numerique-de-brest-nord-brest": Place.Status.DRAFT,
    "tiers-lieu-en-preparation-a-lille-lille": Place.Status.DRAFT,
    "ancien-cyber-cafe-des-halles-paris-11e-arrondissement": Place.Status.CLOSED,
}


def load_demo_places(verbosity: int = 1) -> None:
    """The demo places (fixtures/demo_places.csv, the national standard plus our
    `types_lieu` and `equipements` columns), through the real import, once: a
    database that has them is left alone (the closed one would open again, being
    in the file)."""
    if Place.objects.filter(source=DEMO_SOURCE).exists():
        return
    with transaction.atomic():
        call_command(
            "import_places",
            str(settings.BASE_DIR / "fixtures" / "demo_places.csv"),
            source_name=DEMO_SOURCE,
            verbosity=verbosity,
        )
        # The drafts were never public: not "withdrawn" for the API's readers.
        with pgtrigger.ignore("places.Place:was_public"):
            for source_id, status in DEMO_STATUSES.items():
                places = Place.objects.filter(source=DEMO_SOURCE, source_id=source_id)
                for place in places:
                    place.status = status
                    place.was_public = status != Place.Status.DRAFT
                    place.save()


class Command(BaseCommand):
    help = (
        "Prepare the database in one idempotent step: migrate, load the reference "
        "vocabularies and the territories, and with --demo the demo places."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Load the demo places.")
        parser.add_argument(
            "--centres",
            metavar="FILE_OR_URL",
            help="Commune centres CSV (see load_territories).",
        )

    def handle(self, *args, demo=False, centres=None, verbosity=1, **options):
        fixtures = settings.BASE_DIR / "fixtures"
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        call_command("loaddata", fixtures / "reference.json", verbosity=verbosity)
        call_command("load_territories", centres=centres, verbosity=verbosity)
        if demo:
            load_demo_places(verbosity)
        call_command("refresh_openings", verbosity=verbosity)
        call_command("refresh_coverage", verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS("The directory is ready."))
