from django import template
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from coverage.figures import LEVELS
from places.admin import PlaceAdmin
from places.admin_filters import MISSING, freshness_conditions
from places.models import Place
from places.quality import Flag

from ..models import Suggestion
from ..roles import is_national, places_of, suggestions_of, territories_of

register = template.Library()


@register.simple_tag(takes_context=True)
def coordinator_todo(context) -> dict[str, list[tuple[str, int, str]]]:
    """What needs doing in the user's territory, each a (label, count, admin link)
    that leads to exactly those places: `todo`, things to fix (citizens'
    suggestions, places flagged at import, missing information), and `freshness`,
    how recently the places were checked (most have never been, so that is not a
    to-do but a state, with a link to the oldest first). Place counts in one query."""
    request = context["request"]
    user = request.user
    if not user.has_perm("places.view_place"):
        return {}
    suggestions = suggestions_of(
        Suggestion.objects.filter(status=Suggestion.Status.PENDING), user
    )
    changelist = reverse("admin:places_place_changelist")
    checks = [
        *(
            (str(flag.label).capitalize(), Q(flags__contains=[flag]),
             f"signalement={flag.value}")
            for flag in Flag
        ),
        (_("Horaires importés illisibles"), Q(opening_hours_valid=False),
         "opening_hours_valid__exact=0"),
        (_("Lieux sans horaires"), MISSING["hours"], "manque=hours"),
        (_("Lieux sans téléphone, courriel ni site"), MISSING["contact"],
         "manque=contact"),
        (_("Lieux sans services"), MISSING["services"], "manque=services"),
    ]  # fmt: skip
    freshness = [
        (label, condition, f"verification={code}")
        for code, label, condition in freshness_conditions()
    ]
    places = places_of(Place.objects.exclude(status=Place.Status.CLOSED), user)
    counts = places.aggregate(
        **{
            f"n{n}": Count("pk", filter=condition)
            for n, (_label, condition, _query) in enumerate(checks + freshness)
        }
    )
    # The lists show what is counted: places not closed down.
    listed = f"{changelist}?status__in=draft,published&"
    rows = [
        (label, counts[f"n{n}"], listed + query)
        for n, (label, _condition, query) in enumerate(checks + freshness)
    ]
    todo = [
        (
            _("Suggestions des citoyens à traiter"),
            suggestions.count(),
            reverse("admin:coordination_suggestion_changelist")
            + "?status__exact=pending",
        ),
        *(row for row in rows[: len(checks)] if row[1]),
    ]
    # The admin sorts by the position of a column: the oldest updates first.
    column = PlaceAdmin.list_display.index("data_updated_on") + 1
    return {
        "todo": todo,
        "freshness": rows[len(checks) :],
        "oldest_first": f"{listed}verification=stale&o={column}",
        "coverage": coverage_links(user),
    }


def coverage_links(user) -> list[tuple[str, str]]:
    """The coverage pages of the user's régions and départements (the country's
    for national coordinators)."""
    if is_national(user):
        return [(_("France entière"), reverse("coverage:country"))]
    return [
        (territory.name, reverse("coverage:page", args=[territory.url_code]))
        for territory in territories_of(user)
        if territory.level in LEVELS
    ]
