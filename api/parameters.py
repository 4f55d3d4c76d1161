"""The places' parameters: the same as /lieux/ (`PlaceFilter`), checked strictly
(a wrong or unknown parameter is a 400 that names it), the synchronisation's
`modifie_depuis`, and their description for the OpenAPI document."""

import datetime as dt
import re

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
)
from rest_framework.exceptions import ValidationError

from places.facets import FACETS
from places.filters import PlaceFilter
from places.models import Place

from .rows import place_values


def refuse(parameter: str, message: str):
    raise ValidationError({parameter: [message]})


FACET_PARAMETERS = {facet.param for facet in FACETS}  # repeatable
PLACE_PARAMETERS = {"q", "ou", "lat", "lon", "rayon", "ouvert", "bbox"} | (
    FACET_PARAMETERS
)
PAGING = {"cursor", "taille"}
SYNC = "modifie_depuis"
NOT_HERE = {
    "page": _("La pagination se fait par curseur : suivez le lien next."),
    "tri": _("Les lieux sont toujours donnés dans l’ordre de leur id."),
}


LOST_PLUS = re.compile(r"(T[0-9:.]+) ([0-9]{2}(?::?[0-9]{2})?)$")


def since(value: str) -> dt.datetime:
    """An ISO 8601 date-time (Paris time when it has no offset) or date."""
    # "+01:00" pasted into a URL without encoding arrives as " 01:00".
    value = LOST_PLUS.sub(r"\1+\2", value)
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:  # well formed, but no such day or hour
        moment = None
    if moment is None:
        refuse(
            SYNC,
            _("Une date ISO 8601, ex. 2026-11-29T08:00:00Z ou 2026-11-29 (Paris)."),
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:  # in UTC: the database takes offsets up to 15:59 only
        return moment.astimezone(dt.UTC)
    except OverflowError:  # an offset past year 1 or 9999
        edge = dt.datetime.min if moment.year == 1 else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


# Free text may be empty (nothing asked); any other parameter says something or
# is left out.
MAY_BE_EMPTY = {"q", "ou"}


def check_parameters(params, allowed: set[str]) -> None:
    errors = {}
    for name in params:
        if name in NOT_HERE:
            errors[name] = [NOT_HERE[name]]
        elif name not in allowed:
            errors[name] = [_("Paramètre inconnu.")]
        elif name not in MAY_BE_EMPTY and "" in params.getlist(name):
            errors[name] = [_("Valeur vide : donnez-en une, ou omettez le paramètre.")]
        elif name not in FACET_PARAMETERS and len(params.getlist(name)) > 1:
            errors[name] = [_("Une seule valeur pour ce paramètre.")]
    if errors:
        raise ValidationError(errors)


def filtered(request) -> QuerySet:
    """The places asked for, as plain values in no particular order.

    Without `modifie_depuis`: the published places the filters select. With it:
    the published and closed places modified since that the filters select, and
    every place withdrawn since, whatever the filters (a withdrawn place's content
    is not public: filtering on it would let anyone probe it)."""
    params = request.query_params
    check_parameters(params, PLACE_PARAMETERS | PAGING | {SYNC})
    if bool(params.get("lat")) != bool(params.get("lon")):
        refuse(
            "lat" if not params.get("lat") else "lon",
            _("lat et lon vont ensemble."),
        )
    sync = SYNC in params
    moment = since(params[SYNC]) if sync else None
    public = (
        Place.objects.exclude(status=Place.Status.DRAFT).filter(updated_at__gte=moment)
        if sync
        else Place.objects.published()
    )
    place_filter = PlaceFilter(params, queryset=public)
    if not place_filter.is_valid():
        raise ValidationError(
            {
                name: (
                    [_("Code inconnu (voir /api/v1/vocabulaires/).")]
                    if name in FACET_PARAMETERS
                    else messages
                )
                for name, messages in place_filter.errors.items()
            }
        )
    places = place_filter.qs.order_by()
    if place_filter.where_unknown:
        refuse(
            "ou",
            _(
                "Territoire inconnu : ni commune, ni code postal, ni département, "
                "ni région."
            ),
        )
    if params.get("rayon") and place_filter.point is None:
        refuse(
            "rayon",
            _(
                "Le rayon s’entend autour d’un point (lat et lon), d’une commune ou "
                "d’une adresse (dans ou, ou tapée dans q) ; pas d’un département ni "
                "d’une région."
            ),
        )
    if not sync:
        return place_values(places)
    # Withdrawn: drafts that were once public (one never shown stays unknown).
    changed = Place.objects.filter(updated_at__gte=moment).exclude(  # index
        status=Place.Status.DRAFT, was_public=False
    )
    if not any(name in PLACE_PARAMETERS for name in params):
        return place_values(changed)
    return place_values(
        changed.filter(
            Q(status__in=[Place.Status.DRAFT, Place.Status.MERGED])
            | Q(pk__in=places.values("pk"))
        )
    )


NUMBER = r"-?[0-9]+(\.[0-9]+)?"
PLACE_PARAMETER_SCHEMAS = {
    # name: (schema, description); the facets' codes are added when the
    # description is generated (api.docs.facet_codes).
    "q": (
        {"type": "string", "maxLength": 200},
        _(
            "Ce que cherche la personne, en mots de tous les jours : les besoins "
            "compris (« déclaration de revenus », « imprimer », « wifi ») valent les "
            "filtres correspondants, une commune ou une adresse tapée vaut `ou`, les "
            "autres mots sont cherchés dans le nom, les types, les services, la "
            "commune et la présentation (racines françaises ; accents, casse et "
            "fautes de frappe tolérés). Entre guillemets, un mot est cherché tel "
            "quel."
        ),
    ),
    "ou": (
        {"type": "string", "maxLength": 100},
        _(
            "Une commune (nom, même mal orthographié, ou code INSEE quand aucune "
            "commune n’a ce code postal), un code postal, un département (code ou "
            "nom), une région (nom ou `R53`), un EPCI (SIREN) ou une adresse ; "
            "400 si rien ne correspond. Avec `rayon` : autour du centre de la "
            "commune ou de l’adresse, et chaque lieu porte `distance_m`."
        ),
    ),
    "lat": (
        {"type": "number", "minimum": -90, "maximum": 90},
        _(
            "Latitude d’un point (WGS84), avec `lon` : chaque lieu porte alors "
            "`distance_m` (hors synchronisation)."
        ),
    ),
    "lon": (
        {"type": "number", "minimum": -180, "maximum": 180},
        _("Longitude d’un point (WGS84), avec `lat`."),
    ),
    "rayon": (
        {"type": "number", "minimum": 0.1, "maximum": 200},
        _("Rayon autour de `lat`, `lon` ou de `ou`, en km (10 par défaut)."),
    ),
    "ouvert": ({"type": "string", "enum": ["1"]}, _("`1` : ouverts maintenant.")),
    "bbox": (
        {"type": "string", "pattern": f"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"},
        _("Une zone : ouest,sud,est,nord en degrés."),
    ),
}
FACET_HELP = _(
    "Codes (voir /api/v1/vocabulaires/), répétables. Plusieurs valeurs d’un même "
    "paramètre : l’une ou l’autre ; paramètres différents : tous à la fois."
)


def place_parameters() -> list[OpenApiParameter]:
    """/lieux/'s parameters (the FilterSet's: `PLACE_PARAMETERS`), described."""
    parameters = [
        OpenApiParameter(name, schema, description=description)
        for name, (schema, description) in PLACE_PARAMETER_SCHEMAS.items()
    ]
    parameters += [
        OpenApiParameter(
            facet.param,
            str,
            many=True,
            explode=True,
            description=format_lazy("{}. {}", facet.label, FACET_HELP),
        )
        for facet in FACETS
    ]
    parameters.append(
        OpenApiParameter(
            SYNC,
            dt.datetime,
            description=_(
                "Synchronisation : les lieux modifiés depuis cet instant, fermés "
                "compris, et tous les lieux retirés depuis, quels que soient les "
                "filtres (ISO 8601 ; une date seule : minuit ; heure de Paris sans "
                "décalage)."
            ),
        )
    )
    assert {p.name for p in parameters} == PLACE_PARAMETERS | {SYNC}
    return parameters
