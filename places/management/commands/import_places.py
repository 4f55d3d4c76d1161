import json
import sys

from django.core.management.base import BaseCommand, CommandError

from places.exchange.importer import import_places
from places.exchange.mapping import MappingError, read_mapping
from places.exchange.reader import FileRefused


class Command(BaseCommand):
    help = (
        "Import places from a file or URL in the national standard (v1.0.2 or v0.1), "
        "CSV, JSON or GeoJSON. Idempotent; one transaction per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A file path or an http(s) URL.")
        parser.add_argument(
            "--source",
            dest="source_name",
            help="The data's producer (default: the file's).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report only."
        )
        parser.add_argument(
            "--report", metavar="FILE", help="Write the JSON report there."
        )
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", "standard", "geojson"],
            dest="fmt",
        )
        parser.add_argument(
            "--mapping",
            metavar="CONFIG",
            help=(
                "A partner's own layout: a mapping in our format (docs/mapping.md, "
                "YAML or JSON) or the national converter's *.config.json."
            ),
        )
        parser.add_argument(
            "--close-missing",
            action="store_true",
            help="Mark closed the places of --source that are absent from the file.",
        )
        parser.add_argument(
            "--no-match",
            action="store_false",
            dest="matching",
            help=(
                "Do not compare the places written with the others (run "
                "match_places after loading several files)."
            ),
        )

    def handle(
        self, *args, source, source_name, dry_run, report, fmt, close_missing, **kw
    ):
        if close_missing and not source_name:
            raise CommandError(
                "--close-missing needs --source (whose places to close)."
            )
        if kw.get("mapping") and fmt != "auto":
            raise CommandError(
                "--format reads standard files; --mapping reads its own."
            )
        try:
            layout = read_mapping(kw["mapping"]) if kw.get("mapping") else None
        except MappingError as error:
            raise CommandError(f"Mapping refused, nothing changed: {error}") from error
        try:
            result = import_places(
                source,
                source_name=source_name,
                fmt=fmt,
                dry_run=dry_run,
                close_missing=close_missing,
                progress=sys.stderr.isatty(),
                mapping=layout,
                matching=kw["matching"],
            )
        except FileRefused as error:
            raise CommandError(f"File refused, nothing changed: {error}") from error
        if report:
            with open(report, "w", encoding="utf-8") as out:
                json.dump(
                    result.as_dict(), out, ensure_ascii=False, indent=1, default=str
                )
        for row in result.rows:
            if row.status == "rejected":
                issue = row.issues[0]
                self.stderr.write(
                    f"line {row.line}: rejected: {issue.field}={issue.value!r}: "
                    f"{issue.reason}"
                )
        prefix = "DRY RUN, nothing written: " if dry_run else ""
        self.stdout.write(prefix + result.summary())
