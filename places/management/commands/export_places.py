import contextlib
import sys

from django.core.management.base import BaseCommand
from django.http import QueryDict

from places.exchange.exporter import export
from places.filters import PlaceFilter
from places.models import Place


class Command(BaseCommand):
    help = "Export the published places in the national standard v1.0.2."

    def add_arguments(self, parser):
        parser.add_argument(
            "--format", choices=["csv", "json", "geojson"], default="csv"
        )
        parser.add_argument(
            "--output", metavar="FILE", help="Default: standard output."
        )
        parser.add_argument(
            "--query",
            default="",
            metavar="QUERYSTRING",
            help="The filters of /lieux/, e.g. 'type=fablab&ou=35'.",
        )

    def handle(self, *args, format, output, query, **options):
        places = PlaceFilter(QueryDict(query), queryset=Place.objects.published()).qs
        with (
            open(output, "w", encoding="utf-8", newline="")
            if output
            else contextlib.nullcontext(sys.stdout)
        ) as out:
            for chunk in export(places, format):
                out.write(chunk)
