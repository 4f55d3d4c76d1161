import time

from django.core.management.base import BaseCommand
from django.db import connection

from places.openings import WINDOW_DAYS, refresh_openings


class Command(BaseCommand):
    help = (
        f"Recompute every place's opening periods for the next {WINDOW_DAYS} days "
        "(what 'open now' reads). Run it daily, e.g. from cron."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        count = refresh_openings()
        if connection.get_autocommit():  # not inside a caller's transaction
            with connection.cursor() as cursor:
                # Marks the pages all-visible: "open now" reads the index alone.
                cursor.execute("VACUUM ANALYZE places_openingperiod")
        self.stdout.write(
            f"{count} opening periods in {time.monotonic() - started:.1f} s."
        )
