"""Turning one row of a partner's file into the fields of a `Place`, or a rejection.

Every change made to a value (a phone number reformatted, a summary shortened, a value
unknown to the standard kept aside) is recorded as an `Issue`, so that the report says
exactly what happened to each row. Nothing here touches the database: the reference
data it needs is loaded once into `References`.
"""

import datetime as dt
import difflib
import functools
import math
import re
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db.models import Q
from django.utils.text import slugify

from .. import hours, quality
from ..models import (
    ARRONDISSEMENT_SUFFIX,
    ORDINAL,
    PIVOT_PATTERN,
    SEARCHED_TERM_FIELDS,
    Kind,
    PointX,
    PointY,
    Term,
    Territory,
    normalize_name,
)
from .standard import (
    DEFAULT_KIND,
    KIND_OF_TYPOLOGY,
    PHONE_PATTERN,
    V0_VALUES,
    VOCABULARY_COLUMNS,
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


@dataclass
class Issue:
    field: str
    value: str
    reason: str


class Rejected(Exception):
    def __init__(self, field: str, value: str, reason: str):
        super().__init__(reason)
        self.issue = Issue(field, value, reason)


@dataclass
class Record:
    """What a row says about a place, ready to compare with the database."""

    line: int
    source: str
    source_id: str
    fields: dict
    relations: dict[str, set[int]]  # Place many-to-many field → term (or kind) ids
    issues: list[Issue] = field(default_factory=list)
    search_text: str = ""  # kinds, services and town, weighted B in the search vector


@dataclass
class Commune:
    id: int
    code: str
    name: str
    level: str
    departement: str
    postal_codes: list[str]
    centre: tuple[float, float] | None  # (lon, lat)
    key: str = ""  # normalised name; "marseille 11" for an arrondissement


class References:
    """Vocabularies and communes, loaded once per import: the communes of the
    départements that the file's postal codes and INSEE codes point at."""

    def __init__(self, postal_codes: set[str], insee_codes: set[str]):
        self.terms: dict[tuple[str, str], int] = {
            (vocabulary, value_key(value)): pk
            for pk, vocabulary, value in Term.objects.values_list(
                "pk", "vocabulary", "value"
            )
        }
        self.kinds = dict(Kind.objects.values_list("code", "pk"))
        # For the search text of new places (see importer.copy_places).
        self.labels = {
            pk: f"{label} {description}".strip()
            for pk, label, description in Term.objects.values_list(
                "pk", "label", "description"
            )
        }
        self.kind_texts = {
            pk: f"{label} {code}"
            for pk, label, code in Kind.objects.values_list("pk", "label", "code")
        }
        self.v0 = {
            column: {value_key(v0): targets for v0, targets in table.items()}
            for column, table in V0_VALUES.items()
        }
        self.by_code: dict[str, Commune] = {}
        self.by_postal_code: dict[str, list[Commune]] = {}
        self.by_name: dict[tuple[str, str], list[Commune]] = {}
        self.arrondissements: dict[str, list[Commune]] = {}
        departements = {departement_of(code) for code in postal_codes} | {
            departement_of(code.replace("2A", "20").replace("2B", "20"))
            for code in insee_codes
        }
        rows = (
            Territory.objects.filter(level__in=["commune", "arrondissement"])
            .filter(
                Q(departement_code__in=departements)
                | Q(code__in=insee_codes)
                | Q(postal_codes__overlap=sorted(postal_codes))
            )
            .annotate(lon=PointX("centre"), lat=PointY("centre"))
            .values_list(
                "pk", "code", "name", "search_name", "level", "departement_code",
                "postal_codes", "lon", "lat", "parent__code", "aliases",
            )
        )  # fmt: skip
        for (
            pk,
            code,
            name,
            key,
            level,
            dep,
            postal_codes,
            lon,
            lat,
            parent,
            aliases,
        ) in rows:
            if level == "arrondissement":
                # "Marseille 11e Arrondissement" is also "marseille 11".
                key = ARRONDISSEMENT_SUFFIX.sub(r" \1", key)
            centre = (lon, lat) if lon is not None else None
            commune = Commune(pk, code, name, level, dep, postal_codes, centre, key)
            if level == "arrondissement":
                self.arrondissements.setdefault(parent, []).append(commune)
            self.by_code[code] = commune
            for postal_code in postal_codes:
                self.by_postal_code.setdefault(postal_code, []).append(commune)
            # Former (delegated, associated) communes' names lead to the current one.
            for name_key in {key, *aliases}:
                self.by_name.setdefault((dep, name_key), []).append(commune)

    def term(self, vocabulary: str, value: str) -> int | None:
        return self.terms.get((vocabulary, value_key(value)))

    def commune(self, code_insee: str, postal_code: str, name: str) -> Commune | None:
        """The commune (or arrondissement) a row means, or None.

        In order: a known INSEE code; the name among the postal code's communes
        (current or former names, with or without a leading article, or the start of
        a longer name: "Romorantin" for Romorantin-Lanthenay); the name alone within
        the postal code's département; a postal code with a single commune; a close
        spelling among the postal code's communes (typos).
        """
        found = self.by_code.get(code_insee.strip().upper()) or self._by_name(
            postal_code, name
        )
        if found:
            # A city with arrondissements: the postal code tells which one.
            for arrondissement in self.arrondissements.get(found.code, []):
                if postal_code in arrondissement.postal_codes:
                    return arrondissement
        return found

    def _by_name(self, postal_code: str, name: str) -> Commune | None:
        candidates = self.by_postal_code.get(postal_code, [])
        wanted = ARRONDISSEMENT_SUFFIX.sub(r" \1", normalize_name(name))
        wanted = ORDINAL.sub(r"\1", wanted)  # "lyon 3eme", "lyon 03" → "lyon 3"
        wanted = re.sub(r"\s+cedex(\s+\d+)?$", "", wanted)
        departement = departement_of(postal_code)
        for test in (
            lambda c, w: c.key == w,
            lambda c, w: strip_article(c.key) == strip_article(w),
            lambda c, w: c.key.startswith(w + " "),
        ):
            matches = {c.code: c for c in candidates if test(c, wanted)}
            if len(matches) > 1:  # a city and its arrondissement share a postal code
                return next(
                    (c for c in matches.values() if c.level == "arrondissement"), None
                )
            if matches:
                return next(iter(matches.values()))
        same_name = self.by_name.get((departement, wanted), [])
        if len({c.code for c in same_name}) == 1:
            return same_name[0]
        communes = {c.code: c for c in candidates if c.level == "commune"}
        if len(communes) == 1:
            return next(iter(communes.values()))
        close = difflib.get_close_matches(
            wanted, [c.key for c in candidates], n=2, cutoff=0.85
        )
        if len(close) == 1:
            return next(c for c in candidates if c.key == close[0])
        return None


def strip_article(key: str) -> str:
    return re.sub(r"^(le|la|les|l) ", "", key)


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


def departement_of(code: str) -> str:
    """The département of a postal code (or of an INSEE code: same prefixes)."""
    if code.startswith(("97", "98")):
        return code[:3]
    if code.startswith("20"):
        return "2A" if code < "20200" else "2B"
    return code[:2]


def parse_number(raw: str) -> float | None:
    """A finite number ("48,11" too), or None."""
    try:
        number = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class RowReader:
    """Reads rows of one file; `read` returns a `Record` or raises `Rejected`."""

    def __init__(
        self,
        references: References,
        version: str,
        source: str | None,
        default_source: str,
    ):
        self.refs = references
        self.version = version
        self.source = source
        self.default_source = default_source
        self.today = dt.date.today()

    def read(self, line: int, cells: dict[str, str]) -> Record:
        get = lambda column: (cells.get(column) or "").strip()  # noqa: E731
        issues: list[Issue] = []
        source_id = get("id")
        if not source_id:
            raise Rejected("id", "", "identifiant manquant")
        if len(source_id) > 255:
            raise Rejected(
                "id",
                source_id[:60] + "…",
                "identifiant trop long (255 caractères au plus)",
            )
        name = get("nom")
        if not name:
            raise Rejected("nom", "", "nom manquant")
        address = get("adresse")
        if not address:
            raise Rejected("adresse", "", "adresse manquante")

        postal_code = get("code_postal").replace(" ", "")
        if re.fullmatch(r"\d{4}", postal_code):
            issues.append(Issue("code_postal", postal_code, "zéro initial ajouté"))
            postal_code = "0" + postal_code
        commune = self.refs.commune(get("code_insee"), postal_code, get("commune"))
        if commune is None:
            raise Rejected(
                "commune",
                f"{get('commune')} {postal_code} {get('code_insee')}".strip(),
                "commune introuvable (ni code INSEE, ni code postal et nom reconnus)",
            )
        if not re.fullmatch(r"\d{5}", postal_code):
            if len(commune.postal_codes) != 1:
                raise Rejected("code_postal", postal_code, "code postal invalide")
            issues.append(
                Issue("code_postal", postal_code, "remplacé par celui de la commune")
            )
            postal_code = commune.postal_codes[0]

        flags: set[str] = set()
        if quality.name_is_identifier(name):
            flags.add(quality.Flag.NAME_IDENTIFIER)
            issues.append(Issue("nom", name, "nom qui ressemble à un identifiant"))
        location, approximate = self.location(
            get("latitude"), get("longitude"), commune, issues, flags
        )
        relations, unmapped = self.vocabularies(cells, issues)
        itinerant, fixed = self.itinerance(get("itinerance"), unmapped, issues)
        opening_hours = get("horaires")
        hours_valid = True
        if opening_hours:
            try:
                hours.parse(opening_hours)
            except hours.INVALID:
                hours_valid = False
                issues.append(
                    Issue(
                        "horaires",
                        opening_hours,
                        "horaires illisibles, gardés tels quels",
                    )
                )
        fields = {
            "name": self.clip("nom", name, 250, issues),
            "pivot": self.pivot(get("pivot"), issues),
            "parent_network": self.clip(
                "structure_parente", get("structure_parente"), 250, issues
            ),
            "summary": self.clip(
                "presentation_resume", get("presentation_resume"), 280, issues
            ),
            "description": get("presentation_detail"),
            "other_labels": self.clip(
                "autres_formations_labels", get("autres_formations_labels"), 500, issues
            ),
            "address": self.clip("adresse", address, 250, issues),
            "address_extra": self.clip(
                "complement_adresse", get("complement_adresse"), 250, issues
            ),
            "postal_code": postal_code,
            "commune_id": commune.id,
            "location": location,
            "location_is_approximate": approximate,
            "itinerant": itinerant,
            "fixed_site": fixed,
            "opening_hours": self.clip("horaires", opening_hours, 500, issues),
            "opening_hours_valid": hours_valid,
            "phone": self.phone(get("telephone"), commune, issues),
            "emails": self.emails(get("courriels"), issues),
            "websites": self.urls("site_web", get("site_web"), issues),
            "booking_url": next(
                iter(self.urls("prise_rdv", get("prise_rdv"), issues)), ""
            ),
            "accessibility_url": next(
                iter(self.urls("fiche_acces_libre", get("fiche_acces_libre"), issues)),
                "",
            ),
            "data_updated_on": self.date(get("date_maj"), issues, flags),
            "unmapped_values": unmapped,
            "flags": sorted(str(flag) for flag in flags),
        }
        source = self.source or get("source") or self.default_source
        search_text = " ".join(
            [self.refs.kind_texts[k] for k in relations["kinds"]]
            + [
                self.refs.labels[t]
                for field in SEARCHED_TERM_FIELDS
                for t in relations.get(field, ())
            ]
            + [commune.name]
        )
        return Record(
            line, source[:100], source_id, fields, relations, issues, search_text
        )

    def location(self, lat_raw, lon_raw, commune: Commune, issues, flags):
        """(lon, lat), and whether it is only the commune's centre. Swapped
        latitude and longitude are put right; a point far from the commune is
        kept (the commune may be the wrong one) and flagged."""
        lat, lon = parse_number(lat_raw), parse_number(lon_raw)
        if lat is not None and lon is not None and (lat, lon) != (0, 0):
            in_range = -90 <= lat <= 90 and -180 <= lon <= 180
            point, flag, km = quality.checked_location(lon, lat, commune.centre)
            value = f"{lat_raw}, {lon_raw}"
            if flag == quality.Flag.LOCATION_SWAPPED:
                flags.add(flag)
                reason = "latitude et longitude inversées : corrigé"
                issues.append(Issue("latitude", value, reason))
                return point, False
            if in_range:
                if flag == quality.Flag.LOCATION_FAR:
                    flags.add(flag)
                    distance = f"{km:,.0f}".replace(",", "\u202f")
                    reason = f"à {distance} km du centre de {commune.name} : à vérifier"
                    issues.append(Issue("latitude", value, reason))
                return point, False
        if lat is not None and lon is not None:
            issues.append(
                Issue("latitude", f"{lat_raw}, {lon_raw}", "coordonnées impossibles")
            )
        elif lat_raw or lon_raw:
            issues.append(
                Issue("latitude", f"{lat_raw}, {lon_raw}", "coordonnées illisibles")
            )
        if commune.centre is not None:
            issues.append(
                Issue("latitude", "", "placé au centre de la commune (approximatif)")
            )
            return commune.centre, True
        issues.append(
            Issue("latitude", "", "sans coordonnées ni centre de commune connu")
        )
        return None, False

    def vocabularies(self, cells: dict[str, str], issues) -> tuple[dict, dict]:
        """Term ids per Place field, from v1 columns and (translated) v0 columns.
        Values found nowhere are kept in `unmapped` and reported."""
        relations: dict[str, set[int]] = {
            f: set() for _, f in VOCABULARY_COLUMNS.values()
        }
        unmapped: dict[str, list[str]] = {}
        for column in set(VOCABULARY_COLUMNS) | set(V0_VALUES):
            for value in split_values(cells.get(column, "")):
                targets = []
                if column in VOCABULARY_COLUMNS:
                    vocabulary, place_field = VOCABULARY_COLUMNS[column]
                    term = self.refs.term(vocabulary, value)
                    if term is not None:
                        targets = [(place_field, term)]
                if not targets and column in self.refs.v0:
                    mapped = self.refs.v0[column].get(value_key(value))
                    if mapped is not None:
                        targets = [self.v1_target(c, v) for c, v in mapped]
                        if not mapped:
                            continue  # deliberately nothing in v1
                if not targets:
                    unmapped.setdefault(column, []).append(value)
                    issues.append(
                        Issue(
                            column, value, "valeur inconnue du standard, gardée à part"
                        )
                    )
                for place_field, term in targets:
                    relations[place_field].add(term)
        kinds = {
            KIND_OF_TYPOLOGY[code.upper()]
            for code in split_values(cells.get("typologie", ""))
            if code.upper() in KIND_OF_TYPOLOGY
        }
        relations["kinds"] = {self.refs.kinds[k] for k in kinds or {DEFAULT_KIND}}
        return relations, unmapped

    def v1_target(self, column: str, value: str) -> tuple[str, int]:
        vocabulary, place_field = VOCABULARY_COLUMNS[column]
        return place_field, self.refs.terms[(vocabulary, value_key(value))]

    @staticmethod
    def itinerance(raw: str, unmapped, issues) -> tuple[bool, bool]:
        values = {value_key(v) for v in split_values(raw)}
        itinerant, fixed = "itinérant" in values, "fixe" in values
        unknown = values - {"itinérant", "fixe"}
        if unknown:
            unmapped["itinerance"] = sorted(unknown)
            issues.append(Issue("itinerance", raw, "valeur inconnue du standard"))
        return itinerant, fixed or not itinerant

    @staticmethod
    def clip(column: str, value: str, limit: int, issues) -> str:
        if len(value) <= limit:
            return value
        issues.append(
            Issue(column, value[:60] + "…", f"raccourci à {limit} caractères")
        )
        return value[: limit - 1] + "…"

    @staticmethod
    def pivot(raw: str, issues) -> str:
        value = raw.replace(" ", "")
        if not value or set(value) == {"0"}:
            return ""  # the standard's "unknown" (00000000000000)
        if not re.fullmatch(PIVOT_PATTERN, value):
            issues.append(Issue("pivot", raw, "ni SIRET, ni RNA, ni RIDET : ignoré"))
            return ""
        return value

    @staticmethod
    def phone(raw: str, commune: Commune, issues) -> str:
        if not raw:
            return ""
        region = PHONE_REGION.get(commune.departement, "FR")
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164
            )
            if PHONE_PATTERN.match(e164):
                return e164
        issues.append(Issue("telephone", raw, "numéro non reconnu, ignoré"))
        return ""

    @staticmethod
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

    @staticmethod
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

    def date(self, raw: str, issues, flags) -> dt.date | None:
        """The row's date of update; None (keep what we have, or today for a new
        place) when absent or invalid. An impossible date (1970-01-01) is kept as
        the partner gave it, since the standard requires one, and flagged: the
        pages say the date is unknown."""
        for read in (
            lambda: dt.date.fromisoformat(raw[:10]),
            lambda: dt.datetime.strptime(raw, "%d/%m/%Y").date(),
        ):
            try:
                value = read()
            except ValueError:
                continue
            if value > self.today:
                break
            if quality.date_is_unknown(value):
                flags.add(quality.Flag.DATE_UNKNOWN)
                issues.append(
                    Issue("date_maj", raw, "date impossible : considérée inconnue")
                )
            return value
        issues.append(Issue("date_maj", raw, "date absente ou invalide"))
        return None


def base_slug(name: str, town: str) -> str:
    return slugify(f"{name} {town}")[:100].strip("-") or "lieu"
