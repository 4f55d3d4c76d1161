"""Coordinators' scope: which places and communes an admin user may touch.

National administrators (superusers, or coordinators marked national) see
everything; a coordinator sees the places whose commune lies in one of their
territories (région, département or EPCI); any other staff user sees nothing.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from places.models import Territory

GROUP_NAME = "Coordinateurs"
# What the group may do; the scope narrows it to the coordinator's territories.
GROUP_PERMISSIONS = [
    ("places", "place", ["view", "add", "change", "delete"]),
    ("places", "territory", ["view"]),
    ("coordination", "suggestion", ["view", "change"]),
    ("partners", "partner", ["view", "add", "change"]),
    ("partners", "mappingversion", ["view"]),
    ("partners", "harvestrun", ["view"]),
]
NOTHING = Q(pk__in=[])


def is_national(user) -> bool:
    coordinator = getattr(user, "coordinator", None)
    return user.is_superuser or bool(coordinator and coordinator.national)


def territories_of(user) -> list[Territory]:
    """The user's territories (cached on the user for the request)."""
    if not hasattr(user, "_scope_territories"):
        coordinator = getattr(user, "coordinator", None)
        user._scope_territories = (
            list(coordinator.territories.all()) if coordinator else []
        )
    return user._scope_territories


def territories_condition(territories, path: str = "") -> Q:
    """Condition on a commune (reached through `path`) for it to lie in one of
    `territories` (régions, départements, EPCI)."""
    condition = NOTHING
    by_level: dict[str, list] = {}
    for territory in territories:
        by_level.setdefault(territory.level, []).append(territory)
    if regions := by_level.get(Territory.Level.REGION):
        codes = [t.code for t in regions]
        condition |= Q(**{f"{path}region_code__in": codes})
    if departements := by_level.get(Territory.Level.DEPARTEMENT):
        codes = [t.code for t in departements]
        condition |= Q(**{f"{path}departement_code__in": codes})
    if epcis := by_level.get(Territory.Level.EPCI):
        # An arrondissement belongs to the EPCI of its commune.
        condition |= Q(**{f"{path}epci__in": epcis})
        condition |= Q(**{f"{path}parent__epci__in": epcis})
    return condition


def commune_condition(user, path: str = "") -> Q | None:
    """Condition on a commune (reached through `path`, e.g. "commune__") for it to
    lie in the user's scope; None for national administrators (no condition)."""
    if is_national(user):
        return None
    return territories_condition(territories_of(user), path)


def communes_of_territory(territory: Territory):
    """The communes (and arrondissements) of a région, département or EPCI."""
    return Territory.objects.filter(
        territories_condition([territory]), level__in=["commune", "arrondissement"]
    )


def territory_in_scope(user, territory: Territory) -> bool:
    """Whether every commune of `territory` lies in the user's scope."""
    condition = commune_condition(user)
    if condition is None:
        return True
    communes = communes_of_territory(territory)
    return communes.exists() and not communes.exclude(condition).exists()


def scoped(queryset, user, path: str):
    """`queryset` narrowed to the user's scope; `path` leads to the commune."""
    condition = commune_condition(user, path)
    return queryset if condition is None else queryset.filter(condition)


def suggestions_of(queryset, user):
    """Suggestions in the user's scope: a correction by its place's commune; a
    proposed place by the commune it names until accepted, then by its place's."""
    of_place = commune_condition(user, "place__commune__")
    if of_place is None:
        return queryset
    proposed = Q(place__isnull=True) & commune_condition(user, "commune__")
    return queryset.filter(of_place | proposed)


def places_of(queryset, user):
    return scoped(queryset, user, "commune__")


def commune_in_scope(user, commune: Territory | None) -> bool:
    if commune is None:
        return is_national(user)
    condition = commune_condition(user)
    if condition is None:
        return True
    return Territory.objects.filter(condition, pk=commune.pk).exists()


def coordinators_for(commune: Territory):
    """The coordinators whose scope covers `commune` (national ones excluded: they
    follow the national queue)."""
    from .models import Coordinator

    epcis = [
        t for t in (commune.epci_id, commune.parent and commune.parent.epci_id) if t
    ]
    return (
        Coordinator.objects.filter(national=False, user__is_active=True)
        .filter(
            Q(territories__level="region", territories__code=commune.region_code)
            | Q(
                territories__level="departement",
                territories__code=commune.departement_code,
            )
            | Q(territories__level="epci", territories__pk__in=epcis)
        )
        .select_related("user")
        .distinct()
    )


def ensure_coordinators_group(**kwargs) -> None:
    """After migrations: the group that gives coordinators the admin's rights."""
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    wanted = [
        f"{action}_{model}"
        for _app, model, actions in GROUP_PERMISSIONS
        for action in actions
    ]
    permissions = Permission.objects.filter(
        content_type__app_label__in={app for app, _m, _a in GROUP_PERMISSIONS},
        codename__in=wanted,
    )
    group.permissions.add(*permissions)


OUT_OF_SCOPE = _("Ce lieu est hors de votre territoire.")
