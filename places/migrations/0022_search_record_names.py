"""A place built from several records is found by the name each of them gave
(weight A), its own first name included: migration 0021 added only the names of
the places merged into it, so a place kept under a newer source's name ("Epi
Centre") was no longer found by its own first one ("EPI-CENTRE"). A record's
values are filled as soon as it is mixed with another (places/merging.py); a
withdrawn record's name is no longer a name of the place."""

from importlib import import_module

from django.db import migrations

VECTOR = """
CREATE OR REPLACE FUNCTION places_place_vector(p places_place) RETURNS tsvector
  LANGUAGE sql STABLE AS $f$
  SELECT setweight(to_tsvector('french_unaccent', coalesce(p.name, '')), 'A')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT string_agg(k.label || ' ' || k.code, ' ') FROM places_place_kinds pk
              JOIN places_kind k ON k.id = pk.kind_id WHERE pk.place_id = p.id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT string_agg(t.label || ' ' || t.description, ' ') FROM (
              SELECT term_id FROM places_place_services WHERE place_id = p.id
              UNION ALL SELECT term_id FROM places_place_programmes WHERE place_id = p.id
              UNION ALL SELECT term_id FROM places_place_labels WHERE place_id = p.id
              UNION ALL SELECT term_id FROM places_place_equipment WHERE place_id = p.id
            ) linked JOIN places_term t ON t.id = linked.term_id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT name FROM places_territory WHERE id = p.commune_id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT string_agg(r.values->>'name', ' ') FROM places_sourcerecord r
             WHERE r.place_id = p.id AND r.values IS NOT NULL
               AND r.withdrawn_at IS NULL), '')), 'A')
      || setweight(to_tsvector('french_unaccent', coalesce(p.summary, '')), 'C')
      || setweight(to_tsvector('french_unaccent', coalesce(p.description, '')), 'D')
$f$;
"""

# Migration 0021's definition, to go back to.
OLD_VECTOR = import_module("places.migrations.0021_search_merged_names").VECTOR

# The places built from several records (the others' vectors do not change).
REFRESH = """
UPDATE places_place p SET search_vector = places_place_vector(p)
WHERE p.id IN (SELECT place_id FROM places_sourcerecord WHERE values IS NOT NULL);
"""


class Migration(migrations.Migration):
    dependencies = [("places", "0021_search_merged_names")]

    operations = [
        migrations.RunSQL(VECTOR, OLD_VECTOR),
        migrations.RunSQL(REFRESH, REFRESH),
    ]
