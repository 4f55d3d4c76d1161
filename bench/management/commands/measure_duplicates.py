"""Issue 15's measure, on a database where partners' files were imported:
`manage.py measure_duplicates` prints

- visible duplicates: published places sharing a normalised name, address and
  postal code (the issue's goal: at most 1 % of published places);
- whether anything distinct was merged: each distinct normalised (name, address,
  commune) of the imported rows (each record's first place keeps its row's values)
  is still shown by a published place, or is the name of a place merged into a
  published one and found by a search of that name in its commune."""

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

COMBINATIONS = f"""
WITH imported AS (
  SELECT DISTINCT {NAME} AS name, {ADDRESS} AS address, commune_id
  FROM places_place p
  WHERE EXISTS (SELECT 1 FROM places_sourcerecord r WHERE r.origin_id = p.id)
),
shown AS (
  SELECT DISTINCT {NAME} AS name, {ADDRESS} AS address, commune_id
  FROM places_place WHERE status = 'published'
),
absorbed AS (
  SELECT DISTINCT {NAME.replace("name", "m.name")} AS name,
         {ADDRESS.replace("address", "m.address")} AS address, m.commune_id,
         t.search_vector @@ plainto_tsquery('french_unaccent', m.name) AS found
  FROM places_place m JOIN places_place t ON t.id = m.merged_into_id
  WHERE m.status = 'merged' AND t.status = 'published'
)
SELECT count(*),
       count(*) FILTER (WHERE s.name IS NOT NULL),
       count(*) FILTER (WHERE s.name IS NULL AND a.found),
       count(*) FILTER (WHERE s.name IS NULL AND a.name IS NOT NULL AND NOT a.found),
       count(*) FILTER (WHERE s.name IS NULL AND a.name IS NULL)
FROM imported i
LEFT JOIN shown s USING (name, address, commune_id)
LEFT JOIN LATERAL (
  SELECT * FROM absorbed a
  WHERE (a.name, a.address, a.commune_id) = (i.name, i.address, i.commune_id)
  ORDER BY a.found DESC LIMIT 1
) a ON true
"""


class Command(BaseCommand):
    help = "Visible duplicates, and whether imported places are all still found."

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE status = 'published'), "
                "count(*) FILTER (WHERE status = 'merged') FROM places_place"
            )
            published, merged = cursor.fetchone()
            cursor.execute(VISIBLE)
            groups, places = cursor.fetchone()
            cursor.execute(COMBINATIONS)
            total, shown, found, lost, gone = cursor.fetchone()
        self.stdout.write(
            f"{published} published places, {merged} merged into others\n"
            f"visible duplicates: {groups} groups, {places} places "
            f"({places / max(published, 1):.2%} of published places)\n"
            f"distinct name/address/commune of the imported rows: {total}; "
            f"shown by a published place {shown}; merged and found by their name "
            f"{found}; merged, not found by their name {lost}; "
            f"neither (closed or withdrawn) {gone}"
        )
