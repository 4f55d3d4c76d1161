import functools
import re
from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from epn_directory.replicas import checked_read_alias

from . import hours, seo
from .caching import counted, page_cache, place_generation
from .exchange import exporter
from .facets import FACETS, facet_options
from .filters import PlaceFilter
from .links import prefetch_links
from .listing import among, filtered_places, listing_context, search_counts
from .models import (
    Place,
    Source,
    Territory,
    kinds_with_counts,
)
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
    options = functools.cache(facet_options)  # read only if something is computed
    # The total and the counts per facet are most of the cost of a broad search,
    # and the same for every page and sort order of it.
    total, counts, found = counted(
        request,
        "search",
        place_filter.cache_key(without=("tri",)),
        lambda: search_counts(request, place_filter, options()),
    )
    paginator = Paginator(among(place_filter.qs, found), PAGE_SIZE)
    paginator.count = total
    page = paginator.get_page(request.GET.get("page"))
    kept_page_is_asked(request, page)
    return render(
        request,
        "places/place_list.html",
        listing_context(request, place_filter, page, options, counts),
    )


@require_safe
@public_page(place_page)
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        # get(), not first(): its ORDER BY and LIMIT cost 1.5 ms to build.
        place = (
            Place.objects.visible()
            .defer("search_vector", "unmapped_values")
            .select_related("commune__parent__parent__parent")
            .prefetch_related("kinds")
            .get(slug=slug)
        )
    except Place.DoesNotExist:
        # A place merged into another: its address leads there.
        kept = Place.objects.filter(slug=slug, status=Place.Status.MERGED).first()
        if kept is None or kept.merged_into is None:
            raise Http404 from None
        return redirect(kept.merged_into, permanent=True)
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
            "sources": sources_of(place),
            "nearby": Place.objects.published().nearest_to(place),
            "json_ld": seo.json_ld(seo.place_data(place, url)),
        },
    )


def sources_of(place: Place) -> list[tuple]:
    """The producers citizens are told of, with the date each last updated the
    place: its open records' sources (places/merging.py), newest first. A source
    only known by its code is left out (its name is written by an administrator)."""
    records = place.records.filter(withdrawn_at__isnull=True).values_list(
        "source", "data_updated_on"
    )
    # A place made in the admin, or seeded, has no record: its own source.
    dates: dict[str, object] = {} if records else {place.source: place.known_update}
    for code, updated in records:
        if code not in dates or (updated and updated > (dates[code] or updated)):
            dates[code] = updated
    named = Source.objects.filter(code__in=dates).exclude(name=F("code"))
    return sorted(
        ((source, dates[source.code]) for source in named),
        key=lambda found: (found[1] is not None, found[1]),
        reverse=True,
    )


def territory_page(request: HttpRequest, code: str) -> tuple | None:
    page = page_number(request)
    request.unknown_parameters = bool(set(request.GET) - {"page"})
    # The code as typed: the page's links echo it.
    return None if page is None else (code, page)


@require_safe
@public_page(territory_page)
def territory_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A région, a département (their children, with their number of places), or
    a commune, an arrondissement or an EPCI (its places, by pages)."""
    territory = get_object_or_404(
        Territory.objects.select_related("parent__parent").from_url_code(code)
    )
    places = Place.objects.published().in_territory(territory)
    context = {
        "territory": territory,
        "total": places.count(),
        "breadcrumbs": territory.ancestors(),
    }
    if territory.level in (Territory.Level.REGION, Territory.Level.DEPARTEMENT):
        if getattr(request, "page_asked", 1) != 1:
            request.unknown_parameters = True  # the same page: not one to keep
        context["children"] = children_with_counts(places, territory)
    else:
        page = Paginator(places.for_cards().order_by("name", "pk"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        kept_page_is_asked(request, page)
        context.update(page=page, places=page.object_list)
    return render(request, "places/territory_detail.html", context)


def children_with_counts(places: QuerySet, territory: Territory) -> list:
    """A région's départements, or a département's communes that have places, each
    with its number of `places` (the territory's), in one GROUP BY over the
    territory's places only (grouping every place in France cost 150 ms)."""
    if territory.level == Territory.Level.REGION:
        children = territory.children.filter(level="departement")
        field, only_with_places = "commune__departement_code", False
    else:
        children = Territory.objects.filter(
            level__in=["commune", "arrondissement"], departement_code=territory.code
        )
        field, only_with_places = "commune__code", True
    counts = dict(places.values_list(field).annotate(n=Count("pk")).order_by())
    rows = [(t, counts.get(t.code, 0)) for t in children.order_by("name")]
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
