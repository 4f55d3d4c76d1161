import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from epn_directory.replicas import checked_read_alias

from . import hours, search_help, seo
from .caching import counted, page_cache, place_generation
from .exchange import exporter
from .facets import FACETS, facet_counts, facet_options
from .filters import PlaceFilter
from .links import prefetch_links
from .models import (
    Place,
    Source,
    Territory,
    kinds_with_counts,
    normalize_name,
)
from .quality import km_between
from .understanding import thesaurus

PAGE_SIZE = 20


# Public pages: browsers revalidate them every time with the ETag that
# ConditionalGetMiddleware adds (304 when nothing changed); a shared cache (CDN,
# reverse proxy) may serve them for a minute, and the server keeps the whole page
# for visitors without a session (places/caching.py), under `key`.
def public_page(key: Callable[..., tuple | None]):
    def decorator(view):
        return cache_control(public=True, max_age=0, s_maxage=60)(page_cache(key)(view))

    return decorator


def filtered_places(request: HttpRequest) -> PlaceFilter:
    """The request's search, built once: the page cache reads its key, the view
    its results."""
    if not hasattr(request, "place_filter"):
        request.place_filter = PlaceFilter(
            request.GET, queryset=Place.objects.published(), request=request
        )
    return request.place_filter


# Parameters of the public pages that are not the search's.
PAGE_PARAMETERS = {"page", "embed"}


# A page number as the key knows it; any other form ("-1", "+3", "²") is not kept.
PAGE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}$")


def page_number(request: HttpRequest) -> int | None:
    """The page asked for (1 when none), or None for any other form of number."""
    page = request.GET.get("page", "1")
    if not PAGE_NUMBER.match(page):
        return None
    request.page_asked = int(page)
    return request.page_asked


def kept_page_is_asked(request: HttpRequest, page) -> None:
    """A page past the last gives the last: not kept under its number."""
    if page.number != getattr(request, "page_asked", page.number):
        request.unknown_parameters = True


def search_key(request: HttpRequest, *args, **kwargs) -> tuple:
    """The search as its form reads it, without the database: each parameter's
    value as the form takes it (the last one, trimmed; every value of a facet,
    sorted), empty ones dropped, and the thesaurus that reads `q`. A parameter
    nobody knows is left out of the key and the page not kept; nor is a page
    whose parameters were refused (it shows the error)."""
    known = PlaceFilter.base_filters
    facets = {facet.param for facet in FACETS}
    params = []
    for name in sorted(set(request.GET) & set(known)):
        if name in facets:
            value = tuple(sorted({v.strip() for v in request.GET.getlist(name)} - {""}))
        else:
            value = request.GET.get(name, "").strip()
        if value:
            params.append((name, value))
    request.unknown_parameters = bool(set(request.GET) - set(known) - PAGE_PARAMETERS)
    request.keep_page_if = lambda: filtered_places(request).form.is_valid()
    return (*params, ("embed", request.GET.get("embed") == "1"), thesaurus().version)


def search_page(request: HttpRequest, *args, **kwargs) -> tuple | None:
    """The key of a page of search results: the search and the page number."""
    page = page_number(request)
    return None if page is None else (*search_key(request), page)


def same_for_all(request: HttpRequest, *args, **kwargs) -> tuple:
    """The key of a page that takes no parameter."""
    request.unknown_parameters = bool(request.GET)
    return ()


def place_page(request: HttpRequest, slug: str) -> tuple:
    """The key of a place's page: its slug, and its generation (replaced when the
    place is saved: the page is renewed at once)."""
    request.unknown_parameters = bool(request.GET)
    return (slug, place_generation(slug))


@require_safe
@public_page(same_for_all)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "places/home.html",
        {"filter": PlaceFilter(), "kinds": kinds_with_counts()},
    )


@require_safe
@public_page(search_page)
def place_list(request: HttpRequest) -> HttpResponse:
    place_filter = filtered_places(request)
    paginator = Paginator(place_filter.qs, PAGE_SIZE)
    options = functools.cache(facet_options)  # read only if something is computed
    # The total and the counts per facet are most of the cost of a broad search,
    # and the same for every page and sort order of it.
    paginator.count, counts = counted(
        request,
        "listing",
        place_filter.cache_key(without=("tri",)),
        lambda: (
            paginator.count,
            facet_counts(place_filter, Place.objects.published(), options()),
        ),
    )
    page = paginator.get_page(request.GET.get("page"))
    kept_page_is_asked(request, page)
    empty = not paginator.count
    open_now = empty and place_filter.form.cleaned_data.get("ouvert") == "1"
    return render(
        request,
        "places/place_list.html",
        {
            "filter": place_filter,
            "page": page,
            "results_html": render_to_string(
                "places/includes/result_list.html",
                {"page": page, "places": cards(page.object_list)},
                request,
            ),
            "filters_html": render_to_string(
                "places/includes/filters.html",
                {
                    "filter": place_filter,
                    "facets": facet_choices(place_filter, options(), counts),
                    "action": reverse("places:list"),
                },
                request,
            ),
            **search_help.said(request, place_filter, options),
            "active_filters": active_filters(request),
            "widen": search_help.widen(request, place_filter) if empty else [],
            "around": search_help.around_few(place_filter, paginator.count),
            "opening_soon": search_help.opening_soon(place_filter) if open_now else [],
        },
    )


def active_filters(request: HttpRequest) -> int:
    """How many criteria of the filters panel are set ("Filtrer (3)")."""
    return sum(len(request.GET.getlist(f.param)) for f in FACETS) + (
        request.GET.get("ouvert") == "1"
    )


def cards(places: QuerySet) -> list[Place]:
    """The places of one page of a search, in order, read by id with what their
    cards show (the search itself ranks ids and distances only)."""
    fields = ["pk"] + (["distance"] if "distance" in places.query.annotations else [])
    rows = list(places.values_list(*fields))
    found = Place.objects.for_cards().in_bulk([row[0] for row in rows])
    result = []
    for pk, *distance in rows:
        if pk in found:
            place = found[pk]
            place.distance = distance[0] if distance else None
            result.append(place)
    return result


def facet_choices(
    place_filter: PlaceFilter, options: dict, counts: dict | None = None
) -> list[dict]:
    """Each facet's checkboxes, ticked as asked, with the number of places each would
    give when known. Plain data for the template: rendering a widget template per
    checkbox cost more than the whole search."""
    facets = []
    data = place_filter.data  # {} rather than an empty QueryDict when nothing is asked
    for facet in FACETS:
        ticked = set(data.getlist(facet.param)) if data else set()
        choices = [
            {
                "id": f"id_{facet.param}_{n}",
                "code": option.code,
                "label": option.label,
                "checked": option.code in ticked,
                "count": counts[facet.param].get(option.code, 0)
                if counts is not None
                else None,
            }
            for n, option in enumerate(options[facet.param])
        ]
        facets.append({"facet": facet, "open": bool(ticked), "choices": choices})
    return facets


@require_safe
@public_page(place_page)
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(
        Place.objects.exclude(status=Place.Status.DRAFT)
        .select_related("commune__parent__parent__parent")
        .prefetch_related("kinds"),
        slug=slug,
    )
    prefetch_links(place)
    url = request.build_absolute_uri(place.get_absolute_url())
    # Dropped from the cache when the place is saved (places/caching.py): right
    # until the place next opens or closes (the page says whether it is open).
    # Each process's own memory (no REDIS_URL) is not told of a save in another.
    longest = settings.PAGE_CACHE_SECONDS if settings.REDIS_URL else None
    request.page_fresh_seconds = place.seconds_until_open_or_closed(
        at_most=longest or settings.PAGE_FRESH_SECONDS
    )
    return render(
        request,
        "places/place_detail.html",
        {
            "place": place,
            "source": Source.objects.filter(code=place.source).first(),
            "nearby": nearby(place),
            "json_ld": seo.json_ld(seo.place_data(place, url)),
        },
    )


NEARBY_CANDIDATES = 25


def nearby(place: Place, count: int = 5) -> list[Place]:
    """The published places nearest to `place`, nearest first, each once. The
    spatial index (KNN) gives candidates in degrees, where a degree of longitude is
    shorter than one of latitude (the index alone put 630 m before 520 m): they are
    ranked by their real distance. Another record of the place itself, or of a place
    already listed (the same name and address from another source), is left out."""
    if place.location is None:
        return []
    candidates = (
        Place.objects.published()
        .exclude(pk=place.pk)
        .filter(location__isnull=False)
        .select_related("commune")
        .annotate(distance=Distance("location", place.location))
        .order_by(GeometryDistance("location", place.location))[:NEARBY_CANDIDATES]
    )
    found: list[Place] = []
    for other in sorted(candidates, key=lambda other: other.distance.m):
        if not any(same_place(other, seen) for seen in [place, *found]):
            found.append(other)
    return found[:count]


def same_place(a: Place, b: Place) -> bool:
    """Two records of one place, as far as a list of places nearby can tell: the
    same name, and the same address or within 100 m (sources spell addresses
    their own way: "60 RUE VERANT ROUSSET", "60 Rue Véran Rousset")."""
    if normalize_name(a.name) != normalize_name(b.name):
        return False
    if normalize_name(a.address) == normalize_name(b.address):
        return True
    return bool(a.location and b.location) and (
        km_between(a.location.coords, b.location.coords) <= 0.1
    )


def territory_page(request: HttpRequest, code: str) -> tuple | None:
    page = page_number(request)
    request.unknown_parameters = bool(set(request.GET) - {"page"})
    # The code as typed: the page's links echo it.
    return None if page is None else (code, page)


@require_safe
@public_page(territory_page)
def territory_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A région (`R` + its code: INSEE région and département codes overlap), a
    département, or a commune / arrondissement, with its places and counts."""
    territory = get_object_or_404(
        Territory.objects.select_related("parent__parent"), **territory_lookup(code)
    )
    places = Place.objects.published().in_territory(territory)
    context = {
        "territory": territory,
        "total": places.count(),
        "breadcrumbs": ancestors(territory),
    }
    paginated = territory.level not in ("region", "departement")
    if not paginated and getattr(request, "page_asked", 1) != 1:
        request.unknown_parameters = True  # the same page: not one to keep
    if territory.level == Territory.Level.REGION:
        context["children"] = children_with_counts(
            places, territory.children.filter(level="departement"), "departement_code"
        )
    elif territory.level == Territory.Level.DEPARTEMENT:
        context["children"] = children_with_counts(
            places,
            Territory.objects.filter(
                level__in=["commune", "arrondissement"], departement_code=territory.code
            ),
            "code",
            only_with_places=True,
        )
    else:
        page = Paginator(places.for_cards().order_by("name", "pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        kept_page_is_asked(request, page)
        context.update(page=page, places=page.object_list)
    return render(request, "places/territory_detail.html", context)


def territory_lookup(code: str) -> dict:
    code = code.upper()
    if code.startswith("R"):
        return {"level": Territory.Level.REGION, "code": code[1:]}
    if len(code) == 9:
        return {"level": Territory.Level.EPCI, "code": code}
    if len(code) <= 3:
        return {"level": Territory.Level.DEPARTEMENT, "code": code}
    return {"level__in": ["commune", "arrondissement"], "code": code}


def ancestors(territory: Territory) -> list[Territory]:
    """Région, département (and city) above `territory`, from the top."""
    chain, current = [], territory.parent
    while current is not None:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def children_with_counts(
    places: QuerySet, territories, key: str, only_with_places: bool = False
) -> list:
    """`territories` with their number of `places` (the parent's), in one GROUP BY
    (over the parent's places only: grouping every place in France cost 150 ms)."""
    field = (
        "commune__departement_code" if key == "departement_code" else "commune__code"
    )
    counts = dict(places.values_list(field).annotate(n=Count("pk")).order_by())
    rows = [(t, counts.get(getattr(t, key), 0)) for t in territories.order_by("name")]
    return [(t, n) for t, n in rows if n or not only_with_places]


@require_safe
def export_places(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    """The filtered places in the national standard, streamed (large exports too)."""
    response = StreamingHttpResponse(
        # Streamed after the view returns: the replica is chosen, and checked, now.
        exporter.export(filtered_places(request).qs.using(checked_read_alias()), fmt),
        content_type=exporter.FORMATS[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="lieux.{fmt}"'
    return response


@require_safe
def hours_preview(request):
    """The hours editor's preview (places/widgets.py), for the admin and the public
    proposal form: is the OSM text valid, open now, the coming week."""
    value = request.GET.get("value", "")[:500]
    try:
        parsed = hours.parse(value) if value else None
    except hours.INVALID:
        return JsonResponse({"valid": False, "message": str(hours.INVALID_MESSAGE)})
    if parsed is None:
        return JsonResponse({"valid": True, "status": "", "week": []})
    now = timezone.localtime()
    week = [
        {
            "label": day.label,
            "intervals": [f"{begin:%H:%M}–{end:%H:%M}" for begin, end in day.intervals],
        }
        for day in hours.upcoming_week(parsed, now.date())
    ]
    return JsonResponse(
        {"valid": True, "status": str(hours.status_at(parsed, now)), "week": week}
    )
