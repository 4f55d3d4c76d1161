"""Where a place's values come from, in the admin: its sources' records, the
fields a coordinator changed, shown under each field and in a "Sources" block on
its change form, and "Séparer", which gives a record merged into it its own place
back. The review queue of places that may be one is places/admin_matching.py."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from coordination.roles import OUT_OF_SCOPE

from . import merging
from .models import Place, Source, SourceRecord


def source_names(codes) -> dict[str, tuple[str, dt.datetime | None]]:
    """Each source code's name for people (the code until a national administrator
    names the producer) and its last import (None if never)."""
    codes = set(codes)
    found = {
        code: (name or code, last)
        for code, name, last in (
            Source.objects.filter(code__in=codes).values_list(
                "code", "name", "last_imported_at"
            )
            if codes
            else []
        )
    }
    return {code: found.get(code, (code, None)) for code in codes}


# A place's sources (its change form).


@dataclass
class RecordRow:
    record: SourceRecord
    source: str  # the source's name
    last_seen: dt.datetime | None  # the source's last import
    from_elsewhere: bool  # first made another place: "Séparer" gives it back


def show_provenance(form, place: Place) -> None:
    """Where each field's value comes from, under the field itself (its help text,
    which the admin does not escape: the sources' names are escaped here, as a
    source's code comes from a partner's file)."""
    provenance = place.provenance or {}
    names = source_names(code for code in provenance.values() if code != merging.LOCAL)
    for name, code in provenance.items():
        field = form.base_fields.get("commune" if name == "commune_id" else name)
        if field is None:
            continue
        said = (
            gettext("Modifié localement")
            if code == merging.LOCAL
            else gettext("Valeur de : %(source)s") % {"source": names[code][0]}
        )
        field.help_text = (
            format_html("{}<br>{}", mark_safe(field.help_text), said)  # noqa: S308
            if field.help_text
            else format_html("{}", said)
        )


def field_label(name: str) -> str:
    try:
        return str(Place._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def field_order() -> dict[str, int]:
    order = {}
    for index, field in enumerate(Place._meta.get_fields()):
        order.setdefault(field.name, index)
        order.setdefault(getattr(field, "attname", field.name), index)
    return order


def place_sources(place: Place) -> dict:
    """What the "Sources" block shows: the place's records (two queries, one when it
    has none), and its fields grouped by where their value comes from (a table
    of two columns rather than one row per field: it stays short on a phone)."""
    records = list(
        place.records.annotate(origin_name=F("origin__name")).order_by(
            "first_seen", "pk"
        )
    )
    provenance = place.provenance or {}
    sources = source_names(
        {r.source for r in records}
        | {code for code in provenance.values() if code != merging.LOCAL}
    )
    rows = [
        RecordRow(
            record=record,
            source=sources[record.source][0],
            last_seen=sources[record.source][1],
            from_elsewhere=record.origin_id != place.pk,
        )
        for record in records
    ]
    order = field_order()
    by_origin: dict[str, list[str]] = {}
    for name in sorted(provenance, key=lambda name: order.get(name, len(order))):
        by_origin.setdefault(provenance[name], []).append(field_label(name))
    groups = [
        (
            gettext("modifié localement")
            if code == merging.LOCAL
            else sources[code][0],
            labels,
        )
        for code, labels in sorted(
            by_origin.items(),
            key=lambda item: (item[0] == merging.LOCAL, -len(item[1])),
        )
    ]
    return {
        "source_records": rows,
        "records_from_elsewhere": any(row.from_elsewhere for row in rows),
        "provenance_groups": groups,
    }


def separate(
    model_admin, request: HttpRequest, pk: int, record_pk: int
) -> HttpResponse:
    """« Séparer »: give a record merged into this place its own place back. Both
    places must be the coordinator's (the restored one is written too)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    place = model_admin.get_object(request, str(pk))  # 403 outside the territory
    if place is None:
        raise Http404
    if not model_admin.has_change_permission(request, place):
        raise PermissionDenied
    record = get_object_or_404(SourceRecord, pk=record_pk, place=place)
    here = reverse("admin:places_place_change", args=[place.pk])
    if record.origin_id == place.pk:
        messages.error(
            request, gettext("Cet enregistrement est celui du lieu lui-même.")
        )
        return redirect(here)
    if not model_admin.get_queryset(request).filter(pk=record.origin_id).exists():
        raise PermissionDenied(OUT_OF_SCOPE)
    origin = merging.unmerge(record, request.user)
    said = (
        gettext(
            "« %(origin)s » est de nouveau un lieu à part, publié ; ces deux lieux "
            "ne seront plus proposés comme doublons."
        )
        if origin.status == Place.Status.PUBLISHED
        else gettext(
            "« %(origin)s » est de nouveau un lieu à part, fermé : sa source l’a "
            "retiré. Ces deux lieux ne seront plus proposés comme doublons."
        )
    )
    messages.success(request, said % {"origin": origin.name})
    return redirect(reverse("admin:places_place_change", args=[origin.pk]))
