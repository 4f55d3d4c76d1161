"""One place, once: a place is built from the records of its sources.

- Each record keeps the values read from its source's row (`as_values`).
- A place shows, field by field, the value of its most recently updated open
  record that has one; the address, postcode, commune and position come together
  from one record; lists (services, publics, labels…) are the union of the
  records'; the fields a coordinator changed (`Place.local_fields`) keep the
  coordinator's value over every later import (`derive`).
- `merge` makes two places one (the other keeps its row, status "merged", and its
  page redirects); `unmerge` gives a record its own place back; both are remembered
  in `MatchCandidate` so that a "not the same" is never proposed again.

A record's `values` stay empty while it is its place's only open record and the
place has no local change: the place holds exactly them, and an unchanged import
writes nothing. They are filled (`fill_values`) before anything else is mixed in.
"""

import datetime as dt
from types import SimpleNamespace

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .caching import forget_place_pages
from .exchange.records import SCALAR_FIELDS
from .exchange.writing import RELATIONS, links, record_history, set_relations
from .models import LINKED_FIELDS, MatchCandidate, Place, PointX, PointY, SourceRecord

# Where the place is: taken together from one record.
ADDRESS_FIELDS = (
    "address", "address_extra", "postal_code", "commune_id", "location",
    "location_is_approximate",
)  # fmt: skip
# What a coordinator's change makes local (the admin's form fields).
TRACKED_FIELDS = {
    *(name for name in SCALAR_FIELDS if name not in ("flags", "unmapped_values")),
    "commune",
    *LINKED_FIELDS,
}
LOCAL = "local"


def as_values(fields: dict, relations: dict) -> dict:
    """A record's fields and links as JSON (dates in ISO, a point as [lon, lat],
    link ids sorted)."""
    values = {}
    for name in SCALAR_FIELDS:
        value = fields.get(name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        values[name] = value
    # An empty list says what no list says: nothing (a file without a column of
    # our own, equipment, has none).
    values["relations"] = {name: sorted(ids) for name, ids in relations.items() if ids}
    return values


def values_of_places(pks) -> dict[int, dict]:
    """What the places `pks` show now, each as a record's values (12 queries)."""
    rows = (
        Place.objects.filter(pk__in=pks)
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values("pk", "lon", "lat", *(n for n in SCALAR_FIELDS if n != "location"))
    )
    linked = {name: links(name, list(pks)) for name in LINKED_FIELDS}
    found = {}
    for row in rows:
        row["location"] = (row["lon"], row["lat"]) if row["lon"] is not None else None
        relations = {name: linked[name].get(row["pk"], set()) for name in linked}
        found[row["pk"]] = as_values(row, relations)
    return found


def empty(value) -> bool:
    return value in (None, "", [], {})


def newest_first(records: list[SourceRecord]) -> list[SourceRecord]:
    return sorted(
        records,
        key=lambda r: (r.values.get("data_updated_on") or "", r.first_seen, r.pk or 0),
        reverse=True,
    )


def derive(
    records: list[SourceRecord], local: set[str], current: dict
) -> tuple[dict, dict]:
    """The values a place shows from its open `records` (values filled), keeping the
    `local` fields at their `current` values; and each field's provenance (the
    source code, or LOCAL)."""
    ordered = newest_first(records)
    values: dict = {}
    provenance: dict = {}

    def take(names, has_value):
        chosen = next((r for r in ordered if has_value(r.values)), ordered[0])
        for name in names:
            values[name] = chosen.values.get(name)
            provenance[name] = chosen.source

    take(ADDRESS_FIELDS, lambda v: not empty(v.get("address")) or v.get("location"))
    for name in SCALAR_FIELDS:
        if name in ADDRESS_FIELDS or name in ("flags", "unmapped_values"):
            continue
        if name == "data_updated_on":
            values[name] = max(r.values.get(name) or "" for r in ordered) or None
            continue
        take([name], lambda v, name=name: not empty(v.get(name)))
    values["flags"] = sorted({f for r in ordered for f in r.values.get("flags") or []})
    values["unmapped_values"] = {}
    for r in reversed(ordered):  # the newest last: it wins
        values["unmapped_values"].update(r.values.get("unmapped_values") or {})
    # Every list the standard has is set, emptied when no record has it any more.
    relations: dict[str, set[int]] = {name: set() for name in RELATIONS}
    for r in ordered:
        for name, ids in (r.values.get("relations") or {}).items():
            relations.setdefault(name, set()).update(ids)
            provenance.setdefault(name, r.source)
    values["relations"] = {name: sorted(ids) for name, ids in relations.items()}
    for name in local:
        if name in current:
            values[name] = current[name]
        elif name in current.get("relations", {}):
            values["relations"][name] = current["relations"][name]
        provenance[name] = LOCAL
    if "commune" in local:
        values["commune_id"] = current["commune_id"]
        provenance["commune_id"] = LOCAL
    return values, provenance


def fill_many(pks) -> dict[int, list[SourceRecord]]:
    """The open records of each place of `pks`, each with its values (an empty
    one takes its place's current values: it is its place's only record, see the
    module's docstring)."""
    records: dict[int, list[SourceRecord]] = {pk: [] for pk in pks}
    for record in SourceRecord.objects.filter(
        place_id__in=pks, withdrawn_at__isnull=True
    ):
        records[record.place_id].append(record)
    empties = [r for found in records.values() for r in found if r.values is None]
    if empties:
        current = values_of_places({r.place_id for r in empties})
        for record in empties:
            record.values = current[record.place_id]
        SourceRecord.objects.bulk_update(empties, ["values"], batch_size=500)
    return records


def fill_values(place: Place) -> list[SourceRecord]:
    return fill_many([place.pk])[place.pk]


def rederive_many(pks, reason: str, user=None) -> None:
    """Show on each place of `pks` what its open records (and its local changes)
    say now, written as imports write: one bulk update, links by difference, one
    history row each (the admin's save and its signals cost ten times as much)."""
    records = fill_many(pks)
    pks = [pk for pk, found in records.items() if found]
    if not pks:
        return
    current = values_of_places(pks)
    places = Place.objects.in_bulk(pks)
    now = timezone.now()
    changes = []
    fields = {"provenance", "updated_at"}
    for pk in pks:
        place = places[pk]
        values, provenance = derive(records[pk], set(place.local_fields), current[pk])
        for name in SCALAR_FIELDS:
            value = values.get(name)
            if name == "location":
                value = Point(*value, srid=4326) if value else None
            elif name == "data_updated_on":
                value = dt.date.fromisoformat(value) if value else place.data_updated_on
            if getattr(place, name) != value:
                setattr(place, name, value)
                fields.add(name)
        place.provenance, place.updated_at = provenance, now
        relations = {n: set(ids) for n, ids in values["relations"].items()}
        changes.append((pk, SimpleNamespace(relations=relations)))
    # The fields some place shows differently (a CASE per field and place: writing
    # all 30 took 4 s for the 490 places a file merged).
    Place.objects.bulk_update(list(places.values()), sorted(fields), batch_size=500)
    linked = {
        name: {pk: set(current[pk]["relations"].get(name, [])) for pk in pks}
        for name in {n for _pk, found in changes for n in found.relations}
    }
    set_relations(changes, linked, sorted(linked))
    # The names of the records are words of the place (places_place_vector): a
    # record moved in or out changes them, when no column the trigger watches may.
    # Within `search_vectors_deferred` (an import), as the triggers do, it is left
    # to the end of the import, which computes the vectors of the places written.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE places_place p SET search_vector = places_place_vector(p) "
            "WHERE id = ANY(%s) AND "
            "coalesce(current_setting('epn.defer_search_vector', true), '') <> 'on'",
            [pks],
        )
    record_history(pks, "~", reason, user)


def rederive(place: Place, reason: str, user=None) -> None:
    """Show what the place's open records (and its local changes) say now."""
    rederive_many([place.pk], reason, user)
    place.refresh_from_db()


def remember(
    first: Place,
    second: Place,
    decision: str,
    user=None,
    automatic: bool = False,
    reason: str = "",
    score: float = 0.0,
) -> None:
    """Keep the decision on the pair (a "not the same" is never proposed again)."""
    pair = (first.pk, second.pk, reason or "décision d’un coordinateur", score)
    remember_many([pair], decision, user, automatic)


def remember_many(
    pairs: list[tuple[int, int, str, float]], decision: str, user=None, automatic=False
) -> None:
    """`remember` for many pairs (first, second, reason, score), in one statement."""
    now = timezone.now()
    MatchCandidate.objects.bulk_create(
        [
            MatchCandidate(
                first_id=min(a, b),
                second_id=max(a, b),
                reason=reason[:200],
                score=score,
                decision=decision,
                decided_by=user,
                decided_at=now,
                automatic=automatic,
            )  # fmt: skip
            for a, b, reason, score in pairs
        ],
        update_conflicts=True,
        unique_fields=["first", "second"],
        update_fields=["decision", "decided_by", "decided_at", "automatic"],
    )


def propose(pairs) -> None:
    """Keep `pairs` (first < second, reason, score) for review; pairs already
    proposed or decided stay as they are. One statement: a file of thousands of
    look-alikes (4,000 "Espace n" at one address) gives 60,000 pairs, which
    bulk_create took 12 s to write."""
    pairs = list(pairs)
    if not pairs:
        return
    first, second, reasons, scores = zip(*pairs, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO places_matchcandidate (first_id, second_id, reason, score, "
            "decision, automatic) SELECT *, %s, false FROM unnest(%s::bigint[], "
            "%s::bigint[], %s::text[], %s::float8[]) ON CONFLICT DO NOTHING",
            [
                MatchCandidate.Decision.PENDING,
                list(first),
                list(second),
                [reason[:200] for reason in reasons],
                list(scores),
            ],
        )


def repoint_pending(others: dict[int, int]) -> None:
    """The pairs waiting for review that hold a place now merged (`others`: merged
    place → the place kept) are about the place kept; a pair of two places now one
    is about nothing. (Left as they were, they waited in the queue, undecidable.)"""
    # The pairs of a place and the one it is merged into: remember_many decides them.
    decided_now = {(min(t, o), max(t, o)) for o, t in others.items()}
    rows = [
        row
        for row in MatchCandidate.objects.filter(
            Q(first_id__in=others) | Q(second_id__in=others),
            decision=MatchCandidate.Decision.PENDING,
        ).values_list("pk", "first_id", "second_id", "reason", "score")
        if (row[1], row[2]) not in decided_now
    ]
    MatchCandidate.objects.filter(pk__in=[row[0] for row in rows]).delete()
    propose(
        (min(a, b), max(a, b), reason, score)
        for _pk, first, second, reason, score in rows
        if (a := others.get(first, first)) != (b := others.get(second, second))
    )
    # "Not the same" holds of the place kept: A ≠ B and B merged into C is A ≠ C.
    distinct = MatchCandidate.objects.filter(
        Q(first_id__in=others) | Q(second_id__in=others),
        decision=MatchCandidate.Decision.DISTINCT,
    ).select_related("decided_by")
    by_user: dict = {}  # who decided → the pairs it now holds of
    for pair in distinct:
        a = others.get(pair.first_id, pair.first_id)
        b = others.get(pair.second_id, pair.second_id)
        if a != b:
            by_user.setdefault(pair.decided_by, []).append(
                (a, b, pair.reason, pair.score)
            )
    for user, pairs in by_user.items():
        remember_many(pairs, MatchCandidate.Decision.DISTINCT, user)


@transaction.atomic
def merge_groups(
    groups: dict[int, list[int]], user=None, automatic=False, found=None
) -> None:
    """Merge each place of `groups[target]` into `target` (see `merge`), all at
    once; `found[(first, second)]` gives the (reason, score) of a pair."""
    others = {other: target for target, group in groups.items() for other in group}
    places = Place.objects.in_bulk([*groups, *others])
    fill_many(list(places))
    mapping = [list(others), list(others.values())]
    with connection.cursor() as cursor:
        for table, column in (
            ("places_sourcerecord", "place_id"),
            ("places_place", "merged_into_id"),
        ):
            cursor.execute(
                f"UPDATE {table} t SET {column} = m.target FROM unnest(%s::bigint[], "
                f"%s::bigint[]) AS m(other, target) WHERE t.{column} = m.other",
                mapping,
            )
        cursor.execute(
            "UPDATE places_place p SET status = 'merged', merged_into_id = m.target, "
            "updated_at = now() FROM unnest(%s::bigint[], %s::bigint[]) "
            "AS m(other, target) WHERE p.id = m.other",
            mapping,
        )
    record_history(list(others), "~", "fusionné dans un autre lieu", user)
    # A closed place merged with one still open: the place is open.
    open_again = [
        target
        for target, group in groups.items()
        if places[target].status == Place.Status.CLOSED
        and any(places[o].status != Place.Status.CLOSED for o in group)
    ]
    Place.objects.filter(pk__in=open_again).update(status=Place.Status.PUBLISHED)
    rederive_many(list(groups), "fusion", user)
    repoint_pending(others)
    found = found or {}
    remember_many(
        [
            (t, o, *found.get((min(t, o), max(t, o)), ("même groupe de lieux", 1.0)))
            for o, t in others.items()
        ],
        MatchCandidate.Decision.MERGED,
        user,
        automatic,
    )
    forget_place_pages([place.slug for place in places.values()])


@transaction.atomic
def merge(
    target: Place,
    other: Place,
    user=None,
    automatic: bool = False,
    reason: str = "",
    score: float = 0.0,
) -> Place:
    """Make `other` part of `target`: its records move there, `target` shows what
    they all say, `other` keeps its row with status "merged" (its page redirects)."""
    if target.pk == other.pk:
        raise ValueError("A place cannot be merged with itself.")
    if other.status == Place.Status.MERGED or target.status == Place.Status.MERGED:
        raise ValueError("A merged place cannot be merged again.")
    merge_groups(
        {target.pk: [other.pk]},
        user,
        automatic,
        {(min(target.pk, other.pk), max(target.pk, other.pk)): (reason, score)},
    )
    target.refresh_from_db()
    other.refresh_from_db()
    return target


def kept_open(place: Place) -> bool:
    """An open record, or a coordinator's change, keeps a place open."""
    return bool(place.local_fields) or place.records.filter(withdrawn_at=None).exists()


@transaction.atomic
def unmerge(record: SourceRecord, user=None) -> Place:
    """Give `record` its own place back (the one it first made), and remember that
    the two are not the same place. Returns that place."""
    place, origin = record.place, record.origin
    if origin.pk == place.pk:
        raise ValueError("This record is its place's own: separate the others.")
    SourceRecord.objects.filter(Q(pk=record.pk) | Q(origin=origin), place=place).update(
        place=origin
    )
    # Each of the two is published if an open record or a coordinator's change
    # keeps it (as imports decide), closed otherwise: a record its source withdrew
    # gives back a closed place, and the place it leaves may have nothing left.
    Place.objects.filter(pk=origin.pk).update(
        status=Place.Status.PUBLISHED if kept_open(origin) else Place.Status.CLOSED,
        merged_into=None,
    )
    if place.status == Place.Status.PUBLISHED and not kept_open(place):
        Place.objects.filter(pk=place.pk).update(status=Place.Status.CLOSED)
    rederive_many([origin.pk, place.pk], "séparation", user)
    origin.refresh_from_db()
    place.refresh_from_db()
    remember(place, origin, MatchCandidate.Decision.DISTINCT, user)
    forget_place_pages([place.slug, origin.slug])
    return origin


def mark_local(place: Place, changed: list[str]) -> None:
    """A coordinator changed `changed` fields of `place` (before it is saved): they
    become local. The records' values are kept first (the place held them)."""
    fields = {"commune_id" if name == "commune" else name for name in changed}
    fields &= TRACKED_FIELDS | {"commune_id"}
    if not fields or place.pk is None:
        return
    stored = Place.objects.get(pk=place.pk)
    if any(r.values is None for r in stored.records.all()):
        fill_values(stored)
    place.local_fields = sorted(set(place.local_fields) | fields)
    place.provenance = {**place.provenance, **dict.fromkeys(fields, LOCAL)}
