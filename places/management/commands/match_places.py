import time

from django.core.management.base import BaseCommand
from django.db import transaction

from places.matching import match
from places.models import MatchCandidate, Place


class DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


class Command(BaseCommand):
    help = (
        "Compare every published place with the others (docs/matching.md): merge "
        "the pairs the rules are sure of, keep the others for review in the admin. "
        "Imports do it for the places they write; this is for a directory loaded "
        "before, or with import_places --no-match."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count only, write nothing."
        )

    def handle(self, *args, dry_run, **options):
        started = time.monotonic()
        pending = MatchCandidate.objects.filter(
            decision=MatchCandidate.Decision.PENDING
        )
        before = pending.count()
        pks = list(
            Place.objects.filter(status=Place.Status.PUBLISHED).values_list(
                "pk", flat=True
            )
        )
        try:
            with transaction.atomic():
                merged = match(pks).merged
                proposed = pending.count() - before
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        prefix = "DRY RUN, nothing written: " if dry_run else ""
        self.stdout.write(
            f"{prefix}{len(pks)} published places compared: {len(merged)} merged "
            f"into another, {proposed} new pairs to review "
            f"({time.monotonic() - started:.1f} s)."
        )
