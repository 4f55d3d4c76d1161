"""`was_public`: whether a place has ever been published, kept by the database
whatever writes the row (the admin, imports' bulk SQL, seeding): it can only become
true. Existing places: published or closed now, or so in their history."""

from django.db import migrations, models

SQL = """
CREATE OR REPLACE FUNCTION places_place_was_public() RETURNS trigger AS $$
BEGIN
  NEW.was_public := NEW.status <> 'draft'
    OR (TG_OP = 'UPDATE' AND OLD.was_public);
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER places_place_was_public BEFORE INSERT OR UPDATE ON places_place
  FOR EACH ROW EXECUTE FUNCTION places_place_was_public();
UPDATE places_place p SET was_public = true
  WHERE p.status <> 'draft' OR EXISTS (
    SELECT FROM places_historicalplace h WHERE h.id = p.id AND h.status <> 'draft');
UPDATE places_historicalplace SET was_public = true WHERE status <> 'draft';
"""
REVERSE = """
DROP TRIGGER places_place_was_public ON places_place;
DROP FUNCTION places_place_was_public();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0012_place_updated_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalplace",
            name="was_public",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                verbose_name="déjà publié",
            ),
        ),
        migrations.AddField(
            model_name="place",
            name="was_public",
            field=models.BooleanField(
                db_default=False,
                default=False,
                editable=False,
                verbose_name="déjà publié",
            ),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
