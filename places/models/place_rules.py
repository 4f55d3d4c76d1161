"""The database's own rules for places, declared on the model (`Place.Meta`) so that
`makemigrations` tracks them: what a row must hold whatever writes it (the admin,
imports in bulk, SQL), and the indexes the listings, the search, the admin and the
API read through. Their triggers are places/models/triggers.py."""

from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.db.models.lookups import Range

from .common import PHONE_PATTERN, PIVOT_PATTERN, POSTAL_CODE_PATTERN, PointX, PointY
from .search import DEFAULT_ORDER_EXPRESSIONS

PLACE_CONSTRAINTS = [
    models.UniqueConstraint(
        fields=["source", "source_id"],
        condition=~Q(source_id=""),
        name="place_unique_source_id",
    ),
    models.CheckConstraint(
        condition=Q(status__in=["draft", "published", "closed", "merged"]),
        name="place_status_valid",
    ),
    models.CheckConstraint(
        condition=Q(location__isnull=True)
        | Q(
            Range(PointX("location"), (-180, 180)),
            Range(PointY("location"), (-90, 90)),
        ),
        name="place_location_valid",
    ),
    models.CheckConstraint(
        condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN),
        name="place_phone_e164",
    ),
    models.CheckConstraint(
        condition=Q(pivot="") | Q(pivot__regex=PIVOT_PATTERN),
        name="place_pivot_valid",
    ),
    models.CheckConstraint(
        condition=Q(postal_code__regex=POSTAL_CODE_PATTERN),
        name="place_postal_code_valid",
    ),
    models.CheckConstraint(
        condition=Q(itinerant=True) | Q(fixed_site=True),
        name="place_fixed_or_itinerant",
    ),
]
PLACE_INDEXES = [
    models.Index(fields=["status", "name"], name="place_status_name"),
    models.Index(fields=["pivot"], name="place_pivot"),
    # The admin's list, in name order at any scope, and its search by id.
    models.Index(fields=["name"], name="place_name"),
    models.Index(fields=["source_id"], name="place_source_id"),
    GinIndex(fields=["search_vector"], name="place_search_vector"),
    GinIndex(fields=["kind_ids"], name="place_kind_ids"),
    GinIndex(fields=["term_ids"], name="place_term_ids"),
    GinIndex(fields=["flags"], name="place_flags"),
    # The API's synchronisation: what changed since a moment.
    models.Index(fields=["updated_at"], name="place_updated_at"),
    # The listings' default order, published places only.
    models.Index(
        *DEFAULT_ORDER_EXPRESSIONS,
        condition=Q(status="published"),
        name="place_default_order",
    ),
]
