"""Imports that must neither lose nor corrupt anything: RFC 4180 quoting, rows that do
not fit, hostile files, a coordinator's scope, spreadsheet formulas, impossible
coordinates, dates and names, two imports at once, and the history they leave."""

import csv
import io
import json
import threading

import pytest
from django.db import connections
from hypothesis import given
from hypothesis import strategies as st

from places import quality
from places.exchange.formulas import NUMBER, neutralise, restore
from places.exchange.importer import import_places
from places.exchange.reader import FileRefused
from places.exchange.standard import COLUMNS
from places.models import Place, Territory

from .factories import PlaceFactory, marseille_place
from .test_import import v1_row, write_csv

pytestmark = pytest.mark.django_db


def rejected(report) -> list[tuple[int, str, str]]:
    return [
        (row.line, row.issues[0].field, row.issues[0].reason)
        for row in report.rows
        if row.status == "rejected"
    ]


def test_doubled_quotes_in_a_field_are_one_quote(tmp_path):
    """As RFC 4180 writes them; the dialect was guessed from the header alone."""
    path = tmp_path / "q.csv"
    path.write_text(
        "id,nom,commune,code_postal,adresse,presentation_resume,source\n"
        'a,"Foyer Louis Colin ""Joyeuse Retraite""",Rennes,35000,1 rue X,,hub\n'
        'b,"Le ""Lab"", enfin",Rennes,35000,"2 rue Y","Il dit ""oui"", puis part",hub\n'
    )
    report = import_places(str(path))
    assert (report.created, report.rejected) == (2, 0)
    names = dict(Place.objects.values_list("source_id", "name"))
    assert names == {
        "a": 'Foyer Louis Colin "Joyeuse Retraite"',
        "b": 'Le "Lab", enfin',
    }
    b = Place.objects.get(source_id="b")
    assert (b.summary, b.source) == ('Il dit "oui", puis part', "hub")


def test_a_row_with_too_many_or_too_few_columns_is_rejected_never_shifted(tmp_path):
    path = tmp_path / "shift.csv"
    path.write_text(
        "id,nom,commune,code_postal,adresse,source\n"
        "ok,Bon lieu,Rennes,35000,1 rue X,hub\n"
        'bad,"Un "nom" mal cité", la suite,Rennes,35000,2 rue Y,hub\n'
        "short,Court,Rennes\n"
        'open,"Guillemet ouvert,Rennes,35000,3 rue Z,hub\n'
        "ok2,Autre,Rennes,35000,4 rue W,hub\n"
    )
    report = import_places(str(path))
    assert list(Place.objects.values_list("source_id", flat=True)) == ["ok"]
    assert report.rows_read == 4
    lines = rejected(report)
    assert [line for line, *_ in lines] == [3, 4, 5]
    assert "7 colonnes au lieu de 6" in lines[0][2]
    assert "3 colonnes au lieu de 6" in lines[1][2]
    # The open quote runs to the end of the file: said, with the lines it took.
    assert "lignes 5 à 6" in lines[2][2] and "guillemet" in lines[2][2]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[" * 100_000, "imbriqué"),
        (b'{"type": "FeatureCollection", "features": 3}', "features"),
        (b"[1, 2, 3]", "premier, n°1"),
    ],
)
def test_hostile_json_is_refused_with_a_message(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=message):
        import_places(str(path))


def test_a_separator_at_the_end_of_every_line_is_no_extra_column(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text(
        "id,nom,commune,code_postal,adresse,source\n"
        "ok,Bon lieu,Rennes,35000,1 rue X,hub,\n"
        "ok2,Autre,Rennes,35000,2 rue Y,hub,\n"
    )
    assert import_places(str(path)).created == 2


def test_a_column_twice_is_refused_rather_than_one_of_them_kept(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(
        "id,nom,commune,code_postal,adresse,nom\n"
        "ok,Vrai nom,Rennes,35000,1 rue X,Autre\n"
    )
    with pytest.raises(FileRefused, match="Colonnes en double : nom"):
        import_places(str(path))


@pytest.mark.parametrize(
    "latitude, longitude",
    [("inf", "-1.68"), ("48.11", "1e400"), ("nan", "nan"), ("358.32", "48.11")],
)
def test_impossible_coordinates_are_reported_not_a_crash(tmp_path, latitude, longitude):
    centre_of_rennes()
    row = v1_row(latitude=latitude, longitude=longitude)
    report = import_places(write_csv(tmp_path / "c.csv", [row]))
    place = Place.objects.get()
    assert -180 <= place.location.x <= 180 and -90 <= place.location.y <= 90
    assert place.location_is_approximate  # the commune's centre
    assert report.rows[0].issues[0].field == "latitude"


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"nom": "Lieu \ud800 x"}, "caractère illisible"),
        ({"bad\u0000key": "v"}, "caractère nul"),
    ],
)
def test_json_cells_that_cannot_be_stored_reject_their_row(tmp_path, record, reason):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([{**v1_row(id="odd"), **record}, v1_row(id="ok")]))
    report = import_places(str(path))
    assert list(Place.objects.values_list("source_id", flat=True)) == ["ok"]
    assert reason in rejected(report)[0][2]


def test_a_json_number_too_long_to_read_refuses_the_file(tmp_path):
    path = tmp_path / "long.json"
    path.write_text('[{"id": ' + "9" * 5000 + "}]")
    with pytest.raises(FileRefused, match="JSON illisible"):
        import_places(str(path))


def test_a_field_longer_than_the_csv_module_allows_rejects_its_row_only(tmp_path):
    path = write_csv(
        tmp_path / "long.csv",
        [v1_row(id="long", presentation_detail="x" * 140_000), v1_row(id="ok")],
    )
    report = import_places(path)
    assert list(Place.objects.values_list("source_id", flat=True)) == ["ok"]
    ((line, field, reason),) = rejected(report)
    assert (line, field) == (2, "ligne") and "presentation_detail" in reason


def test_a_nul_character_rejects_its_row_only(tmp_path):
    rows = [v1_row(id=f"r{n}", nom=f"Lieu {n}") for n in range(60)]
    rows[50]["nom"] = "Lieu\x00 piégé"  # after the first 4 KB of the file
    path = write_csv(tmp_path / "nul.csv", rows)
    report = import_places(path)
    assert report.created == 59
    assert rejected(report)[0][0] == 52 and "caractère nul" in rejected(report)[0][2]


def test_utf16_csv_is_read(tmp_path):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter="\t")
    writer.writeheader()
    writer.writerow(v1_row(nom="Médiathèque d’été"))
    for codec in ("utf-16", "utf-16-le"):
        path = tmp_path / f"{codec}.csv"
        path.write_bytes(buffer.getvalue().encode(codec))
        report = import_places(str(path))
        assert report.encoding == "utf-16" and report.rejected == 0, codec
    assert Place.objects.get().name == "Médiathèque d’été"


def test_json_values_that_are_objects_are_refused_not_stored_as_text(tmp_path):
    path = tmp_path / "objects.json"
    path.write_text(
        json.dumps(
            [
                v1_row(id={"$oid": "62592a1d"}),
                v1_row(id="ok", services=["Aide aux démarches administratives"]),
                v1_row(id="x", nom=[{"fr": "Lieu"}]),
            ]
        )
    )
    report = import_places(str(path))
    assert list(Place.objects.values_list("source_id", flat=True)) == ["ok"]
    assert [(line, reason) for line, _, reason in rejected(report)] == [
        (1, "« id » n’est pas un texte ni un nombre (objet JSON)"),
        (3, "« nom » n’est pas un texte ni un nombre (objet JSON)"),
    ]


def test_a_geojson_geometry_that_is_not_a_point_is_reported(tmp_path):
    feature = {"type": "Feature", "geometry": "POINT(-1.68 48.11)",
               "properties": v1_row(latitude="", longitude="")}  # fmt: skip
    path = tmp_path / "g.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    report = import_places(str(path))
    assert report.created == 1
    issue = report.rows[0].issues[0]
    assert issue.reason == "coordonnées illisibles" and "POINT" in issue.value


def test_a_coordinator_s_import_cannot_touch_a_place_of_another_territory(tmp_path):
    """The row's commune is in Rennes (in scope), its id is a Marseille place's."""
    marseille = marseille_place(source_id="m-1")
    draft = marseille_place(
        name="Brouillon marseillais", status=Place.Status.DRAFT, source_id="m-2"
    )
    rennes = set(
        Territory.objects.filter(departement_code="35").values_list("pk", flat=True)
    )
    rows = [
        v1_row(id="m-1", nom="Renommé", source="cnfs"),
        v1_row(id="m-2", nom="Publié ?", source="cnfs"),
        v1_row(id="nowhere", commune="Nice", code_postal="06000", code_insee="06088"),
        v1_row(id="new", source="cnfs"),
    ]
    for dry_run in (True, False):
        report = import_places(
            write_csv(tmp_path / "a.csv", rows), communes=rennes, dry_run=dry_run
        )
        assert (report.created, report.updated, report.rejected) == (1, 0, 3)
        # The same words whether the id or the commune is elsewhere, and nothing
        # about the other place.
        assert [(line, field, reason) for line, field, reason in rejected(report)] == [
            (2, "id", "hors de votre territoire"),
            (3, "id", "hors de votre territoire"),
            (4, "commune", "hors de votre territoire"),
        ]
        text = json.dumps(report.as_dict(), default=str)
        assert "Espace de Marseille" not in text and "Brouillon" not in text
    marseille.refresh_from_db()
    draft.refresh_from_db()
    assert (marseille.name, marseille.commune.code) == ("Espace de Marseille", "13211")
    assert marseille.services.count() == 1
    assert (draft.name, draft.status) == ("Brouillon marseillais", "draft")


def test_a_record_s_id_stays_out_of_scope_when_its_place_changed_its_own(tmp_path):
    """A row finds its place through the source's record: a coordinator elsewhere
    who changed the place's own `source_id` in the admin must not open it to
    another territory's import (found by a review, session 14)."""
    marseille = v1_row(id="m-1", source="cnfs", nom="Espace de Marseille",
                       commune="Marseille", code_postal="13011", code_insee="13211",
                       latitude="43.29", longitude="5.49")  # fmt: skip
    import_places(write_csv(tmp_path / "m.csv", [marseille]))
    Place.objects.filter(source_id="m-1").update(source_id="changed-by-hand")
    rennes = set(
        Territory.objects.filter(departement_code="35").values_list("pk", flat=True)
    )
    report = import_places(
        write_csv(tmp_path / "a.csv", [v1_row(id="m-1", source="cnfs", nom="Pris")]),
        communes=rennes,
    )
    assert (report.created, report.updated, report.rejected) == (0, 0, 1)
    assert [reason for _line, _field, reason in rejected(report)] == [
        "hors de votre territoire"
    ]
    place = Place.objects.get(source_id="changed-by-hand")
    assert (place.name, place.commune.code) == ("Espace de Marseille", "13211")


def test_csv_exports_neutralise_formulas_and_read_them_back(tmp_path, client):
    hostile = {
        "name": '=HYPERLINK("http://evil.example","clic")',
        "summary": "+cmd|' /C calc'!A0",
        "description": "@SUM(1+1)",
        "address": "-2+3",
        "other_labels": "'déjà une apostrophe",
    }
    place = PlaceFactory(phone="+33299000000", **hostile)
    body = b"".join(client.get("/export/lieux.csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["nom"] == "'" + hostile["name"]
    assert row["presentation_resume"] == "'" + hostile["summary"]
    assert row["presentation_detail"] == "'" + hostile["description"]
    assert row["adresse"] == "'-2+3"
    assert row["autres_formations_labels"] == "'déjà une apostrophe"  # no formula
    # Numbers stay numbers: the standard's patterns want them as they are.
    assert row["telephone"] == "+33299000000" and row["longitude"].startswith("-1.")
    path = tmp_path / "export.csv"
    path.write_text(body)
    Place.objects.all().delete()
    import_places(str(path))
    back = Place.objects.get()
    assert {field: getattr(back, field) for field in hostile} == hostile
    assert back.slug == place.slug


@given(st.text(max_size=30).map(lambda text: "'" * (len(text) % 3) + text))
def test_neutralised_cells_read_back_as_they_were(value):
    assert restore(neutralise(value)) == value
    assert not neutralise(value).startswith(("=", "+", "@", "\t", "\r")) or (
        NUMBER.fullmatch(value)
    )


def centre_of_rennes():
    Territory.objects.filter(level="commune", code="35238").update(
        centre="POINT(-1.6794 48.1113)"
    )


def test_swapped_coordinates_are_put_right_and_flagged(tmp_path):
    centre_of_rennes()
    report = import_places(
        write_csv(tmp_path / "s.csv", [v1_row(latitude="-1.68", longitude="48.11")])
    )
    place = Place.objects.get()
    assert (place.location.x, place.location.y) == (-1.68, 48.11)
    assert place.flags == [quality.Flag.LOCATION_SWAPPED]
    assert "inversées" in report.rows[0].issues[0].reason


def test_saving_in_the_admin_clears_the_swapped_flag(tmp_path, admin_client):
    from .test_coordination import form_data

    centre_of_rennes()
    import_places(
        write_csv(tmp_path / "s.csv", [v1_row(latitude="-1.68", longitude="48.11")])
    )
    place = Place.objects.get()
    place.save()  # any other save keeps it
    assert place.flags == [quality.Flag.LOCATION_SWAPPED]
    url = f"/admin/places/place/{place.pk}/change/"
    data = form_data(admin_client.get(url).content, "place_form")
    assert admin_client.post(url, data).status_code == 302
    place.refresh_from_db()
    assert place.flags == []


def test_a_point_far_from_its_commune_is_kept_and_flagged(tmp_path):
    centre_of_rennes()
    report = import_places(
        write_csv(
            tmp_path / "far.csv",
            [
                v1_row(id="sydney", latitude="-33.87", longitude="151.21"),
                v1_row(
                    id="near",
                    nom="Autre lieu",
                    adresse="1 rue Neuve",
                    latitude="48.12",
                    longitude="-1.70",
                ),
            ],
        )  # fmt: skip
    )
    far = Place.objects.get(source_id="sydney")
    assert far.flags == [quality.Flag.LOCATION_FAR]
    assert (far.location.x, far.location.y) == (151.21, -33.87)
    assert Place.objects.get(source_id="near").flags == []
    issue = report.rows[0].issues[0]
    assert "km du centre de Rennes" in issue.reason
    assert (
        Place.objects.filter(flags__contains=[quality.Flag.LOCATION_FAR]).count() == 1
    )


def test_impossible_dates_are_unknown_and_identifier_names_flagged(tmp_path, client):
    report = import_places(
        write_csv(
            tmp_path / "d.csv",
            [
                v1_row(id="epoch", date_maj="1970-01-01"),
                v1_row(id="siret", nom="21560121200016"),
                v1_row(id="one", nom="1"),
            ],
        )  # fmt: skip
    )
    epoch = Place.objects.get(source_id="epoch")
    assert epoch.flags == [quality.Flag.DATE_UNKNOWN]
    assert (
        str(epoch.data_updated_on) == "1970-01-01"
    )  # as given: the standard needs one
    page = client.get(epoch.get_absolute_url()).content.decode()
    assert "Date de mise à jour inconnue" in page and "1970" not in page
    for source_id in ("siret", "one"):
        place = Place.objects.get(source_id=source_id)
        assert place.flags == [quality.Flag.NAME_IDENTIFIER]
    assert report.flagged == 3
    # Names that only look like identifiers go to the end of the default listing.
    names = [p.name for p in client.get("/lieux/").context["page"].object_list]
    assert set(names[-2:]) == {"21560121200016", "1"}


def test_an_import_republishes_closed_places_only_never_drafts(tmp_path):
    draft = PlaceFactory(name="Brouillon", status=Place.Status.DRAFT,
                         source="hub", source_id="d")  # fmt: skip
    closed = PlaceFactory(name="Fermé", status=Place.Status.CLOSED,
                          source="hub", source_id="c")  # fmt: skip
    rows = [v1_row(id="d", nom="Brouillon revu"), v1_row(id="c", nom="Rouvert")]
    import_places(write_csv(tmp_path / "s.csv", rows), source_name="hub")
    draft.refresh_from_db()
    closed.refresh_from_db()
    assert (draft.name, draft.status) == ("Brouillon revu", Place.Status.DRAFT)
    assert (closed.name, closed.status) == ("Rouvert", Place.Status.PUBLISHED)


def test_saving_a_place_refreshes_its_flags(tmp_path):
    place = PlaceFactory(name="12")
    assert place.flags == [quality.Flag.NAME_IDENTIFIER]
    place.name = "Espace numérique des Lices"
    place.save()
    assert place.flags == []


def test_the_first_manual_edit_after_an_import_shows_only_what_changed(tmp_path):
    import_places(write_csv(tmp_path / "h.csv", [v1_row()]))
    place = Place.objects.get()
    place.phone = "+33299999999"
    place._change_reason = "nouveau numéro"
    place.save()
    new, old = place.history.all()[:2]
    assert old.history_change_reason == "import : h.csv"
    assert set(old.services.values_list("term__value", flat=True)) == {
        "Maîtrise des outils numériques du quotidien",
        "Loisirs et créations numériques",
    }
    assert [change.field for change in new.diff_against(old).changes] == ["phone"]


def test_two_imports_at_once_both_succeed(committed_rennes, tmp_path):
    """Two sources at once, with the same names (so the same slugs): the second
    waits for the first instead of dying on the slug's unique constraint."""
    rows = [v1_row(id=f"l{n}", nom=f"Espace {n % 50}") for n in range(400)]
    paths = [write_csv(tmp_path / f"{s}.csv", rows) for s in ("hub-a", "hub-b")]
    reports, errors = {}, []

    def run(path, source):
        try:
            reports[source] = import_places(path, source_name=source)
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(path, source))
        for path, source in zip(paths, ("hub-a", "hub-b"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert reports["hub-a"].created == reports["hub-b"].created == 400
    assert Place.objects.values("slug").distinct().count() == 800
