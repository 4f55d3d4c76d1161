"""Signs that a place's data needs a coordinator's look, as flags on the place.

Set by imports (with the row's report) and refreshed on every save, from the data
itself; only `LOCATION_SWAPPED` tells of a correction the import made, and it stays
until a coordinator saves the place in the admin (having seen it on the map).
Pure functions: the importer calls them without touching the database.
"""

import datetime as dt
import math
import re

from django.db import models
from django.utils.translation import gettext_lazy as _

# Farther than this from its commune's centre, a place's position is flagged. Large
# communes (Arles, Guyane) have real places beyond it: it asks for a look, no more.
FAR_KM = 10
# No place of the national standard was updated before this; 1970-01-01 (a zero
# timestamp) is the usual impossible date in partners' files.
EARLIEST_UPDATE = dt.date(2000, 1, 1)
# A name that is only digits and punctuation, or an identifier (SIRET, RNA, a
# database id): "1", "21560121200016", "W751234567", "62592a1d05457b0790816e6c".
IDENTIFIER = re.compile(r"[\d\W_]+|W\d{9}|[0-9a-f]{24}", re.IGNORECASE)


class Flag(models.TextChoices):
    LOCATION_SWAPPED = (
        "location_swapped",
        _("latitude et longitude étaient inversées (corrigées à l’import)"),
    )
    LOCATION_FAR = "location_far", _("position loin du centre de la commune")
    DATE_UNKNOWN = "date_unknown", _("date de mise à jour inconnue")
    NAME_IDENTIFIER = "name_identifier", _("nom qui ressemble à un identifiant")


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def checked_location(
    lon: float, lat: float, centre: tuple[float, float] | None
) -> tuple[tuple[float, float], Flag | None, float]:
    """(lon, lat) as it should be stored, the flag it deserves, and its distance
    to the commune's `centre` (0 when unknown). Swapped coordinates are detected
    when, swapped back, they fall near the centre: "-1.68, 48.11" for Rennes."""
    if centre is None:
        return (lon, lat), None, 0.0
    km = km_between((lon, lat), centre)
    if km <= FAR_KM:
        return (lon, lat), None, km
    swappable = -90 <= lon <= 90 and -180 <= lat <= 180
    if swappable and km_between((lat, lon), centre) <= FAR_KM:
        return (lat, lon), Flag.LOCATION_SWAPPED, km_between((lat, lon), centre)
    return (lon, lat), Flag.LOCATION_FAR, km


def name_is_identifier(name: str) -> bool:
    return bool(IDENTIFIER.fullmatch(name.strip()))


def date_is_unknown(date: dt.date | None) -> bool:
    return date is not None and date < EARLIEST_UPDATE


def flags_of(
    name: str,
    location: tuple[float, float] | None,
    centre: tuple[float, float] | None,
    updated_on: dt.date | None,
    kept: tuple[str, ...] = (),
) -> list[str]:
    """The flags these values deserve (sorted), plus those of `kept` that only an
    import can tell (a correction it made)."""
    flags = {flag for flag in kept if flag == Flag.LOCATION_SWAPPED}
    if location is not None and checked_location(*location, centre)[1]:
        flags.add(Flag.LOCATION_FAR)
    if date_is_unknown(updated_on):
        flags.add(Flag.DATE_UNKNOWN)
    if name_is_identifier(name):
        flags.add(Flag.NAME_IDENTIFIER)
    return sorted(str(flag) for flag in flags)
