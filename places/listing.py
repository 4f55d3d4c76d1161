"""What a page of search results shows: the search the request asks (built once),
its total and facet counts, the cards of one page, the filters' checkboxes, and the
hints around them (places/search_help.py)."""

from collections.abc import Callable

from django.core.paginator import Page
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from pyroaring import BitMap

from . import facet_index, search_help
from .caching import counts_may_be_old
from .facets import FACETS, facet_counts
from .filters import PlaceFilter
from .models import Place


def filtered_places(request: HttpRequest) -> PlaceFilter:
    """The request's search, built once: the page cache reads its key, the view
    its results."""
    if not hasattr(request, "place_filter"):
        request.place_filter = PlaceFilter(
            request.GET, queryset=Place.objects.published(), request=request
        )
    return request.place_filter


def search_counts(
    request: HttpRequest, place_filter: PlaceFilter, options: dict
) -> tuple[int, dict, BitMap | None]:
    """The search's total and facet counts: from this process's bitmaps for a
    visitor (places/facet_index.py), exact in SQL for a coordinator. With them, the
    ids found when they are few (else None)."""
    if counts_may_be_old(request):
        return facet_index.counts(place_filter, options)
    total = place_filter.qs.count()
    return total, facet_counts(place_filter, place_filter.queryset, options), None


def among(places: QuerySet, found: BitMap | None) -> QuerySet:
    """`places`, read among the ids the counts found when they are few (a bound
    on the planner's guess; the search's own conditions still apply)."""
    if found is None:
        return places
    # `= ANY(array)`: half the time of `IN (…)` with 3,600 ids, parsed one by one.
    among_ids = f'"{Place._meta.db_table}"."id" = ANY(%s::bigint[])'
    return places.filter(RawSQL(among_ids, [list(found)], BooleanField()))


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


def listing_context(
    request: HttpRequest,
    place_filter: PlaceFilter,
    page: Page,
    options: Callable[[], dict],
    counts: dict,
) -> dict:
    """The listing template's context for `page` of the search."""
    total = page.paginator.count
    open_now = not total and place_filter.form.cleaned_data.get("ouvert") == "1"
    return {
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
        "widen": search_help.widen(request, place_filter) if not total else [],
        "around": search_help.around_few(place_filter, total),
        "opening_soon": search_help.opening_soon(place_filter) if open_now else [],
    }
