"""The public read API, /api/v1/ (docs/api.md). Places take the parameters of
/lieux/ (the same `PlaceFilter`), strictly: a wrong or unknown parameter is a 400
that names it, never a server error nor a silently broader answer."""

import datetime as dt
import re

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from places.exchange.standard import VOCABULARY_COLUMNS
from places.filters import FACETS, PlaceFilter
from places.models import Kind, Place, Term, Territory, Vocabulary
from places.views import territory_lookup

from . import serializers as shapes
from .pagination import IdCursorPagination
from .rows import place_rows, place_values

ERRORS = {
    400: OpenApiResponse(
        {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        description=_("Paramètres refusés : chaque clé nomme un paramètre."),
    ),
    404: OpenApiResponse(shapes.ErrorSerializer, description=_("Introuvable.")),
    429: OpenApiResponse(
        shapes.ErrorSerializer,
        description=_("Trop de requêtes : réessayer après `Retry-After` secondes."),
    ),
}


class ApiView(GenericAPIView):
    """Answers shared caches may keep a minute (`max_age`); errors, never."""

    max_age = 60
    cache_control = "public, max-age={age}"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            response["Cache-Control"] = self.cache_control.format(age=self.max_age)
        else:
            response["Cache-Control"] = "no-store"
        return response


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def refuse(parameter: str, message: str):
    raise ValidationError({parameter: [message]})


# --- Places -----------------------------------------------------------------

PLACE_PARAMETERS = {"q", "ou", "lat", "lon", "rayon", "ouvert", "bbox"} | {
    facet.param for facet in FACETS
}
PAGING = {"cursor", "taille"}
SYNC = "modifie_depuis"
NOT_HERE = {
    "page": _("La pagination se fait par curseur : suivez le lien `next`."),
    "tri": _("Les lieux sont toujours donnés dans l’ordre de leur `id`."),
}


def since(value: str) -> dt.datetime:
    """An ISO 8601 date-time (Paris time when it has no offset) or date."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:  # well formed, but no such day or hour
        moment = None
    if moment is None:
        refuse(SYNC, _("Une date ISO 8601, ex. 2026-11-29T08:00:00+01:00."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def check_parameters(params, allowed: set[str]) -> None:
    errors = {}
    for name in params:
        if name in NOT_HERE:
            errors[name] = [NOT_HERE[name]]
        elif name not in allowed:
            errors[name] = [_("Paramètre inconnu.")]
    if errors:
        raise ValidationError(errors)


def filtered(request) -> tuple[PlaceFilter, bool]:
    """The places asked for, and whether this is a synchronisation (every status)."""
    params = request.query_params
    check_parameters(params, PLACE_PARAMETERS | PAGING | {SYNC})
    if bool(params.get("lat")) != bool(params.get("lon")):
        refuse(
            "lat" if not params.get("lat") else "lon",
            _("`lat` et `lon` vont ensemble."),
        )
    sync = SYNC in params
    places = Place.objects.all() if sync else Place.objects.published()
    if sync:
        places = places.filter(updated_at__gte=since(params[SYNC]))
    place_filter = PlaceFilter(params, queryset=places)
    if not place_filter.is_valid():
        raise ValidationError(place_filter.errors)
    return place_filter, sync


def place_parameters() -> list[OpenApiParameter]:
    """/lieux/'s parameters, described from the FilterSet itself; the facets'
    codes are filled in from the vocabularies (api.schema.facet_codes)."""
    form = PlaceFilter().form
    number = {"lat", "lon", "rayon"}
    parameters = []
    for name in sorted(PLACE_PARAMETERS):
        field = form.fields[name]
        facet = any(f.param == name for f in FACETS)
        description = str(field.label or "")
        if field.help_text:
            description += f" — {field.help_text}"
        parameters.append(
            OpenApiParameter(
                name,
                float if name in number else str,
                many=facet,
                explode=True if facet else None,
                enum=["1"] if name == "ouvert" else None,
                description=description,
            )
        )
    parameters.append(
        OpenApiParameter(
            SYNC,
            dt.datetime,
            description=_(
                "Synchronisation : les lieux modifiés depuis cet instant, retirés et "
                "fermés compris (ISO 8601 ; heure de Paris sans décalage)."
            ),
        )
    )
    return parameters


PLACE_OR_WITHDRAWN = PolymorphicProxySerializer(
    component_name="LieuOuRetire",
    serializers=[shapes.PlaceSerializer, shapes.WithdrawnPlaceSerializer],
    resource_type_field_name=None,
    many=True,
)


class PlaceList(ApiView):
    pagination_class = IdCursorPagination
    max_age = 0
    cache_control = "public, max-age={age}, s-maxage=60"

    @extend_schema(
        operation_id="lieux_liste",
        summary=_("Les lieux, page par page"),
        description=_(
            "Les lieux publiés, filtrés comme sur /lieux/, dans l’ordre de leur `id`. "
            "Avec `modifie_depuis`, les lieux modifiés depuis cet instant, retirés "
            "(`statut: retire`, sans autre donnée) et fermés compris."
        ),
        parameters=place_parameters(),
        responses={200: PLACE_OR_WITHDRAWN, **ERRORS},
    )
    def get(self, request):
        place_filter, _sync = filtered(request)
        places = place_filter.qs
        if place_filter.where_unknown:
            refuse(
                "ou", _("Lieu inconnu : ni commune, ni code postal, ni département.")
            )
        page = self.paginate_queryset(place_values(places.order_by()))
        rows = place_rows(page, base_url(request), places.db)
        return self.get_paginated_response(rows)

    def get_serializer_class(self):  # for the description only
        return shapes.PlaceSerializer


class PlaceDetail(ApiView):
    @extend_schema(
        operation_id="lieu",
        summary=_("Un lieu"),
        description=_("Un lieu publié ou fermé ; 404 s’il n’existe pas ou est retiré."),
        responses={200: shapes.PlaceSerializer, 404: ERRORS[404], 429: ERRORS[429]},
    )
    def get(self, request, pk: int):
        check_parameters(request.query_params, set())
        places = Place.objects.exclude(status=Place.Status.DRAFT).filter(pk=pk)
        found = list(place_values(places))
        if not found:
            raise Http404
        return Response(place_rows(found, base_url(request), places.db)[0])

    def get_serializer_class(self):
        return shapes.PlaceSerializer


# --- Territories ------------------------------------------------------------


def territory_row(territory: Territory, request) -> dict:
    parent = territory.parent
    centre = territory.centre
    return {
        "code": territory.code,
        "code_url": territory.url_code,
        "nom": territory.name,
        "niveau": territory.level,
        "parent": parent.url_code if parent else None,
        "code_departement": territory.departement_code or None,
        "code_region": territory.region_code or None,
        "population": territory.population,
        "codes_postaux": territory.postal_codes,
        "centre": {"latitude": centre.y, "longitude": centre.x} if centre else None,
        "url": base_url(request) + territory.get_absolute_url(),
    }


TERRITORY_CODE = re.compile(r"^[0-9A-Za-z]{1,10}$")


class TerritoryList(ApiView):
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="territoires_liste",
        summary=_("Les territoires"),
        description=_("Régions, départements, EPCI, communes, dans l’ordre interne."),
        parameters=[
            OpenApiParameter(
                "niveau", str, enum=[level.value for level in Territory.Level]
            ),
            OpenApiParameter(
                "parent",
                str,
                pattern=TERRITORY_CODE.pattern,
                description=_("`code_url` du parent : `R53`, `35`…"),
            ),
        ],
        responses={200: shapes.TerritorySerializer(many=True), **ERRORS},
    )
    def get(self, request):
        params = request.query_params
        check_parameters(params, {"niveau", "parent"} | PAGING)
        territories = Territory.objects.select_related("parent__parent")
        if "niveau" in params:
            if params["niveau"] not in Territory.Level.values:
                refuse("niveau", _("Un de : %s.") % ", ".join(Territory.Level.values))
            territories = territories.filter(level=params["niveau"])
        if "parent" in params:
            if not TERRITORY_CODE.match(params["parent"]):
                refuse("parent", _("Un code de territoire : R53, 35, 35238…"))
            parent = Territory.objects.filter(
                **territory_lookup(params["parent"])
            ).first()
            if parent is None:
                refuse("parent", _("Territoire inconnu."))
            territories = territories.filter(parent=parent)
        page = self.paginate_queryset(territories)
        return self.get_paginated_response([territory_row(t, request) for t in page])

    def get_serializer_class(self):
        return shapes.TerritorySerializer


class TerritoryDetail(ApiView):
    @extend_schema(
        operation_id="territoire",
        summary=_("Un territoire"),
        description=_("`R53` pour une région, `35` pour un département, `35238`…"),
        responses={
            200: shapes.TerritoryDetailSerializer,
            404: ERRORS[404],
            429: ERRORS[429],
        },
    )
    def get(self, request, code: str):
        check_parameters(request.query_params, set())
        territory = get_object_or_404(
            Territory.objects.select_related("parent"), **territory_lookup(code)
        )
        row = territory_row(territory, request)
        row["nombre_lieux"] = Place.objects.published().in_territory(territory).count()
        return Response(row)

    def get_serializer_class(self):
        return shapes.TerritoryDetailSerializer


# --- Vocabularies -----------------------------------------------------------


class VocabularyList(ApiView):
    max_age = 300

    @extend_schema(
        operation_id="vocabulaires",
        summary=_("Les listes de valeurs"),
        description=_(
            "Les types de lieu et les listes du standard, avec les codes à passer "
            "aux paramètres de /api/v1/lieux/ et les valeurs du standard."
        ),
        responses={200: shapes.VocabularySerializer(many=True), 429: ERRORS[429]},
    )
    def get(self, request):
        check_parameters(request.query_params, set())
        param_of = {v: f.param for f in FACETS for v in f.vocabularies}
        field_of = {
            vocabulary: column
            for column, (vocabulary, _f) in VOCABULARY_COLUMNS.items()
        }
        field_of[Vocabulary.EQUIPMENT] = "equipements"
        lists = [
            {
                "liste": "type",
                "libelle": str(Kind._meta.verbose_name_plural).capitalize(),
                "parametre": "type",
                "champ": "types",
                "valeurs": [
                    {
                        "code": kind.code,
                        "valeur": None,
                        "libelle": kind.label,
                        "description": kind.description or None,
                    }
                    for kind in Kind.objects.all()
                ],
            }
        ]
        terms = Term.objects.order_by("vocabulary", "position", "pk")
        by_vocabulary: dict[str, list] = {}
        for term in terms:
            by_vocabulary.setdefault(term.vocabulary, []).append(term)
        for vocabulary in Vocabulary:
            lists.append(
                {
                    "liste": vocabulary.value,
                    "libelle": str(vocabulary.label),
                    "parametre": param_of.get(vocabulary.value),
                    "champ": field_of[vocabulary.value],
                    "valeurs": [
                        {
                            "code": term.code,
                            "valeur": term.value or None,
                            "libelle": term.label,
                            "description": term.description or None,
                        }
                        for term in by_vocabulary.get(vocabulary.value, [])
                    ],
                }
            )
        return Response(lists)


def not_found(request, path: str = ""):
    """Any other address under /api/: JSON, as the rest of the API."""
    response = JsonResponse(
        {"detail": _("Pas de telle adresse dans l’API.")}, status=404
    )
    response["Cache-Control"] = "no-store"
    return response
