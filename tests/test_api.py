"""The public read API, /api/v1/ (api/): every answer checked against the OpenAPI
description the API publishes, the same filters as /lieux/, a cursor walk that sees
each place once while places are written, synchronisation by `modifie_depuis`,
errors as JSON naming the parameter, rate limits, keys, CORS and ETags."""

import csv
import datetime as dt
import io
from urllib.parse import urlencode, urlsplit

import jsonschema
import pytest
from django.contrib.gis.geos import Point
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from api.models import PartnerKey
from places.exchange.exporter import csv_chunks
from places.exchange.importer import import_places
from places.filters import PlaceFilter
from places.models import Kind, Place, Term, Territory
from places.openings import refresh_openings

from .factories import PlaceFactory, marseille_place
from .test_coordination import coordinator_client
from .test_import import write_csv

pytestmark = pytest.mark.django_db

CLIENT = Client()
OPERATIONS = [
    "/api/v1/lieux/",
    "/api/v1/lieux/{id}/",
    "/api/v1/lieux/supprimes/",
    "/api/v1/territoires/",
    "/api/v1/territoires/{code}/",
    "/api/v1/vocabulaires/",
]
TEMPLATES = {  # a path → its template in the description
    "/api/v1/lieux/": "/api/v1/lieux/",
    "/api/v1/lieux/supprimes/": "/api/v1/lieux/supprimes/",
    "/api/v1/territoires/": "/api/v1/territoires/",
    "/api/v1/vocabulaires/": "/api/v1/vocabulaires/",
}


@pytest.fixture
def spec(db):
    response = CLIENT.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def template_of(path: str) -> str:
    if path in TEMPLATES:
        return TEMPLATES[path]
    parts = path.strip("/").split("/")
    if parts[2] == "lieux":
        return "/api/v1/lieux/{id}/"
    return "/api/v1/territoires/{code}/"


def conforms(spec: dict, response) -> dict | list:
    """The JSON of `response`, after checking it against the description of its
    path and status code (JSON Schema 2020-12, as OpenAPI 3.1 has it)."""
    path = urlsplit(response.request["PATH_INFO"]).path
    operation = spec["paths"][template_of(path)]["get"]
    described = operation["responses"][str(response.status_code)]
    assert response["Content-Type"].startswith("application/json")
    schema = described["content"]["application/json"]["schema"]
    body = response.json()
    root = {**schema, "components": spec["components"]}
    jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(body)
    return body


def get(spec, path, params=None, **extra):
    response = CLIENT.get(path, params or {}, **extra)
    return response, conforms(spec, response)


def ids(body) -> list[int]:
    return [place["id"] for place in body["results"]]


def walk(spec, path="/api/v1/lieux/", params=None, between=None) -> list[dict]:
    """Every page of `path`, following `next`; `between(n)` runs after page n."""
    results, url, n = [], path, 0
    params = params or {}
    while url:
        response, body = get(spec, url, params if n == 0 else None)
        assert response.status_code == 200, body
        results += body["results"]
        url, n = body["next"], n + 1
        if between:
            between(n)
    return results


def test_the_description_is_valid_openapi_with_the_facets_codes(spec):
    validate_schema(spec)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == set(OPERATIONS)
    parameters = {
        p["name"]: p for p in spec["paths"]["/api/v1/lieux/"]["get"]["parameters"]
    }
    # The same parameters as /lieux/, plus the cursor, the page size and the sync.
    assert set(parameters) >= {
        "q", "ou", "lat", "lon", "rayon", "type", "service", "public", "frais",
        "accompagnement", "label", "equipement", "ouvert", "bbox",
        "cursor", "taille", "modifie_depuis",
    }  # fmt: skip
    services = Term.objects.filter(vocabulary="service").values_list("code", flat=True)
    assert parameters["service"]["schema"]["items"]["enum"] == list(services)
    assert parameters["taille"]["schema"]["maximum"] == 100


def test_a_place_has_the_standard_s_fields_and_ours(spec):
    place = PlaceFactory(
        name="Médiathèque des Lices",
        kinds=["epn", "fablab"],
        services=["aide-aux-demarches-administratives"],
        phone="+33299000000",
        emails=["contact@example.org"],
        pivot="",
    )
    place.equipment.set(Term.objects.filter(vocabulary="equipment", code="wifi"))
    place.save()
    refresh_openings([place.pk])  # on commit, which a test does not reach
    response, body = get(spec, f"/api/v1/lieux/{place.pk}/")
    assert response.status_code == 200
    assert body["id"] == place.pk and body["slug"] == place.slug
    assert body["url"] == f"http://testserver/lieux/{place.slug}/"
    assert body["statut"] == "publie" and body["nom"] == "Médiathèque des Lices"
    assert body["services"] == ["Aide aux démarches administratives"]
    assert body["types"] == ["epn", "fablab"] and body["equipements"] == ["wifi"]
    assert body["pivot"] is None and body["courriels"] == ["contact@example.org"]
    assert (body["latitude"], body["longitude"]) == (48.1113, -1.6794)
    assert body["code_insee"] == "35238" and body["itinerance"] == ["Fixe"]
    assert body["horaires"] == "Mo-Fr 09:00-12:00,14:00-18:00; PH off"
    assert isinstance(body["ouvert_maintenant"], bool)
    assert body["prochaine_ouverture"] is not None
    assert dt.datetime.fromisoformat(body["prochaine_ouverture"]) > timezone.now()
    # The same place in the list, the same way.
    response, listed = get(spec, "/api/v1/lieux/")
    assert listed["results"] == [body]


def test_a_place_without_hours_is_neither_open_nor_closed(spec):
    place = PlaceFactory(opening_hours="")
    response, body = get(spec, f"/api/v1/lieux/{place.pk}/")
    assert body["ouvert_maintenant"] is None and body["prochaine_ouverture"] is None


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "fablab"},
        {"ou": "Rennes"},
        {"ou": "13"},
        {"ou": "35000"},
        {"type": ["fablab", "coworking"]},
        {"service": "aide-aux-demarches-administratives"},
        {"lat": "48.11", "lon": "-1.68", "rayon": "2"},
        {"bbox": "-2,47,0,49"},
        {"ouvert": "1"},
    ],
)
def test_the_same_filters_as_the_listing(spec, query):
    PlaceFactory(name="Fablab des Lices", kinds=["fablab"])
    PlaceFactory(name="Cowork", kinds=["coworking"], location=Point(-1.5, 48.2))
    PlaceFactory(name="Fermé la nuit", opening_hours="Mo-Su 03:00-03:01")
    PlaceFactory(name="Sans horaires", opening_hours="")
    PlaceFactory(name="Retiré", status=Place.Status.DRAFT, kinds=["fablab"])
    marseille_place()
    params = QueryDict(urlencode(query, doseq=True))  # as /lieux/ receives it
    expected = PlaceFilter(params, queryset=Place.objects.published()).qs
    found = [place["id"] for place in walk(spec, params={**query, "taille": 2})]
    assert found == sorted(expected.values_list("pk", flat=True))
    assert found or query == {"ouvert": "1"}


@pytest.mark.parametrize("where", ["Rennes", "35238", "35000", "35", "R53", "EPCI"])
def test_where_takes_names_and_the_codes_the_api_hands_out(spec, where):
    """`ou` as the territories' own codes too: a commune's INSEE code (when no
    commune has it as a postal code), a région's R53, an EPCI's SIREN."""
    rennes = PlaceFactory(name="À Rennes")
    marseille_place()
    if where == "EPCI":
        where = Territory.objects.get(level="epci", member_communes__code="35238").code
    found = walk(spec, params={"ou": where})
    assert [p["id"] for p in found] == [rennes.pk], where
    # The site's listing reads `ou` the same way (the Marseille place, placed in
    # Rennes by the factory, may show among "nearby" ones there).
    assert "À Rennes" in CLIENT.get("/lieux/", {"ou": where}).content.decode()


def test_a_point_gives_each_place_s_distance(spec):
    PlaceFactory(location=Point(-1.6794, 48.1113, srid=4326))
    response, body = get(spec, "/api/v1/lieux/", {"lat": "48.1113", "lon": "-1.69"})
    assert 780 < body["results"][0]["distance_m"] < 795  # 0.0106° of longitude


def test_a_walk_sees_every_place_once_while_places_are_written(spec):
    """Created, edited (renamed, re-dated), withdrawn and new places between pages:
    every place published from the start to the end of the walk is seen exactly
    once, and nothing is seen twice."""
    places = [PlaceFactory(name=f"Lieu {n:02}") for n in range(40)]
    withdrawn = places[35]

    def write(page: int):
        if page == 1:  # edited: a later modification date, a name sorted first
            for place in places[:10]:
                place.name = "AAA " + place.name
                place.save()
        if page == 2:
            PlaceFactory.create_batch(3, name="Nouveau")
            withdrawn.status = Place.Status.DRAFT
            withdrawn.save()
        if page == 3:
            Place.objects.filter(pk=places[-1].pk).delete()

    seen = [place["id"] for place in walk(spec, params={"taille": 7}, between=write)]
    assert len(seen) == len(set(seen))
    kept = {place.pk for place in places} - {withdrawn.pk, places[-1].pk}
    assert kept <= set(seen)
    assert withdrawn.pk not in seen


def test_modifie_depuis_gives_exactly_the_places_changed_since(spec, tmp_path):
    """An edit, a withdrawal, a closure by an import, an import's new and changed
    places: exactly those, withdrawn ones with nothing but what removes them."""
    untouched = PlaceFactory(name="Intact")
    edited, withdrawn = PlaceFactory(name="À modifier"), PlaceFactory(name="Retiré")
    file = tmp_path / "partenaire.csv"
    export = "".join(csv_chunks(Place.objects.filter(pk=untouched.pk)))
    rows = list(csv.DictReader(io.StringIO(export)))
    rows[0].update(id="p1", nom="Tiers-lieu du partenaire", source="partenaire")
    second = {**rows[0], "id": "p2", "nom": "Fablab du partenaire"}
    write_csv(file, [rows[0], second])
    import_places(str(file), source_name="partenaire")
    imported = {p.source_id: p for p in Place.objects.filter(source="partenaire")}
    since = timezone.now()

    edited.phone = "+33299000001"
    edited.save()
    withdrawn.status = Place.Status.DRAFT
    withdrawn.save()
    # The partner's file again: p1 with another service only, p2 gone (closed),
    # p3 new.
    rows[0]["services"] = "Accès internet et matériel informatique"
    third = {**rows[0], "id": "p3", "nom": "Nouveau lieu", "services": ""}
    write_csv(file, [rows[0], third])
    import_places(str(file), source_name="partenaire", close_missing=True)

    changed = walk(spec, params={"modifie_depuis": since.isoformat()})
    by_id = {place["id"]: place for place in changed}
    new = Place.objects.get(source_id="p3")
    assert set(by_id) == {
        edited.pk,
        withdrawn.pk,
        imported["p1"].pk,
        imported["p2"].pk,
        new.pk,
    }
    assert by_id[withdrawn.pk] == {
        "id": withdrawn.pk,
        "statut": "retire",
        "modifie_le": by_id[withdrawn.pk]["modifie_le"],
    }
    assert by_id[imported["p2"].pk]["statut"] == "ferme"
    # Closed for good: its hours say nothing of when to come.
    assert by_id[imported["p2"].pk]["ouvert_maintenant"] is None
    assert by_id[imported["p2"].pk]["prochaine_ouverture"] is None
    assert by_id[imported["p1"].pk]["services"] == [
        "Accès internet et matériel informatique"
    ]
    # The same import once more changes nothing: nothing new since.
    later = timezone.now()
    import_places(str(file), source_name="partenaire", close_missing=True)
    assert walk(spec, params={"modifie_depuis": later.isoformat()}) == []
    # "+01:00" pasted unencoded arrives as " 01:00": understood all the same.
    plus = (later + dt.timedelta(hours=1)).astimezone(
        dt.timezone(dt.timedelta(hours=1))
    )
    unencoded = plus.isoformat().replace("+", " ")
    assert walk(spec, params={"modifie_depuis": unencoded}) == []
    # A date without a time, Paris time: the whole day.
    day = timezone.localdate().isoformat()
    assert len(walk(spec, params={"modifie_depuis": day})) == Place.objects.count()


def test_deleted_places_are_listed_for_removal(spec):
    kept, deleted = PlaceFactory(), PlaceFactory(name="Supprimé")
    before = timezone.now()
    old = PlaceFactory(name="Supprimé avant")
    old_id = old.pk
    Place.history.filter(id=old_id).update(history_date=before - dt.timedelta(days=2))
    old.delete()
    Place.history.filter(id=old_id, history_type="-").update(
        history_date=before - dt.timedelta(days=1)
    )
    deleted_id, slug = deleted.pk, deleted.slug
    deleted.delete()
    since = (before - dt.timedelta(seconds=1)).isoformat()
    found = walk(spec, "/api/v1/lieux/supprimes/", {"modifie_depuis": since})
    assert [p["id"] for p in found] == [deleted_id]
    assert slug not in str(found)  # a never-published place's name stays unsaid
    assert kept.pk not in {p["id"] for p in found}
    response, body = get(spec, "/api/v1/lieux/supprimes/")
    assert response.status_code == 400 and "modifie_depuis" in body


@pytest.mark.parametrize(
    "moment",
    # Offsets Python accepts and PostgreSQL does not (found by tests/test_api_fuzz);
    # offsets that push a date past year 1 or 9999.
    [
        "0636-11-09T07:14:57-19:37",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59-05:00",
    ],
)
def test_any_well_formed_date_is_understood(spec, moment):
    PlaceFactory()
    for path in ["/api/v1/lieux/", "/api/v1/lieux/supprimes/"]:
        response, body = get(spec, path, {"modifie_depuis": moment})
        assert response.status_code == 200


def test_a_place_closed_for_good_is_never_open(spec):
    open_all_day = "Mo-Su 00:00-24:00"
    closed = PlaceFactory(status=Place.Status.CLOSED, opening_hours=open_all_day)
    opened = PlaceFactory(opening_hours=open_all_day)
    refresh_openings([closed.pk, opened.pk])
    for params in [{"ouvert": "1"}, {"ouvert": "1", "modifie_depuis": "2000-01-01"}]:
        found = {p["id"] for p in walk(spec, params=params)}
        assert found == {opened.pk}, params


def test_withdrawn_places_cannot_be_probed_through_the_filters(spec):
    """Whatever the filters, a synchronisation lists every place withdrawn since:
    their content is not public, so no filter may tell anything about it. A place
    never published is not listed at all."""
    secret = PlaceFactory(
        name="Espace de Kerourien",
        kinds=["tiers-lieu"],
        location=Point(-4.5034, 48.4071, srid=4326),
    )
    other = PlaceFactory(name="Autre lieu retiré")
    for place in (secret, other):
        place.status = Place.Status.DRAFT
        place.save()
    never = PlaceFactory(name="Futur lieu de Kerourien", status=Place.Status.DRAFT)
    published = PlaceFactory(name="Publié")
    since = "2000-01-01"
    answers = [
        {p["id"] for p in walk(spec, params={"modifie_depuis": since, **query})}
        for query in [
            {"q": "Kerourien"},
            {"q": "zzyzx"},
            {"type": "tiers-lieu"},
            {"bbox": "-4.5035,48.4070,-4.5033,48.4072"},
            {"bbox": "5,45,6,46"},
        ]
    ]
    assert all(answer == {secret.pk, other.pk} for answer in answers), answers
    everything = walk(spec, params={"modifie_depuis": since})
    assert {p["id"] for p in everything} == {secret.pk, other.pk, published.pk}
    assert "Kerourien" not in str(everything)
    # Deleted, the same: only places that were public once.
    before = timezone.now()
    Place.objects.get(pk=never.pk).delete()
    Place.objects.get(pk=other.pk).delete()
    deleted = walk(
        spec, "/api/v1/lieux/supprimes/", {"modifie_depuis": before.isoformat()}
    )
    assert [p["id"] for p in deleted] == [other.pk]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"page": "2"}, "page"),
        ({"tri": "nom"}, "tri"),
        ({"services": "x"}, "services"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "cD1hYmM="}, "cursor"),  # "p=abc": not an id
        ({"taille": "0"}, "taille"),
        ({"taille": "101"}, "taille"),
        ({"modifie_depuis": "hier"}, "modifie_depuis"),
        ({"modifie_depuis": "2026-02-30T10:00:00"}, "modifie_depuis"),
        ({"lat": "48.1"}, "lon"),
        ({"lat": "91", "lon": "0"}, "lat"),
        ({"rayon": "500"}, "rayon"),
        ({"ou": "Zzyzxq"}, "ou"),
        ({"service": "inconnu"}, "service"),
        ({"ouvert": "oui"}, "ouvert"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"q": "x" * 201}, "q"),
        ({"taille": "²"}, "taille"),  # a digit to str.isdigit, not to int()
        ({"taille": "١٠"}, "taille"),
        ({"cursor": "cD3Csg=="}, "cursor"),  # "p=²"
        ({"rayon": "5"}, "rayon"),  # around what?
        ({"format": "xml"}, "format"),
        ({"taille": ["1", "2"]}, "taille"),  # one value only
        ({"modifie_depuis": ["2020-01-01", "2030-01-01"]}, "modifie_depuis"),
        ({"cursor": "IQ=="}, "cursor"),  # "!": decodes to nothing
        ({"cursor": "eD0x"}, "cursor"),  # "x=1": not ours
        ({"cursor": "%21"}, "cursor"),
        ({"cursor": "bz0w"}, "cursor"),  # "o=0" and no position: page 1 again
    ],
)
def test_a_wrong_parameter_is_a_400_that_names_it(spec, query, parameter):
    response, body = get(spec, "/api/v1/lieux/", query)
    assert response.status_code == 400
    assert parameter in body and body[parameter][0]
    assert response["Cache-Control"] == "no-store"


def test_what_does_not_exist_is_a_json_404(spec):
    draft = PlaceFactory(status=Place.Status.DRAFT)
    for path in [
        f"/api/v1/lieux/{draft.pk}/",  # withdrawn: not public
        "/api/v1/lieux/999999999/",
        "/api/v1/lieux/99999999999999999999999/",
        "/api/v1/territoires/R99/",
    ]:
        response, body = get(spec, path)
        assert response.status_code == 404 and body["detail"], path
    for path in ["/api/v1/nulle-part/", "/api/v2/lieux/", "/api/v1/lieux/abc/"]:
        response = CLIENT.get(path)
        assert response.status_code == 404
        assert response.json()["detail"]
    assert CLIENT.post("/api/v1/nulle-part/").json()["detail"]  # not a CSRF page
    for method in (CLIENT.post, CLIENT.options):  # OPTIONS: CORS preflights only
        response = method("/api/v1/lieux/")
        assert response.status_code == 405 and response.json()["detail"]
    checking = Client(enforce_csrf_checks=True)  # as a real client: no CSRF page
    for path in ["/api/", "/api/v1/", "/api/v1/lieux/", "/api/v1/x"]:
        for method in (checking.post, checking.delete, checking.options):
            response = method(path)
            assert response.status_code in (404, 405), (path, method)
            assert response.json()["detail"], (path, method)
    response, body = get(spec, "/api/v1/territoires/R99/")
    assert body["detail"] == "Territoire inconnu."
    # More parameters than Django reads: Django's 400, in JSON here.
    response, body = get(spec, "/api/v1/lieux/?" + "&".join(["type=epn"] * 1001))
    assert response.status_code == 400 and body["parametres"]
    # JSON whatever the client accepts.
    response = CLIENT.get("/api/v1/vocabulaires/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200 and response.json()


def test_an_address_without_its_final_slash_is_redirected():
    response = CLIENT.get("/api/v1/lieux?type=epn")
    assert (
        response.status_code == 301
        and response["Location"] == "/api/v1/lieux/?type=epn"
    )
    assert CLIENT.get("/api/v1/nulle-part").status_code == 404


def test_pages_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    PlaceFactory.create_batch(30, services=["aide-aux-demarches-administratives"])
    with django_assert_max_num_queries(14):  # rows, links, openings, code tables
        assert CLIENT.get("/api/v1/lieux/?taille=100").status_code == 200
    with django_assert_max_num_queries(1):  # one row per territory, no geometry
        response = CLIENT.get("/api/v1/territoires/?niveau=commune&taille=100")
        assert len(response.json()["results"]) == 100


def test_territories_and_vocabularies(spec):
    PlaceFactory()
    response, body = get(spec, "/api/v1/territoires/R53/")
    assert (body["nom"], body["niveau"], body["nombre_lieux"]) == (
        "Bretagne",
        "region",
        1,
    )
    response, body = get(spec, "/api/v1/territoires/35238/")
    assert body["parent"] == "35" and "35000" in body["codes_postaux"]
    assert body["centre"] is None or -2 < body["centre"]["longitude"] < -1
    communes = walk(
        spec,
        "/api/v1/territoires/",
        {"parent": "35", "niveau": "commune", "taille": 100},
    )
    assert "35238" in {t["code"] for t in communes} and len(communes) > 300
    epci = Territory.objects.filter(level="epci", member_communes__code="35238").get()
    members = walk(spec, "/api/v1/territoires/", {"parent": epci.code, "taille": 100})
    assert "35238" in {t["code"] for t in members}
    assert {t["epci"] for t in members} == {epci.code}
    response, body = get(spec, "/api/v1/territoires/", {"niveau": "pays"})
    assert response.status_code == 400 and "niveau" in body
    response, body = get(spec, "/api/v1/vocabulaires/")
    lists = {v["liste"]: v for v in body}
    assert lists["service"]["parametre"] == "service"
    assert lists["service"]["champ"] == "services"
    demarches = next(
        v for v in lists["service"]["valeurs"]
        if v["code"] == "aide-aux-demarches-administratives"
    )  # fmt: skip
    assert demarches["valeur"] == "Aide aux démarches administratives"
    assert {v["code"] for v in lists["type"]["valeurs"]} >= {"epn", "fablab"}


def test_anonymous_clients_are_limited_by_address(spec, settings):
    settings.API_ANONYMOUS_RATE = "3/min"
    for _ in range(3):
        assert (
            CLIENT.get("/api/v1/vocabulaires/", REMOTE_ADDR="203.0.113.5").status_code
            == 200
        )
    # A header the client writes itself does not make it someone else.
    response, body = get(
        spec,
        "/api/v1/vocabulaires/",
        REMOTE_ADDR="203.0.113.5",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )
    assert response.status_code == 429 and body["detail"]
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"
    assert (
        CLIENT.get("/api/v1/vocabulaires/", REMOTE_ADDR="203.0.113.6").status_code
        == 200
    )


def test_a_partner_key_has_its_own_rate(spec, settings):
    settings.API_ANONYMOUS_RATE = "1/min"
    key_object, key = PartnerKey.objects.create_key(
        name="synchro", partner="Hub du Sud", requests_per_minute=4
    )
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}", "REMOTE_ADDR": "203.0.113.9"}
    statuses = [
        CLIENT.get("/api/v1/vocabulaires/", **auth).status_code for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    # Anonymous from the same address: its own count.
    assert (
        CLIENT.get("/api/v1/vocabulaires/", REMOTE_ADDR="203.0.113.9").status_code
        == 200
    )
    for n, header in enumerate(
        [
            f"Api-Key {key}x",
            "Api-Key nimporte.quoi",
            "Api-Key",
            f"Bearer {key}",
            "Api-Key \x00abc",  # must not reach the database (a 500 there)
        ]
    ):
        response = CLIENT.get(  # each from its own address: refusals count
            "/api/v1/vocabulaires/",
            HTTP_AUTHORIZATION=header,
            REMOTE_ADDR=f"198.51.100.{n + 1}",
        )
        assert response.status_code == 401, header
        assert response.json()["detail"]
    key_object.revoked = True
    key_object.save()
    response = CLIENT.get(
        "/api/v1/vocabulaires/", **{**auth, "REMOTE_ADDR": "198.51.100.9"}
    )
    assert response.status_code == 401


def test_a_national_coordinator_creates_a_key_in_the_admin():
    regional = coordinator_client("bretagne", ("region", "53"))
    for path in ["/admin/api/partnerkey/", "/admin/api/partnerkey/add/"]:
        assert regional.get(path).status_code == 403
    assert (
        regional.post(
            "/admin/api/partnerkey/add/", {"partner": "x", "name": "y"}
        ).status_code
        == 403
    )
    assert "partnerkey" not in regional.get("/admin/").content.decode()
    client = coordinator_client("national", national=True)
    response = client.post(
        "/admin/api/partnerkey/add/",
        {"partner": "Région Sud", "name": "entrepôt", "requests_per_minute": "600"},
        follow=True,
    )
    message = next(str(m) for m in response.context["messages"])
    key = message.split(" est : ")[1].split(" ")[0]
    assert PartnerKey.objects.get_from_key(key).partner == "Région Sud"
    listing = client.get("/admin/api/partnerkey/").content.decode()
    assert key not in listing
    # Coordinators read French: none of the library's English labels.
    for english in ["Expires", "Has expired", "Revoked", "Prefix", "Created"]:
        assert english not in listing, english
    assert "Expire le" in listing and "Révoquée" in listing
    assert (
        CLIENT.get("/api/v1/lieux/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code
        == 200
    )


def test_any_origin_reads_and_etags_save_the_transfer(spec):
    PlaceFactory()
    response = CLIENT.get("/api/v1/lieux/", HTTP_ORIGIN="https://carte.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=0, s-maxage=60"
    preflight = CLIENT.options(
        "/api/v1/lieux/",
        HTTP_ORIGIN="https://carte.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )
    assert preflight.status_code == 200
    allowed = preflight["Access-Control-Allow-Headers"]
    assert "authorization" in allowed and "if-none-match" in allowed
    etag = response["ETag"]
    again = CLIENT.get("/api/v1/lieux/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    PlaceFactory(name="Un lieu de plus")
    assert CLIENT.get("/api/v1/lieux/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    # The site's pages are not opened to other origins.
    page = CLIENT.get("/lieux/", HTTP_ORIGIN="https://carte.example.org")
    assert "Access-Control-Allow-Origin" not in page


def test_the_documentation_page_is_made_from_the_description(spec):
    response = CLIENT.get("/api/v1/")
    html = response.content.decode()
    assert response.status_code == 200
    for path in spec["paths"]:
        assert f"GET {path}" in html
    assert "modifie_depuis" in html and "aide-aux-demarches-administratives" in html
    assert "<script" not in html  # nothing the CSP would have to allow
    assert 'href="/api/v1/"' in CLIENT.get("/").content.decode()  # the footer
    assert CLIENT.get("/api/").url == "/api/v1/"


def test_a_renamed_value_dates_the_places_that_show_it(spec):
    """The API gives the standard's values and the codes: a term or a kind edited
    in the admin modifies the places that carry it, for partners in sync."""
    carrying = PlaceFactory(services=["aide-aux-demarches-administratives"])
    other = PlaceFactory(kinds=["fablab"])
    since = timezone.now()
    term = Term.objects.get(code="aide-aux-demarches-administratives")
    term.label = "Aide aux démarches"  # only the label: places do not show it
    term.save()
    assert walk(spec, params={"modifie_depuis": since.isoformat()}) == []
    term.value = "Aide aux démarches administratives en ligne"
    term.save()
    changed = walk(spec, params={"modifie_depuis": since.isoformat()})
    assert [p["id"] for p in changed] == [carrying.pk]
    assert changed[0]["services"] == ["Aide aux démarches administratives en ligne"]
    later = timezone.now()
    kind = Kind.objects.get(code="fablab")
    kind.code = "atelier-de-fabrication"
    kind.save()
    changed = walk(spec, params={"modifie_depuis": later.isoformat()})
    assert [p["id"] for p in changed] == [other.pk]
    assert changed[0]["types"] == ["atelier-de-fabrication"]
