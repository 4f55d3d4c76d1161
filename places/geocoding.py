"""Street addresses → points, through a geocoder that speaks the protocol of the
national address API (Base Adresse Nationale: `GET <url>?q=…&limit=1` answers a
GeoJSON FeatureCollection whose features carry `label`, `score`, `citycode`).

`GEOCODER_URL` is that search endpoint, e.g. https://api-adresse.data.gouv.fr/search/
or https://data.geopf.fr/geocodage/search. Empty: addresses are not geocoded and the
search falls back to the commune the address names. The tests run a local server
that speaks the protocol (tests/test_geocoding.py).
"""

import hashlib
import json
import logging
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from .models import normalize_name

logger = logging.getLogger(__name__)

MIN_SCORE = 0.5  # below, the API's best guess is not this address
MAX_ANSWER_BYTES = 1_000_000
REMEMBERED = 24 * 3600  # an address does not move
DOWN_FOR = 60  # after a failure, fall back at once for a minute


class GeocoderUnavailable(Exception):
    """The geocoder did not answer, or not in its protocol, or it was asked too
    much this minute."""


class NoGeocoder(GeocoderUnavailable):
    """No geocoder is configured (GEOCODER_URL is empty)."""


@dataclass(frozen=True)
class Address:
    label: str
    lon: float
    lat: float
    citycode: str
    score: float


def parse(answer: dict) -> Address | None:
    """The best feature of an answer, when it is sure enough; None otherwise."""
    features = answer.get("features") if isinstance(answer, dict) else None
    if not isinstance(features, list):
        raise GeocoderUnavailable("no `features` list in the answer")
    for feature in features[:1]:
        try:
            lon, lat = (float(c) for c in feature["geometry"]["coordinates"][:2])
            properties = feature.get("properties") or {}
            score = float(properties.get("score", 0))
        except (KeyError, TypeError, ValueError) as error:
            raise GeocoderUnavailable(f"unreadable feature: {error}") from error
        if not (math.isfinite(lon) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise GeocoderUnavailable("coordinates out of range")
        if score < MIN_SCORE:
            return None
        return Address(
            label=str(properties.get("label") or "")[:200],
            lon=lon,
            lat=lat,
            citycode=str(properties.get("citycode") or "")[:5],
            score=score,
        )
    return None


def ask(url: str, text: str, timeout: float) -> Address | None:
    query = urllib.parse.urlencode({"q": text[:200], "limit": 1, "autocomplete": 0})
    request = urllib.request.Request(
        f"{url}{'&' if '?' in url else '?'}{query}",
        headers={"Accept": "application/json", "User-Agent": "annuaire-epn"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_ANSWER_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GeocoderUnavailable(str(error)) from error
    if len(body) > MAX_ANSWER_BYTES:
        raise GeocoderUnavailable("answer too large")
    try:
        return parse(json.loads(body))
    except ValueError as error:
        raise GeocoderUnavailable(f"not JSON: {error}") from error


def locate(text: str) -> Address | None:
    """The point of a street address, remembered a day; None when the geocoder does
    not know it. Raises GeocoderUnavailable when none is configured or it does not
    answer (then it is not asked again for a minute)."""
    url = settings.GEOCODER_URL
    if not url:
        raise NoGeocoder("GEOCODER_URL is not set")
    digest = hashlib.sha256(normalize_name(text).encode()).hexdigest()[:32]
    key, down = f"geocode:{digest}", f"geocoder-down:{url}"
    known = cache.get(key)
    if known is not None:
        return known or None
    if cache.get(down):
        raise GeocoderUnavailable("the geocoder failed less than a minute ago")
    # Anyone can type addresses: a budget of new ones a minute, for the whole site,
    # keeps the geocoder from refusing us (or being flooded through us).
    budget = f"geocoder-budget:{int(time.time() // 60)}"
    cache.add(budget, 0, 120)
    try:
        spent = cache.incr(budget)
    except ValueError:  # expired between add and incr
        spent = 1
    if spent > settings.GEOCODER_PER_MINUTE:
        raise GeocoderUnavailable("too many new addresses this minute")
    try:
        address = ask(url, text, settings.GEOCODER_TIMEOUT)
    except GeocoderUnavailable:
        logger.warning("Geocoder %s unavailable", url, exc_info=True)
        cache.set(down, True, DOWN_FOR)
        raise
    cache.set(key, address or "", REMEMBERED)
    return address
