"""The public read API, /api/v1/ (docs/api.md). Places take the parameters of
/lieux/ (the same `PlaceFilter`), strictly: a wrong or unknown parameter is a 400
that names it, never a server error nor a silently broader answer."""

import datetime as dt
import re

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from places.exchange.standard import VOCABULARY_COLUMNS
from places.facets import FACETS
from places.models import Kind, Place, PointX, PointY, Term, Territory, Vocabulary

from . import serializers as shapes
from .pagination import DeletionCursorPagination, IdCursorPagination
from .parameters import (
    PAGING,
    SYNC,
    check_parameters,
    filtered,
    place_parameters,
    refuse,
    since,
)
from .rows import place_rows, place_values

ERRORS = {
    400: OpenApiResponse(
        {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        description=_("Paramètres refusés : chaque clé nomme un paramètre."),
    ),
    401: OpenApiResponse(
        shapes.ErrorSerializer,
        description=_("Clé d’API inconnue, révoquée ou expirée."),
    ),
    404: OpenApiResponse(shapes.ErrorSerializer, description=_("Introuvable.")),
    429: OpenApiResponse(
        shapes.ErrorSerializer,
        description=_("Trop de requêtes : réessayer après `Retry-After` secondes."),
    ),
}


def answers(shape, description, *errors: int) -> dict:
    """An operation's responses: `shape` on success; 400 (a parameter), 401 (a
    key), 429 (the rate) and `errors` otherwise."""
    return {
        200: OpenApiResponse(shape, description=description),
        **{code: ERRORS[code] for code in sorted({400, 401, 429, *errors})},
    }


class PagedSchema(AutoSchema):
    """A list operation: its cursor and page size are parameters (drf-spectacular
    cannot tell from a response given with its description)."""

    def _is_list_view(self, serializer=None):
        return True


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


class PlacesApiView(ApiView):
    """Places say whether they are open now: browsers ask again each time (an
    ETag makes it cheap), shared caches keep them a minute."""

    max_age = 0
    cache_control = "public, max-age={age}, s-maxage=60"


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# --- Places -----------------------------------------------------------------


PLACE_OR_WITHDRAWN = PolymorphicProxySerializer(
    component_name="LieuOuRetire",
    serializers=[shapes.PlaceSerializer, shapes.WithdrawnPlaceSerializer],
    resource_type_field_name=None,
    many=True,
)


class PlaceList(PlacesApiView):
    schema = PagedSchema()
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="lieux_liste",
        summary=_("Les lieux, page par page"),
        description=_(
            "Les lieux publiés, filtrés comme sur /lieux/, dans l’ordre de leur `id`. "
            "Avec `modifie_depuis`, les lieux modifiés depuis cet instant, retirés "
            "(`statut: retire`, sans autre donnée) et fermés compris."
        ),
        parameters=place_parameters(),
        responses=answers(PLACE_OR_WITHDRAWN, _("Une page de lieux.")),
    )
    def get(self, request):
        places = filtered(request)
        page = self.paginate_queryset(places)
        rows = place_rows(page, base_url(request), places.db)
        return self.get_paginated_response(rows)

    def get_serializer_class(self):  # for the description only
        return shapes.PlaceSerializer


class PlaceDetail(PlacesApiView):
    @extend_schema(
        operation_id="lieu",
        summary=_("Un lieu"),
        description=_("Un lieu publié ou fermé ; 404 s’il n’existe pas ou est retiré."),
        responses=answers(shapes.PlaceSerializer, _("Le lieu."), 404),
    )
    def get(self, request, pk: int):
        check_parameters(request.query_params, set())
        places = Place.objects.visible().filter(pk=pk)
        found = list(place_values(places))
        if not found:
            raise Http404
        return Response(place_rows(found, base_url(request), places.db)[0])

    def get_serializer_class(self):
        return shapes.PlaceSerializer


class DeletedPlaceList(PlacesApiView):
    """Places deleted in the admin (their history keeps the deletion): a partner
    removes them, as it removes withdrawn ones."""

    schema = PagedSchema()
    pagination_class = DeletionCursorPagination

    @extend_schema(
        operation_id="lieux_supprimes",
        summary=_("Les lieux supprimés"),
        description=_(
            "Les lieux supprimés depuis `modifie_depuis` (obligatoire), à retirer "
            "d’une copie synchronisée, dans l’ordre de leur suppression."
        ),
        parameters=[
            OpenApiParameter(
                SYNC,
                dt.datetime,
                required=True,
                description=_(
                    "Les suppressions depuis cet instant (ISO 8601 ; une date "
                    "seule : minuit ; heure de Paris sans décalage)."
                ),
            )
        ],
        responses=answers(
            shapes.DeletedPlaceSerializer(many=True), _("Une page de lieux supprimés.")
        ),
    )
    def get(self, request):
        params = request.query_params
        check_parameters(params, PAGING | {SYNC})
        if SYNC not in params:
            refuse(
                SYNC,
                _(
                    "Paramètre obligatoire : la date depuis laquelle lister les "
                    "suppressions."
                ),
            )
        # Only places that were public once (their history says so).
        once_public = Place.history.filter(id=OuterRef("id")).filter(
            ~Q(status=Place.Status.DRAFT) | Q(was_public=True)
        )
        deletions = (
            Place.history.filter(
                history_type="-", history_date__gte=since(params[SYNC])
            )
            .exclude(id__in=Place.objects.values("id"))
            .filter(Exists(once_public))
            .values("history_id", "id", "history_date")
        )
        page = self.paginate_queryset(deletions)
        return self.get_paginated_response(
            [
                {"id": row["id"], "supprime_le": row["history_date"].isoformat()}
                for row in page
            ]
        )

    def get_serializer_class(self):
        return shapes.DeletedPlaceSerializer


# --- Territories ------------------------------------------------------------


def territories():
    """Territories with what `territory_row` reads (one query for a page), and no
    geometry to build."""
    fields = [
        "code", "name", "level", "departement_code", "region_code", "population",
        "postal_codes", "parent__code", "parent__level", "epci__code",
    ]  # fmt: skip
    return (
        Territory.objects.select_related("parent", "epci")
        .only(*fields)
        .annotate(lon=PointX("centre"), lat=PointY("centre"))
    )


def territory_row(territory: Territory, base: str) -> dict:
    parent = territory.parent
    return {
        "code": territory.code,
        "code_url": territory.url_code,
        "nom": territory.name,
        "niveau": territory.level,
        "parent": parent.url_code if parent else None,
        "code_departement": territory.departement_code or None,
        "code_region": territory.region_code or None,
        "epci": territory.epci.code if territory.epci else None,
        "population": territory.population,
        "codes_postaux": territory.postal_codes,
        "centre": (
            {"latitude": territory.lat, "longitude": territory.lon}
            if territory.lat is not None
            else None
        ),
        "url": base + territory.get_absolute_url(),
    }


TERRITORY_CODE = re.compile(r"^[0-9A-Za-z]{1,10}$")


class TerritoryList(ApiView):
    schema = PagedSchema()
    pagination_class = IdCursorPagination

    @extend_schema(
        operation_id="territoires_liste",
        summary=_("Les territoires"),
        description=_(
            "Régions, départements, EPCI, communes et arrondissements municipaux, "
            "dans l’ordre de leur identifiant."
        ),
        parameters=[
            OpenApiParameter(
                "niveau", str, enum=[level.value for level in Territory.Level]
            ),
            OpenApiParameter(
                "parent",
                str,
                pattern=TERRITORY_CODE.pattern,
                description=_(
                    "`code_url` du parent : `R53` (ses départements), `35` (ses "
                    "communes), le SIREN d’un EPCI (ses communes membres, dont le "
                    "parent reste le département)."
                ),
            ),
        ],
        responses=answers(
            shapes.TerritorySerializer(many=True), _("Une page de territoires.")
        ),
    )
    def get(self, request):
        params = request.query_params
        check_parameters(params, {"niveau", "parent"} | PAGING)
        found = territories()
        if "niveau" in params:
            if params["niveau"] not in Territory.Level.values:
                refuse(
                    "niveau",
                    _("L’une des valeurs : %s.") % ", ".join(Territory.Level.values),
                )
            found = found.filter(level=params["niveau"])
        if "parent" in params:
            if not TERRITORY_CODE.match(params["parent"]):
                refuse("parent", _("Un code de territoire : R53, 35, 35238…"))
            parent = Territory.objects.from_url_code(params["parent"]).first()
            if parent is None:
                refuse("parent", _("Territoire inconnu."))
            # An EPCI's communes point at it by `epci`, not by `parent`.
            by_epci = parent.level == Territory.Level.EPCI
            found = found.filter(**{"epci" if by_epci else "parent": parent})
        page = self.paginate_queryset(found)
        base = base_url(request)
        return self.get_paginated_response([territory_row(t, base) for t in page])

    def get_serializer_class(self):
        return shapes.TerritorySerializer


class TerritoryDetail(ApiView):
    @extend_schema(
        operation_id="territoire",
        summary=_("Un territoire"),
        description=_("`R53` pour une région, `35` pour un département, `35238`…"),
        responses=answers(shapes.TerritoryDetailSerializer, _("Le territoire."), 404),
    )
    def get(self, request, code: str):
        check_parameters(request.query_params, set())
        territory = territories().from_url_code(code).first()
        if territory is None:
            raise NotFound(_("Territoire inconnu."))
        row = territory_row(territory, base_url(request))
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
        responses=answers(
            shapes.VocabularySerializer(many=True), _("Toutes les listes.")
        ),
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
