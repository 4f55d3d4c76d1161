from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .exchange import exporter
from .filters import DEFAULT_RADIUS_KM, FACETS, PlaceFilter, facet_counts
from .models import Place, Territory, kinds_with_counts

PAGE_SIZE = 20


def filtered_places(request: HttpRequest) -> PlaceFilter:
    return PlaceFilter(request.GET, queryset=Place.objects.published())


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "places/home.html",
        {"filter": PlaceFilter(), "kinds": kinds_with_counts()},
    )


@require_GET
def place_list(request: HttpRequest) -> HttpResponse:
    place_filter = filtered_places(request)
    paginator = Paginator(place_filter.qs.for_cards(), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    counts = facet_counts(place_filter, Place.objects.published())
    return render(
        request,
        "places/place_list.html",
        {
            "filter": place_filter,
            "page": page,
            "places": page.object_list,
            "facets": facet_choices(place_filter, counts),
            "widen": widen_suggestions(request, place_filter)
            if not paginator.count
            else [],
            "around": around_few(place_filter, paginator.count),
        },
    )


FEW = 5


def around_few(place_filter: PlaceFilter, count: int) -> list[Place]:
    """When a commune has few places, the nearest others around its centre (with the
    same other filters), so that a small town's search is never a dead end."""
    territory = place_filter.territory
    if count >= FEW or territory is None or territory.centre is None:
        return []
    if territory.level not in (Territory.Level.COMMUNE, Territory.Level.ARRONDISSEMENT):
        return []
    others = place_filter.filter_queryset(Place.objects.published(), without="ou")
    return list(
        others.exclude(pk__in=place_filter.qs.values("pk"))
        .near(territory.centre.x, territory.centre.y, 30)
        .select_related("commune")
        .prefetch_related("kinds")[: FEW - count + 2]
    )


def facet_choices(place_filter: PlaceFilter, counts: dict | None = None) -> list[dict]:
    """Each facet's checkboxes, with the count of places each would give if known."""
    facets = []
    for facet in FACETS:
        field = place_filter.form[facet.param]
        choices = [
            {
                "widget": choice,
                "count": counts[facet.param].get(choice.data["value"], 0)
                if counts is not None
                else None,
            }
            for choice in field
        ]
        facets.append({"facet": facet, "field": field, "choices": choices})
    return facets


def widen_suggestions(request: HttpRequest, place_filter: PlaceFilter) -> list[tuple]:
    """Links that widen an empty search: a larger radius, or one filter less."""
    suggestions = []
    params = request.GET.copy()
    params.pop("page", None)
    if place_filter.point:
        wider = params.copy()
        radius = float(place_filter.form.cleaned_data.get("rayon") or DEFAULT_RADIUS_KM)
        wider["rayon"] = str(min(int(radius * 3), 200))
        suggestions.append(
            (_("Chercher dans un rayon de %s km") % wider["rayon"], wider)
        )
    for name, label in [("q", _("le mot cherché")), ("ou", _("le lieu"))] + [
        (facet.param, facet.label) for facet in FACETS
    ]:
        if params.get(name):
            fewer = params.copy()
            fewer.pop(name)
            suggestions.append((_("Sans le filtre « %s »") % label, fewer))
    return [(label, "?" + query.urlencode()) for label, query in suggestions]


@require_GET
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(
        Place.objects.exclude(status=Place.Status.DRAFT)
        .select_related("commune__parent__parent__parent")
        .prefetch_related(*(field.name for field in Place._meta.many_to_many)),
        slug=slug,
    )
    return render(
        request, "places/place_detail.html", {"place": place, "nearby": nearby(place)}
    )


def nearby(place: Place, count: int = 5) -> list[Place]:
    """The published places nearest to `place`, by the spatial index (KNN)."""
    if place.location is None:
        return []
    return list(
        Place.objects.published()
        .exclude(pk=place.pk)
        .filter(location__isnull=False)
        .select_related("commune")
        .annotate(distance=Distance("location", place.location))
        .order_by(GeometryDistance("location", place.location))[:count]
    )


@require_GET
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
    if territory.level == Territory.Level.REGION:
        context["children"] = children_with_counts(
            territory.children.filter(level="departement"), "departement_code"
        )
    elif territory.level == Territory.Level.DEPARTEMENT:
        context["children"] = children_with_counts(
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


def children_with_counts(territories, key: str, only_with_places: bool = False) -> list:
    """`territories` with their number of published places, in one GROUP BY."""
    field = (
        "commune__departement_code" if key == "departement_code" else "commune__code"
    )
    counts = dict(
        Place.objects.published().values_list(field).annotate(n=Count("pk")).order_by()
    )
    rows = [(t, counts.get(getattr(t, key), 0)) for t in territories.order_by("name")]
    return [(t, n) for t, n in rows if n or not only_with_places]


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    place_filter = filtered_places(request)
    return render(
        request,
        "places/map.html",
        {"filter": place_filter, "facets": facet_choices(place_filter)},
    )


@require_GET
def places_geojson(request: HttpRequest) -> JsonResponse:
    """The filtered published places that have a position, with compact properties."""
    rows = (
        filtered_places(request)
        .qs.filter(location__isnull=False)
        .order_by()
        .values("slug", "name", "location")
        .annotate(kinds=ArrayAgg("kinds__code", distinct=True, default=[]))
    )
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(row["location"].x, 6),
                    round(row["location"].y, 6),
                ],
            },
            "properties": {
                "name": row["name"],
                "url": f"/lieux/{row['slug']}/",
                "kinds": row["kinds"],
            },
        }
        for row in rows
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
    )


@require_GET
def export_places(request: HttpRequest, fmt: str) -> StreamingHttpResponse:
    """The filtered places in the national standard, streamed (large exports too)."""
    response = StreamingHttpResponse(
        exporter.export(filtered_places(request).qs, fmt),
        content_type=exporter.FORMATS[fmt],
    )
    response["Content-Disposition"] = f'attachment; filename="lieux.{fmt}"'
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
