"""A place merged with others (issue 15) is also found by their names: they are
words of its name (weight A) in its search vector. The vector of each place is
computed again when it is next written (a merge writes the place kept)."""

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
           (SELECT string_agg(m.name, ' ') FROM places_place m
             WHERE m.merged_into_id = p.id), '')), 'A')
      || setweight(to_tsvector('french_unaccent', coalesce(p.summary, '')), 'C')
      || setweight(to_tsvector('french_unaccent', coalesce(p.description, '')), 'D')
$f$;
"""

# Migration 0015's definition.
OLD_VECTOR = """
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
      || setweight(to_tsvector('french_unaccent', coalesce(p.summary, '')), 'C')
      || setweight(to_tsvector('french_unaccent', coalesce(p.description, '')), 'D')
$f$;
"""


class Migration(migrations.Migration):
    dependencies = [("places", "0020_source_records")]

    operations = [migrations.RunSQL(VECTOR, OLD_VECTOR)]
