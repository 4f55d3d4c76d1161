import resource

from django.core.management.base import BaseCommand

from coverage.compute import refresh_all


class Command(BaseCommand):
    help = (
        "Recompute, for every commune, the distance to the nearest published place "
        "(overall, per service and per kind). Run nightly and after the set-up; "
        "imports and edits queue it by themselves."
    )

    def handle(self, *args, **options):
        run = refresh_all()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"Coverage: {run.rows} distances ({run.places} places) "
            f"in {run.seconds:.1f} s; peak memory of this process {peak:.0f} MiB."
        )
