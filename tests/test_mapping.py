"""Partners' own layouts read through the national converter's configs (issue 16,
translated into our format by places/exchange/mapping/converter.py)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from places.exchange.importer import import_places
from places.exchange.mapping import (
    Mapping,
    MappingError,
    flatten,
    parse_mapping,
    read_mapping,
)
from places.exchange.reader import FileRefused
from places.models import Place

from .conftest import SHARED_DATA, needs_shared_data

PARTNERS = SHARED_DATA / "partners"
pytestmark = pytest.mark.django_db


def mapped(rules: dict, record: dict) -> dict[str, str]:
    return parse_mapping(json.dumps(rules)).row(flatten(record))


def written(tmp_path, rules: dict) -> Mapping:
    """`rules` as a partner's config file, read back as the command reads it."""
    config = tmp_path / "partenaire.config.json"
    config.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return read_mapping(config)


def test_records_are_flattened_into_dotted_keys():
    record = {"properties": {"nom": "Lab", "n": 3, "ok": True, "vide": None}}
    record["geometry"] = {"coordinates": [5.1, 45.2]}
    record["categories"] = ["a", "b"]
    assert flatten(record) == {
        "properties.nom": "Lab", "properties.n": "3", "properties.ok": "true",
        "properties.vide": "", "geometry.coordinates.0": "5.1",
        "geometry.coordinates.1": "45.2", "geometry.coordinates": "5.1|45.2",
        "categories.0": "a", "categories.1": "b", "categories": "a|b",
    }  # fmt: skip


def test_each_kind_of_rule():
    rules = {
        "nom": {"colonne": ["name", "properties.nom"]},  # first non-empty
        "adresse": {
            "joindre": {
                "colonnes": ["numero", "rue"],
                "séparateur": " ",
                "ou": {"colonne": "brut"},
            }
        },
        "complement_adresse": {"joindre": {"colonnes": ["x"], "ou": {"colonne": "y"}}},
        "latitude": {"dissocier": {"colonne": "geo", "séparateur": ",", "partie": 0}},
        "longitude": {"dissocier": {"colonne": "geo", "séparateur": ",", "partie": 1}},
        "date_maj": {"valeur": "2023-01-15"},
        "code_postal": {"colonne": "cp"},
        "commune": {"colonne": "ville"},
    }
    record = {
        "name": " ",
        "properties": {"nom": "Fablab des Lices"},
        "numero": "12",
        "rue": "rue de Brest",
        "y": "Bâtiment B",
        "geo": "48.11, -1.68",
        "cp": 5000,
        "ville": "Gap",
    }
    assert mapped(rules, record) | {"id": ""} == {
        "id": "", "nom": "Fablab des Lices", "adresse": "12 rue de Brest",
        "complement_adresse": "Bâtiment B", "latitude": "48.11", "longitude": "-1.68",
        "date_maj": "2023-01-15", "code_postal": "05000", "commune": "Gap",
    }  # fmt: skip
    assert (
        mapped(rules, {**record, "numero": "", "rue": "", "brut": "Place X"})["adresse"]
        == "Place X"
    )


def test_value_rules_follow_terms_exceptions_and_constants():
    rules = {
        "services": [
            {"colonnes": ["q1", "q2"], "termes": ["démarches"], "cible": "Démarches"},
            {"colonnes": ["q1"], "termes": ["5"], "sauf": ["15"], "cible": "Code 5"},
            {"colonnes": ["q3"], "cible": "Autre"},  # any non-empty value
            {"cible": "Toujours"},
        ]
    }
    found = mapped(rules, {"q1": "15", "q2": "Aide aux DÉMARCHES", "q3": ""})
    assert found["services"] == "Démarches|Toujours"
    found = mapped(rules, {"q1": "5", "q2": "", "q3": "oui"})
    assert found["services"] == "Code 5|Autre|Toujours"


def test_hours_by_day_become_opening_hours_or_stay_as_written():
    rules = {
        "horaires": {
            "jours": [
                {"colonne": "lundi", "osm": "Mo"},
                {"colonne": "mardi", "osm": "Tu"},
            ]
        }
    }
    assert (
        mapped(rules, {"lundi": "09:00-12:00,14:00-17:00", "mardi": ""})["horaires"]
        == "Mo 09:00-12:00,14:00-17:00"
    )
    assert (
        mapped(rules, {"lundi": "le matin", "mardi": "9h-12h"})["horaires"]
        == "Mo : le matin ; Tu : 9h-12h"
    )
    both = {"horaires": {"osm": "h", "semaine": "h"}}
    assert mapped(both, {"h": "Mo-Fr 09:00-17:00"})["horaires"] == "Mo-Fr 09:00-17:00"


def test_postcode_and_town_out_of_the_address_and_a_stable_id_when_none():
    rules = {
        "nom": {"colonne": "nom"},
        "adresse": {"colonne": "adresse"},
        "code_postal": {"colonne": ""},
        "commune": {"colonne": ""},
    }
    record = {"nom": "Médiathèque", "adresse": "1 Rue X, 51200, Épernay, Marne, FRA"}
    cells = mapped(rules, record)
    assert (cells["adresse"], cells["code_postal"], cells["commune"]) == (
        "1 Rue X",
        "51200",
        "Épernay",
    )
    assert cells["id"].startswith("h-") and cells["id"] == mapped(rules, record)["id"]
    assert cells["id"] != mapped(rules, {**record, "nom": "Autre"})["id"]
    town = mapped({"commune": {"colonne": "v"}}, {"v": "Châtain 23700"})
    assert (town["commune"], town["code_postal"]) == ("Châtain", "23700")


@pytest.mark.parametrize(
    "rules, named",
    [
        ({"nom_structure": {"colonne": "x"}}, "nom_structure"),
        ({"nom": {"colone": "x"}}, "colone"),
        ({"services": [{"colonnes": ["x"], "terms": ["a"], "cible": "A"}]}, "terms"),
        ({"services": [{"colonnes": ["x"]}]}, "cible"),
        ({"horaires": {"texte": "h"}}, "horaires"),
        ({"adresse": {"joindre": {"colonnes": ["a"], "sep": " "}}}, "sep"),
        ({"latitude": {"dissocier": {"colonne": "g", "partie": 0}}}, "dissocier"),
        (
            {
                "latitude": {
                    "dissocier": {"colonne": "g", "séparateur": ",", "partie": -1}
                }
            },
            "dissocier",
        ),
        ({"adresse": {"joindre": {"colonnes": ["a"], "séparateur": 3}}}, "séparateur"),
        ({"date_maj": {"valeur": {"a": 1}}}, "valeur"),
        ({"nom": {"colonne": 5}}, "colonne"),
        ({"horaires": {"osm": {"a": 1}}}, "horaires"),
        ({"horaires": {"osm": "h", "texte": "h"}}, "texte"),
        (
            {
                "latitude": {
                    "dissocier": {"colonne": {}, "séparateur": ",", "partie": 0}
                }
            },
            "colonne",
        ),  # noqa: E501
        ({"latitude": {"dissocier": {"colonne": "g", "sep": ",", "partie": 0}}}, "sep"),
        ({"services": [{"colonnes": ["x"], "termes": "a", "cible": "A"}]}, "termes"),
    ],
)
def test_a_key_or_rule_nobody_knows_is_refused_with_its_name(rules, named):
    with pytest.raises(MappingError, match=named):
        parse_mapping(json.dumps(rules))


def test_the_command_refuses_a_wrong_mapping_and_changes_nothing(tmp_path):
    config = tmp_path / "x.config.json"
    config.write_text(json.dumps({"nom": {"colonne": "a"}, "inconnue": {}}))
    data = tmp_path / "x.json"
    data.write_text("[]")
    with pytest.raises(CommandError, match="inconnue"):
        call_command("import_places", str(data), mapping=str(config))
    assert not Place.objects.exists()


def test_a_csv_in_its_own_columns_imports_and_reimports_unchanged(tmp_path):
    mapping = written(
        tmp_path,
        {
            "id": {"colonne": "Réf"},
            "nom": {"colonne": "Structure"},
            "adresse": {"colonne": "Adresse"},
            "code_postal": {"colonne": "CP"},
            "commune": {"colonne": "Ville"},
            "services": [
                {
                    "colonnes": ["Offre"],
                    "termes": ["démarches"],
                    "cible": "Aide aux démarches administratives",
                }
            ],
        },
    )
    data = tmp_path / "lieux.csv"
    data.write_text(
        "Réf;Structure;Adresse;CP;Ville;Offre\n"
        "1;Espace des Lices;12 rue de Brest;35000;Rennes;démarches en ligne\n"
        "2;Sans ville;1 rue X;99999;Nulle-Part;\n",
        encoding="utf-8",
    )
    report = import_places(str(data), source_name="ville", mapping=mapping)
    assert (report.created, report.rejected) == (1, 1)
    assert report.rows[1].issues[0].field == "commune"
    place = Place.objects.get(source="ville", source_id="1")
    assert list(place.services.values_list("code", flat=True)) == [
        "aide-aux-demarches-administratives"
    ]
    again = import_places(str(data), source_name="ville", mapping=mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


# What the national converter itself produced from each file with its config
# (../shared/data/partners/README.md), and what we create: as many places or more
# (fibre-64: its 5 repeated survey answers are grouped into the place they repeat,
# counted apart), except rows without an address, which the standard requires.
CONVERTER = {
    "aix-en-provence/aix-en-provence.json": (37, 38),
    "angers/angers.json": (63, 63),
    "bus-france-services-charente/bus-france-services-charente.json": (12, 12),
    "epernay/epernay.json": (31, 37),
    "etapes-numerique/etapes-numerique.json": (95, 95),
    "fibre-64/fibre-64.json": (60, 56),  # and 5 grouped
    "haute-vienne/haute-vienne.json": (435, 435),
    "la-creuse/la-creuse.json": (89, 89),
    "paca/paca.json": (154, 1226),
    "paca/paca.csv": (154, 1209),
}


@needs_shared_data
@pytest.mark.parametrize("name", sorted(CONVERTER))
def test_every_partner_file_imports_with_its_config_unchanged(name):
    path = PARTNERS / name
    config = path.parent / f"{path.parent.name}.config.json"
    report = import_places(
        str(path),
        source_name=path.parent.name,
        mapping=read_mapping(config),
        dry_run=True,
    )
    converter, ours = CONVERTER[name]
    assert report.created == ours
    assert report.created + report.grouped >= converter
    assert all(row.issues for row in report.rows if row.status == "rejected")


def test_records_that_are_no_place_are_refused_with_their_line(tmp_path):
    """A value that is not an object, or an object nested too deep, is refused
    with its place in the list; the other records are read."""
    mapping = written(
        tmp_path,
        {
            "id": {"colonne": "id"},
            "nom": {"colonne": "nom"},
            "adresse": {"colonne": "a"},
            "code_postal": {"colonne": "cp"},
            "commune": {"colonne": "v"},
        },
    )
    deep: dict = {}
    inner = deep
    for _ in range(30):
        inner["x"] = {}
        inner = inner["x"]
    good = {"id": "1", "nom": "Lices", "a": "1 rue X", "cp": "35000", "v": "Rennes"}
    data = tmp_path / "x.json"
    data.write_text(json.dumps([good, "texte", {**good, "id": "2", "p": deep}]))
    report = import_places(str(data), mapping=mapping)
    assert report.created == 1
    refused = {
        row.line: row.issues[0].reason
        for row in report.rows
        if row.status == "rejected"
    }
    assert set(refused) == {2, 3}
    assert "objet" in refused[2] and "imbriqués" in refused[3]


@pytest.mark.parametrize(
    "address, expected",
    [
        ("1 Rue X, 51200, Épernay, Marne, FRA", ("1 Rue X", "51200", "Épernay")),
        (
            "10250 route de Lyon 38000 Grenoble",
            ("10250 route de Lyon", "38000", "Grenoble"),
        ),  # noqa: E501
        ("1 rue X, BP 50012, 51200 Épernay", ("1 rue X, BP 50012", "51200", "Épernay")),
        ("1 rue X 51331 EPERNAY CEDEX 9", ("1 rue X", "51331", "EPERNAY")),
        ("2 place Y 23000 Guéret - Tél 0555", ("2 place Y", "23000", "Guéret")),
    ],
)
def test_the_postcode_and_town_at_the_end_of_an_address(address, expected):
    rules = {
        "adresse": {"colonne": "a"},
        "code_postal": {"colonne": ""},
        "commune": {"colonne": ""},
    }
    cells = mapped(rules, {"a": address})
    assert (cells["adresse"], cells["code_postal"], cells["commune"]) == expected


def test_derived_ids_do_not_collide_on_separators():
    rules = {"nom": {"colonne": "n"}, "adresse": {"colonne": "a"}}
    assert (
        mapped(rules, {"n": "A|B", "a": "C"})["id"]
        != mapped(rules, {"n": "A", "a": "B|C"})["id"]
    )


def test_a_csv_row_that_does_not_fit_its_columns_is_reported(tmp_path):
    mapping = written(
        tmp_path,
        {
            "nom": {"colonne": "nom"},
            "adresse": {"colonne": "adr"},
            "code_postal": {"colonne": ""},
            "commune": {"colonne": ""},
        },
    )
    data = tmp_path / "x.csv"
    data.write_text("nom;adr\nLices;1 rue X 35000 Rennes\nBancal\n")
    report = import_places(str(data), mapping=mapping)
    assert report.created == 1
    assert [row.line for row in report.rows if row.status == "rejected"] == [3]
    empty = tmp_path / "vide.csv"
    empty.write_text("nom;adr\n")
    with pytest.raises(FileRefused, match="Aucun lieu"):
        import_places(str(empty), mapping=mapping)


def test_a_record_with_a_key_written_two_ways_is_refused():
    with pytest.raises(MappingError, match="a.b"):
        flatten({"a.b": "x", "a": {"b": "y"}})


def test_format_and_mapping_are_not_asked_together(tmp_path):
    mapping = tmp_path / "m.config.json"
    mapping.write_text("{}")
    with pytest.raises(CommandError, match="--format"):
        call_command("import_places", "x.json", mapping=str(mapping), fmt="geojson")
