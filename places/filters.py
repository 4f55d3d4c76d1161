"""The search contract: one FilterSet for the listing, the map data and the exports.

Parameter names are the French ones of DESIGN.md. A value that does not validate is
dropped from the search (and reported by the form's errors); it never raises.
Within a facet the values are OR-ed, across facets AND-ed.
"""

from collections.abc import Collection
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .facets import FACETS, Facet, need_conditions
from .models import (
    DEFAULT_ORDER_EXPRESSIONS,
    FEW_MATCHES,
    RELEVANCE_ORDER,
    Kind,
    Place,
    Term,
    Territory,
)
from .understanding import Need, Understood, thesaurus, understand
from .where import Where, close_place, names_place, resolve

DEFAULT_RADIUS_KM = 10


def facet_filter(facet: Facet) -> django_filters.ModelMultipleChoiceFilter:
    queryset = (
        Kind.objects.all()
        if not facet.vocabularies
        else Term.objects.filter(vocabulary__in=facet.vocabularies)
    )
    return django_filters.ModelMultipleChoiceFilter(
        label=facet.label,
        queryset=queryset,
        to_field_name="code",
        method="filter_facet",
        widget=forms.CheckboxSelectMultiple,
    )


class BoxField(forms.CharField):
    """ "west,south,east,north" in degrees → a tuple of four floats."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            west, south, east, north = (float(part) for part in value.split(","))
        except ValueError:
            west = south = east = north = float("nan")
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise forms.ValidationError(
                _("Zone de carte non comprise : ouest,sud,est,nord en degrés.")
            )
        return west, south, east, north


class BoxFilter(django_filters.Filter):
    field_class = BoxField


class PlaceFilterForm(forms.Form):
    """Checks that the parameters make sense together."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not (self.data.get("lat") and self.data.get("lon")) and not (
            self.data.get("ou") and self.data.get("rayon")
        ):
            # No position, no distance to sort by: not offered.
            field = self.fields["tri"]
            field.widget.choices = [c for c in field.choices if c[0] != "distance"]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("tri") == "distance"
            and (cleaned.get("lat") is None or cleaned.get("lon") is None)
            and not (cleaned.get("ou") and cleaned.get("rayon"))
        ):
            self.add_error(
                "tri",
                _(
                    "Le tri par distance demande une position : utilisez « Autour "
                    "de moi ». Les lieux sont triés par défaut."
                ),
            )
        return cleaned


def keep(queryset, name, value):
    """For parameters used together in `PlaceFilter.filter_queryset`."""
    return queryset


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Quoi ?"),
        method=keep,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("ex. : démarches, fablab, wifi…")}
        ),
    )
    ou = django_filters.CharFilter(
        label=_("Où ?"),
        method=keep,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("ville, code postal ou département"),
                "autocomplete": "address-level2",
            }
        ),
    )
    lat = django_filters.NumberFilter(
        method=keep, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    lon = django_filters.NumberFilter(
        method=keep, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    rayon = django_filters.NumberFilter(
        label=_("Rayon (km)"),
        method=keep,
        min_value=Decimal("0.1"),  # the float 0.1 is above Decimal("0.1")
        max_value=200,
        widget=forms.NumberInput(
            attrs={
                "placeholder": str(DEFAULT_RADIUS_KM),
                "min": "0.1",
                "max": "200",
                "step": "any",
                "inputmode": "decimal",
            }
        ),
        help_text=format_lazy(
            _("{km} km si vous ne dites rien."), km=DEFAULT_RADIUS_KM
        ),
    )
    type = facet_filter(FACETS[0])
    service = facet_filter(FACETS[1])
    public = facet_filter(FACETS[2])
    frais = facet_filter(FACETS[3])
    accompagnement = facet_filter(FACETS[4])
    label = facet_filter(FACETS[5])
    equipement = facet_filter(FACETS[6])
    ouvert = django_filters.ChoiceFilter(
        label=_("Horaires"),
        method="filter_open",
        choices=[("1", _("Ouvert maintenant"))],
        empty_label=_("Peu importe"),
    )
    # Map data only (DESIGN.md): the part of the map in view, and its zoom level.
    bbox = BoxFilter(method="filter_bbox", max_length=100)
    zoom = django_filters.NumberFilter(method=keep, min_value=0, max_value=22)
    tri = django_filters.ChoiceFilter(
        label=_("Trier par"),
        method=keep,
        choices=[
            ("pertinence", _("pertinence")),
            ("distance", _("distance")),
            ("nom", _("nom")),
            ("maj", _("mise à jour récente")),
        ],
        empty_label=_("par défaut"),
    )

    class Meta:
        model = Place
        fields: list[str] = []
        form = PlaceFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What `q` and `ou` were understood as, for the page to say; worked out once
        # even when the filters are applied again for the facet counts.
        self.understood: Understood | None = None
        self.where: Where | None = None
        self.needs: list[tuple[Need, Q]] = []
        self.close_names: bool | None = None

    # The page reads these.
    @property
    def territory(self) -> Territory | None:
        return self.where.territory if self.where else None

    @property
    def alternatives(self) -> list[Territory]:
        return self.where.alternatives if self.where else []

    @property
    def where_unknown(self) -> bool:
        return bool(self.where and self.where.unknown)

    def understand(self) -> None:
        """Read `q` (needs, a place, words) and `ou`, once."""
        if self.understood is not None or self.where is not None:
            return
        self.form.is_valid()  # cleans the parameters once
        cleaned = getattr(self.form, "cleaned_data", {})
        text, where = cleaned.get("q") or "", cleaned.get("ou") or ""
        if text:
            self.understood = understand(
                text,
                None if where else names_place,
                close_place=None if where else close_place,
            )
            self.needs = need_conditions(self.understood.needs)
            where = where or self.understood.place
        if where:
            # A town typed wins over a position (one left by « Autour de moi »
            # in the form's hidden fields): the search is about that town.
            self.where = resolve(where, around=cleaned.get("rayon") is not None)
            if self.where.temporary and self.request is not None:
                # A stopgap while the geocoder is down: not a page to keep
                # (places.caching.page_cache).
                self.request.search_transient = True
            if self.where.unknown and not cleaned.get("ou"):
                # Words of `q` that looked like a place but are none: words again.
                self.understood = understand(text, None)
                self.needs = need_conditions(self.understood.needs)
                self.where = None

    def resolution_key(self) -> tuple:
        """What cached results of this search depend on beyond its parameters: the
        point of a street address, which the geocoder may give only later, and the
        thesaurus that read the words."""
        self.understand()
        where, key = self.where, ()
        if where and (where.address or where.problem):
            key += (("where", where.point, where.problem),)
        if self.understood:  # what the words mean may change with the thesaurus
            key += (("needs", thesaurus().version),)
        return key

    def cache_key(self, without: tuple[str, ...] = ()) -> tuple | None:
        """The search as the caches know it: its cleaned parameters (but `without`)
        in a stable order, and what its results depend on beyond them. None when a
        parameter was refused: the page says so, it is not one to keep."""
        if not self.form.is_valid():
            return None
        items = []
        for name, value in sorted(self.form.cleaned_data.items()):
            if name in without or value in (None, ""):
                continue
            if isinstance(value, QuerySet | list):  # facets: their codes
                value = tuple(sorted(str(getattr(v, "code", v)) for v in value))
                if not value:
                    continue
            elif isinstance(value, Decimal):  # 48.85, 48.850: one entry
                value = value.normalize()
            items.append((name, str(value)))
        return tuple(items) + self.resolution_key()

    def filter_bbox(self, queryset, name, value):
        return queryset.in_box(*value) if value else queryset

    def filter_open(self, queryset, name, value):
        return queryset.open_at(timezone.now()) if value == "1" else queryset

    def filter_facet(self, queryset, name, value):
        # No value is an empty QuerySet: asking it `not value` would compile it.
        if value is None or (isinstance(value, QuerySet) and value.query.is_empty()):
            return queryset
        facet = next(f for f in FACETS if f.param == name)
        if facet.fields == ("kinds",):
            return queryset.of_kinds(value)
        return queryset.with_terms(value)

    @property
    def point(self) -> tuple[float, float] | None:
        """Where distances are measured from: the address or the town centre that
        `ou` (or `q`) names with a radius, or else the position given."""
        self.understand()
        if self.where is not None and not self.where.unknown:
            return self.where.point
        data = getattr(self.form, "cleaned_data", {})
        if data.get("lat") is not None and data.get("lon") is not None:
            return float(data["lon"]), float(data["lat"])
        return None

    @property
    def position_ignored(self) -> bool:
        """A position was given, and a town or an address too: the town wins."""
        data = getattr(self.form, "cleaned_data", {})
        return (
            data.get("lat") is not None
            and self.where is not None
            and not self.where.unknown
        )

    def filter_queryset(
        self, queryset: QuerySet, without: str | Collection[str] = ()
    ) -> QuerySet:
        """Apply the valid parameters (all but those `without`, for facet counts)."""
        without = {without} if isinstance(without, str) else set(without)
        cleaned = getattr(self.form, "cleaned_data", {})
        data = {k: v for k, v in cleaned.items() if k not in without}
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        self.understand()
        point = self.point
        if self.where and "ou" not in without:
            if self.where.unknown:
                return queryset.none()
            if self.where.condition is not None:
                queryset = queryset.filter(self.where.condition)
        elif self.where and self.where.point == point:
            point = None  # around the town `ou` names: not without it
        if point:
            queryset = queryset.near(
                *point, float(data.get("rayon") or DEFAULT_RADIUS_KM)
            )
        if self.understood and data.get("q"):
            # Whether names close to the words are wanted is decided once, on the
            # whole search (not again for each facet count).
            needs = [condition for _need, condition in self.needs]
            if self.close_names is None and not needs and self.understood.all_words:
                # Over every listed place whatever the other filters: the list,
                # the map and its markers decide alike.
                self.close_names = (
                    self.queryset.relevant(self.understood, needs, close_names=False)
                    .order_by()
                    .values("pk")[:FEW_MATCHES]
                    .count()
                    < FEW_MATCHES
                )
            queryset = queryset.relevant(self.understood, needs, bool(self.close_names))
        sort = data.get("tri") or ""
        if sort == "nom":
            return queryset.order_by("name", "pk")
        if sort == "maj":
            return queryset.order_by("-data_updated_on", "name", "pk")
        ranked = queryset.query.annotations
        if "tier" in ranked and sort != "distance":
            return queryset.order_by(
                "-tier",
                *(["distance"] if point else []),
                *(["-rank"] if "rank" in ranked else []),
                *RELEVANCE_ORDER,
            )
        if point:
            return queryset.order_by("distance", "name", "pk")
        return queryset.order_by(*DEFAULT_ORDER_EXPRESSIONS)
