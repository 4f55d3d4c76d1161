"""The data version (0007: a sequence moved by 17 triggers on every write) goes: the
caches no longer key on it (places/caching.py, issue 14). Every write to a place
moved it and so retired every cached page and count at once."""

from importlib import import_module

from django.db import migrations

version = import_module("places.migrations.0007_data_version")


class Migration(migrations.Migration):
    dependencies = [("places", "0016_english_labels")]

    operations = [migrations.RunSQL(version.REVERSE_SQL, version.VERSION_SQL)]
