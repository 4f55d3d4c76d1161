"""`manage.py search_quality`: precision@10 and recall@10 of the need queries and the
share of misspelt towns understood, over places/search_data/relevance.yaml. Run it on
a database holding the two real files of ../shared/data (see docs/search.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places.models import Place
from places.search_quality import (
    MIN_PRECISION,
    MIN_RECALL,
    MIN_TOWNS,
    RELEVANCE_FILE,
    evaluate,
)


class Command(BaseCommand):
    help = "Measure the search on the relevance set (precision@10, recall@10, towns)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(RELEVANCE_FILE))
        parser.add_argument(
            "--check", action="store_true", help="exit with an error below the bar"
        )

    def handle(self, *args, **options):
        if not Place.objects.published().exists():
            raise CommandError(
                "No published place: import ../shared/data/lieux_mednum_cnfs_2023.csv "
                "and lieux_mednum_hubs_regionaux_2023.csv first."
            )
        report = evaluate(Path(options["file"]))
        out = self.stdout.write
        out("| need query | right answers | results | P@10 | R@10 |")
        out("|---|---|---|---|---|")
        for s in report.needs:
            out(
                f"| {s.query} | {s.relevant} | {s.found} | "
                f"{s.precision:.2f} | {s.recall:.2f} |"
            )
        out("")
        out("| town typed | expected | understood as | |")
        out("|---|---|---|---|")
        for t in report.towns:
            mark = "✓" if t.ok else "✗"
            out(f"| {t.typed} | {t.expected} | {t.understood or '—'} | {mark} |")
        out("")
        summary = (
            f"{len(report.needs)} need queries: precision@10 {report.precision:.3f}, "
            f"recall@10 {report.recall:.3f}; {len(report.towns)} towns: "
            f"{sum(t.ok for t in report.towns)} understood "
            f"({report.towns_understood:.0%})"
        )
        out(summary)
        if options["check"] and not report.meets_the_bar:
            raise CommandError(
                f"Below the bar (precision {MIN_PRECISION}, recall {MIN_RECALL}, "
                f"towns {MIN_TOWNS:.0%}): {summary}"
            )
