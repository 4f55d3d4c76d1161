from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from places.exchange.mapping import MappingError, as_text, read_mapping


class Command(BaseCommand):
    help = (
        "Write a mapping (the national converter's *.config.json, or ours) in our own "
        "format (docs/mapping.md), checked, to be edited and kept per partner."
    )

    def add_arguments(self, parser):
        parser.add_argument("mapping", help="The mapping to write in our format.")
        parser.add_argument(
            "--output", metavar="FILE", help="Write it there (default: print it)."
        )
        parser.add_argument(
            "--description", default="", help="A line saying whose file it reads."
        )

    def handle(self, *args, **kw):
        try:
            mapping = read_mapping(kw["mapping"])
        except MappingError as error:
            raise CommandError(str(error)) from error
        if kw["description"]:
            mapping.document = {
                "version": 1,
                "description": kw["description"],
                **{k: v for k, v in mapping.document.items() if k != "version"},
            }
        text = as_text(mapping)
        if kw["output"]:
            Path(kw["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
