"""import_places: formats, vocabularies, communes, idempotence, atomicity, reports."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from places.exchange.importer import import_places
from places.exchange.reader import FileRefused
from places.exchange.standard import COLUMNS
from places.models import Place, Territory

from .conftest import REAL_FILES, SHARED_DATA, needs_shared_data

pytestmark = pytest.mark.django_db

V1_HEADER = COLUMNS


def v1_row(**values) -> dict:
    row = dict.fromkeys(V1_HEADER, "")
    row.update(
        id="lieu-1", pivot="43493312300029", nom="La Quincaillerie numérique",
        commune="Rennes", code_postal="35000", code_insee="35238",
        adresse="12 rue de Brest", latitude="48.1119", longitude="-1.6819",
        typologie="TIERS_LIEUX|ASSO", telephone="+33299000000",
        courriels="contact@quincaillerie.example.org", site_web="https://quincaillerie.example.org/",
        horaires="Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
        presentation_resume="Formations aux outils numériques.", source="hubik",
        itinerance="Itinérant|Fixe", date_maj="2024-04-02",
        services="Maîtrise des outils numériques du quotidien|Loisirs et créations numériques",
        publics_specifiquement_adresses="Jeunes|Femmes",
        prise_en_charge_specifique="Surdité|Illettrisme", frais_a_charge="Gratuit sous condition",
        dispositif_programmes_nationaux="Aidants Connect|Conseillers numériques",
        formations_labels="Étapes numériques(La Poste)", autres_formations_labels="Label maison",
        modalites_acces="Se présenter|Téléphoner", modalites_accompagnement="En autonomie",
        fiche_acces_libre="https://acceslibre.example.org/lieu", prise_rdv="https://rdv.example.org/",
    )  # fmt: skip
    row.update(values)
    return row


def write_csv(path, rows, delimiter=",", encoding="utf-8", header=None):
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=header or list(rows[0]), delimiter=delimiter
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return str(path)


def codes(place, field) -> set[str]:
    return set(getattr(place, field).values_list("value", flat=True))


def snapshot() -> list[tuple]:
    """Everything an import can change, to show that a refused import changed nothing."""
    return list(
        Place.objects.order_by("pk").values_list("pk", "name", "status", "updated_at")
    )


def test_imports_every_field_of_a_v1_csv(tmp_path):
    report = import_places(write_csv(tmp_path / "lieux.csv", [v1_row()]))
    assert (report.created, report.rejected, report.version) == (1, 0, "v1")
    place = Place.objects.get(source="hubik", source_id="lieu-1")
    assert place.status == Place.Status.PUBLISHED
    assert place.commune.code == "35238"
    assert (place.location.x, place.location.y) == (-1.6819, 48.1119)
    assert not place.location_is_approximate
    assert place.phone == "+33299000000"
    assert place.itinerant and place.fixed_site
    assert codes(place, "structure_types") == {"TIERS_LIEUX", "ASSO"}
    assert set(place.kinds.values_list("code", flat=True)) == {"tiers-lieu"}
    assert codes(place, "publics") == {"Jeunes", "Femmes"}
    assert codes(place, "labels") == {"Étapes numériques(La Poste)"}
    assert codes(place, "programmes") == {"Aidants Connect", "Conseillers numériques"}
    assert place.other_labels == "Label maison"
    assert str(place.data_updated_on) == "2024-04-02"
    assert place.slug == "la-quincaillerie-numerique-rennes"


def test_imports_a_v0_file_in_windows_1252_with_semicolons(tmp_path):
    header = ["id", "pivot", "nom", "commune", "code_postal", "adresse", "telephone",
              "courriel", "services", "publics_accueillis", "conditions_access",
              "labels_nationaux", "modalites_accompagnement", "date_maj"]  # fmt: skip
    row = {
        "id": "a1", "pivot": "00000000000000", "nom": "ESPACE NUMERIQUE DU CENTRE",
        "commune": "MARSEILLE 11", "code_postal": "13011", "adresse": "4 AV DE SAINT MENET",
        "telephone": "04 91 00 00 00", "courriel": "accueil@centre.example.org",
        "services": "Prendre en main un ordinateur;Accéder à une connexion internet;"
        "Accompagner les démarches de santé",
        "publics_accueillis": "Seniors (+ 65 ans);Surdité;Adultes",
        "conditions_access": "Gratuit : Je peux accéder gratuitement au lieu et à ses services",
        "labels_nationaux": "CNFS;France Services",
        "modalites_accompagnement": "Seul : j'ai accès à du matériel et une connexion",
        "date_maj": "2022-05-09",
    }  # fmt: skip
    path = write_csv(tmp_path / "v0.csv", [row], ";", "cp1252", header)
    report = import_places(path, source_name="cnfs")
    assert (report.created, report.version, report.encoding) == (
        1,
        "v0",
        "windows-1252",
    )
    place = Place.objects.get(source="cnfs")
    assert place.name == "ESPACE NUMERIQUE DU CENTRE"
    assert place.commune.code == "13211"  # Marseille 11e arrondissement
    assert place.phone == "+33491000000"
    assert place.pivot == ""
    assert codes(place, "services") == {
        "Maîtrise des outils numériques du quotidien",
        "Accès internet et matériel informatique",
        "Aide aux démarches administratives",
    }
    assert codes(place, "publics") == {"Seniors"}
    assert codes(place, "special_support") == {"Surdité"}
    assert codes(place, "fees") == {"Gratuit"}
    assert codes(place, "programmes") == {"Conseillers numériques", "France Services"}
    assert codes(place, "support_modes") == {"En autonomie"}
    assert place.unmapped_values == {}  # "Adultes" deliberately maps to nothing


@pytest.mark.parametrize(
    "commune, postal_code, expected",
    [
        ("ST ETIENNE", "42000", "42218"),
        ("saint-etienne", "42100", "42218"),
        ("LYON 3EME", "69003", "69383"),
        ("Paris", "75011", "75111"),  # a city with arrondissements: by postal code
        ("VIRE", "14500", "14762"),  # a former commune, now Vire Normandie
        ("PRECHEUR", "97250", "97219"),  # Le Prêcheur, without its article
        ("Rambervilelrs", "88700", "88367"),  # a typo
        ("nimporte", "29200", "29019"),  # a postal code with a single commune
        # Partners' cells (la-creuse.json): other words after the town, a stray
        # digit before it, part of its name.
        ("Saint-Vaury  Numéro de téléphone", "23320", "23247"),
        ("Saint-Sulpice-le-Dunois  Ateliers Numériques", "23800", "23244"),
        ("0 Pontarion", "23250", "23155"),
        ("Châtain", "23700", "23005"),
    ],
)
def test_resolves_communes_the_way_people_write_them(
    tmp_path, commune, postal_code, expected
):
    row = v1_row(commune=commune, code_postal=postal_code, code_insee="")
    import_places(write_csv(tmp_path / "c.csv", [row]))
    assert Place.objects.get(source_id="lieu-1").commune.code == expected


def test_quirky_values_are_recognised(tmp_path):
    row = v1_row(
        formations_labels="Étapes numériques (La Poste)",
        dispositif_programmes_nationaux="Point d’accès numérique CAF",
        services="Aide aux démarches administratives;Loisirs et créations numériques",
    )
    report = import_places(write_csv(tmp_path / "q.csv", [row]))
    place = Place.objects.get(source_id="lieu-1")
    assert codes(place, "labels") == {"Étapes numériques(La Poste)"}
    assert codes(place, "programmes") == {"Point d'accès numérique CAF"}
    assert len(codes(place, "services")) == 2
    assert report.flagged == 0


def test_unknown_values_are_kept_and_reported(tmp_path):
    row = v1_row(services="Aide aux démarches administratives|Cours de cuisine")
    report = import_places(write_csv(tmp_path / "u.csv", [row]))
    place = Place.objects.get(source_id="lieu-1")
    assert place.unmapped_values == {"services": ["Cours de cuisine"]}
    (flagged,) = report.rows
    assert flagged.status == "flagged"
    assert (flagged.line, flagged.issues[0].field, flagged.issues[0].value) == (
        2,
        "services",
        "Cours de cuisine",
    )


def test_invalid_opening_hours_are_kept_verbatim_and_flagged(tmp_path):
    report = import_places(write_csv(tmp_path / "h.csv", [v1_row(horaires="le matin")]))
    place = Place.objects.get(source_id="lieu-1")
    assert (place.opening_hours, place.opening_hours_valid) == ("le matin", False)
    assert report.rows[0].issues[0].field == "horaires"


def test_missing_coordinates_fall_back_on_the_commune_centre(tmp_path):
    Territory.objects.filter(level="commune", code="35238").update(
        centre="POINT(-1.68 48.11)"
    )
    import_places(write_csv(tmp_path / "g.csv", [v1_row(latitude="", longitude="")]))
    place = Place.objects.get(source_id="lieu-1")
    assert (place.location.x, place.location.y) == (-1.68, 48.11)
    assert place.location_is_approximate


def test_json_records_and_geojson_are_read(tmp_path):
    records = tmp_path / "lieux.json"
    records.write_text(json.dumps([v1_row(id="j1")]), encoding="utf-8")
    geojson = tmp_path / "lieux.geojson"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.7, 48.1]},
               "properties": v1_row(id="g1", latitude="", longitude="")}  # fmt: skip
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    assert import_places(str(records)).format == "json"
    assert import_places(str(geojson), fmt="geojson").format == "geojson"
    assert Place.objects.get(source_id="g1").location.coords == (-1.7, 48.1)
    assert Place.objects.filter(source_id="j1").exists()


def test_reimporting_an_unchanged_file_writes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "lieux.csv", [v1_row(), v1_row(id="lieu-2", nom="Autre")]
    )
    import_places(path)
    before = snapshot()
    report = import_places(path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert snapshot() == before


def test_a_changed_row_updates_only_that_place(tmp_path):
    import_places(
        write_csv(tmp_path / "a.csv", [v1_row(), v1_row(id="lieu-2", nom="Autre")])
    )
    other = Place.objects.get(source_id="lieu-2")
    changed = [v1_row(telephone="+33299111111", services="Loisirs et créations numériques"),
               v1_row(id="lieu-2", nom="Autre")]  # fmt: skip
    report = import_places(write_csv(tmp_path / "b.csv", changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    place = Place.objects.get(source_id="lieu-1")
    assert place.phone == "+33299111111"
    assert codes(place, "services") == {"Loisirs et créations numériques"}
    assert Place.objects.get(source_id="lieu-2").updated_at == other.updated_at


def test_close_missing_closes_absent_places_of_that_source_only(tmp_path):
    both = [v1_row(), v1_row(id="lieu-2", nom="Autre")]
    import_places(write_csv(tmp_path / "a.csv", both), source_name="hub")
    import_places(
        write_csv(
            tmp_path / "o.csv", [v1_row(id="x", nom="Ailleurs", adresse="1 rue Neuve")]
        ),
        source_name="autre-hub",
    )
    report = import_places(
        write_csv(tmp_path / "b.csv", [v1_row()]), source_name="hub", close_missing=True
    )
    assert report.closed == 1
    assert (
        Place.objects.get(source="hub", source_id="lieu-2").status
        == Place.Status.CLOSED
    )
    assert Place.objects.get(source="autre-hub").status == Place.Status.PUBLISHED
    # Back in a later file: open again.
    import_places(write_csv(tmp_path / "c.csv", both), source_name="hub")
    assert (
        Place.objects.get(source="hub", source_id="lieu-2").status
        == Place.Status.PUBLISHED
    )


def test_close_missing_needs_a_source(tmp_path):
    with pytest.raises(CommandError, match="--source"):
        call_command(
            "import_places",
            write_csv(tmp_path / "a.csv", [v1_row()]),
            "--close-missing",
        )


def test_dry_run_reports_and_changes_nothing(tmp_path):
    before = snapshot()
    report = import_places(write_csv(tmp_path / "a.csv", [v1_row()]), dry_run=True)
    assert report.created == 1
    assert snapshot() == before


def test_bad_rows_are_rejected_with_line_field_value_and_reason_good_rows_kept(
    tmp_path,
):
    rows = [
        v1_row(id="ok-1"),
        v1_row(id="", nom="Sans identifiant"),
        v1_row(id="no-name", nom=""),
        v1_row(id="nowhere", commune="Atlantide", code_postal="00000", code_insee=""),
        v1_row(id="ok-1", nom="Doublon"),
        v1_row(id="ok-2", nom="Deuxième"),
    ]
    report = import_places(write_csv(tmp_path / "bad.csv", rows))
    assert (report.created, report.rejected) == (2, 4)
    rejected = [
        (r.line, r.issues[0].field) for r in report.rows if r.status == "rejected"
    ]
    assert rejected == [(3, "id"), (4, "nom"), (5, "commune"), (6, "id")]
    assert "déjà ligne 2" in report.rows[-1].issues[0].reason
    assert set(Place.objects.values_list("source_id", flat=True)) >= {"ok-1", "ok-2"}


def test_bad_values_are_dropped_and_reported(tmp_path):
    row = v1_row(telephone="pas de téléphone", courriels="bad@|ok@x.example.org",
                 presentation_resume="x" * 300, pivot="12")  # fmt: skip
    report = import_places(write_csv(tmp_path / "v.csv", [row]))
    place = Place.objects.get(source_id="lieu-1")
    assert (place.phone, place.emails, place.pivot) == ("", ["ok@x.example.org"], "")
    assert len(place.summary) == 280
    fields = {issue.field for issue in report.rows[0].issues}
    assert {"telephone", "courriels", "presentation_resume", "pivot"} <= fields


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x81\x8d\x8f\x90\x9d,\xff\xfe", "Encodage"),
        (b"\x00\x01\x02binary", "binaire"),
        (b"", "vide"),
        (b"id,nom\n1,Lieu\n", "Colonnes obligatoires absentes"),
        (b'{"not": "a list"}', "liste"),
        (b"[{broken json", "JSON invalide"),
        (b"just some words", "Ni CSV ni JSON"),
    ],
)
def test_unreadable_files_are_refused_and_change_nothing(tmp_path, content, message):
    import_places(write_csv(tmp_path / "first.csv", [v1_row()]))
    before = snapshot()
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=message):
        import_places(str(path))
    assert snapshot() == before


def test_a_crash_during_the_run_commits_nothing(tmp_path, monkeypatch):
    # Fault injection: the last step inside the transaction fails.
    from places.exchange import importer

    def crash(pks, user=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "match", crash)
    before = snapshot()
    with pytest.raises(RuntimeError):
        import_places(write_csv(tmp_path / "a.csv", [v1_row(), v1_row(id="lieu-2")]))
    assert snapshot() == before


def test_cross_source_duplicates_are_merged_when_sure(tmp_path):
    # More in tests/test_merging.py.
    import_places(write_csv(tmp_path / "a.csv", [v1_row()]), source_name="hub-a")
    same_place = v1_row(id="autre-id", nom="La Quincaillerie Numérique", pivot="")
    report = import_places(
        write_csv(tmp_path / "b.csv", [same_place]), source_name="hub-b"
    )
    assert (report.created, report.merged, report.duplicates) == (1, 1, [])
    (place,) = Place.objects.published()
    assert set(place.records.values_list("source", flat=True)) == {"hub-a", "hub-b"}


def test_command_prints_counts_and_writes_the_json_report(tmp_path, capsys):
    path = write_csv(tmp_path / "a.csv", [v1_row(), v1_row(id="x", nom="")])
    call_command("import_places", path, "--report", str(tmp_path / "report.json"))
    out = capsys.readouterr()
    assert "1 created, 0 updated, 0 unchanged, 1 rejected, 0 closed" in out.out
    assert "line 3: rejected: nom" in out.err
    report = json.loads((tmp_path / "report.json").read_text())
    assert {"created", "updated", "unchanged", "rejected", "closed", "rows"} <= set(
        report
    )
    assert report["rows"][0]["issues"][0]["reason"] == "nom manquant"


def test_command_refuses_unreadable_file(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("import_places", str(path))


@needs_shared_data
def test_real_files_import_with_at_least_98_percent_accepted():
    for name in REAL_FILES:
        report = import_places(str(SHARED_DATA / name))
        accepted = report.created + report.updated + report.unchanged
        assert accepted / report.rows_read >= 0.98, name
        assert all(r.issues and r.issues[0].reason for r in report.rows), name
        again = import_places(str(SHARED_DATA / name))
        assert (again.created, again.updated) == (0, 0), name


def test_imports_from_a_url(tmp_path):
    """A partner's URL, served by a local HTTP server (no internet in tests)."""
    import functools
    import http.server
    import threading

    write_csv(tmp_path / "lieux.csv", [v1_row()])
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/lieux.csv"
        assert import_places(url).created == 1
        with pytest.raises(FileRefused, match="télécharger"):
            import_places(f"http://127.0.0.1:{server.server_port}/absent.csv")
    finally:
        server.shutdown()
    assert Place.objects.get(source_id="lieu-1").name == "La Quincaillerie numérique"


def test_saving_a_place_refreshes_the_hours_flag(tmp_path):
    import_places(write_csv(tmp_path / "h.csv", [v1_row(horaires="le matin")]))
    place = Place.objects.get(source_id="lieu-1")
    place.opening_hours = "Mo-Fr 09:00-12:00"
    place.save()
    place.refresh_from_db()
    assert place.opening_hours_valid


def test_our_extension_columns_set_kinds_and_equipment_only_when_present(tmp_path):
    """`types_lieu` and `equipements` (docs/exchange.md) name kinds and equipment
    the standard lacks; a later file without `equipements` leaves the equipment a
    coordinator set alone, and an unknown name is reported, not guessed."""
    extended = v1_row(
        types_lieu="Coworking|tiers-lieu",
        equipements="Wifi en accès libre|imprimante-3d|Robot pâtissier",
    )
    report = import_places(write_csv(tmp_path / "a.csv", [extended]), source_name="x")
    place = Place.objects.get(source_id="lieu-1")
    assert set(place.kinds.values_list("code", flat=True)) == {
        "coworking",
        "tiers-lieu",
    }
    assert set(place.equipment.values_list("code", flat=True)) == {
        "wifi",
        "imprimante-3d",
    }
    [row] = report.rows
    assert [(i.field, i.value) for i in row.issues] == [
        ("equipements", "Robot pâtissier")
    ]
    # The standard's file alone: kinds from `typologie`, equipment kept.
    again = import_places(write_csv(tmp_path / "b.csv", [v1_row()]), source_name="x")
    assert again.updated == 1
    assert set(place.kinds.values_list("code", flat=True)) == {"tiers-lieu"}
    assert set(place.equipment.values_list("code", flat=True)) == {
        "wifi",
        "imprimante-3d",
    }
    # Nothing recognised (a partner's free text): the equipment is left alone.
    junk = v1_row(equipements="10 PC et une imprimante")
    report = import_places(write_csv(tmp_path / "j.csv", [junk]), source_name="x")
    assert report.rows[0].issues[0].field == "equipements"
    assert place.equipment.count() == 2
    # An empty `equipements` says "none".
    import_places(
        write_csv(tmp_path / "c.csv", [v1_row(equipements="")]), source_name="x"
    )
    assert not place.equipment.exists()


def test_after_an_import_the_planner_knows_the_opening_periods(tmp_path):
    """The statistics are refreshed after the opening periods are written (and
    include them): planned with the periods of a few places, "open now" over a
    million read the whole table."""
    from django.db import connection

    rows = [
        v1_row(id=f"h{n}", nom=f"Lieu {n}", adresse=f"{n} rue de Brest")
        for n in range(3)
    ]
    import_places(write_csv(tmp_path / "hours.csv", rows))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, (SELECT count(*) FROM places_openingperiod) "
            "FROM pg_class WHERE relname = 'places_openingperiod'"
        )
        estimated, counted = cursor.fetchone()
    # Exact for a table ANALYZE reads whole; a sample's estimate beyond 30,000 rows.
    assert counted > 0 and abs(estimated - counted) <= 0.05 * counted
