from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


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
            call_command("loaddata", fixtures / "demo_places.json", verbosity=verbosity)
        call_command("refresh_openings", verbosity=verbosity)
        call_command("refresh_coverage", verbosity=verbosity)
        self.stdout.write(self.style.SUCCESS("The directory is ready."))
