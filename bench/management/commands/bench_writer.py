"""A coordinator's normal day, for the benchmarks: one published place edited per
second, as the admin saves it (`save()`: history, signals, the place's page dropped
from the cache). `manage.py bench_writer --seconds 30`; run by `bench_load` beside
the load, in the server's environment (same database, same cache)."""

import random
import time

from django.core.management.base import BaseCommand

from places.models import Place


class Command(BaseCommand):
    help = "Edit one random published place per second (benchmarks only)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=30)
        parser.add_argument("--per-second", type=float, default=1)
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, seconds, per_second, seed, **options):
        rng = random.Random(seed)
        ids = list(Place.objects.published().values_list("pk", flat=True))
        started = time.monotonic()
        edits = 0
        while time.monotonic() - started < seconds:
            place = Place.objects.get(pk=rng.choice(ids))
            place.summary = f"Mis à jour par la coordination ({edits})."[:280]
            place.save()
            edits += 1
            self.stdout.write(f"edited {place.pk}")
            self.stdout.flush()
            next_at = started + edits / per_second
            time.sleep(max(0.0, next_at - time.monotonic()))
        self.stdout.write(f"{edits} places edited in {seconds:.0f} s.")
