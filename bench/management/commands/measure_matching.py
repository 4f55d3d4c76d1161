"""How well the matching rules (places/matching.py) decide, on a labelled sample of
real pairs: `manage.py measure_matching docs/matching-sample.csv`, on a database
holding both places of each pair (the real files imported, docs/matching.md).

Prints, for the automatic merge and for "merge or review", precision and recall
against the labels, and the pairs decided wrongly."""

import csv
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from places.matching import FEATURES_SQL, decide, features
from places.models import Place


class Command(BaseCommand):
    help = "Precision and recall of the matching rules on a labelled sample."

    def add_arguments(self, parser):
        parser.add_argument("sample")

    def handle(self, *args, sample, **options):
        with open(sample, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        keys = {(r[f"source_{s}"], r[f"id_{s}"]) for r in rows for s in "ab"}
        ids = {
            (source, source_id): pk
            for pk, source, source_id in Place.objects.filter(
                source__in={k[0] for k in keys}, source_id__in={k[1] for k in keys}
            ).values_list("pk", "source", "source_id")
        }
        pairs, labels = [], {}
        for r in rows:
            a, b = (
                ids.get((r["source_a"], r["id_a"])),
                ids.get((r["source_b"], r["id_b"])),
            )
            if a is None or b is None:
                continue
            pair = (min(a, b), max(a, b))
            pairs.append(pair)
            labels[pair] = (r["label"], r["note"])
        if not pairs:
            raise CommandError("None of the sample's places is in this database.")
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH ordered AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS t(a_id, b_id))" + FEATURES_SQL,
                [[a for a, _ in pairs], [b for _, b in pairs]],
            )
            found = [features(row) for row in cursor.fetchall()]
        counts = Counter()
        wrong = []
        for pair in found:
            label, note = labels[pair.first, pair.second]
            verdict = decide(pair) or "none"
            counts[verdict, label] += 1
            if (verdict == "merge") != (label == "same") or (
                label == "distinct" and options["verbosity"] > 1
            ):
                wrong.append((verdict, label, note, pair))
        same = sum(n for (_v, label), n in counts.items() if label == "same")
        self.stdout.write(f"{len(found)} pairs of {len(rows)} found ({same} same)")
        for verdicts, name in ((("merge",), "automatic merge"),
                               (("merge", "review"), "merge or review")):  # fmt: skip
            tp = sum(counts[v, "same"] for v in verdicts)
            fp = sum(counts[v, "distinct"] for v in verdicts)
            self.stdout.write(
                f"{name}: {tp + fp} pairs, {tp} same, {fp} distinct: precision "
                f"{tp / max(tp + fp, 1):.1%}, recall {tp / max(same, 1):.1%}"
            )
        table = ", ".join(f"{v}/{k} {n}" for (v, k), n in sorted(counts.items()))
        self.stdout.write(f"Table (verdict × label): {table}")
        for verdict, label, note, pair in wrong:
            self.stdout.write(
                f"  {verdict} but {label}: name {pair.name:.2f} address "
                f"{pair.address:.2f} metres {pair.metres or 0:.0f} "
                f"same name {pair.same_name} same address {pair.same_address} "
                f"commune {pair.same_commune} pivot {pair.same_pivot} "
                f"phone {pair.same_phone} — {note}"
            )
