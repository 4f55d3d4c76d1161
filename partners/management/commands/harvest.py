from django.core.management.base import BaseCommand, CommandError

from partners.harvest import due, harvest
from partners.models import HarvestRun, Partner


class Command(BaseCommand):
    help = (
        "Harvest partners' file URLs through their mappings: the named partners "
        "(by source code), else those whose schedule says now. A file unchanged "
        "since the last run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("partners", nargs="*", metavar="CODE")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Fetch and import even an unchanged file.",
        )

    def handle(self, *args, **kw):
        if kw["partners"]:
            partners = list(Partner.objects.filter(code__in=kw["partners"]))
            unknown = set(kw["partners"]) - {p.code for p in partners}
            if unknown:
                raise CommandError(f"Unknown partners: {', '.join(sorted(unknown))}")
        else:
            partners = due()
        failed = []
        for partner in partners:
            run = harvest(partner, force=kw["force"])
            self.stdout.write(
                f"{partner.code}: {run.get_outcome_display()} "
                f"({run.seconds:.1f} s) {run.message}".rstrip()
            )
            if run.outcome in (HarvestRun.Outcome.FAILED, HarvestRun.Outcome.REFUSED):
                failed.append(partner.code)
        if failed:
            raise CommandError(f"Not harvested: {', '.join(failed)}")
