"""Coverage (distance from each commune to the nearest place) on a small hand-made
geography on the equator, where distances are known: a degree of longitude along
the equator is 111.3195 km on WGS84, a degree of latitude there 110.574 km."""

import csv
import io

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coverage import compute, figures
from coverage.compute import EVERY_PLACE, Dimension
from places.models import Kind, Place, Term, Territory
from places.signals import send_after_commit

from .browsing import coordinator
from .factories import PlaceFactory

KM_PER_DEGREE_LON = 111.3195  # along the equator
KM_PER_DEGREE_LAT = 110.574  # near the equator
AIDE = "aide-aux-demarches-administratives"
INTERNET = "acces-internet-et-materiel-informatique"
# (code, name, longitude, latitude or None, population)
COMMUNES = [
    ("99001", "Alpha", 0.0, 0.0, 1000),
    ("99002", "Bravo", 0.1, 0.0, 2000),
    ("99003", "Charlie", 0.3, 0.0, 500),
    ("99004", "Delta", 1.0, 0.0, 300),
    ("99005", "Echo", 0.0, 0.2, 4000),
    ("99006", "Foxtrot", None, None, 100),  # no known centre
]


def make_geography() -> dict:
    """Région and département "99", six communes, and places: P1 at Alpha (aide),
    P2 between Bravo and Charlie (internet, a fablab), and places that must not
    count: a draft at Delta, a closed one at Echo, one without a point."""
    region = Territory.objects.create(
        level="region", code="99", name="Équateur", region_code="99", population=7900
    )
    departement = Territory.objects.create(
        level="departement",
        code="99",
        name="Ligne",
        parent=region,
        departement_code="99",
        region_code="99",
        population=7900,
    )
    communes = {
        name: Territory.objects.create(
            level="commune",
            code=code,
            name=name,
            parent=departement,
            departement_code="99",
            region_code="99",
            population=population,
            centre=None if lon is None else Point(lon, lat, srid=4326),
        )
        for code, name, lon, lat, population in COMMUNES
    }

    def place(name, lon, services=(), kinds=("epn",), **fields):
        return PlaceFactory(
            **{
                "name": name,
                "commune": communes["Alpha"],
                "postal_code": "99000",
                "location": Point(lon, 0.0, srid=4326),
                "services": list(services),
                "kinds": list(kinds),
                **fields,
            }
        )

    return {
        "region": region,
        "departement": departement,
        "communes": communes,
        "p1": place("Espace Alpha", 0.0, [AIDE]),
        "p2": place("Fablab du fleuve", 0.25, [INTERNET], ["fablab"]),
        "draft": place("Brouillon", 1.0, [AIDE], status=Place.Status.DRAFT),
        "closed": place("Fermé", 0.0, [AIDE], status=Place.Status.CLOSED),
        "nowhere": place("Sans point", 0.0, [AIDE], location=None),
    }


@pytest.fixture(scope="module")
def no_other_centres(django_db_setup, django_db_blocker):
    """The real communes' centres put aside for this module (and put back after),
    so that each refresh measures the hand-made communes only: milliseconds."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE test_kept_centres AS SELECT id, centre FROM places_territory"
            " WHERE centre IS NOT NULL"
        )
        cursor.execute("UPDATE places_territory SET centre = NULL")
        yield
        cursor.execute(
            "UPDATE places_territory t SET centre = k.centre FROM test_kept_centres k"
            " WHERE k.id = t.id"
        )
        cursor.execute("DROP TABLE test_kept_centres")


@pytest.fixture
def geography(no_other_centres, db):
    return make_geography()


def rows(dimension: Dimension = EVERY_PLACE) -> dict[str, tuple[float | None, int]]:
    return {
        row.commune.name: (
            None if row.metres is None else row.metres / 1000,
            row.nearest_id,
        )
        for row in dimension.rows().select_related("commune")
    }


def dimension(facet: str, code: str) -> Dimension:
    return next(d for d in compute.dimensions() if (d.facet, d.code) == (facet, code))


def test_each_commune_gets_the_distance_to_the_nearest_published_place(geography):
    compute.refresh_all()
    found = rows()
    p1, p2 = geography["p1"].pk, geography["p2"].pk
    expected = {
        "Alpha": (0.0, p1),
        "Bravo": (0.1 * KM_PER_DEGREE_LON, p1),  # P2 is 0.15° away
        "Charlie": (0.05 * KM_PER_DEGREE_LON, p2),
        "Delta": (0.75 * KM_PER_DEGREE_LON, p2),  # the draft at Delta does not count
        "Echo": (0.2 * KM_PER_DEGREE_LAT, p1),
    }
    assert set(found) == set(expected)  # Foxtrot: no centre, no row
    for name, (km, nearest) in expected.items():
        assert found[name][0] == pytest.approx(km, abs=0.01), name
        assert found[name][1] == nearest, name


def test_per_service_and_per_kind_only_those_places_count(geography):
    compute.refresh_all()
    aide = rows(dimension("service", AIDE))
    assert aide["Delta"][0] == pytest.approx(1.0 * KM_PER_DEGREE_LON, abs=0.01)
    assert {nearest for _km, nearest in aide.values()} == {geography["p1"].pk}
    fablab = rows(dimension("type", "fablab"))
    assert fablab["Alpha"][0] == pytest.approx(0.25 * KM_PER_DEGREE_LON, abs=0.01)
    # No place is a coworking: no distance, said as such.
    coworking = rows(dimension("type", "coworking"))
    assert set(coworking.values()) == {(None, None)}


# What an edit can do to a place: move it, publish or withdraw it, give or take a
# service or a kind, delete it, or a new place appears.
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["move", "status", "service", "kind", "delete", "create"]),
        st.integers(0, 3),
        # Up to 6° (668 km) east: some communes end farther than FAR_METRES.
        st.floats(-0.2, 6.0, allow_nan=False),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
    # Each example recomputes everything after each edit: half the profile's count.
    max_examples=max(10, settings().max_examples // 2),
)
@given(edits=EDITS)
def test_updating_after_edits_gives_what_a_full_computation_gives(geography, edits):
    """After each edit, `refresh_places` of the edited place leaves every distance
    (every dimension) as a complete recomputation would."""
    compute.refresh_all()
    pool = [geography[key] for key in ("p1", "p2", "draft", "closed")]
    for action, index, lon in edits:
        place = pool[index % len(pool)]
        if action == "create":
            place = PlaceFactory(
                commune=geography["communes"]["Alpha"],
                postal_code="99000",
                location=Point(lon, 0.0, srid=4326),
                services=[AIDE],
            )
            pool.append(place)
        elif not Place.objects.filter(pk=place.pk).exists():
            continue
        elif action == "move":
            Place.objects.filter(pk=place.pk).update(location=Point(lon, 0.0))
        elif action == "status":
            published = Place.objects.get(pk=place.pk).status == "published"
            Place.objects.filter(pk=place.pk).update(
                status="draft" if published else "published"
            )
        elif action == "service":
            aide = Term.objects.get(vocabulary="service", code=AIDE)
            services = Place.objects.get(pk=place.pk).services
            if services.filter(pk=aide.pk).exists():
                services.remove(aide)
            else:
                services.add(aide)
        elif action == "kind":  # no place is a coworking at first: none to some
            coworking = Kind.objects.get(code="coworking")
            kinds = Place.objects.get(pk=place.pk).kinds
            if kinds.filter(pk=coworking.pk).exists():
                kinds.remove(coworking)
            else:
                kinds.add(coworking)
        elif action == "delete":
            Place.objects.filter(pk=place.pk).delete()
        compute.refresh_places([place.pk])
        updated = {d: rows(d) for d in compute.dimensions()}
        compute.refresh_all()
        recomputed = {d: rows(d) for d in compute.dimensions()}
        for d in recomputed:
            assert updated[d].keys() == recomputed[d].keys()
            for name, (km, nearest) in recomputed[d].items():
                got_km, got_nearest = updated[d][name]
                assert (got_km is None) == (km is None), (action, d.code, name)
                if km is not None:
                    assert got_km == pytest.approx(km, abs=1e-6), (action, d.code, name)
                    assert got_nearest == nearest, (action, d.code, name)


def test_edits_and_imports_queue_the_refresh_once_committed(
    geography, django_capture_on_commit_callbacks
):
    queued = DBTaskResult.objects.filter(task_path__startswith="coverage.tasks.")
    queued.delete()
    with django_capture_on_commit_callbacks(execute=True):
        place = geography["p1"]
        place.name = "Espace Alpha rénové"
        place.save()
    assert list(queued.values_list("task_path", "args_kwargs")) == [
        ("coverage.tasks.update_coverage", {"args": [[place.pk]], "kwargs": {}})
    ]
    with django_capture_on_commit_callbacks(execute=True):
        send_after_commit(None)  # what an import says
        send_after_commit(None)
        send_after_commit([place.pk])
    # One complete refresh waits: the later changes are covered by it.
    assert queued.filter(task_path="coverage.tasks.refresh_coverage").count() == 1
    assert queued.count() == 2


def test_summary_counts_people_by_distance(geography):
    compute.refresh_all()
    summary = figures.summary(geography["departement"], EVERY_PLACE)
    assert summary.population == geography["departement"].population == 7900
    assert summary.measured == 7800  # Foxtrot's 100 have no known centre
    assert summary.unknown_communes == 1
    # Farther than 5 km: Bravo (11.1), Charlie (5.6), Delta (83.5), Echo (22.1).
    beyond = {km: people for km, people, _share in summary.beyond}
    assert beyond == {5: 6800, 10: 6300, 20: 4300}
    assert [band.communes for band in summary.bands] == [1, 0, 1, 1, 2]
    assert sum(band.population for band in summary.bands) == summary.measured


def test_where_to_open_picks_greedily_the_centres_that_reach_most_people(geography):
    compute.refresh_all()
    # Farther than 10 km: Bravo (2000), Delta (300), Echo (4000). A place at Echo
    # reaches Echo only (Alpha is 22 km away); at Bravo, Bravo; at Delta, Delta.
    openings = figures.where_to_open(geography["departement"], EVERY_PLACE, k=5)
    assert [(o.commune.name, o.gained, o.total) for o in openings] == [
        ("Echo", 4000, 4000),
        ("Bravo", 2000, 6000),
        ("Delta", 300, 6300),
    ]
    # Charlie (0.2° from Bravo: 22 km) would not do; Alpha is already near P1.
    assert (
        figures.where_to_open(geography["departement"], EVERY_PLACE, k=1)[0].commune
        == geography["communes"]["Echo"]
    )


def test_csv_has_one_row_per_commune_with_its_distance_and_nearest_place(
    client, geography
):
    compute.refresh_all()
    response = client.get("/territoires/99/couverture.csv")
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == [
        "code_insee",
        "nom",
        "population",
        "distance_km",
        "lieu_le_plus_proche",
    ]
    p1 = "http://testserver" + geography["p1"].get_absolute_url()
    p2 = "http://testserver" + geography["p2"].get_absolute_url()
    assert table[1:] == [
        ["99001", "Alpha", "1000", "0.0", p1],
        ["99002", "Bravo", "2000", "11.1", p1],
        ["99003", "Charlie", "500", "5.6", p2],
        ["99004", "Delta", "300", "83.5", p2],
        ["99005", "Echo", "4000", "22.1", p1],
        ["99006", "Foxtrot", "100", "", ""],
    ]
    # Population totals are the territory's.
    assert sum(int(row[2]) for row in table[1:]) == geography["departement"].population
    by_service = client.get(f"/territoires/99/couverture.csv?service={AIDE}")
    delta = list(csv.reader(io.StringIO(by_service.content.decode())))[4]
    assert delta == ["99004", "Delta", "300", "111.3", p1]  # P1: the only one


def test_the_page_shows_figures_tables_and_legend(client, geography):
    compute.refresh_all()
    response = client.get("/territoires/99/couverture/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Qui est loin d’un lieu ? Ligne" in html
    assert 'class="coverage-legend"' in html and "plus de 20 km" in html
    # The communes with the most people farther than 10 km, most people first.
    far = html.split("Les communes où le plus d’habitants")[1].split("</table>")[0]
    assert far.index("Echo") < far.index("Bravo") < far.index("Delta")
    assert "Charlie" not in far
    # No coordinator: no planning.
    assert "Où ouvrir ensuite" not in html
    assert "public" in response["Cache-Control"]
    region = client.get("/territoires/R99/couverture/")
    assert region.status_code == 200 and "Par département" in region.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/territoires/99/couverture/?service=inconnu&type=%00&page=zz&k=abc",
        "/territoires/99/couverture/?page=99999&k=-5",
        "/territoires/99/couverture.csv?service=%E2%80%AE&type=",
        "/territoires/99/couverture.geojson?type=nope",
        "/couverture/?service=" + "x" * 5000,
    ],
)
def test_odd_parameters_are_ignored_and_said(client, geography, path):
    compute.refresh_all()
    response = client.get(path)
    assert response.status_code == 200
    if "service=inconnu" in path:
        assert "Service inconnu, ignoré : inconnu" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/territoires/99001/couverture/",  # a commune: no coverage page
        "/territoires/98/couverture/",
        "/territoires/R00/couverture.csv",
        "/territoires/200066900/couverture/",  # an EPCI
    ],
)
def test_only_regions_and_departements_have_a_coverage_page(client, geography, path):
    assert client.get(path).status_code == 404


def test_map_data_has_every_commune_of_a_departement_with_its_band(client, geography):
    compute.refresh_all()
    data = client.get("/territoires/99/couverture.geojson").json()
    bands = {f["properties"]["name"]: f["properties"]["band"] for f in data["features"]}
    assert bands == {"Alpha": 0, "Bravo": 3, "Charlie": 2, "Delta": 4, "Echo": 4}
    # The country's map: only the communes farther than 10 km.
    country = client.get(reverse("coverage:country-map")).json()
    assert {f["properties"]["name"] for f in country["features"]} == {
        "Bravo",
        "Delta",
        "Echo",
    }


def test_planning_is_shown_to_the_territorys_coordinators_only(client, geography):
    compute.refresh_all()
    path = "/territoires/99/couverture/?k=2"
    own = coordinator("coordination-equateur", geography["region"])
    client.force_login(own)
    page = client.get(path)
    assert "Où ouvrir ensuite" in page.content.decode()
    assert "Echo" in page.content.decode().split("coverage-openings")[1]
    assert "private" in page["Cache-Control"]
    other = coordinator(
        "coordination-bretagne", Territory.objects.get(level="region", code="53")
    )
    client.force_login(other)
    assert "Où ouvrir ensuite" not in client.get(path).content.decode()
    # Nor the whole country's, to a coordinator of one région.
    client.force_login(own)
    assert "Où ouvrir ensuite" not in client.get("/couverture/").content.decode()


def naive_greedy(reached, people, k):
    reached = {pk: set(c) for pk, c in reached.items()}
    chosen, covered = [], set()
    for _round in range(k):
        gains = {pk: sum(people[c] for c in cs - covered) for pk, cs in reached.items()}
        best = min(gains, key=lambda pk: (-gains[pk], pk), default=None)
        if best is None or gains[best] <= 0:
            break
        chosen.append((best, gains[best]))
        covered |= reached.pop(best)
    return chosen


@given(
    reached=st.dictionaries(
        st.integers(1, 30), st.sets(st.integers(1, 40), max_size=8), max_size=25
    ),
    population=st.lists(st.integers(0, 5000), min_size=40, max_size=40),
    k=st.integers(1, 10),
)
def test_lazy_greedy_chooses_as_the_plain_greedy_does(reached, population, k):
    people = {commune: population[commune - 1] for commune in range(1, 41)}
    assert figures.greedy(reached, people, k) == naive_greedy(reached, people, k)


def test_a_nearest_place_withdrawn_since_is_not_offered(client, geography):
    compute.refresh_all()
    Place.objects.filter(pk=geography["p1"].pk).update(status="draft")  # no refresh yet
    table = list(
        csv.reader(
            io.StringIO(client.get("/territoires/99/couverture.csv").content.decode())
        )
    )
    alpha = table[1]
    assert alpha[:4] == ["99001", "Alpha", "1000", "0.0"] and alpha[4] == ""
    page = client.get("/territoires/99/couverture/").content.decode()
    assert geography["p1"].get_absolute_url() not in page
    data = client.get("/territoires/99/couverture.geojson").json()
    assert {f["properties"]["url"] for f in data["features"]} == {
        None,
        geography["p2"].get_absolute_url(),
    }


def test_one_criterion_at_a_time_and_files_named_by_territory(client, geography):
    compute.refresh_all()
    page = client.get(f"/territoires/99/couverture/?service={AIDE}&type=fablab")
    assert "Un seul critère à la fois" in page.content.decode()
    assert page.context["dimension"].code == AIDE
    region = client.get("/territoires/R99/couverture.csv")
    departement = client.get("/territoires/99/couverture.csv")
    assert 'filename="couverture-R99.csv"' in region["Content-Disposition"]
    assert 'filename="couverture-99.csv"' in departement["Content-Disposition"]


def test_many_places_changed_at_once_queue_one_complete_refresh(
    geography, django_capture_on_commit_callbacks
):
    from coverage.tasks import MANY

    queued = DBTaskResult.objects.filter(task_path__startswith="coverage.tasks.")
    queued.delete()
    with django_capture_on_commit_callbacks(execute=True):
        send_after_commit(list(range(1, MANY + 2)))
    assert list(queued.values_list("task_path", flat=True)) == [
        "coverage.tasks.refresh_coverage"
    ]
