"""Coverage pages: `/couverture/` (the country) and `/territoires/<code>/couverture/`
(a région or a département), with the same figures as CSV and map data."""

import csv

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page

from coordination.roles import commune_condition
from places.exchange.formulas import neutralise
from places.models import PointX, PointY, Territory

from . import figures
from .compute import EVERY_PLACE, Dimension, dimensions
from .models import Run

PAGE_SIZE = 50
CSV_HEADER = ["code_insee", "nom", "population", "distance_km", "lieu_le_plus_proche"]
COUNTRY_MAP_MAX = 5000  # points on the country's map


def territory_of(code: str | None) -> Territory | None:
    """The région or département of `code`, or None (the country); 404 otherwise."""
    if code is None:
        return None
    territory = get_object_or_404(
        Territory.objects.select_related("parent").from_url_code(code)
    )
    if territory.level not in figures.LEVELS:
        raise Http404
    return territory


def chosen_dimension(
    request: HttpRequest, known: list[Dimension]
) -> tuple[Dimension, list[str]]:
    """`?service=` or else `?type=` (the listing's codes) among the `known`
    dimensions; an unknown code is ignored and said."""
    problems = []
    by_key = {(d.facet, d.code): d for d in known}
    chosen = EVERY_PLACE
    for facet, label in (("service", _("service")), ("type", _("type de lieu"))):
        code = request.GET.get(facet, "").strip()
        if not code:
            continue
        if (facet, code) not in by_key:
            problems.append(_("%(what)s inconnu, ignoré : %(code)s") % {
                "what": label.capitalize(), "code": code[:80]})  # fmt: skip
        elif chosen is EVERY_PLACE:
            chosen = by_key[facet, code]
        else:
            problems.append(
                _("Un seul critère à la fois : le type de lieu est ignoré.")
            )
    return chosen, problems


def may_plan(user, territory: Territory | None) -> bool:
    """Coordinators whose scope holds every commune of the territory (of it or of
    its région, or national); planned per région or département only."""
    if territory is None or not user.is_authenticated or not user.is_staff:
        return False
    condition = commune_condition(user)
    return condition is None or not (
        figures.communes(territory).exclude(condition).exists()
    )


def bounded_int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def coverage_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    territory = territory_of(code)
    known = dimensions()
    dimension, problems = chosen_dimension(request, known)
    planner = may_plan(request.user, territory)
    k = bounded_int(request.GET.get("k"), 5, 1, figures.MAX_OPENINGS)
    page = Paginator(figures.by_distance(territory, dimension), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "territory": territory,
        "breadcrumbs": territory.ancestors() + [territory] if territory else [],
        "dimension": dimension,
        "dimensions": known,
        "problems": problems,
        "summary": figures.summary(territory, dimension),
        "reach_km": figures.REACH_KM,
        "country_map_max": COUNTRY_MAP_MAX,
        "far": figures.most_people_far(territory, dimension),
        "parts": figures.parts(territory, dimension),
        "page": page,
        "run": Run.objects.order_by("-pk").first(),
        "planner": planner,
        "k": k,
        "openings": figures.where_to_open(territory, dimension, k) if planner else [],
        "query": dimension_query(dimension),
    }
    response = render(request, "coverage/coverage.html", context)
    if planner:
        patch_cache_control(response, private=True)
    else:
        patch_cache_control(response, public=True, max_age=0, s_maxage=60)
    return response


def dimension_query(dimension: Dimension) -> str:
    return f"?{dimension.facet}={dimension.code}" if dimension.facet else ""


@gzip_page  # public figures only: nothing secret for a compression attack to guess
def coverage_csv(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """One row per commune: its distance to the nearest published place (of the
    chosen service or kind), 1 decimal, and that place's page. A commune whose
    centre is unknown has empty distance and place."""
    territory = territory_of(code)
    dimension, _problems = chosen_dimension(request, dimensions())
    found = {
        commune: (metres, slug)
        for commune, metres, slug in figures.with_nearest(
            figures.distances(territory, dimension)
        ).values_list("commune_id", "metres", "shown_slug")
    }
    page_url = request.build_absolute_uri(
        reverse("places:detail", kwargs={"slug": "SLUG"})
    )
    name = territory.url_code if territory else "france"
    suffix = f"-{dimension.code}" if dimension.code else ""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="couverture-{name}{suffix}.csv"'
    )
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for pk, insee, commune, population in (
        figures.communes(territory)
        .order_by("code")
        .values_list("pk", "code", "name", "population")
    ):
        metres, slug = found.get(pk, (None, None))
        writer.writerow(
            [
                insee,
                neutralise(commune),
                "" if population is None else population,
                "" if metres is None else f"{metres / 1000:.1f}",
                page_url.replace("SLUG", slug) if slug else "",
            ]
        )
    patch_cache_control(response, public=True, max_age=0, s_maxage=60)
    return response


@gzip_page
def coverage_map(request: HttpRequest, code: str | None = None) -> JsonResponse:
    """Map data: each commune's centre with its band, distance and nearest place.
    For the whole country only the most populous communes farther than REACH_KM
    (35,000 points are too many for a phone); the page's table has them all."""
    territory = territory_of(code)
    dimension, _problems = chosen_dimension(request, dimensions())
    rows = figures.with_nearest(figures.distances(territory, dimension))
    if territory is None:
        far = rows.filter(figures.farther(figures.REACH_KM))
        rows = rows.filter(
            pk__in=far.order_by("-population", "pk").values("pk")[:COUNTRY_MAP_MAX]
        )
    page_url = reverse("places:detail", kwargs={"slug": "SLUG"})
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]},
            "properties": {
                "name": name,
                "population": population,
                "km": None if metres is None else round(metres / 1000, 1),
                "band": figures.band_of(metres),
                "nearest": nearest,
                "url": page_url.replace("SLUG", slug) if slug else None,
            },
        }
        for name, population, metres, nearest, slug, x, y in rows.annotate(
            lon=PointX("commune__centre"), lat=PointY("commune__centre")
        )
        .order_by("commune__code")
        .values_list(
            "commune__name", "population", "metres", "shown_name", "shown_slug",
            "lon", "lat",
        )
    ]  # fmt: skip
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    patch_cache_control(response, public=True, max_age=60)
    return response
