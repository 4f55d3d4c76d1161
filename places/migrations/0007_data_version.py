from django.db import migrations

# The tables whose content the public pages show.
TABLES = [
    "places_place",
    "places_openingperiod",
    "places_territory",
    "places_kind",
    "places_term",
    *(
        f"places_place_{field}"
        for field in [
            "kinds",
            "structure_types",
            "services",
            "publics",
            "special_support",
            "fees",
            "access_modes",
            "support_modes",
            "programmes",
            "labels",
            "equipment",
        ]
    ),
]

# A number that changes whenever the data does, so that cached searches and pages
# can be keyed on it (places/caching.py). A sequence, not a row: writers never wait
# on each other. It moves after each writing statement (so that a transaction rolled
# back still retires what was cached meanwhile) and once more when the transaction
# commits (so that nothing computed from the old data during a long import outlives
# the commit): the first writing statement of a transaction leaves one row in
# `places_data_commit`, whose deferred trigger moves the number at commit time.
VERSION_SQL = """
CREATE SEQUENCE IF NOT EXISTS places_data_version;
CREATE TABLE places_data_commit (id bigserial PRIMARY KEY);

CREATE OR REPLACE FUNCTION places_data_changed() RETURNS trigger
  LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM nextval('places_data_version');
  IF coalesce(current_setting('epn.commit_marked', true), '') <> 'on' THEN
    PERFORM set_config('epn.commit_marked', 'on', true);
    INSERT INTO places_data_commit DEFAULT VALUES;
  END IF;
  RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION places_data_committing() RETURNS trigger
  LANGUAGE plpgsql AS $f$
BEGIN
  PERFORM nextval('places_data_version');
  DELETE FROM places_data_commit WHERE id = NEW.id;
  RETURN NULL;
END $f$;

CREATE CONSTRAINT TRIGGER places_data_commit_version AFTER INSERT
  ON places_data_commit DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION places_data_committing();
""" + "".join(
    f"""
CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON {table} FOR EACH STATEMENT EXECUTE FUNCTION places_data_changed();
"""
    for table in TABLES
)

REVERSE_SQL = (
    "".join(
        f"""
DROP TRIGGER IF EXISTS {table}_changed ON {table};
"""
        for table in TABLES
    )
    + """
DROP TABLE IF EXISTS places_data_commit;
DROP FUNCTION IF EXISTS places_data_committing();
DROP FUNCTION IF EXISTS places_data_changed();
DROP SEQUENCE IF EXISTS places_data_version;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0006_territory_name_indexes"),
    ]

    operations = [migrations.RunSQL(VERSION_SQL, REVERSE_SQL)]
