"""Importing a partner's file: read, check every row, then write only the differences.

One run is one transaction: it commits every accepted row, or nothing if it fails or
is interrupted (and nothing at all with `dry_run`). Rows that cannot be used are
skipped and reported with their line, field, value and reason; the others are kept.
Writes are bulk operations: a place is compared with what is stored and written only
if something changed (upsert on `(source, source_id)`).
"""

import time
from collections.abc import Callable
from itertools import chain

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from ..caching import forget_place_pages
from ..matching import match
from ..models import (
    LINKED_FIELDS,
    OpeningPeriod,
    Place,
    Source,
    SourceRecord,
    lock_new_slugs,
    search_vectors_deferred,
)
from ..openings import refresh_openings
from ..signals import send_after_commit
from .reader import FileRefused, read_table
from .records import Issue, Record, Rejected
from .references import References, known_values
from .reports import ImportReport, RowReport
from .rows import RowReader
from .sources import possible_duplicates, withdraw_missing
from .standard import EXTENSION_COLUMNS
from .writing import write

PROGRESS_EVERY = 250  # rows between two calls of `on_progress`
ANALYZE_FROM = 500  # places created, from which the planner's statistics are renewed
# What a coordinator's import says of a row it may not write, whatever the reason
# (its commune, or a place of that id elsewhere): nothing about other territories.
OUT_OF_SCOPE = "hors de votre territoire"
GROUPED = "lignes du même lieu, regroupées ici"


class DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


KNOWN_COLUMNS = {
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone",
    "courriels", "site_web", "horaires", "presentation_resume", "presentation_detail",
    "source", "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
    "publics_accueillis", "conditions_acces", "labels_nationaux", "fichier_source",
    *EXTENSION_COLUMNS,
}  # fmt: skip


def checked_values(mapping) -> list[str]:
    """The values a mapping gives that no vocabulary knows: refused in our format
    (its author can fix them); in a converter's config, which must work as it is,
    returned as warnings (each row then says the value is unknown)."""
    unknown = mapping.unknown_targets(known_values())
    if unknown and mapping.origin != "convertisseur":
        raise FileRefused(
            "Valeurs inconnues du standard dans la correspondance : "
            + " ; ".join(unknown[:20])
            + ("…" if len(unknown) > 20 else "")
            + "."
        )
    return unknown


def unmapped_values(counted) -> tuple[dict, dict]:
    """Per column, the cells no value table knew, most frequent first; and the
    number of the rule (of that column) whose table did not know each."""
    found: dict[str, dict[str, int]] = {}
    rules: dict[str, dict[str, int]] = {}
    for (column, rule, value), count in counted.most_common():
        values = found.setdefault(column, {})
        values[value] = values.get(value, 0) + count
        rules.setdefault(column, {}).setdefault(value, rule)
    return found, rules


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
    mapping=None,
    matching: bool = True,
) -> ImportReport:
    """Import `source` (a path or URL; or its name, with its `content`); see the
    module docstring. Raises `FileRefused` (from the reader) when the file cannot be
    read at all. With `communes` (a coordinator's scope), a row whose commune is not
    one of them is rejected. `user` (the admin's) is recorded in the places'
    history. `on_progress(rows read, rows)` is called as rows are read. With
    `mapping` (places/exchange/mapping/), the file is a partner's own layout.
    Without `matching`, the places written are not compared with the others (to
    load several files, then run `manage.py match_places` once)."""
    if close_missing and not source_name:
        # Without one named source, "missing" would reach into other partners' places.
        raise ValueError("--close-missing needs --source.")
    started = time.monotonic()
    report = ImportReport(source=source, dry_run=dry_run)
    if mapping is not None:
        report.mapping_warnings = checked_values(mapping)
    table = read_table(source, fmt, content, mapping)
    report.format, report.version, report.encoding = (
        table.format,
        table.version,
        table.encoding,
    )
    report.rows_read = (
        len(table.rows) + len(table.refused) + sum(map(len, table.grouped.values()))
    )
    report.grouped = sum(map(len, table.grouped.values()))
    report.unmapped, report.unmapped_rules = unmapped_values(table.unmapped)
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
            record.row = cells
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
        if line in table.grouped:
            lines = ", ".join(map(str, table.grouped[line]))
            record.issues.append(Issue("ligne", lines, GROUPED))
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
            # One search-vector update per updated place at the end, not one
            # per write (new places are written with theirs).
            with search_vectors_deferred() as written:
                touched, created_ids, updated_ids = write(records, report, user)
                written.update(updated_ids)
            written_ids = created_ids + updated_ids
            Source.objects.bulk_create(
                [Source(code=code, name=code) for code in {k[0] for k in records}],
                ignore_conflicts=True,
            )
            Source.objects.filter(code__in=sources).update(
                last_imported_at=timezone.now()
            )
            closed = []
            # A file of which no row could be read closes nothing: it is broken,
            # not empty.
            if close_missing and sources and records:
                closed = withdraw_missing(sources, set(records), communes, report)
            # One place, once: the places written are compared with the others,
            # with the planner knowing them (before, a first import of 4,900 places
            # was matched by scanning the table once per place: 4.5 s, then 0.3 s).
            if matching:
                if len(created_ids) >= ANALYZE_FROM:
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE places_place")
                report.merged = len(match(created_ids + updated_ids, user).merged)
            report.duplicates = possible_duplicates(touched)
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    report.seconds = round(time.monotonic() - started, 2)
    if not dry_run and (report.created or report.updated or report.closed):
        # Derived data, computed after the commit and timed apart: planner
        # statistics, and the opening periods (which a daily job refreshes too).
        started = time.monotonic()
        refresh_openings(touched)
        refresh_statistics()
        send_after_commit(None)
        # The pages of the places written or closed are renewed at once.
        forget_place_pages(
            closed
            + list(
                Place.objects.filter(pk__in=written_ids).values_list("slug", flat=True)
            )
        )
        report.openings_seconds = round(time.monotonic() - started, 2)
    report.rows.sort(key=lambda row: row.line)
    return report


def keep_in_scope(
    records: dict[tuple[str, str], Record], communes: set[int], report: ImportReport
) -> None:
    """A coordinator's import (`communes`: their scope) may update only places of
    their territory: a row whose id is a place elsewhere is rejected, "hors de votre
    territoire", with nothing about that place. A row's id finds its place through
    the source's record (the place it feeds now, merged or not), or else a place
    with that source and id (written before records, or by hand): both must be in
    the territory."""
    sources = {key[0] for key in records}
    ids = {key[1] for key in records}
    fed = SourceRecord.objects.filter(source__in=sources, source_id__in=ids)
    own = Place.objects.filter(source__in=sources, source_id__in=ids)
    elsewhere = {
        (source, source_id)
        for source, source_id, commune_id in chain(
            fed.values_list("source", "source_id", "place__commune_id"),
            own.values_list("source", "source_id", "commune_id"),
        )
        if commune_id not in communes
    }
    for source, source_id in elsewhere:
        record = records.get((source, source_id))
        if record is None:
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


def refresh_statistics(vacuum: bool = False) -> None:
    """ANALYZE after a large write (the places, their links and opening periods),
    so that the planner keeps using the search and spatial indexes (with stale
    statistics it scanned the whole table; with the periods of the demo's 60
    places it planned "open now" for 1.2 million). With
    `vacuum` (and outside a transaction), VACUUM too, as autovacuum does some time
    after a large write: the pages are marked all visible, which index-only scans
    and the planner's estimates rely on."""
    tables = ["places_place", OpeningPeriod._meta.db_table] + [
        Place._meta.get_field(name).remote_field.through._meta.db_table
        for name in LINKED_FIELDS
    ]
    with connection.cursor() as cursor:
        vacuum = vacuum and not connection.in_atomic_block
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        cursor.execute(f"{command} {', '.join(tables)}")
