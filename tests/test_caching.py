"""The two caches for visitors without a session (places/caching.py): whole pages,
under keys taken from the request as the view understood it, fresh for
PAGE_FRESH_SECONDS then renewed by one request while others get the stale copy;
and counts. An edit shows on the place's own page at once, elsewhere within the
fresh delay."""

import pytest
from django.core.cache import cache
from django.http import QueryDict

from places import caching, facet_index
from places.facets import facet_options
from places.filters import PlaceFilter
from places.models import Place

from .factories import PlaceFactory, standard_file

pytestmark = pytest.mark.django_db

FRESH = 60


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.PAGE_FRESH_SECONDS = FRESH
    settings.COUNT_CACHE_SECONDS = FRESH


@pytest.fixture
def place():
    return PlaceFactory(name="Atelier des Lices", kinds=["epn"])


def kept_entries() -> int:
    return len([key for key in cache._cache if ":page:" in key])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/lieux/?q=lices",
        "PLACE",
        "/carte/",
        "/carte/liste/?bbox=-1.75,48.08,-1.62,48.14",
        "/territoires/35/",
        "/carte/lieux.geojson?bbox=-1.75,48.08,-1.62,48.14&zoom=16",
        "/en/lieux/?q=lices",
    ],
)
def test_a_page_asked_again_costs_no_query(
    client, place, path, django_assert_num_queries
):
    path = place.get_absolute_url() if path == "PLACE" else path
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get(path)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["ETag"] == first["ETag"]


def test_an_edit_shows_on_the_place_s_page_at_once(
    client, place, django_capture_on_commit_callbacks
):
    assert "Atelier des Lices" in client.get(place.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        place.name = "Atelier des Lices et du Thabor"
        place.save()
    page = client.get(place.get_absolute_url()).content.decode()
    assert "Atelier des Lices et du Thabor" in page


def test_a_listing_shows_an_edit_within_the_fresh_delay(client, place, cache_clock):
    client.get("/lieux/", {"q": "lices"})
    PlaceFactory(name="Lices numériques", kinds=["epn"])
    cache_clock.advance(FRESH - 1)
    stale = client.get("/lieux/", {"q": "lices"}).content.decode()
    assert "Lices numériques" not in stale  # served as kept, without a query
    cache_clock.advance(2)
    # The first request after the delay renews the page (and its counts, which
    # are as old): it shows the new place and counts it.
    renewed = client.get("/lieux/", {"q": "lices"})
    assert "Lices numériques" in renewed.content.decode()
    assert renewed.context["page"].paginator.count == 2


def test_a_stale_page_is_served_while_another_request_renews_it(
    client, place, cache_clock, django_assert_num_queries
):
    url = "/territoires/35/"
    client.get(url)
    cache_clock.advance(FRESH + 1)
    name = caching.entry_name(
        "page:territory_detail", ("http", "testserver", ("35", 1)), "fr"
    )
    assert cache.add(f"{name}:renewing", 1)  # another request is renewing it
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200
    cache.delete(f"{name}:renewing")
    assert client.get(url).context is not None  # this one renews it


def test_a_place_s_page_is_fresh_until_the_place_opens_or_closes(cache_clock):
    """Saves drop a place's page; otherwise only time changes it: whether the place
    is open now."""
    import datetime as dt

    from django.utils import timezone

    from places.openings import refresh_openings

    place = PlaceFactory(opening_hours="Mo-Su 09:00-12:00")
    refresh_openings([place.pk])
    now = timezone.localtime()
    bounds = [
        now.replace(hour=hour, minute=0, second=0, microsecond=0)
        + dt.timedelta(days=days)
        for days in (0, 1)
        for hour in (9, 12)
    ]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    bounds.append(midnight + dt.timedelta(days=1))
    expected = min((b - now).total_seconds() for b in bounds if b > now)
    found = place.seconds_until_open_or_closed(at_most=10**6)
    assert abs(found - expected) < 5
    assert place.seconds_until_open_or_closed(at_most=30) == 30


def test_keys_come_from_the_search_as_understood(client, place):
    """Order, repeats and empty parameters do not make another page."""
    assert client.get("/lieux/?q=lices&type=epn&type=fablab&rayon=").context
    again = client.get("/lieux/?type=fablab&q=lices&type=epn&type=epn")
    assert again.context is None  # served as kept, not rendered
    assert kept_entries() == 1


def test_unknown_parameters_create_no_entry(client, place):
    for n in range(5):
        assert client.get("/lieux/", {"q": "lices", f"utm_{n}": "x"}).status_code == 200
        assert client.get(place.get_absolute_url(), {"junk": n}).status_code == 200
    assert kept_entries() == 0
    # The page itself, once kept, serves them too.
    client.get("/lieux/", {"q": "lices"})
    assert client.get("/lieux/", {"q": "lices", "utm_source": "lettre"}).context is None
    assert kept_entries() == 1


def test_a_refused_parameter_is_not_kept(client, place):
    for _ in range(2):
        response = client.get("/lieux/", {"q": "lices", "rayon": "loin"})
        assert response.status_code == 200 and response.context is not None
    assert kept_entries() == 0


def test_a_missing_page_is_not_kept(client, place):
    assert client.get("/lieux/atelier-du-colombier-rennes/").status_code == 404
    PlaceFactory(name="Atelier du Colombier")
    assert client.get("/lieux/atelier-du-colombier-rennes/").status_code == 200


def test_pages_of_a_logged_in_coordinator_are_never_kept(admin_client, client, place):
    admin_client.get(place.get_absolute_url())
    admin_again = admin_client.get(place.get_absolute_url())
    assert admin_again.context is not None  # rendered again, not from the cache
    visitor = client.get(place.get_absolute_url())
    assert visitor.context is not None  # and nothing was kept for others


def test_a_coordinator_s_counts_are_exact(admin_client, client, place):
    client.get("/lieux/", {"q": "lices"})  # a visitor's counts are kept
    PlaceFactory(name="Lices numériques", kinds=["epn"])
    coordinator = admin_client.get("/lieux/", {"q": "lices"})
    assert coordinator.context["page"].paginator.count == 2


def test_the_embed_view_keeps_its_framing_policy_from_the_cache(client, place):
    for _ in range(2):
        embed = client.get("/carte/", {"embed": "1"})
        assert "X-Frame-Options" not in embed
        assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get("/carte/")
    assert page["X-Frame-Options"] == "DENY"


def test_languages_have_their_own_pages(client, place):
    french = client.get(place.get_absolute_url()).content.decode()
    english = client.get("/en" + place.get_absolute_url()).content.decode()
    assert 'lang="fr"' in french and 'lang="en"' in english


def test_an_admin_action_shows_on_the_places_pages_at_once(
    admin_client, client, place, django_capture_on_commit_callbacks
):
    """« Marquer vérifié » changes places in bulk: their pages are dropped too."""
    assert (
        "Informations vérifiées"
        not in client.get(place.get_absolute_url()).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/places/place/",
            {"action": "mark_verified", "_selected_action": [place.pk]},
        )
    assert (
        "Informations vérifiées"
        in client.get(place.get_absolute_url()).content.decode()
    )


def test_a_repeated_parameter_is_keyed_as_the_search_reads_it(client, place):
    """The form takes a parameter's last value: `?ouvert=1&ouvert=` is a search
    without "open now", and must not be served to those who ask for it."""
    assert client.get("/lieux/?q=lices&ouvert=1&ouvert=").context is not None
    asked = client.get("/lieux/?q=lices&ouvert=1")
    assert asked.context is not None  # its own page, not the other one's
    assert asked.context["filter"].form.cleaned_data["ouvert"] == "1"


@pytest.mark.parametrize("page", ["-1", "+1", "²", "1_0", "0", "999"])
def test_odd_page_numbers_are_answered_but_not_kept(client, place, page):
    for path in ("/lieux/?q=lices", "/territoires/35/?ouvert=", "/territoires/35/"):
        response = client.get(path, {"page": page})
        assert response.status_code in (200, 404)
    assert kept_entries() == 0


def test_each_host_has_its_own_pages(client, place, settings):
    """Pages hold absolute addresses (canonical, hreflang, JSON-LD)."""
    settings.ALLOWED_HOSTS = ["testserver", "annuaire.example.org"]
    url = place.get_absolute_url()
    client.get(url)
    other = client.get(url, HTTP_HOST="annuaire.example.org").content.decode()
    assert "http://annuaire.example.org/" in other
    assert "http://testserver/" not in other


def test_an_import_shows_on_the_places_pages_at_once(client, tmp_path):
    from places.exchange.importer import import_places

    path = tmp_path / "lieux.csv"
    import_places(standard_file(path, id="c-1", nom="Atelier de la Gare"))
    url = Place.objects.get(source_id="c-1").get_absolute_url()
    assert "Atelier de la Gare" in client.get(url).content.decode()
    renamed = standard_file(path, id="c-1", nom="Atelier de la Gare et du Port")
    assert import_places(renamed).updated == 1
    assert "Atelier de la Gare et du Port" in client.get(url).content.decode()


def visitor_counts(query: str) -> tuple[int, dict]:
    place_filter = PlaceFilter(QueryDict(query), queryset=Place.objects.published())
    return facet_index.counts(place_filter, facet_options())[:2]


def test_visitors_facet_counts_are_renewed_within_the_fresh_delay(place, cache_clock):
    assert visitor_counts("type=epn")[0] == 1
    PlaceFactory(name="Lices numériques", kinds=["epn"])
    cache_clock.advance(FRESH - 1)
    total, counts = visitor_counts("")
    assert total == 1 and counts["type"]["epn"] == 1  # the bitmaps as read
    cache_clock.advance(2)
    total, counts = visitor_counts("")
    assert total == 2 and counts["type"]["epn"] == 2


def test_words_are_searched_now_and_facets_from_the_bitmaps(place):
    assert visitor_counts("q=lices&type=epn")[0] == 1
    PlaceFactory(name="Lices numériques", kinds=["fablab"])
    total, counts = visitor_counts("q=lices")
    # The new place is found by its words at once; its kind is known to the
    # bitmaps read before it was created only after the delay.
    assert total == 2 and counts["type"] == {"epn": 1, "fablab": 0, **zeros("type")}


def zeros(param: str) -> dict:
    return {
        option.code: 0
        for option in facet_options()[param]
        if option.code not in ("epn", "fablab")
    }


def test_bitmaps_read_by_one_process_serve_the_others(
    place, cache_clock, django_assert_num_queries
):
    facet_index.current_index()
    facet_index.forget()  # another process, which has not read them
    with django_assert_num_queries(0):
        assert len(facet_index.current_index().published) == 1


def test_old_bitmaps_count_while_another_request_reads_them(
    place, cache_clock, django_assert_num_queries
):
    old = facet_index.current_index()
    cache_clock.advance(FRESH + 1)
    assert cache.add(f"{facet_index.SHARED}:renewing", 1)  # another request
    with django_assert_num_queries(0):
        assert facet_index.current_index() is old
    cache.delete(f"{facet_index.SHARED}:renewing")
    assert facet_index.current_index() is not old


def test_bitmaps_too_old_are_read_again_even_while_another_request_should(
    place, cache_clock
):
    """A cache that keeps saying "someone is renewing" (or fails) never leaves
    visitors' counts older than OLDEST periods."""
    old = facet_index.current_index()
    assert cache.add(f"{facet_index.SHARED}:renewing", 1, 3600)
    cache_clock.advance(FRESH * facet_index.OLDEST + 1)
    assert facet_index.current_index() is not old


def test_searches_with_the_same_words_share_what_the_words_find(client, place):
    """The ids a search's words find are counted once for every facet asked with
    them (as counts, for COUNT_CACHE_SECONDS): the second search reads only its
    page. Other words are read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def id_sets_read(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return sum(q["sql"].endswith(") found") for q in queries)

    assert id_sets_read("/lieux/?q=atelier&type=epn") == 1
    assert id_sets_read("/lieux/?q=atelier&type=fablab&tri=nom") == 0
    assert id_sets_read("/lieux/?q=lices&type=fablab") == 1
    # A point written two ways, with a zoom: one entry.
    assert id_sets_read("/lieux/?lat=48.11&lon=-1.68") == 1
    assert id_sets_read("/lieux/?lat=48.110&lon=-1.680&zoom=9&type=epn") == 0


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=lices",
        "type=fablab&tri=nom",
        "type=epn&page=2",
        "q=introuvable",
        "lat=48.1113&lon=-1.6794&tri=distance&type=epn",
        "ouvert=1",
    ],
)
def test_visitors_see_the_page_of_results_a_coordinator_sees(
    client, admin_client, query
):
    """A visitor's page of a search finding few places is read among the ids the
    bitmaps found (`listing.among`): the same places in the same order as the
    coordinator's page, read without them."""
    from places.openings import refresh_openings

    places = [
        PlaceFactory(
            name=f"Lices {n:02}" if n % 3 else f"Atelier {n:02}",
            kinds=["fablab" if n % 4 == 0 else "epn"],
            opening_hours="Mo-Su 00:00-24:00" if n % 2 else "",
        )
        for n in range(24)
    ]
    refresh_openings([place.pk for place in places])

    def shown(some_client) -> list[int]:
        response = some_client.get(f"/lieux/?{query}")
        assert response.status_code == 200
        return [place.pk for place in response.context["page"].object_list]

    visitor = shown(client)
    assert visitor == shown(admin_client)
    assert visitor or query == "q=introuvable"
