"""The national standard's patterns, and the SQL functions the models' queries
use (point coordinates, unaccented text, trigram closeness)."""

from django.contrib.gis.db import models

# The standard's patterns, enforced by the database as well as by forms.
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"
PIVOT_PATTERN = r"^[a-zA-Z0-9]{9,14}$"
POSTAL_CODE_PATTERN = r"^[0-9]{5}$"


class PointX(models.Func):
    function = "ST_X"
    output_field = models.FloatField()


class PointY(models.Func):
    function = "ST_Y"
    output_field = models.FloatField()


class ImmutableUnaccent(models.Func):
    """unaccent() made indexable (migration 0003)."""

    function = "immutable_unaccent"
    output_field = models.TextField()


class TrigramCloseTo(models.Func):
    """`a % b` (pg_trgm): similar strings, with the trigram index on `a`."""

    template = "%(expressions)s"
    arg_joiner = " %% "
    output_field = models.BooleanField()


class CloseWords(models.Func):
    """`a <% b` (pg_trgm): some run of words of b is close to a, typos allowed."""

    template = "%(expressions)s"
    arg_joiner = " <%% "
    output_field = models.BooleanField()
