"""The filters of the admin's list of places (département, last check, flags,
what is missing), shared with the coordinators' dashboard."""

import datetime as dt

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.roles import scoped

from .models import (
    Place,
    Source,
    Territory,
)
from .quality import Flag


class DepartementFilter(admin.SimpleListFilter):
    title = _("département")
    parameter_name = "departement"

    def lookups(self, request, model_admin):
        departements = scoped(
            Territory.objects.filter(level=Territory.Level.DEPARTEMENT),
            request.user,
            "",
        )
        return [(t.code, f"{t.code} – {t.name}") for t in departements.order_by("code")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(commune__departement_code=self.value())
        return queryset


def freshness_conditions() -> list[tuple[str, str, Q]]:
    """(code, label, condition) of each age of the last check of a place."""
    now = timezone.now()
    six, year = now - dt.timedelta(days=183), now - dt.timedelta(days=365)
    return [
        ("recent", _("vérifiés depuis moins de 6 mois"), Q(verified_at__gte=six)),
        ("aging", _("vérifiés il y a 6 à 12 mois"),
         Q(verified_at__lt=six, verified_at__gte=year)),
        ("stale", _("non vérifiés depuis 12 mois ou jamais"),
         Q(verified_at__lt=year) | Q(verified_at=None)),
    ]  # fmt: skip


class FreshnessFilter(admin.SimpleListFilter):
    title = _("vérification")
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label, _q in freshness_conditions()]

    def queryset(self, request, queryset):
        for code, _label, condition in freshness_conditions():
            if self.value() == code:
                return queryset.filter(condition)
        return queryset


class FlagFilter(admin.SimpleListFilter):
    """Places flagged at import or on save (places/quality.py)."""

    title = _("à vérifier")
    parameter_name = "signalement"

    def lookups(self, request, model_admin):
        return Flag.choices

    def queryset(self, request, queryset):
        if self.value() in Flag.values:
            return queryset.filter(flags__contains=[self.value()])
        return queryset


MISSING = {
    "hours": Q(opening_hours=""),
    "contact": Q(phone="", emails=[], websites=[]),
    # A subquery, not a join: it counts each place once (the dashboard's counts).
    "services": ~Q(
        Exists(Place.services.through.objects.filter(place_id=OuterRef("pk")))
    ),
}


class MissingFilter(admin.SimpleListFilter):
    title = _("informations manquantes")
    parameter_name = "manque"

    def lookups(self, request, model_admin):
        return [
            ("hours", _("sans horaires")),
            ("contact", _("sans téléphone, courriel ni site")),
            ("services", _("sans services")),
        ]

    def queryset(self, request, queryset):
        if self.value() in MISSING:
            return queryset.filter(MISSING[self.value()])
        return queryset


class SourceFilter(admin.SimpleListFilter):
    """The sources from their own table (Django's list filter on the field read
    the distinct values of every place: 44 ms at 100,000 places)."""

    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return list(Source.objects.order_by("code").values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(source=self.value())
        return queryset
