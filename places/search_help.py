"""What a listing says about the search besides its results: what was understood
(removable), and help when it finds nothing or little — never a link that silently
drops the town."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .facets import FACETS, Option, option_index
from .filters import DEFAULT_RADIUS_KM, PlaceFilter
from .models import OpeningPeriod, Place, in_language
from .where import TOWN_LEVELS

FEW = 5  # fewer results than this in a town: the nearest others are shown
AROUND_KM = 30
WIDER_KM = 20


@dataclass(frozen=True)
class Understood:
    """One thing read in `q`: its label, what was typed, and the `q` that takes the
    typed words literally instead (the « ✕ »)."""

    label: str
    typed: str
    literal_q: str
    what: str  # "need", "spelling" or "place"


def need_label(need, options: Callable[[], dict[str, list[Option]]]) -> str:
    label = in_language(need, "label")
    if label:
        return label
    index = option_index(options())
    return _(" ou ").join(index[pair].label for pair in need.means if pair in index)


def understood(place_filter: PlaceFilter, options: Callable) -> list[Understood]:
    """`options`: `facet_options`, or a cached call of it (read only when a need
    has no label of its own)."""
    found = place_filter.understood
    if found is None:
        return []
    by_need: dict = {}  # one chip a need, whatever words said it
    for need, typed, span in found.needs:
        by_need.setdefault(need, []).append((typed, span))
    items = [
        Understood(
            need_label(need, options),
            " … ".join(typed for typed, _span in said),
            found.quoted(*(span for _typed, span in said)),
            "need",
        )
        for need, said in by_need.items()
    ]
    items += [
        Understood(correct, typed, found.quoted(span), "spelling")
        for typed, correct, span in found.corrections
    ]
    if found.place_span and place_filter.where and not place_filter.where.unknown:
        where = place_filter.where
        label = where.address or str(where.territory or found.place)
        items.append(
            Understood(label, found.place, found.quoted(found.place_span), "place")
        )
    return items


def around_few(place_filter: PlaceFilter, count: int) -> list[Place]:
    """When a town has few places, the nearest others around its centre (with the
    same need and filters), so that a small town's search is never a dead end."""
    territory = place_filter.territory
    if count >= FEW or place_filter.point or territory is None:
        return []
    if territory.centre is None or territory.level not in TOWN_LEVELS:
        return []
    others = place_filter.filter_queryset(Place.objects.published(), without="ou")
    return list(
        others.exclude(pk__in=place_filter.qs.values("pk"))
        .near(territory.centre.x, territory.centre.y, AROUND_KM)
        .order_by("distance", "pk")
        .select_related("commune")
        .prefetch_related("kinds")[: FEW - count + 2]
    )


def opening_soon(place_filter: PlaceFilter, count: int = 5) -> list[Place]:
    """ "Open now" found nothing: the places of the same search that open soonest."""
    later = OpeningPeriod.objects.filter(
        place_id=OuterRef("pk"), during__startswith__gt=timezone.now()
    ).order_by(Lower("during"))
    places: QuerySet = place_filter.filter_queryset(
        Place.objects.published(), without="ouvert"
    )
    return list(
        places.annotate(opens=Subquery(later.values("during__startswith")[:1]))
        .filter(opens__isnull=False)
        .order_by("opens", "pk")
        .select_related("commune")
        .prefetch_related("kinds")[:count]
    )


def widen(request: HttpRequest, place_filter: PlaceFilter) -> list[tuple[str, str]]:
    """Links that widen an empty search, each keeping the town: a larger radius
    (around the position, or around the town named), or one criterion less."""
    params = request.GET.copy()
    params.pop("page", None)
    suggestions = []
    cleaned = place_filter.form.cleaned_data
    where = place_filter.where
    if place_filter.point:
        radius = float(cleaned.get("rayon") or DEFAULT_RADIUS_KM)
        if radius < 200:
            wider = params.copy()
            wider["rayon"] = str(min(max(int(radius * 3), 1), 200))
            suggestions.append(
                (_("Chercher dans un rayon de %s km") % wider["rayon"], wider)
            )
    elif where and where.territory and where.territory.centre and not where.unknown:
        wider = in_town(params, place_filter, where.territory)
        wider["rayon"] = str(WIDER_KM)
        suggestions.append(
            (
                _("Chercher dans un rayon de %(km)s km (%(town)s et alentours)")
                % {"km": WIDER_KM, "town": where.territory.name},
                wider,
            )
        )
    found = place_filter.understood
    if found and where and where.territory and not where.unknown:
        everything = in_town(params, place_filter, where.territory)
        for name in ("q", "rayon", "lat", "lon"):  # the town, the need aside
            everything.pop(name, None)
        suggestions.append(
            (
                _("Tous les lieux : %(town)s") % {"town": where.territory.name},
                everything,
            )
        )
    if params.get("q") and found and not found.needs and not found.place:
        fewer = params.copy()
        fewer.pop("q")
        suggestions.append((_("Sans les mots « %s »") % params["q"], fewer))
    for facet in FACETS:
        if params.get(facet.param):
            fewer = params.copy()
            fewer.pop(facet.param)
            suggestions.append((_("Sans le filtre « %s »") % facet.label, fewer))
    if params.get("ouvert"):
        fewer = params.copy()
        fewer.pop("ouvert")
        suggestions.append((_("Y compris les lieux fermés en ce moment"), fewer))
    return [(label, "?" + query.urlencode()) for label, query in suggestions]


def other_places(request: HttpRequest, place_filter: PlaceFilter) -> list[tuple]:
    """The other territories `ou` (or the town typed in `q`) may have meant, each
    with the query that searches there instead."""
    params = request.GET.copy()
    params.pop("page", None)
    return [
        (other, "?" + in_town(params, place_filter, other, instead=True).urlencode())
        for other in place_filter.alternatives
    ]


def in_town(params, place_filter: PlaceFilter, town, instead: bool = False):
    """`params` searching in `town` through `ou` (a town typed in `q` is moved
    there); `instead`: replacing the one `ou` names."""
    params = params.copy()
    found = place_filter.understood
    if not params.get("ou") and found and found.place_span:
        params["q"] = found.without(found.place_span)
    if instead or not params.get("ou"):
        params["ou"] = str(town)
    return params


def said(request: HttpRequest, place_filter: PlaceFilter, options: Callable) -> dict:
    """What templates/places/includes/understood.html shows."""
    return {
        "understood": understood(place_filter, options),
        "other_places": other_places(request, place_filter),
    }
