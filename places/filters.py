"""The search contract: one FilterSet for the listing, the map data and the exports.

Parameter names are the French ones of DESIGN.md. A value that does not validate is
dropped from the search (and reported by the form's errors); it never raises.
"""

import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import POSTAL_CODE_PATTERN, Kind, Place, Service, Territory

POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN)


class PlaceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Quoi ?"),
        method="filter_text",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("ex. : démarches, fablab, wifi…")}
        ),
    )
    ou = django_filters.CharFilter(
        label=_("Où ?"),
        method="filter_where",
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("ville, code postal ou département"),
                "autocomplete": "address-level2",
            }
        ),
    )
    type = django_filters.ModelMultipleChoiceFilter(
        label=_("Type de lieu"),
        queryset=Kind.objects.all(),
        to_field_name="code",
        method="filter_kinds",
        widget=forms.CheckboxSelectMultiple,
    )
    service = django_filters.ModelMultipleChoiceFilter(
        label=_("Services"),
        queryset=Service.objects.all(),
        to_field_name="code",
        method="filter_services",
        widget=forms.CheckboxSelectMultiple,
    )
    tri = django_filters.ChoiceFilter(
        label=_("Trier par"),
        choices=[("nom", _("nom")), ("maj", _("mise à jour récente"))],
        method="sort",
        empty_label=_("pertinence"),
    )

    class Meta:
        model = Place
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        return queryset.matching(value)

    # Set by `filter_where`: what `ou` was understood as, for the page to say.
    territory: Territory | None = None
    where_unknown = False

    def filter_where(self, queryset, name, value):
        if POSTAL_CODE.match(value):
            return queryset.with_postal_code(value)
        self.territory = Territory.objects.resolve(value)
        if self.territory is None:
            self.where_unknown = True
            return queryset.none()
        return queryset.in_territory(self.territory)

    def filter_kinds(self, queryset, name, value):
        return queryset.of_kinds([kind.code for kind in value]) if value else queryset

    def filter_services(self, queryset, name, value):
        return (
            queryset.with_services([term.code for term in value]) if value else queryset
        )

    def sort(self, queryset, name, value):
        return (
            queryset.order_by("-data_updated_on", "name")
            if value == "maj"
            else queryset.order_by("name")
        )
