"""The search vector also holds the names (and descriptions) of a place's services,
programmes, labels and equipment (issue 13): "France Services", "Aidants Connect",
"Imprimante et scanner" are searchable words of the places that have them."""

from django.db import migrations

# models.SEARCHED_TERM_FIELDS when this was written.
TERM_TABLES = ["services", "programmes", "labels", "equipment"]

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
      || setweight(to_tsvector('french_unaccent', coalesce(p.summary, '')), 'C')
      || setweight(to_tsvector('french_unaccent', coalesce(p.description, '')), 'D')
$f$;
"""

OLD_VECTOR = """
CREATE OR REPLACE FUNCTION places_place_vector(p places_place) RETURNS tsvector
  LANGUAGE sql STABLE AS $f$
  SELECT setweight(to_tsvector('french_unaccent', coalesce(p.name, '')), 'A')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT string_agg(k.label || ' ' || k.code, ' ') FROM places_place_kinds pk
              JOIN places_kind k ON k.id = pk.kind_id WHERE pk.place_id = p.id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT string_agg(t.label, ' ') FROM places_place_services ps
              JOIN places_term t ON t.id = ps.term_id WHERE ps.place_id = p.id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(
           (SELECT name FROM places_territory WHERE id = p.commune_id), '')), 'B')
      || setweight(to_tsvector('french_unaccent', coalesce(p.summary, '')), 'C')
      || setweight(to_tsvector('french_unaccent', coalesce(p.description, '')), 'D')
$f$;
"""

TRIGGERS = "".join(
    f"""
CREATE TRIGGER places_{table}_added AFTER INSERT ON places_place_{table}
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION places_place_vector_links();
CREATE TRIGGER places_{table}_removed AFTER DELETE ON places_place_{table}
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION places_place_vector_links();
"""
    for table in TERM_TABLES
    if table != "services"  # since 0003
)
DROP_TRIGGERS = "".join(
    f"""
DROP TRIGGER IF EXISTS places_{table}_added ON places_place_{table};
DROP TRIGGER IF EXISTS places_{table}_removed ON places_place_{table};
"""
    for table in TERM_TABLES
    if table != "services"
)
REFRESH = "UPDATE places_place p SET search_vector = places_place_vector(p);"


class Migration(migrations.Migration):
    dependencies = [("places", "0014_territory_sound")]

    operations = [
        migrations.RunSQL(
            VECTOR + TRIGGERS + REFRESH, OLD_VECTOR + DROP_TRIGGERS + REFRESH
        ),
    ]
