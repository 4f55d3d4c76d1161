from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("places", "0011_sources"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="place",
            index=models.Index(fields=["updated_at"], name="place_updated_at"),
        ),
        # A database set up at d84b8eb applied an earlier 0012 whose index (on the
        # published places' geography) the coverage no longer uses; gone since.
        migrations.RunSQL(
            "DROP INDEX IF EXISTS place_published_geography", migrations.RunSQL.noop
        ),
    ]
