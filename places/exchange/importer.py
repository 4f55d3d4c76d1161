"""Importing a partner's file: read, check every row, then write only the differences.

One run is one transaction: it commits every accepted row, or nothing if it fails or
is interrupted (and nothing at all with `dry_run`). Rows that cannot be used are
skipped and reported with their line, field, value and reason; the others are kept.
Writes are bulk operations: a place is compared with what is stored and written only
if something changed (upsert on `(source, source_id)`).
"""

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb
from tqdm import tqdm

from ..models import (
    FACET_TERM_FIELDS,
    LINKED_FIELDS,
    Place,
    PointX,
    PointY,
    Source,
    Territory,
    lock_new_slugs,
)
from ..openings import refresh_openings
from ..signals import send_after_commit
from .reader import read_table
from .rows import Issue, Record, References, Rejected, RowReader, base_slug

PROGRESS_EVERY = 250  # rows between two calls of `on_progress`
# What a coordinator's import says of a row it may not write, whatever the reason
# (its commune, or a place of that id elsewhere): nothing about other territories.
OUT_OF_SCOPE = "hors de votre territoire"

SCALAR_FIELDS = [
    "name", "pivot", "parent_network", "summary", "description", "other_labels",
    "address", "address_extra", "postal_code", "commune_id", "location",
    "location_is_approximate", "itinerant", "fixed_site", "opening_hours",
    "opening_hours_valid", "phone", "emails", "websites", "booking_url",
    "accessibility_url", "data_updated_on", "unmapped_values", "flags",
]  # fmt: skip
# What a file of the standard says of a place's links: all but the equipment, which
# the standard does not have (a coordinator's own to set).
RELATIONS = [name for name in LINKED_FIELDS if name != "equipment"]


class DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


@dataclass
class RowReport:
    line: int
    id: str
    name: str
    status: str  # "rejected" or "flagged"
    issues: list[Issue]


@dataclass
class ImportReport:
    source: str
    format: str = ""
    version: str = ""
    encoding: str = ""
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    closed: int = 0
    flagged: int = 0
    seconds: float = 0.0
    openings_seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, "
            f"{self.rejected} rejected, {self.closed} closed ({self.flagged} flagged, "
            f"{len(self.duplicates)} possible duplicates) — {self.rows_read} rows "
            f"in {self.seconds:.1f} s (then {self.openings_seconds:.1f} s of "
            "statistics and opening periods)"
        )


KNOWN_COLUMNS = {
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone",
    "courriels", "site_web", "horaires", "presentation_resume", "presentation_detail",
    "source", "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
    "publics_accueillis", "conditions_acces", "labels_nationaux", "fichier_source",
}  # fmt: skip


def import_places(
    source: str,
    *,
    source_name: str | None = None,
    fmt: str = "auto",
    dry_run: bool = False,
    close_missing: bool = False,
    progress: bool = False,
    communes: set[int] | None = None,
    user=None,
    content: bytes | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import `source` (a path or URL; or its name, with its `content`); see the
    module docstring. Raises `FileRefused` (from the reader) when the file cannot be
    read at all. With `communes` (a coordinator's scope), a row whose commune is not
    one of them is rejected. `user` (the admin's) is recorded in the places'
    history. `on_progress(rows read, rows)` is called as rows are read."""
    if close_missing and not source_name:
        # Without one named source, "missing" would reach into other partners' places.
        raise ValueError("--close-missing needs --source.")
    started = time.monotonic()
    report = ImportReport(source=source, dry_run=dry_run)
    table = read_table(source, fmt, content)
    report.format, report.version, report.encoding = (
        table.format,
        table.version,
        table.encoding,
    )
    report.rows_read = len(table.rows) + len(table.refused)
    for line, reason in table.refused:
        report.rejected += 1
        report.rows.append(
            RowReport(line, "", "", "rejected", [Issue("ligne", "", reason)])
        )
    columns = set().union(*(cells.keys() for _, cells in table.rows))
    report.ignored_columns = sorted(columns - KNOWN_COLUMNS)

    postal_codes = {
        cells.get("code_postal", "").strip().zfill(5) for _, cells in table.rows
    }
    insee_codes = {
        cells.get("code_insee", "").strip().upper() for _, cells in table.rows
    }
    references = References(postal_codes, insee_codes - {""})
    reader = RowReader(references, table.version, source_name, table.name)
    records: dict[tuple[str, str], Record] = {}
    for done, (line, cells) in enumerate(
        tqdm(table.rows, disable=not progress, unit=" lignes", desc="Lecture")
    ):
        if on_progress and done % PROGRESS_EVERY == 0:
            on_progress(done, len(table.rows))
        try:
            record = reader.read(line, cells)
            if communes is not None and record.fields["commune_id"] not in communes:
                raise Rejected(
                    "commune", (cells.get("commune") or "").strip(), OUT_OF_SCOPE
                )
            key = (record.source, record.source_id)
            if key in records:
                raise Rejected(
                    "id",
                    record.source_id,
                    f"identifiant en double (déjà ligne {records[key].line})",
                )
        except Rejected as rejection:
            report.rejected += 1
            report.rows.append(
                RowReport(
                    line,
                    (cells.get("id") or "").strip(),
                    (cells.get("nom") or "").strip(),
                    "rejected",
                    [rejection.issue],
                )
            )
            continue
        records[key] = record
        if record.issues:
            report.flagged += 1
            report.rows.append(
                RowReport(
                    line,
                    record.source_id,
                    record.fields["name"],
                    "flagged",
                    record.issues,
                )
            )

    if on_progress:
        on_progress(len(table.rows), len(table.rows))
    sources = {source_name} if source_name else {key[0] for key in records}
    try:
        with transaction.atomic():
            # One import at a time, and no new place from the admin meanwhile: each
            # sees the others' places and slugs (two at once collided on slugs).
            lock_new_slugs()
            if communes is not None:
                keep_in_scope(records, communes, report)
            with connection.cursor() as cursor:
                # One search-vector update per place at the end, not one per write.
                cursor.execute("SET LOCAL epn.defer_search_vector = 'on'")
            touched, updated_ids = write(records, report, user)
            Source.objects.bulk_create(
                [Source(code=code, name=code) for code in {k[0] for k in records}],
                ignore_conflicts=True,
            )
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL epn.defer_search_vector = 'off'")
                cursor.execute(
                    "UPDATE places_place p SET search_vector = places_place_vector(p) "
                    "WHERE id = ANY(%s)",
                    [updated_ids],
                )
            if close_missing and sources:
                report.closed = (
                    Place.objects.filter(source__in=sources)
                    .exclude(status=Place.Status.CLOSED)
                    .exclude(pk__in=touched)
                    .update(status=Place.Status.CLOSED, updated_at=timezone.now())
                )
            report.duplicates = find_duplicates(touched)
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    report.seconds = round(time.monotonic() - started, 2)
    if not dry_run and (report.created or report.updated or report.closed):
        # Derived data, computed after the commit and timed apart: planner
        # statistics, and the opening periods (which a daily job refreshes too).
        started = time.monotonic()
        refresh_statistics()
        refresh_openings(touched)
        send_after_commit(None)
        report.openings_seconds = round(time.monotonic() - started, 2)
    report.rows.sort(key=lambda row: row.line)
    return report


def keep_in_scope(
    records: dict[tuple[str, str], Record], communes: set[int], report: ImportReport
) -> None:
    """A coordinator's import (`communes`: their scope) may update only places of
    their territory: a row whose id is a place elsewhere is rejected, "hors de votre
    territoire", with nothing about that place."""
    stored = Place.objects.filter(
        source__in={key[0] for key in records},
        source_id__in={key[1] for key in records},
    ).values_list("source", "source_id", "commune_id")
    for source, source_id, commune_id in stored:
        record = records.get((source, source_id))
        if record is None or commune_id in communes:
            continue
        del records[source, source_id]
        if record.issues:  # no longer "flagged": rejected
            report.flagged -= 1
            report.rows.remove(next(r for r in report.rows if r.line == record.line))
        report.rejected += 1
        report.rows.append(
            RowReport(
                record.line,
                record.source_id,
                record.fields["name"],
                "rejected",
                [Issue("id", record.source_id, OUT_OF_SCOPE)],
            )
        )


def refresh_statistics() -> None:
    """ANALYZE after a large write, so that the planner keeps using the search and
    spatial indexes (with stale statistics it scanned the whole table)."""
    tables = ["places_place"] + [
        Place._meta.get_field(name).remote_field.through._meta.db_table
        for name in RELATIONS
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


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
) -> tuple[list[int], list[int]]:
    """Create, update or leave each record's place; returns the ids of all of them,
    and of the updated ones."""
    sources = {key[0] for key in records}
    stored = {}
    rows = (
        Place.objects.filter(source__in=sources)
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values(
            "pk",
            "source",
            "source_id",
            "status",
            "lon",
            "lat",
            *(name for name in SCALAR_FIELDS if name != "location"),
        )  # fmt: skip
    )
    for row in rows:
        if (row["source"], row["source_id"]) in records:
            row["location"] = (
                (row["lon"], row["lat"]) if row["lon"] is not None else None
            )
            stored[row["source"], row["source_id"]] = row
    pks = [row["pk"] for row in stored.values()]
    current = {name: links(name, pks) for name in RELATIONS}
    now = timezone.now()
    today = timezone.localdate()

    to_create: list[Record] = []
    to_update: list[Place] = []
    updated_fields: set[str] = set()
    relation_changes: list[tuple[int, Record]] = []
    updated_ids: list[int] = []
    for key, record in records.items():
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
            for name in RELATIONS
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
        ids = copy_places(to_create)
        relation_changes += [(ids[r.source, r.source_id], r) for r in to_create]
        report.created = len(to_create)
        created_pks = list(ids.values())
    else:
        created_pks = []
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
    record_history(created_pks, "+", report.source, user)
    record_history(updated_ids, "~", report.source, user)
    return pks + created_pks, updated_ids


def record_history(pks: list[int], kind: str, source: str, user=None) -> None:
    """The places' history (django-simple-history's tables), as the admin keeps it,
    in one statement: the place's row and its links, the import as change reason.
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
                f"import : {Path(source).name}"[:100],
                kind,
                getattr(user, "pk", None),
                pks,
            ],
        )


COPIED_FIELDS = ["slug", "status", "source", "source_id", *SCALAR_FIELDS]


def copy_places(records: list[Record]) -> dict[tuple[str, str], int]:
    """Insert new places: COPY into a temporary table (several times faster than a
    bulk INSERT of this width), then one INSERT … SELECT that also computes the
    search vector, so each row is written once. Returns ids by (source, source_id).
    The database checks every constraint as usual."""
    slugs = unique_slugs(records)
    columns = ["slug", "status", "source", "source_id"] + [
        Place._meta.get_field(name).column for name in SCALAR_FIELDS
    ]
    # The facet arrays are written with the row (the links follow in
    # `set_relations`): updating them after would rewrite every new row.
    columns += ["kind_ids", "term_ids"]
    listed = ", ".join(columns)
    vector = (
        "setweight(to_tsvector('french_unaccent', name), 'A')"
        " || setweight(to_tsvector('french_unaccent', search_text), 'B')"
        " || setweight(to_tsvector('french_unaccent', summary), 'C')"
        " || setweight(to_tsvector('french_unaccent', description), 'D')"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE import_staging ON COMMIT DROP AS "
            f"SELECT {listed} FROM places_place WITH NO DATA"
        )
        cursor.execute("ALTER TABLE import_staging ADD COLUMN search_text text")
        with cursor.copy(
            f"COPY import_staging ({listed}, search_text) FROM STDIN"
        ) as copy:
            for record, slug in zip(records, slugs, strict=True):
                fields = record.fields
                location = fields["location"]
                values = [slug, Place.Status.PUBLISHED, record.source, record.source_id]
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
                values.append(record.search_text)
                copy.write_row(values)
        cursor.execute(
            f"INSERT INTO places_place ({listed}, search_vector) "
            f"SELECT {listed}, {vector} FROM import_staging "
            "RETURNING id, source, source_id"
        )
        ids = {(source, source_id): pk for pk, source, source_id in cursor.fetchall()}
        cursor.execute("DROP TABLE import_staging")
    return ids


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
        base = base_slug(record.fields["name"], towns[record.fields["commune_id"]])
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
    names: list[str] = RELATIONS,
    created: set[int] = frozenset(),
) -> None:
    """Add and remove many-to-many links in two statements per field (`unnest` of
    arrays), rather than one ORM object per link; then refresh the facet arrays."""
    with connection.cursor() as cursor:
        for name in names:
            through = Place._meta.get_field(name).remote_field.through
            target = "kind_id" if name == "kinds" else "term_id"
            table = through._meta.db_table
            removed: tuple[list, list] = ([], [])
            added: tuple[list, list] = ([], [])
            for pk, record in changes:
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


# Two index-friendly halves: same pivot (btree), or close and similarly named (GiST).
DUPLICATES_SQL = """
WITH imported AS (SELECT * FROM places_place WHERE id = ANY(%(pks)s)),
pairs AS (
  SELECT a.id AS a_id, b.id AS b_id, 'pivot' AS reason
  FROM imported a JOIN places_place b ON b.pivot = a.pivot
  WHERE a.pivot <> '' AND b.source <> a.source AND b.status <> 'closed'
  UNION
  SELECT a.id, b.id, 'nom et position'
  FROM imported a JOIN places_place b
    ON b.location && ST_Expand(a.location, 0.002)
   AND ST_DWithin(a.location::geography, b.location::geography, 100)
  WHERE b.source <> a.source AND b.status <> 'closed'
    AND similarity(a.name, b.name) > 0.5
)
SELECT a.id, a.name, a.source, a.source_id, b.id, b.name, b.source, b.source_id,
       string_agg(p.reason, ', ' ORDER BY p.reason)
FROM pairs p JOIN places_place a ON a.id = p.a_id JOIN places_place b ON b.id = p.b_id
WHERE p.a_id < p.b_id OR NOT p.b_id = ANY(%(pks)s)
GROUP BY a.id, b.id
ORDER BY a.id, b.id
"""


def find_duplicates(pks: list[int], limit: int = 5000) -> list[dict]:
    """Places of this import that look like a place of another source: same pivot, or a
    very similar name within 100 m. Reported as candidates, never merged."""
    if not pks:
        return []
    with connection.cursor() as cursor:
        cursor.execute(DUPLICATES_SQL + f" LIMIT {int(limit)}", {"pks": pks})
        rows = cursor.fetchall()
    return [
        {"place": {"id": r[0], "name": r[1], "source": r[2], "source_id": r[3]},
         "other": {"id": r[4], "name": r[5], "source": r[6], "source_id": r[7]},
         "reason": r[8]}
        for r in rows
    ]  # fmt: skip
