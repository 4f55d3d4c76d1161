"""The public read API, /api/v1/ (docs/api.md). Places take the parameters of
/lieux/ (the same `PlaceFilter`), strictly: a wrong or unknown parameter is a 400
that names it, never a server error nor a silently broader answer."""

import contextlib
import datetime as dt
import functools
import re

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from places.exchange.standard import VOCABULARY_COLUMNS
from places.filters import FACETS, PlaceFilter
from places.models import Kind, Place, PointX, PointY, Term, Territory, Vocabulary
from places.views import territory_lookup

from . import serializers as shapes
from .pagination import DeletionCursorPagination, IdCursorPagination
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


def refuse(parameter: str, message: str):
    raise ValidationError({parameter: [message]})


# --- Places -----------------------------------------------------------------

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
        changed.filter(Q(status=Place.Status.DRAFT) | Q(pk__in=places.values("pk")))
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
        places = Place.objects.exclude(status=Place.Status.DRAFT).filter(pk=pk)
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
            parent = Territory.objects.filter(
                **territory_lookup(params["parent"])
            ).first()
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
        territory = territories().filter(**territory_lookup(code)).first()
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


def api_error(status: int, message, key: str = "detail") -> JsonResponse:
    """An error as the API gives them; a 400's keys name parameters, and its
    messages are lists."""
    body = {key: [str(message)] if status == 400 else str(message)}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def json_safe_methods(view):
    """Django views under /api/ (the documentation, the redirect to it): GET and
    HEAD, anything else a JSON 405 (not the CSRF page)."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = api_error(405, _("Méthode non autorisée : GET seulement."))
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


@csrf_exempt
def not_found(request, path: str = ""):
    """Any other address under /api/: JSON, as the rest of the API; an address
    that only lacks its final slash is redirected (as the site's are)."""
    if not request.path.endswith("/"):
        with contextlib.suppress(Resolver404):
            if resolve(request.path + "/").func is not not_found:
                query = request.META.get("QUERY_STRING")
                return HttpResponsePermanentRedirect(
                    request.path + "/" + (f"?{query}" if query else "")
                )
    return api_error(404, _("Adresse inconnue dans l’API."))


def bad_request(request, exception=None):
    """Django's 400 (e.g. more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters):
    JSON under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):  # `parametres`: all of them
        return api_error(400, _("Requête refusée : trop de paramètres ?"), "parametres")
    return defaults.bad_request(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_error(500, _("Erreur du serveur : elle est signalée à l’équipe."))
    return defaults.server_error(request)
