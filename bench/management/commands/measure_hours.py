"""How much of the partners' free-text opening hours we read (issue 16, docs/hours.md).

Each partner file of ../shared/data/partners/<folder>/ is read through the folder's
`*.config.json` by the importer's own mapping reader (no database), and the
`horaires` cell of every row is sorted: empty, already OSM, read into OSM by
`places.french_hours`, or kept verbatim (not surely readable). Prints a
Markdown table per file and in total.

    manage.py measure_hours                      # the table
    manage.py measure_hours --sample 60 --seed 1  # + 60 read texts to check by hand
    manage.py measure_hours --unread             # + every text kept, with its reason

Samples and lists are of distinct texts (a text repeated in a file or in two files
counts once there; the table counts rows).
"""

import random
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from places.exchange.mapping import MappingError, read_mapping
from places.exchange.reader import FileRefused, read_table
from places.french_hours import (
    ALREADY_OSM,
    DASH_RANGE,
    EMPTY,
    UNKNOWN_WORDS,
    reading,
)

PARTNERS = settings.BASE_DIR.parent / "shared" / "data" / "partners"
CONFIG = ".config.json"


def partner_files(root: Path) -> list[tuple[Path, Path]]:
    """(data file, its folder's config) for every partner folder under `root`."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        configs = sorted(folder.glob(f"*{CONFIG}"))
        if len(configs) != 1:
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.endswith(CONFIG):
                found.append((path, configs[0]))
    return found


def kind_of(reason: str) -> str:
    """A reason without the words or days it names."""
    for template in (UNKNOWN_WORDS, DASH_RANGE):
        prefix = template.split("{")[0]
        if reason.startswith(prefix):
            return prefix.rstrip(" :«")
    return reason


class Command(BaseCommand):
    help = "Partners' free-text opening hours: how many are read into OSM hours."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=Path, default=PARTNERS)
        parser.add_argument("--sample", type=int, default=0, metavar="N")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--unread", action="store_true", help="every text kept, with its reason"
        )
        parser.add_argument(
            "--read", action="store_true", help="every text read, with its reading"
        )

    def handle(self, *args, partners, sample, seed, unread, read, **options):
        if not partners.is_dir():
            raise CommandError(f"No partners' folder at {partners}.")
        readings: dict[str, tuple[str | None, str]] = {}  # text → (osm, reason)
        totals: Counter = Counter()
        self.stdout.write("| file | rows | hours texts | already OSM | read | kept |")
        self.stdout.write("|---|---:|---:|---:|---:|---:|")
        for path, config in partner_files(partners):
            try:
                table = read_table(str(path), mapping=read_mapping(config))
            except (FileRefused, MappingError) as error:
                self.stdout.write(f"| {path.name} | refused: {error} | | | | |")
                continue
            counts: Counter = Counter(rows=len(table.rows))
            for _line, cells in table.rows:
                text = cells.get("horaires", "")
                if text not in readings:
                    found = reading(text)
                    readings[text] = (found.osm, found.reason)
                osm, reason = readings[text]
                if reason == EMPTY:
                    continue
                counts["texts"] += 1
                if reason == ALREADY_OSM:
                    counts["osm"] += 1
                elif osm:
                    counts["read"] += 1
                else:
                    counts["kept"] += 1
            totals.update(counts)
            self.row(path.parent.name + "/" + path.name, counts)
        self.row("**total**", totals)
        self.stdout.write(
            f"\n{sum(1 for t, (_o, r) in readings.items() if r != EMPTY)} distinct "
            "texts."
        )
        read_texts = sorted(
            t for t, (osm, reason) in readings.items() if osm and reason != ALREADY_OSM
        )
        if sample:
            chosen = random.Random(seed).sample(
                read_texts, min(sample, len(read_texts))
            )
            self.stdout.write(f"\n## {len(chosen)} read texts (seed {seed})\n")
            for n, text in enumerate(chosen, start=1):
                self.stdout.write(f"{n}. `{text!r}` → `{readings[text][0]}`")
        if read:
            self.stdout.write(f"\n## Read ({len(read_texts)} distinct)\n")
            for text in read_texts:
                self.stdout.write(f"- `{text!r}` → `{readings[text][0]}`")
        if unread:
            kept = sorted(
                (reason, text)
                for text, (osm, reason) in readings.items()
                if osm is None and reason != EMPTY
            )
            self.stdout.write(f"\n## Kept verbatim ({len(kept)} distinct)\n")
            for reason, text in kept:
                self.stdout.write(f"- {reason} : `{text!r}`")
            reasons = Counter(kind_of(reason) for reason, _text in kept)
            self.stdout.write("\n| reason | distinct texts |\n|---|---:|")
            for reason, count in reasons.most_common():
                self.stdout.write(f"| {reason} | {count} |")

    def row(self, name: str, counts: Counter) -> None:
        cells = [counts[key] for key in ("rows", "texts", "osm", "read", "kept")]
        self.stdout.write(f"| {name} | " + " | ".join(map(str, cells)) + " |")
