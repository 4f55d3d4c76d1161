import time

from django.core.management.base import BaseCommand

from places.openings import WINDOW_DAYS, refresh_openings


class Command(BaseCommand):
    help = (
        f"Recompute every place's opening periods for the next {WINDOW_DAYS} days "
        "(what 'open now' reads). Run it daily, e.g. from cron."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        count = refresh_openings()
        self.stdout.write(
            f"{count} opening periods in {time.monotonic() - started:.1f} s."
        )
