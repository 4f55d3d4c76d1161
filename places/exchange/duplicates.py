"""Possible duplicates an import reports: a place of this import that looks like
a place of another source (same pivot, or a similar name within 100 m)."""

from django.db import connection

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
