"""Pairs waiting for review that hold a place merged since are about the place it
was merged into (a pair of two places now one is about nothing): until session 14
they stayed in the queue, undecidable (places/merging.py, `repoint_pending`, now
does it at each merge). The places built from several records get their search
vector again (a merge that changed none of their columns had left it stale)."""

from django.db import migrations

REPOINT = """
INSERT INTO places_matchcandidate
  (first_id, second_id, reason, score, decision, automatic, found_at)
SELECT least(x, y), greatest(x, y), reason, score, 'pending', false, found_at
FROM (
  SELECT coalesce(a.merged_into_id, a.id) AS x, coalesce(b.merged_into_id, b.id) AS y,
         c.reason, c.score, c.found_at
  FROM places_matchcandidate c
  JOIN places_place a ON a.id = c.first_id
  JOIN places_place b ON b.id = c.second_id
  WHERE c.decision = 'pending' AND 'merged' IN (a.status, b.status)
) moved
WHERE x <> y
ON CONFLICT DO NOTHING;
DELETE FROM places_matchcandidate c USING places_place p
WHERE c.decision = 'pending' AND p.id IN (c.first_id, c.second_id)
  AND p.status = 'merged';
UPDATE places_place p SET search_vector = places_place_vector(p)
WHERE p.id IN (SELECT place_id FROM places_sourcerecord WHERE values IS NOT NULL);
"""


class Migration(migrations.Migration):
    dependencies = [("places", "0022_search_record_names")]

    operations = [migrations.RunSQL(REPOINT, migrations.RunSQL.noop)]
