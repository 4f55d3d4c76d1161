"""Synthetic places for benchmarks only: `manage.py seed_places --count 100000`."""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from places.exchange.importer import refresh_statistics
from places.exchange.records import Record
from places.exchange.writing import copy_places
from places.models import (
    Kind,
    Place,
    PointX,
    PointY,
    Term,
    Territory,
    search_vectors_deferred,
)
from places.openings import refresh_openings

SOURCE = "seed"
NAMES = {
    "epn": ["Espace numérique", "Médiathèque", "Cyber-base", "Point numérique",
            "Maison France Services", "Centre social", "Bibliothèque"],
    "coworking": ["Coworking", "Bureaux partagés", "La Ruche"],
    "fablab": ["Fablab", "Atelier partagé", "Repair café"],
    "tiers-lieu": ["Tiers-lieu", "La Fabrique", "Le Hangar"],
}  # fmt: skip
HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:30; PH off",
    "Tu-Sa 10:00-12:30,13:30-18:00; PH off",
    "Mo-Fr 08:30-12:00,13:30-17:00; Sa 09:00-12:00; PH off",
    "We 14:00-19:00; Th 18:00-22:00; Sa 10:00-18:00; PH off",
    "Mo-Fr 08:00-20:00; PH off",
    "24/7",
    "Tu-Th 10:00-19:00; Fr,Sa 10:00-01:00; PH off",
    "",
]


class Command(BaseCommand):
    help = "Create N synthetic published places over real communes (denser in cities)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier seeds."
        )
        parser.add_argument(
            "--top-up",
            action="store_true",
            help="Only add what is missing for COUNT seeded places (for make bench).",
        )

    def handle(self, *args, count, seed, replace, top_up, **options):
        if top_up and not replace:
            present = Place.objects.filter(source=SOURCE).count()
            if present >= count:
                self.stdout.write(f"{present} seeded places already: none added.")
                return
            count -= present
        rng = random.Random(seed)
        communes = list(
            Territory.objects.filter(
                level__in=["commune", "arrondissement"], centre__isnull=False
            )
            .exclude(
                code__in=["75056", "13055", "69123"]
            )  # cities: their arrondissements
            .annotate(lon=PointX("centre"), lat=PointY("centre"))
            .values_list("pk", "name", "postal_codes", "population", "lon", "lat")
        )
        if not communes:
            raise CommandError(
                "No commune centres: run load_territories --centres first."
            )
        weights = [
            max(population or 0, 50) ** 1.1 for _, _, _, population, _, _ in communes
        ]
        kinds = dict(Kind.objects.values_list("code", "pk"))
        terms = {}
        for pk, vocabulary in Term.objects.values_list("pk", "vocabulary"):
            terms.setdefault(vocabulary, []).append(pk)
        started = time.monotonic()
        with transaction.atomic():
            if replace:
                Place.objects.filter(source=SOURCE).delete()
            first = Place.objects.filter(source=SOURCE).count()
            records = []
            for n, commune in enumerate(
                rng.choices(communes, weights, k=count), start=first
            ):
                records.append(self.record(rng, n, commune, kinds, terms))
            # Written as an import writes new places: their links, then each
            # place once with its search vector (the same SQL function).
            with search_vectors_deferred():
                ids = copy_places(records)
        refresh_openings(list(ids.values()))
        # As autovacuum would soon after (it is off on some development servers):
        # the benchmarks measure a database in its usual state.
        refresh_statistics(vacuum=True)
        self.stdout.write(
            f"{count} places seeded in {time.monotonic() - started:.0f} s."
        )

    @staticmethod
    def record(rng, n, commune, kinds, terms) -> Record:
        pk, town, postal_codes, _population, lon, lat = commune
        kind = rng.choices(list(NAMES), [70, 10, 10, 10])[0]
        pick = lambda vocabulary, k: set(rng.sample(terms[vocabulary], k))  # noqa: E731
        fields = {
            "name": f"{rng.choice(NAMES[kind])} {town}",
            "pivot": "", "parent_network": "", "other_labels": "",
            "summary": "Lieu de démonstration créé pour les mesures de performance.",
            "description": "",
            "address": f"{rng.randint(1, 120)} rue de la République",
            "address_extra": "",
            "postal_code": postal_codes[0] if postal_codes else "00000",
            "commune_id": pk,
            "location": (
                lon + rng.uniform(-0.02, 0.02), lat + rng.uniform(-0.015, 0.015)
            ),
            "location_is_approximate": False, "itinerant": False, "fixed_site": True,
            "opening_hours": rng.choice(HOURS), "opening_hours_valid": True,
            "phone": "", "emails": [], "websites": [], "booking_url": "",
            "accessibility_url": "", "data_updated_on": "2026-10-01",
            "unmapped_values": {}, "flags": [],
        }  # fmt: skip
        relations = {
            "kinds": {kinds[kind]},
            "structure_types": set(),
            "services": pick("service", rng.randint(1, 4)),
            "publics": pick("public", rng.randint(0, 2)),
            "special_support": pick("special_support", rng.randint(0, 1)),
            "fees": pick("fee", 1),
            "programmes": pick("programme", rng.randint(0, 2)),
            "labels": pick("label", rng.randint(0, 1)),
            "access_modes": pick("access_mode", rng.randint(1, 2)),
            "support_modes": pick("support_mode", rng.randint(1, 2)),
            "equipment": pick("equipment", rng.randint(1, 4)),
        }
        return Record(n, SOURCE, f"seed-{n}", fields, relations, [])
