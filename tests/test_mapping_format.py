"""Our own mapping format (docs/mapping.md; places/exchange/mapping/): the schema
and its French messages, each transform, the engine's options, and the shipped
mappings (mappings/) giving what the converter's configs give."""

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from places.exchange.importer import import_places
from places.exchange.mapping import (
    MappingError,
    as_text,
    flatten,
    parse_mapping,
    read_mapping,
)
from places.exchange.mapping import transforms as t
from places.exchange.mapping.engine import compiled
from places.exchange.mapping.schema import SCHEMA
from places.exchange.reader import FileRefused
from places.exchange.rows import KEPT_AS_WRITTEN, NO_SERVICE, READ_FROM_TEXT
from places.models import Place

from .conftest import SHARED_DATA, needs_shared_data
from .test_mapping import CONVERTER

PARTNERS = SHARED_DATA / "partners"
SHIPPED = Path(settings.BASE_DIR) / "mappings"
# A place's columns, in a partner's file that calls them so.
PLACE_FIELDS = {
    "id": {"colonne": "id"},
    "nom": {"colonne": "nom"},
    "adresse": {"colonne": "adresse"},
    "code_postal": {"colonne": "cp"},
    "commune": {"colonne": "ville"},
}


def ours(fields: dict, **options) -> str:
    return yaml.safe_dump({"version": 1, **options, "champs": fields})


def row(fields: dict, record: dict, **options) -> dict[str, str]:
    return parse_mapping(ours(fields, **options)).row(flatten(record))


# Transforms, one by one


def test_first_join_part_and_capture():
    flat = {"a": " ", "b": "x", "c": "y"}
    assert t.first(flat, ["a", "b", "c"]) == "x"
    assert t.first(flat, "missing") == ""
    assert t.join(flat, ["a", "b", "c"], " - ") == "x - y"
    assert t.part("48.1, -1.6", ",", 1) == "-1.6"
    assert t.part("48.1", ",", 1) == ""
    number = compiled(r"(\d[\d ]+)")
    assert t.capture("Tél : 02 99 00 00 00", number) == "02 99 00 00 00"
    assert t.capture("pas de numéro", number) == ""
    # An optional group that matched nothing gives nothing.
    assert t.capture("x", compiled(r"(\d+)?x")) == ""
    # A pattern that backtracks without end is stopped, the row refused.
    with pytest.raises(MappingError, match="trop lent"):
        t.capture("a" * 40 + "b", compiled("(a|aa)+$"))


def test_a_value_table_reads_the_whole_cell_then_each_of_its_parts():
    table = {
        t.plain(k): v for k, v in {"Atelier": ["A"], "Aide / démarches": ["B"]}.items()
    }
    assert t.looked_up("aide / DEMARCHES", table) == (["B"], [])
    assert t.looked_up("Atelier ; Wifi, atelier | Tablette/Aide", table) == (
        ["A"],
        ["Wifi", "Tablette", "Aide"],
    )
    assert t.looked_up("  ", table) == ([], [])


def test_contains_follows_terms_and_exceptions():
    assert t.contains(["Accès GRATUIT"], ["gratuit"], [])
    assert not t.contains(["Gratuit pour les adhérents"], ["gratuit"], ["adhérents"])
    assert t.contains(["", "x"], [], [])
    assert not t.contains(["", " "[:0]], [], [])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("15/01/2023", "2023-01-15"),
        ("5.1.2023", "2023-01-05"),
        ("15-01-23", "2023-01-15"),
        ("1er janvier 2023", "2023-01-01"),
        ("Lundi 3 Février 2025", "2025-02-03"),
        ("15 août 2023", "2023-08-15"),
        ("2023-01-15T10:00:00Z", "2023-01-15"),
        ("31/02/2023", "31/02/2023"),  # no such day: left for the importer to say
        ("bientôt", "bientôt"),
    ],
)
def test_french_dates(text, expected):
    assert t.french_date(text) == expected


def in_wgs84(x: float, y: float) -> tuple[float, float]:
    """The same point transformed by PostGIS, to check GDAL's reading against."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM ST_Transform("
            "ST_SetSRID(ST_MakePoint(%s, %s), 2154), 4326) AS p",
            [x, y],
        )
        return cursor.fetchone()


def test_lambert_93_to_wgs84_by_gdal(db):
    # Near the Hôtel de Ville of Rennes (-1.68, 48.11).
    lon, lat = map(float, t.to_wgs84("351843,0", "6789281", 2154))
    expected = in_wgs84(351843, 6789281)
    assert abs(lon - expected[0]) < 1e-6 and abs(lat - expected[1]) < 1e-6
    assert round(lon, 2) == -1.68 and round(lat, 2) == 48.11
    assert t.to_wgs84("x", "6789281", 2154) is None
    assert t.to_wgs84("nan", "1", 2154) is None


# The schema and its messages


@pytest.mark.parametrize(
    "document, named",
    [
        ({"champs": {"nom": {"colonne": "n"}}}, "« version » manque"),
        ({"version": 2, "champs": {"nom": {"colonne": "n"}}}, "version"),
        ({"version": 1, "champs": {"nom": {"colonne": "n"}}, "extra": 1}, "extra"),
        ({"version": 1, "champs": {"name": {"colonne": "n"}}}, "name"),
        ({"version": 1, "champs": {"nom": {"column": "n"}}}, "column"),
        ({"version": 1, "champs": {"nom": {"colonne": 3}}}, "champs.nom.colonne"),
        ({"version": 1, "champs": {"nom": {}}}, "champs.nom"),
        ({"version": 1, "champs": {"nom": {"colonne": "a", "valeur": "b"}}}, "valeur"),
        ({"version": 1, "champs": {"nom": {"depuis_adresse": True}}}, "depuis_adresse"),
        ({"version": 1, "champs": {"nom": {"colonne": "a", "partie": 1}}}, "partie"),
        ({"version": 1, "champs": {"nom": {"colonne": "a", "motif": "("}}}, "motif"),
        ({"version": 1, "champs": {"nom": {"jours": {"Mo": "a"}}}}, "jours"),
        ({"version": 1, "champs": {"horaires": {"jours": {"Lu": "a"}}}}, "Lu"),
        ({"version": 1, "champs": {"services": [{"colonnes": ["a"]}]}}, "valeurs"),
        (
            {
                "version": 1,
                "champs": {"services": [{"valeurs": ["x"], "termes": ["a"]}]},
            },
            "termes",
        ),
        (
            {"version": 1, "champs": {"services": [{"table": {"a": "b"}}]}},
            "colonnes",
        ),
        (
            {
                "version": 1,
                "csv": {"separateur": ":"},
                "champs": {"nom": {"valeur": 1}},
            },
            "csv.separateur",
        ),
        (
            {"version": 1, "projection": 27572, "champs": {"nom": {"valeur": 1}}},
            "27572",
        ),
        (
            {"version": 1, "regrouper": ["name"], "champs": {"nom": {"valeur": 1}}},
            "regrouper[1]",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_naming_what_is_wrong(document, named):
    with pytest.raises(MappingError) as refused:
        parse_mapping(yaml.safe_dump(document))
    assert named in str(refused.value)


@pytest.mark.parametrize(
    "text, said",
    [
        (
            "a: &a [x, x, x]\nb: &b [*a, *a, *a]\n"
            "version: 1\nchamps: {nom: {valeur: 1}}",
            "pas d’ancres ni d’alias",
        ),
        (
            "version: 1\nchamps:\n  nom: "
            + "{colonne: x, sinon: " * 300
            + "{colonne: y}"
            + "}" * 300,
            "trop profondément imbriquée",
        ),
        (
            "version: 1\nchamps: {nom: {colonne: n, table: {~: Oui}}}",
            "« None » entre guillemets",
        ),
        (
            "version: 1\nchamps: {nom: {colonne: n, table: {2024-01-01: x}}}",
            "entre guillemets",
        ),
        (
            "version: 1\nchamps: {nom: {colonne: n, motif: 'a{9999999999}'}}",
            "motif » invalide",
        ),
        (
            "version: 1\nchamps: {nom: {colonne: n, motif: '"
            + "(" * 2000
            + ")" * 2000
            + "'}}",
            "motif » invalide",
        ),
        ("version: 1\nchamps: {1: {colonne: n}}", "Colonnes inconnues du standard : 1"),
        ("- a\n- b", "objet"),
        (
            "version: 1\nchamps: {services: [{contient: [x], valeurs: [y]}]}",
            "lisent des « colonnes »",
        ),
        ("x" * 600_000, "trop longue"),
    ],
)
def test_a_mapping_that_would_harm_is_refused_with_a_reason(text, said):
    with pytest.raises(MappingError, match=said):
        parse_mapping(text)


def test_a_number_written_as_a_table_key_is_read_as_text():
    fields = {"nom": {"colonne": "n", "table": {1: "Oui"}}}
    assert row(fields, {"n": 1})["nom"] == "Oui"
    assert row(fields, {"n": "2"})["nom"] == "2"


def test_the_schema_written_in_the_docs_is_the_one_in_use():
    written = json.loads(
        (Path(settings.BASE_DIR) / "docs/mapping.schema.json").read_text()
    )
    assert written == SCHEMA


# The engine


def test_each_expression_of_our_format():
    fields = {
        "id": {"colonne": ["ref", "code"]},
        "nom": {"joindre": ["type", "nom"], "separateur": " — "},
        "adresse": {"colonne": "adr"},
        "code_postal": {"depuis_adresse": True},
        "commune": {"depuis_adresse": True},
        "latitude": {"colonne": "geo", "decouper": ";", "partie": 0},
        "longitude": {"colonne": "geo", "decouper": ";", "partie": 1},
        "telephone": {"colonne": "contact", "motif": r"tél\S* *:? *([\d .]+)"},
        "date_maj": {"colonne": "maj", "date": True},
        "source": {"colonne": "producteur", "sinon": {"valeur": "Ville"}},
        "typologie": [{"colonnes": ["genre"], "table": {"Médiathèque": "BIB"}}],
    }
    record = {
        "code": 7,
        "type": "EPN",
        "nom": "Bourg",
        "adr": "2 rue Haute, BP 12, 35000 Rennes CEDEX",
        "geo": "48,11;-1,68",
        "contact": "mail a@b.fr, tél : 02 99 00 00 00",
        "maj": "3 mars 2024",
        "genre": "mediatheque",
    }
    cells = row(fields, record)
    assert cells == {
        "id": "7",
        "nom": "EPN — Bourg",
        "adresse": "2 rue Haute, BP 12",
        "code_postal": "35000",
        "commune": "Rennes",
        "latitude": "48.11",
        "longitude": "-1.68",
        "telephone": "02 99 00 00 00",
        "date_maj": "2024-03-03",
        "source": "Ville",
        "typologie": "BIB",
    }


def test_hours_from_a_column_or_one_per_day():
    fields = {
        "horaires": {
            "colonne": "horaires",
            "sinon": {"jours": {"Mo": "lundi", "Tu": "mardi"}},
        }
    }
    assert row(fields, {"horaires": "Mo 09:00-12:00"})["horaires"] == "Mo 09:00-12:00"
    assert (
        row(fields, {"lundi": "09:00-12:00, 14:00-17:00", "mardi": "10:00-12:00"})[
            "horaires"
        ]
        == "Mo 09:00-12:00,14:00-17:00; Tu 10:00-12:00"
    )
    assert row(fields, {"lundi": "le matin"})["horaires"] == "Mo : le matin"


def test_records_under_a_path_a_separator_an_encoding_and_lambert_93(tmp_path, db):
    fields = {
        **PLACE_FIELDS,
        "longitude": {"colonne": "x"},
        "latitude": {"colonne": "y"},
    }
    mapping = parse_mapping(
        ours(fields, projection=2154, csv={"separateur": ",", "encodage": "latin-1"})
    )
    data = tmp_path / "lieux.csv"
    data.write_bytes(
        "id,nom,adresse,cp,ville,x,y\n"
        '1,Espace "Fée",1 place de la Mairie,35000,Rennes,"351843,0",6789281\n'.encode(
            "latin-1"
        )
    )
    report = import_places(str(data), source_name="l93", mapping=mapping)
    assert report.created == 1, report.rows
    place = Place.objects.get(source="l93")
    assert place.name == 'Espace "Fée"'
    expected = in_wgs84(351843, 6789281)
    assert abs(place.location.x - expected[0]) < 1e-6
    assert abs(place.location.y - expected[1]) < 1e-6

    nested = tmp_path / "lieux.json"
    nested.write_text(
        json.dumps({"reponse": {"lieux": [{"id": "2", "nom": "N", "adresse": "A"}]}})
    )
    with pytest.raises(FileRefused, match="enregistrements"):
        import_places(str(nested), mapping=mapping)
    elsewhere = parse_mapping(ours(fields, enregistrements="reponse.autres"))
    with pytest.raises(FileRefused, match="sous « reponse.autres »"):
        import_places(str(nested), mapping=elsewhere)
    under = parse_mapping(ours(fields, enregistrements="reponse.lieux"))
    assert under.records(json.loads(nested.read_text()))[0]["nom"] == "N"


def test_rows_of_one_place_are_grouped_and_the_unmapped_values_counted(tmp_path, db):
    fields = {
        "nom": {"colonne": "nom"},
        "adresse": {"colonne": "adresse"},
        "code_postal": {"colonne": "cp"},
        "commune": {"colonne": "ville"},
        "telephone": {"colonne": "tel"},
        "services": [
            {
                "colonnes": ["activite"],
                "table": {
                    "démarches": "Aide aux démarches administratives",
                    "wifi": ["Accès internet et matériel informatique"],
                },
            }
        ],
    }
    mapping = parse_mapping(ours(fields, regrouper=["nom", "adresse", "code_postal"]))
    data = tmp_path / "enquete.csv"
    data.write_text(
        "nom;adresse;cp;ville;tel;activite\n"
        "EPN du Bourg;1 rue A;35000;Rennes;;démarches\n"
        "Autre lieu;2 rue B;35000;Rennes;;Impression\n"
        "EPN  du bourg;1 rue A;35000;Rennes;0299000000;Wifi / Impression\n"
    )
    report = import_places(str(data), source_name="enquete", mapping=mapping)
    assert (report.rows_read, report.created, report.grouped) == (3, 2, 1)
    assert report.unmapped == {"services": {"Impression": 2}}
    bourg = Place.objects.get(source="enquete", name="EPN du Bourg")
    assert bourg.phone == "+33299000000"
    assert sorted(bourg.services.values_list("value", flat=True)) == [
        "Accès internet et matériel informatique",
        "Aide aux démarches administratives",
    ]
    # No service recognised: kept, and flagged for a coordinator.
    other = [r for r in report.rows if r.name == "Autre lieu"]
    assert other[0].status == "flagged"
    assert NO_SERVICE in [i.reason for i in other[0].issues]
    assert Place.objects.filter(source="enquete", name="Autre lieu").exists()
    grouped = [r for r in report.rows if r.line == 2]
    assert grouped and "regroupées" in grouped[0].issues[-1].reason
    assert grouped[0].issues[-1].value == "4"


def test_standard_values_nobody_knows_are_refused_in_ours_and_reported_in_a_config(
    tmp_path, db
):
    data = tmp_path / "l.json"
    data.write_text(
        json.dumps([{"id": "1", "nom": "N", "adresse": "1 rue A 35000 Rennes"}])
    )
    base = {
        "id": {"colonne": "id"},
        "nom": {"colonne": "nom"},
        "adresse": {"colonne": "adresse"},
        "code_postal": {"depuis_adresse": True},
        "commune": {"depuis_adresse": True},
    }
    wrong = {**base, "services": [{"valeurs": ["Sieste numérique"]}]}
    with pytest.raises(FileRefused, match="services : Sieste numérique"):
        import_places(str(data), mapping=parse_mapping(ours(wrong)))
    assert not Place.objects.exists()
    config = {
        "id": {"colonne": "id"},
        "nom": {"colonne": "nom"},
        "adresse": {"colonne": "adresse"},
        "code_postal": {"colonne": ""},
        "commune": {"colonne": ""},
        "services": [{"cible": "Sieste numérique"}],
    }
    report = import_places(str(data), mapping=parse_mapping(json.dumps(config)))
    assert report.mapping_warnings == ["services : Sieste numérique"]
    assert report.created == 1 and report.flagged == 1


# The converter's configs and the mappings shipped in our format


def partner_files():
    return sorted(
        p
        for p in PARTNERS.glob("*/*")
        if p.suffix in (".json", ".csv") and not p.name.endswith(".config.json")
    )


@needs_shared_data
def test_each_config_translated_into_our_format_reads_every_record_the_same():
    for path in partner_files():
        config = read_mapping(path.parent / f"{path.parent.name}.config.json")
        again = parse_mapping(as_text(config))
        assert again.origin == "correspondance"
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".json":
            records = config.records(json.loads(text))
        else:
            records = list(csv.DictReader(io.StringIO(text), delimiter=";"))
        assert records, path
        for record in records:
            flat = flatten(record)
            assert again.row(flat) == config.row(flat), (path.name, record)


@needs_shared_data
@pytest.mark.django_db
@pytest.mark.parametrize("path", partner_files(), ids=lambda p: p.name)
def test_the_shipped_mappings_accept_what_the_configs_accept(path):
    """As many places as with the converter's config (its counts, checked by
    tests/test_mapping.py), and as the converter itself."""
    converter, by_config = CONVERTER[f"{path.parent.name}/{path.name}"]
    shipped = SHIPPED / f"{path.parent.name}.yaml"
    by_ours = import_places(
        str(path), source_name="c", mapping=read_mapping(shipped), dry_run=True
    )
    assert by_ours.mapping_warnings == []
    assert by_ours.created == by_config
    assert by_ours.created + by_ours.grouped >= converter
    reasons = Counter(r.status for r in by_ours.rows)
    assert reasons["rejected"] == by_ours.rejected


def test_convert_mapping_writes_a_config_in_our_format(tmp_path, db):
    config = tmp_path / "ville.config.json"
    config.write_text(
        json.dumps(
            {
                "nom": {"colonne": "Nom"},
                "adresse": {
                    "joindre": {
                        "colonnes": ["num", "voie"],
                        "séparateur": " ",
                        "ou": {"colonne": "adr"},
                    }
                },
                "code_postal": {"colonne": ""},
                "latitude": {
                    "dissocier": {"colonne": "geo", "séparateur": ",", "partie": 0}
                },
                "services": [{"colonnes": ["q"], "termes": ["5"], "cible": "X"}],
                "horaires": {"jours": [{"colonne": "lundi", "osm": "Mo"}]},
                "semaine_ouverture": {"colonne": "semaines"},
            }
        )
    )
    output = tmp_path / "ville.yaml"
    call_command(
        "convert_mapping", str(config), output=str(output), description="Ville"
    )
    written = yaml.safe_load(output.read_text())
    assert written == {
        "version": 1,
        "description": "Ville",
        "champs": {
            "nom": {"colonne": "Nom"},
            "adresse": {
                "joindre": ["num", "voie"],
                "separateur": " ",
                "sinon": {"colonne": "adr"},
            },
            "code_postal": {"depuis_adresse": True},
            "latitude": {"colonne": "geo", "decouper": ",", "partie": 0},
            "services": [{"colonnes": ["q"], "contient": ["5"], "valeurs": ["X"]}],
            "horaires": {"jours": {"Mo": "lundi"}},
        },
    }


@needs_shared_data
@pytest.mark.django_db
def test_the_bretagne_fablabs_and_tiers_lieux_import_with_the_shipped_mapping():
    path = SHARED_DATA / "fablabs_tierslieux_bretagne_maplabbzh.csv"
    with path.open(encoding="utf-8") as rows:
        expected = Counter(
            "fablab" if "fab" in r["structure"] or "aker" in r["structure"] else "tl"
            for r in csv.DictReader(rows)
            if r["adresse"].strip()
        )
    mapping = read_mapping(SHIPPED / "fablabs-bretagne.yaml")
    report = import_places(str(path), source_name="maplab-bzh", mapping=mapping)
    assert report.created == expected.total() and report.rejected == 5
    assert {
        i.reason for r in report.rows if r.status == "rejected" for i in r.issues
    } == {"adresse manquante"}
    places = Place.objects.filter(source="maplab-bzh")
    assert places.filter(kinds__code="fablab").count() == expected["fablab"]
    assert places.filter(kinds__code="tiers-lieu").count() == expected["tl"]
    assert not places.filter(kinds__code="epn").exists()
    lorient = places.get(name="N°4 FabLab")
    assert (lorient.address, lorient.address_extra) == (
        "15, rue Galilée",
        "Espace Créa — Parc Technologique de Soye",
    )
    assert lorient.structure_types.get().value == "FABLAB"
    again = import_places(str(path), source_name="maplab-bzh", mapping=mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected.total())


def test_french_hours_are_read_when_sure_and_kept_with_the_reason_when_not(
    tmp_path, db
):
    fields = {
        **PLACE_FIELDS,
        "horaires": {"colonne": "horaires"},
    }
    data = tmp_path / "h.csv"
    data.write_text(
        "id;nom;adresse;cp;ville;horaires\n"
        "1;Lu;1 rue A;35000;Rennes;du lundi au vendredi de 9h à 12h et de 14h à 17h\n"
        "2;Ma;2 rue A;35000;Rennes;le mardi matin\n"
        "3;Me;3 rue A;35000;Rennes;We 10:00-12:00\n"
    )
    mapping = parse_mapping(ours(fields))
    report = import_places(str(data), source_name="h", mapping=mapping)
    places = {p.source_id: p for p in Place.objects.filter(source="h")}
    assert places["1"].opening_hours == "Mo-Fr 09:00-12:00,14:00-17:00"
    assert places["1"].opening_hours_valid
    assert places["2"].opening_hours == "le mardi matin"
    assert not places["2"].opening_hours_valid
    assert places["3"].opening_hours == "We 10:00-12:00"
    said = {
        r.id: [i.reason for i in r.issues if i.field == "horaires"] for r in report.rows
    }
    assert said["1"] == [f"{READ_FROM_TEXT} Mo-Fr 09:00-12:00,14:00-17:00"]
    assert said["2"][0].startswith(KEPT_AS_WRITTEN + " (")
    assert "3" not in said or said["3"] == []
    again = import_places(str(data), source_name="h", mapping=mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_a_converter_config_naming_a_day_twice_is_refused():
    config = {
        "nom": {"colonne": "n"},
        "horaires": {
            "jours": [
                {"colonne": "lundi_matin", "osm": "Mo"},
                {"colonne": "lundi_soir", "osm": "Mo"},
            ]
        },
    }
    with pytest.raises(MappingError, match="nomme deux fois Mo"):
        parse_mapping(json.dumps(config))
