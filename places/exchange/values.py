"""Cleaning one value of a row: phone numbers in E.164 (in the numbering plan of
the place's département), e-mail and web addresses, identifiers, numbers, lengths.
Each change or refusal is recorded as an `Issue` in the list it is given."""

import functools
import math
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.text import slugify

from ..models import (
    PIVOT_PATTERN,
)
from .records import Issue
from .standard import (
    PHONE_PATTERN,
    split_values,
    value_key,
)

# Phone numbers are read in the numbering plan of the place's département.
PHONE_REGION = {
    "971": "GP", "972": "MQ", "973": "GF", "974": "RE", "976": "YT",
    "975": "PM", "977": "BL", "978": "MF", "986": "WF", "987": "PF", "988": "NC",
}  # fmt: skip
is_email = EmailValidator()
is_url = URLValidator(schemes=["http", "https"])


@functools.lru_cache(maxsize=8192)
def e164_number(raw: str, region: str) -> str:
    """`raw` in E.164 if the standard accepts it, else ""."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if PHONE_PATTERN.match(e164) else ""


@functools.lru_cache(maxsize=8192)
def valid_url(url: str) -> bool:
    try:
        is_url(url)
    except ValidationError:
        return False
    return True


def parse_number(raw: str) -> float | None:
    """A finite number ("48,11" too), or None."""
    try:
        number = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def itinerance(raw: str, unmapped, issues) -> tuple[bool, bool]:
    values = {value_key(v) for v in split_values(raw)}
    itinerant, fixed = "itinérant" in values, "fixe" in values
    unknown = values - {"itinérant", "fixe"}
    if unknown:
        unmapped["itinerance"] = sorted(unknown)
        issues.append(Issue("itinerance", raw, "valeur inconnue du standard"))
    return itinerant, fixed or not itinerant


def clip(column: str, value: str, limit: int, issues) -> str:
    if len(value) <= limit:
        return value
    issues.append(Issue(column, value[:60] + "…", f"raccourci à {limit} caractères"))
    return value[: limit - 1] + "…"


def pivot(raw: str, issues) -> str:
    value = raw.replace(" ", "")
    if not value or set(value) == {"0"}:
        return ""  # the standard's "unknown" (00000000000000)
    if not re.fullmatch(PIVOT_PATTERN, value):
        issues.append(Issue("pivot", raw, "ni SIRET, ni RNA, ni RIDET : ignoré"))
        return ""
    return value


def phone(raw: str, departement: str, issues) -> str:
    if not raw:
        return ""
    e164 = e164_number(raw, PHONE_REGION.get(departement, "FR"))
    if e164:
        return e164
    issues.append(Issue("telephone", raw, "numéro non reconnu, ignoré"))
    return ""


def emails(raw: str, issues) -> list[str]:
    emails = []
    for value in re.split(r"[|;,\s]+", raw):
        if not value:
            continue
        try:
            is_email(value)
        except ValidationError:
            issues.append(Issue("courriels", value, "adresse invalide, ignorée"))
            continue
        if value not in emails:
            emails.append(value)
    return emails


def urls(column: str, raw: str, issues) -> list[str]:
    urls = []
    for value in re.split(r"[|;\s]+", raw):
        if not value:
            continue
        url = value if re.match(r"^https?://", value, re.I) else f"https://{value}"
        if not valid_url(url):
            issues.append(Issue(column, value, "adresse web invalide, ignorée"))
            continue
        if len(url) > 500:
            issues.append(
                Issue(column, value[:60] + "…", "adresse web trop longue, ignorée")
            )
            continue
        if url not in urls:
            urls.append(url)
    return urls


def base_slug(name: str, town: str) -> str:
    return slugify(f"{name} {town}")[:100].strip("-") or "lieu"


def our_slug(source_id: str, town: str) -> bool:
    """Whether a row's id is a page address of ours (an export's `id`), for the
    place to keep it: a merged place keeps its address when its name changes, so
    that an export imported again gives the same addresses. Ours end with the
    commune's name, then perhaps a number."""
    return (
        len(source_id) <= 120
        and slugify(source_id) == source_id
        and re.fullmatch(rf".+-{re.escape(slugify(town))}(-[0-9]+)?", source_id)
        is not None
    )
