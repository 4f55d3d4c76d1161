"""Issue 15's measure, on a database where partners' files were imported:
`manage.py measure_duplicates` prints

- visible duplicates: published places sharing a normalised name, address and
  postal code (the issue's goal: at most 1 % of published places);
- whether anything distinct was merged: each distinct normalised (name, address,
  commune) that the records brought is still shown by a published place, or else
  the published place its record feeds is found by a search of that name."""

from typing import NamedTuple

from django.core.management.base import BaseCommand
from django.db import connection

NORMAL = "btrim(regexp_replace(lower(immutable_unaccent({})), '[^a-z0-9]+', ' ', 'g'))"
NAME, ADDRESS = NORMAL.format("name"), NORMAL.format("address")

VISIBLE = f"""
SELECT count(*), coalesce(sum(n), 0) FROM (
  SELECT count(*) AS n FROM places_place WHERE status = 'published'
  GROUP BY {NAME}, {ADDRESS}, postal_code HAVING count(*) > 1
) groups
"""

# What each record brought (its own values once mixed with others', the place's
# while it is its place's only record), and the place it feeds now.
COMBINATIONS = f"""
WITH brought AS (
  SELECT coalesce(r.values->>'name', p.name) AS name,
         coalesce(r.values->>'address', p.address) AS address,
         coalesce((r.values->>'commune_id')::bigint, p.commune_id) AS commune_id,
         p.status, p.search_vector
  FROM places_sourcerecord r JOIN places_place p ON p.id = r.place_id
),
imported AS (
  SELECT {NAME} AS name, {ADDRESS} AS address, commune_id,
         bool_or(status = 'published' AND
                 search_vector @@ plainto_tsquery('french_unaccent', name)) AS found
  FROM brought GROUP BY 1, 2, 3
),
shown AS (
  SELECT DISTINCT {NAME} AS name, {ADDRESS} AS address, commune_id
  FROM places_place WHERE status = 'published'
)
SELECT count(*),
       count(*) FILTER (WHERE s.name IS NOT NULL),
       count(*) FILTER (WHERE s.name IS NULL AND i.found),
       count(*) FILTER (WHERE s.name IS NULL AND NOT i.found)
FROM imported i
LEFT JOIN shown s USING (name, address, commune_id)
"""


class Measure(NamedTuple):
    published: int
    merged: int
    groups: int  # of published places sharing a name, address and postal code
    duplicates: int  # places in those groups
    combinations: int  # distinct name/address/commune the records brought
    shown: int  # ... shown by a published place
    found: int  # ... not shown, but their record's place is found by that name
    lost: int  # ... neither


def measure() -> Measure:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'published'), "
            "count(*) FILTER (WHERE status = 'merged') FROM places_place"
        )
        counts = cursor.fetchone()
        cursor.execute(VISIBLE)
        counts += cursor.fetchone()
        cursor.execute(COMBINATIONS)
        return Measure(*counts, *cursor.fetchone())


class Command(BaseCommand):
    help = "Visible duplicates, and whether imported places are all still found."

    def handle(self, *args, **options):
        m = measure()
        self.stdout.write(
            f"{m.published} published places, {m.merged} merged into others\n"
            f"visible duplicates: {m.groups} groups, {m.duplicates} places "
            f"({m.duplicates / max(m.published, 1):.2%} of published places)\n"
            f"distinct name/address/commune of the imported rows: {m.combinations}; "
            f"shown by a published place {m.shown}; not shown as such but their "
            f"record's place is published and found by their name {m.found}; "
            f"neither {m.lost}"
        )
