"""When a place is open: its hours read (`PlaceHours`, mixed into `Place`), and as
date-time ranges (for "open now")."""

import datetime as dt

from django.contrib.gis.db import models
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import SpGistIndex
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import hours


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


class PlaceHours:
    """What a place's page and cards say of its hours (`Place` holds the fields:
    `opening_hours`, `location`)."""

    @property
    def parsed_hours(self):
        """The parsed opening hours, or None when absent or invalid (parsed again
        each time: the hours may have changed since)."""
        if not self.opening_hours:
            return None
        try:
            return hours.parse(self.opening_hours, self.lon, self.lat)
        except hours.INVALID:
            return None

    def status_now(self) -> hours.Status | None:
        return hours.status_now(self.opening_hours, self.lon, self.lat)

    def hours_in_words(self) -> str:
        return hours.in_words(self.opening_hours)

    def seconds_until_open_or_closed(self, at_most: float) -> float:
        """Until the place next opens or closes (from its opening periods), or
        midnight (when "opens tomorrow" becomes "opens today"), or `at_most`
        seconds."""
        now = timezone.now()
        midnight = timezone.localtime(now).replace(
            hour=0, minute=0, second=0, microsecond=0
        ) + dt.timedelta(days=1)
        changes = [midnight]
        changes += [
            bound
            for during in self.openings.filter(during__endswith__gt=now).values_list(
                "during", flat=True
            )
            for bound in (during.lower, during.upper)
            if bound is not None and bound > now
        ]
        return min([at_most, *((c - now).total_seconds() for c in changes)])

    def week(self) -> list[hours.Day]:
        """The coming seven days' hours (read once per page: the page and its
        structured data both show them)."""
        key = (self.opening_hours, timezone.localdate())
        if getattr(self, "_week", (None,))[0] != key:
            parsed = self.parsed_hours
            self._week = (key, hours.upcoming_week(parsed, key[1]) if parsed else [])
        return self._week[1]
