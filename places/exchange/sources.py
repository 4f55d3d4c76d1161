"""An import's side of the sources' records (places/merging.py): which place each
row's record feeds, the records written with their places, the places built
from several records (or changed by a coordinator) derived again, and the records
a source no longer lists withdrawn."""

import hashlib
import json
from pathlib import Path

from django.db.models import Count, Q
from django.utils import timezone

from .. import merging
from ..models import MatchCandidate, Place, SourceRecord
from .records import Record
from .reports import ImportReport


def digest(row: dict | None) -> str:
    text = json.dumps(row or {}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 (not a secret)


def known(records: dict[tuple[str, str], Record]) -> dict[tuple[str, str], dict]:
    """The stored record of each key of `records` (its pk, place, values, whether
    withdrawn). A place imported before records existed, or written by another
    means with a source and an id, gets its record now."""
    sources = {key[0] for key in records}
    found = {
        (r["source"], r["source_id"]): r
        for r in SourceRecord.objects.filter(source__in=sources).values(
            "pk", "source", "source_id", "place_id", "values", "withdrawn_at"
        )
        if (r["source"], r["source_id"]) in records
    }
    missing = [key for key in records if key not in found]
    if missing:
        orphans = [
            SourceRecord(
                place_id=pk,
                origin_id=pk,
                source=source,
                source_id=source_id,
                data_updated_on=updated,
            )
            for pk, source, source_id, updated in Place.objects.filter(
                source__in=sources, source_id__in={key[1] for key in missing}
            ).values_list("pk", "source", "source_id", "data_updated_on")
            if (source, source_id) in records
        ]
        for record in SourceRecord.objects.bulk_create(orphans):
            found[record.source, record.source_id] = {
                "pk": record.pk,
                "source": record.source,
                "source_id": record.source_id,
                "place_id": record.place_id,
                "values": None,
                "withdrawn_at": None,
            }
    return found


def built_from_several(rows: dict[int, dict]) -> set[int]:
    """The places (of `rows`, by pk) that are not simply their one record: several
    records (open or withdrawn), or fields changed by a coordinator."""
    several = (
        SourceRecord.objects.filter(place_id__in=rows)
        .values("place_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("place_id", flat=True)
    )
    return set(several) | {pk for pk, row in rows.items() if row["local_fields"]}


def create_records(records: list[Record], ids: dict[tuple[str, str], int]) -> None:
    """The records of the places an import created (each its place's origin)."""
    SourceRecord.objects.bulk_create(
        [
            SourceRecord(
                place_id=ids[r.source, r.source_id],
                origin_id=ids[r.source, r.source_id],
                source=r.source,
                source_id=r.source_id,
                row=r.row,
                digest=digest(r.row),
                data_updated_on=r.fields["data_updated_on"],
            )
            for r in records
        ],
        batch_size=1000,
    )


def note_rows(records: list[Record], stored: dict[tuple[str, str], dict]) -> None:
    """Keep the rows as received of the records whose place was updated (their
    values are the place's own: see places/merging.py) and open them again."""
    changed = []
    for record in records:
        kept = stored[record.source, record.source_id]
        changed.append(
            SourceRecord(
                pk=kept["pk"],
                row=record.row,
                digest=digest(record.row),
                data_updated_on=record.fields["data_updated_on"],
                withdrawn_at=None,
            )
        )
    SourceRecord.objects.bulk_update(
        changed, ["row", "digest", "data_updated_on", "withdrawn_at"], batch_size=1000
    )


def reopen(pks: list[int]) -> None:
    """Records back in their source's file."""
    if pks:
        SourceRecord.objects.filter(pk__in=pks).update(withdrawn_at=None)


def update_derived(
    places: dict[int, list[tuple[Record, dict]]], report: ImportReport
) -> list[int]:
    """Places built from several records or changed locally: each record's new
    values are kept, and the place derived again if any changed. The values a
    coordinator's change keeps over the file's are listed in `report.conflicts`.
    Returns the ids of the places updated."""
    updated = []
    reason = f"import : {Path(report.source).name}"
    merging.fill_many(list(places))
    currents = merging.values_of_places(list(places))
    rows = Place.objects.in_bulk(list(places))
    stored_records = SourceRecord.objects.in_bulk(
        [kept["pk"] for items in places.values() for _record, kept in items]
    )
    for pk, items in places.items():
        place, current = rows[pk], currents[pk]
        changed = False
        for record, kept in items:
            new = merging.as_values(record.fields, record.relations)
            if new["data_updated_on"] is None:
                new["data_updated_on"] = current["data_updated_on"]
            stored = stored_records[kept["pk"]]
            for name in place.local_fields:
                offered = new["relations"].get(name, new.get(name))
                shown = current["relations"].get(name, current.get(name))
                if (name in new or name in new["relations"]) and offered != shown:
                    report.conflicts.append(
                        {
                            "line": record.line,
                            "id": record.source_id,
                            "name": place.name,
                            "field": name,
                            "label": str(Place._meta.get_field(name).verbose_name),
                        }
                    )
            if stored.values == new and stored.withdrawn_at is None:
                continue
            stored.values, stored.row = new, record.row
            stored.digest = digest(record.row)
            stored.data_updated_on = record.fields["data_updated_on"]
            stored.withdrawn_at = None
            stored.save()
            changed = True
        if changed:
            report.updated += 1
            updated.append(pk)
        else:
            report.unchanged += 1
    # Back in its file: open again.
    Place.objects.filter(pk__in=updated, status=Place.Status.CLOSED).update(
        status=Place.Status.PUBLISHED
    )
    merging.rederive_many(updated, reason)
    return updated


def withdraw_missing(
    sources: set[str],
    seen: set[tuple[str, str]],
    communes: set[int] | None,
    report: ImportReport,
) -> list[str]:
    """The open records of `sources` their file no longer has are withdrawn (only
    in `communes` when given). Their places are derived again from their other
    records; a place closes when no open record and no coordinator's change keep
    it. Returns the slugs of the places changed."""
    missing = SourceRecord.objects.filter(
        source__in=sources, withdrawn_at__isnull=True
    ).select_related("place")
    if communes is not None:
        missing = missing.filter(place__commune_id__in=communes)
    missing = [r for r in missing if (r.source, r.source_id) not in seen]
    if not missing:
        return []
    now = timezone.now()
    SourceRecord.objects.filter(pk__in=[r.pk for r in missing]).update(withdrawn_at=now)
    places = {r.place_id: r.place for r in missing}
    still = set(
        SourceRecord.objects.filter(place_id__in=places, withdrawn_at__isnull=True)
        .values_list("place_id", flat=True)
        .distinct()
    )
    reason = f"import : {Path(report.source).name}"
    merging.rederive_many(sorted(still), reason)
    closing = [
        pk
        for pk, place in places.items()
        if pk not in still
        and not place.local_fields
        and place.status != Place.Status.CLOSED
    ]
    report.closed = Place.objects.filter(pk__in=closing).update(
        status=Place.Status.CLOSED, updated_at=now
    )
    return [place.slug for place in places.values()]


def possible_duplicates(pks: list[int]) -> list[dict]:
    """The pairs left for a coordinator that involve the places `pks`: each place
    by its id, name, source and id there, with the reasons found."""
    keys = ("pk", "name", "source", "source_id")
    pending = (
        MatchCandidate.objects.filter(decision=MatchCandidate.Decision.PENDING)
        .filter(Q(first_id__in=pks) | Q(second_id__in=pks))
        .order_by("-score", "pk")
        .values_list(
            "reason",
            *(f"first__{key}" for key in keys),
            *(f"second__{key}" for key in keys),
        )
    )
    described = ("id", "name", "source", "source_id")
    return [
        {
            "place": dict(zip(described, row[1:5], strict=True)),
            "other": dict(zip(described, row[5:], strict=True)),
            "reason": row[0],
        }
        for row in pending
    ]
