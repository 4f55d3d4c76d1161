"""Rebuild fixtures/reference.json from the national standard's files.

Run it when the standard changes:
    .venv/bin/python scripts/build_reference_fixture.py ../shared/standard \
        > fixtures/reference.json
Kinds and equipment are ours and written below; the standard's vocabularies are
copied verbatim (their `value` is the standard's exact spelling).
"""

import json
import re
import sys
import unicodedata
from pathlib import Path

from places.exchange.standard import VOCABULARY_COLUMNS

# Standard column → our vocabulary, from the one table of places/exchange/standard.py
# (run this script with the project's Python, which has `places` installed).
FIELDS = {
    column: vocabulary
    for column, (vocabulary, _field) in VOCABULARY_COLUMNS.items()
    if vocabulary != "structure_type"  # from typologies-de-structures.json instead
}

EQUIPMENT = [
    ("wifi", "Wifi en accès libre"),
    ("ordinateurs", "Ordinateurs en libre accès"),
    ("imprimante-scanner", "Imprimante et scanner"),
    ("imprimante-3d", "Imprimante 3D"),
    ("decoupe-laser", "Découpeuse laser"),
    ("fraiseuse-cnc", "Fraiseuse numérique (CNC)"),
    ("decoupe-vinyle", "Découpeuse vinyle"),
    ("electronique", "Poste d’électronique (soudure, Arduino)"),
    ("postes-coworking", "Postes de coworking"),
    ("salle-reunion", "Salle de réunion"),
    ("visioconference", "Équipement de visioconférence"),
    ("tablettes", "Tablettes en prêt"),
    ("pret-materiel", "Prêt de matériel informatique"),
]

KINDS = [
    (
        "epn",
        "Espace public numérique",
        "Espaces publics numériques",
        "EPN",
        "Un lieu ouvert à tous pour accéder à un ordinateur et à internet, et se faire "
        "aider dans ses usages et démarches en ligne.",
        "epn.svg",
    ),
    (
        "coworking",
        "Coworking",
        "Coworkings",
        "TIERS_LIEUX",
        "Un espace de travail partagé : un bureau, une connexion, des voisins.",
        "coworking.svg",
    ),
    (
        "fablab",
        "Fablab",
        "Fablabs",
        "FABLAB",
        "Un atelier de fabrication numérique partagé : imprimantes 3D, découpe laser, "
        "électronique, et des gens pour apprendre à s’en servir.",
        "fablab.svg",
    ),
    (
        "tiers-lieu",
        "Tiers-lieu",
        "Tiers-lieux",
        "TIERS_LIEUX",
        "Un lieu hybride qui réunit souvent médiation numérique, travail partagé, "
        "fabrication et vie locale.",
        "tiers-lieu.svg",
    ),
]


def code_of(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def term(vocabulary, value, label, position, description=""):
    return {
        "model": "places.term",
        "fields": {
            "vocabulary": vocabulary,
            "code": code_of(value) if vocabulary != "structure_type" else value.lower(),
            "value": value,
            "label": label,
            "description": description or "",
            "position": position,
        },
    }


def main(standard: Path) -> None:
    enums = json.loads((standard / "enums-v1.0.2.json").read_text())
    objects = []
    for field in enums["fields"]:
        vocabulary = FIELDS.get(field["name"])
        if vocabulary:
            objects += [term(vocabulary, v, v, n) for n, v in enumerate(field["enum"])]
    types = json.loads((standard / "typologies-de-structures.json").read_text())
    objects += [
        term("structure_type", t["value"], t["label"], n, t["description"])
        for n, t in enumerate(types)
    ]
    objects += [
        {
            "model": "places.term",
            "fields": {
                "vocabulary": "equipment",
                "code": code,
                "value": label,
                "label": label,
                "description": "",
                "position": n,
            },
        }
        for n, (code, label) in enumerate(EQUIPMENT)
    ]
    objects += [
        {
            "model": "places.kind",
            "fields": {
                "code": code,
                "label": label,
                "label_plural": plural,
                "description": text,
                "icon": icon,
                "structure_type": ["structure_type", typology.lower()],
                "position": n,
            },
        }
        for n, (code, label, plural, typology, text, icon) in enumerate(KINDS)
    ]
    json.dump(objects, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
