from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from places.admin import MISSING, stale_condition
from places.models import Place

from ..models import Suggestion
from ..roles import places_of, scoped

register = template.Library()


@register.simple_tag(takes_context=True)
def coordinator_todo(context) -> list[tuple[str, int, str]]:
    """What needs doing in the user's territory: (label, count, admin link)."""
    request = context["request"]
    user = request.user
    if not user.has_perm("places.view_place"):
        return []
    places = places_of(Place.objects.exclude(status=Place.Status.CLOSED), user)
    suggestions = scoped(
        Suggestion.objects.filter(status=Suggestion.Status.PENDING),
        user,
        "place__commune__",
    )
    changelist = reverse("admin:places_place_changelist")
    rows = [
        (
            _("Suggestions des citoyens à traiter"),
            suggestions.count(),
            reverse("admin:coordination_suggestion_changelist")
            + "?status__exact=pending",
        ),
        (
            _("Lieux non vérifiés depuis 12 mois"),
            places.filter(stale_condition()).count(),
            changelist + "?verification=stale",
        ),
        (
            _("Lieux sans horaires"),
            places.filter(MISSING["hours"]).count(),
            changelist + "?manque=hours",
        ),
        (
            _("Lieux sans téléphone, courriel ni site"),
            places.filter(MISSING["contact"]).count(),
            changelist + "?manque=contact",
        ),
        (
            _("Lieux sans services"),
            places.filter(MISSING["services"]).count(),
            changelist + "?manque=services",
        ),
    ]
    return rows
