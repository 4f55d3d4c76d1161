"""The map: its page (and the embed for other sites), the list of the places in
view beside it, and the map data of each view (clusters or places)."""

import json

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control, set_response_etag
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_safe

from . import maps, search_help
from .caching import counted, page_cache
from .facets import facet_options
from .filters import PlaceFilter
from .listing import cards, facet_choices, filtered_places
from .models import (
    Kind,
    Place,
)
from .views import public_page, search_key

MAP_LIST_SIZE = 20


@require_safe
@public_page(search_key)
def map_page(request: HttpRequest) -> HttpResponse:
    """The map of the filtered places, with the list of the places in view beside
    it (the map is never the only way in). `?embed=1`: the same for other sites'
    pages, without the site's chrome; the only page that may be framed."""
    place_filter = filtered_places(request)
    embed = request.GET.get("embed") == "1"
    query = query_without(request, "bbox", "zoom", "page", "embed")
    context = {
        "filter": place_filter,
        "facets": [] if embed else facet_choices(place_filter, facet_options()),
        **search_help.said(request, place_filter, facet_options),
        "bounds": counted(
            request,
            "map-bounds",
            place_filter.cache_key(without=("bbox", "zoom", "tri")),
            lambda: maps.bounds(place_filter.qs),
        ),
        "embed": embed,
        "embed_url": request.build_absolute_uri(
            reverse("places:map") + "?embed=1" + query.replace("?", "&", 1)
        ),
        "list_url": reverse("places:map-list") + query,
        "kinds": {
            kind.code: {"label": kind.label_i18n, "icon": static(f"icons/{kind.icon}")}
            for kind in Kind.objects.all()
            if kind.icon
        },
        **map_list_context(request, place_filter),
    }
    if embed:
        return render_embed(request, context)
    return render(request, "places/map.html", context)


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def render_embed(request: HttpRequest, context: dict) -> HttpResponse:
    """The embed view: the only page other sites may frame."""
    return render(request, "places/map_embed.html", context)


@require_safe
@public_page(search_key)
def map_list(request: HttpRequest) -> HttpResponse:
    """The places in the map's view (`bbox`), as HTML for the list beside the map."""
    place_filter = filtered_places(request)
    return render(
        request,
        "places/includes/map_list.html",
        map_list_context(request, place_filter),
    )


def map_list_context(request: HttpRequest, place_filter: PlaceFilter) -> dict:
    key = place_filter.cache_key(without=("zoom", "tri"))
    return {
        "count": counted(request, "map-list", key, place_filter.qs.count),
        "places": cards(place_filter.qs[:MAP_LIST_SIZE]),
        "all_url": reverse("places:list")
        + query_without(request, "zoom", "page", "embed"),
    }


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string ("?…", or "") without the parameters `names`."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return "?" + params.urlencode() if params else ""


@require_safe
@gzip_page
@page_cache(search_key)
def places_geojson(request: HttpRequest) -> HttpResponse:
    """The map data of one view (`bbox`, `zoom`) of the filtered places: clusters
    zoomed out, the places themselves zoomed in (places/maps.py). Without `bbox`,
    the whole world. Exactly the places in view, as the list beside the map shows
    them: the same count, no marker outside the view. Kept as pages are, and by
    browsers for a minute."""
    place_filter = filtered_places(request)
    place_filter.is_valid()
    cleaned = place_filter.form.cleaned_data
    zoom = int(cleaned.get("zoom") or maps.DEFAULT_ZOOM)
    box = cleaned.get("bbox") or maps.WORLD
    cell = maps.cell_size(box, zoom)
    places = (
        place_filter.filter_queryset(Place.objects.published(), without="bbox")
        .filter(location__isnull=False)
        .in_box(*box)
    )
    search = place_filter.cache_key(without=("bbox", "zoom", "tri"))
    count = counted(
        request,
        "map",
        None if search is None else (search, box, cell),
        places.count,
    )
    clustered = count > settings.MAP_MAX_PLACES
    features = (
        maps.cluster_features(places, cell)
        if clustered
        else maps.place_features(places)
    )
    body = json.dumps(
        {
            "type": "FeatureCollection",
            "count": count,
            "clustered": clustered,
            "bbox": [round(v, 5) for v in box],
            "features": features,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    response = HttpResponse(body, content_type="application/geo+json")
    # The ETag of the data itself: the compressed bytes change every time (Django
    # adds random padding against BREACH), so an ETag taken after would never match.
    set_response_etag(response)
    patch_cache_control(response, public=True, max_age=60)
    return response
