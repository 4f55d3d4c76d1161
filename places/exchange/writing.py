"""Writing an import's records: compare each with the stored place, then create
(COPY), update (bulk) or leave it; its links; its history rows. Only differences
are written, so an unchanged file writes nothing."""

from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from psycopg.types.json import Jsonb

from ..models import (
    FACET_TERM_FIELDS,
    LINKED_FIELDS,
    Place,
    PointX,
    PointY,
    Territory,
)
from . import sources
from .records import SCALAR_FIELDS, Record
from .reports import ImportReport
from .values import base_slug, our_slug

# What a file of the standard says of a place's links: all but the equipment, which
# the standard does not have (a coordinator's own to set, or an import's when its
# file has our `equipements` column: then the record holds it too).
RELATIONS = [name for name in LINKED_FIELDS if name != "equipment"]


def relations_of(records) -> list[str]:
    """The links the records say something of: RELATIONS, and the equipment when
    their file had a column for it."""
    extra = {name for record in records for name in record.relations} - set(RELATIONS)
    return RELATIONS + sorted(extra)


def same(old, new) -> bool:
    if isinstance(old, tuple) and isinstance(new, tuple):  # (lon, lat)
        return all(abs(a - b) < 1e-7 for a, b in zip(old, new, strict=True))
    return old == new


def model_fields(record: Record) -> dict:  # for updates
    """The record's fields as `Place` takes them (a point rather than (lon, lat))."""
    location = record.fields["location"]
    return dict(
        record.fields, location=Point(*location, srid=4326) if location else None
    )


def write(
    records: dict[tuple[str, str], Record], report: ImportReport, user=None
) -> tuple[list[int], list[int], list[int]]:
    """Create, update or leave each record's place; returns the ids of all of them,
    of those created, and of those updated."""
    kept = sources.known(records)
    rows = {
        row["pk"]: row
        for row in Place.objects.filter(pk__in={r["place_id"] for r in kept.values()})
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values(
            "pk",
            "status",
            "local_fields",
            "lon",
            "lat",
            *(name for name in SCALAR_FIELDS if name != "location"),
        )  # fmt: skip
    }
    for row in rows.values():
        row["location"] = (row["lon"], row["lat"]) if row["lon"] is not None else None
    # A place built from several records, or changed by a coordinator, is derived
    # again from its records (places/merging.py); the others are their one record.
    several = sources.built_from_several(rows)
    derived: dict[int, list] = {}
    stored = {}
    for key, found in kept.items():
        if found["place_id"] in several:
            derived.setdefault(found["place_id"], []).append((records[key], found))
        else:
            stored[key] = rows[found["place_id"]]
    pks = [row["pk"] for row in stored.values()]
    names = relations_of(records.values())
    current = {name: links(name, pks) for name in names}
    now = timezone.now()
    today = timezone.localdate()

    to_create: list[Record] = []
    to_update: list[Place] = []
    updated_fields: set[str] = set()
    relation_changes: list[tuple[int, Record]] = []
    updated_ids: list[int] = []
    for key, record in records.items():
        if key in kept and key not in stored:
            continue  # derived below
        row = stored.get(key)
        if row is None:
            record.fields["data_updated_on"] = record.fields["data_updated_on"] or today
            to_create.append(record)
            continue
        if record.fields["data_updated_on"] is None:  # keep the date we know
            record.fields["data_updated_on"] = row["data_updated_on"]
        changed = [
            name for name in SCALAR_FIELDS if not same(row[name], record.fields[name])
        ]
        if row["status"] == Place.Status.CLOSED:
            changed.append("status")  # back in the partner's file: open again
        relations_changed = any(
            current[name].get(row["pk"], set()) != record.relations[name]
            for name in record.relations
        )
        if changed:
            place = Place(
                pk=row["pk"],
                # Each its own status (one bulk update writes them all): a closed
                # place back in the file opens again, a draft stays a draft.
                status=(
                    Place.Status.PUBLISHED
                    if row["status"] == Place.Status.CLOSED
                    else row["status"]
                ),
                updated_at=now,
                **model_fields(record),
            )
            to_update.append(place)
            updated_fields.update(changed)
        if relations_changed:
            relation_changes.append((row["pk"], record))
        if changed or relations_changed:
            report.updated += 1
            updated_ids.append(row["pk"])
        else:
            report.unchanged += 1

    if to_create:
        ids = copy_places(to_create)  # with their links
        sources.create_records(to_create, ids)
        report.created = len(to_create)
        created_pks = list(ids.values())
    else:
        created_pks = []
    updated = set(updated_ids)
    written_back = [records[key] for key, row in stored.items() if row["pk"] in updated]
    sources.note_rows(written_back, kept)
    sources.reopen(
        [
            found["pk"]
            for key, found in kept.items()
            if key in stored and found["withdrawn_at"]
        ]
    )
    if to_update:
        Place.objects.bulk_update(
            to_update, sorted(updated_fields) + ["updated_at"], batch_size=1000
        )
    set_relations(relation_changes, current, created=set(created_pks))
    # A place whose only change is in its services, kinds… is modified too (the
    # API's `modifie_depuis` finds it by this date).
    written = {place.pk for place in to_update}
    Place.objects.filter(pk__in=[pk for pk in updated_ids if pk not in written]).update(
        updated_at=now
    )
    reason = f"import : {Path(report.source).name}"
    record_history(created_pks, "+", reason, user)
    record_history(updated_ids, "~", reason, user)
    updated_ids += sources.update_derived(derived, report)
    return pks + list(derived) + created_pks, created_pks, updated_ids


def record_history(pks: list[int], kind: str, reason: str, user=None) -> None:
    """The places' history (django-simple-history's tables), as the admin keeps it,
    in one statement: the place's row and its links, with `reason` (the import).
    With the links, a coordinator's later edit shows only what they changed."""
    if not pks:
        return
    history = Place.history.model
    columns = [
        field.column
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_")
    ]
    listed = ", ".join(columns)
    links = []
    for n, name in enumerate(LINKED_FIELDS):
        table = Place._meta.get_field(name).remote_field.through._meta.db_table
        target = "kind_id" if name == "kinds" else "term_id"
        links.append(
            f", links{n} AS (INSERT INTO places_historicalplace_{name} "
            f"(id, history_id, place_id, {target}) "
            f"SELECT l.id, h.history_id, l.place_id, l.{target} "
            f"FROM {table} l JOIN h ON h.id = l.place_id)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH h AS (INSERT INTO {history._meta.db_table} ({listed}, "
            "history_date, history_change_reason, history_type, history_user_id) "
            f"SELECT {listed}, now(), %s, %s, %s FROM places_place "
            f"WHERE id = ANY(%s) RETURNING history_id, id){''.join(links)} "
            "SELECT count(*) FROM h",
            [
                reason[:100],
                kind,
                getattr(user, "pk", None),
                pks,
            ],
        )


COPIED_FIELDS = ["slug", "status", "source", "source_id", *SCALAR_FIELDS]


def copy_places(records: list[Record]) -> dict[tuple[str, str], int]:
    """Insert new places with their links, each place written once. Returns ids by
    (source, source_id).

    The ids are taken first and the links written before the places (their foreign
    keys are checked at commit); the rows are COPied into a temporary table (several
    times faster than a bulk INSERT of this width), then one INSERT … SELECT writes
    them with their search vector, from the SQL function the triggers use
    (`places_place_vector`). Computing the vector by an update after the insert left
    a dead copy of every new row: half the table after seeding or a first import.
    Call it inside `search_vectors_deferred` (both writers do): the insert trigger
    then keeps the vector given."""
    slugs = unique_slugs(records)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('places_place', 'id')) "
            "FROM generate_series(1, %s)",
            [len(records)],
        )
        new_ids = [pk for (pk,) in cursor.fetchall()]
    set_relations(
        list(zip(new_ids, records, strict=True)),
        {name: {} for name in LINKED_FIELDS},
        relations_of(records),
        created=set(new_ids),
    )
    columns = ["id", "slug", "status", "source", "source_id"] + [
        Place._meta.get_field(name).column for name in SCALAR_FIELDS
    ]
    # The facet arrays too are written with the row.
    columns += ["kind_ids", "term_ids"]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE import_staging (LIKE places_place INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        with cursor.copy(f"COPY import_staging ({listed}) FROM STDIN") as copy:
            for record, slug, pk in zip(records, slugs, new_ids, strict=True):
                fields = record.fields
                location = fields["location"]
                values = [pk, slug, Place.Status.PUBLISHED, record.source]
                values.append(record.source_id)
                for name in SCALAR_FIELDS:
                    value = fields[name]
                    if name == "location":
                        value = (
                            location and f"SRID=4326;POINT({location[0]} {location[1]})"
                        )
                    elif name == "unmapped_values":
                        value = Jsonb(value)
                    values.append(value)
                relations = record.relations
                terms = set().union(*(relations.get(f, ()) for f in FACET_TERM_FIELDS))
                values += [array(relations.get("kinds", ())), array(terms)]
                copy.write_row(values)
        cursor.execute(
            f"INSERT INTO places_place ({listed}, search_vector) "
            f"SELECT {listed}, places_place_vector(ROW(s.*)::places_place) "
            "FROM import_staging s"
        )
        cursor.execute("DROP TABLE import_staging")
    return dict(zip(((r.source, r.source_id) for r in records), new_ids, strict=True))


def array(ids) -> str:
    """Integer ids as a PostgreSQL array literal (COPY's text format)."""
    return "{" + ",".join(str(pk) for pk in sorted(ids)) + "}"


def unique_slugs(records: list[Record]) -> list[str]:
    """Stable, unique page addresses for new places, without one query per place."""
    taken = set(Place.objects.order_by().values_list("slug", flat=True))
    towns = dict(
        Territory.objects.filter(
            pk__in={r.fields["commune_id"] for r in records}
        ).values_list("pk", "name")
    )
    slugs = []
    for record in records:
        town = towns[record.fields["commune_id"]]
        if our_slug(record.source_id, town) and record.source_id not in taken:
            taken.add(record.source_id)
            slugs.append(record.source_id)
            continue
        base = base_slug(record.fields["name"], town)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs.append(slug)
    return slugs


def links(name: str, pks: list[int]) -> dict[int, set[int]]:
    """{place id: set of related ids} for the many-to-many field `name`."""
    through = Place._meta.get_field(name).remote_field.through
    target = "kind_id" if name == "kinds" else "term_id"
    result: dict[int, set[int]] = {}
    pairs = through.objects.filter(place_id__in=pks).values_list("place_id", target)
    for place_id, other in pairs:
        result.setdefault(place_id, set()).add(other)
    return result


def set_relations(
    changes: list[tuple[int, Record]],
    current: dict[str, dict[int, set[int]]],
    names: list[str] | None = None,
    created: set[int] = frozenset(),
) -> None:
    """Add and remove many-to-many links in two statements per field (`unnest` of
    arrays), rather than one ORM object per link; then refresh the facet arrays."""
    if names is None:
        names = relations_of(record for _pk, record in changes)
    with connection.cursor() as cursor:
        for name in names:
            through = Place._meta.get_field(name).remote_field.through
            target = "kind_id" if name == "kinds" else "term_id"
            table = through._meta.db_table
            removed: tuple[list, list] = ([], [])
            added: tuple[list, list] = ([], [])
            for pk, record in changes:
                if name not in record.relations:
                    continue
                old, new = current[name].get(pk, set()), record.relations[name]
                for other in old - new:
                    removed[0].append(pk), removed[1].append(other)
                for other in new - old:
                    added[0].append(pk), added[1].append(other)
            pairs = "SELECT * FROM unnest(%s::bigint[], %s::bigint[])"
            if removed[0]:
                cursor.execute(
                    f"DELETE FROM {table} WHERE (place_id, {target}) IN ({pairs})",
                    removed,
                )
            if added[0]:
                cursor.execute(
                    f"INSERT INTO {table} (place_id, {target}) {pairs} "
                    "ON CONFLICT DO NOTHING",
                    added,
                )
        # The facet arrays of the places that already existed (migration 0005),
        # once each: a bulk writer defers the link triggers; `created` places got
        # theirs with the row (`copy_places`).
        cursor.execute(
            "UPDATE places_place SET kind_ids = places_place_kind_ids(id), "
            "term_ids = places_place_term_ids(id) WHERE id = ANY(%s)",
            [[pk for pk, _record in changes if pk not in created]],
        )
