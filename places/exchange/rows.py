"""Turning one row of a partner's file into the fields of a `Place`, or a rejection.

Every change made to a value (a phone number reformatted, a summary shortened, a value
unknown to the standard kept aside) is recorded as an `Issue`, so that the report says
exactly what happened to each row. Nothing here touches the database: the reference
data it needs is loaded once into `References`.
"""

import datetime as dt
import re

from .. import hours, quality
from ..french_hours import reading
from .records import Issue, Record, Rejected
from .references import Commune, References
from .standard import (
    DEFAULT_KIND,
    KIND_OF_TYPOLOGY,
    V0_VALUES,
    VOCABULARY_COLUMNS,
    split_values,
    value_key,
)
from .values import clip, emails, itinerance, parse_number, phone, pivot, urls

KEPT_AS_WRITTEN = "horaires illisibles, gardés tels quels"
READ_FROM_TEXT = "horaires lus du texte :"
# What a row none of whose services is recognised is flagged with.
NO_SERVICE = "aucun service reconnu : lieu gardé, à compléter"


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
        itinerant, fixed = itinerance(get("itinerance"), unmapped, issues)
        opening_hours, hours_valid = self.hours(get("horaires"), issues)
        fields = {
            "name": clip("nom", name, 250, issues),
            "pivot": pivot(get("pivot"), issues),
            "parent_network": clip(
                "structure_parente", get("structure_parente"), 250, issues
            ),
            "summary": clip(
                "presentation_resume", get("presentation_resume"), 280, issues
            ),
            "description": get("presentation_detail"),
            "other_labels": clip(
                "autres_formations_labels", get("autres_formations_labels"), 500, issues
            ),
            "address": clip("adresse", address, 250, issues),
            "address_extra": clip(
                "complement_adresse", get("complement_adresse"), 250, issues
            ),
            "postal_code": postal_code,
            "commune_id": commune.id,
            "location": location,
            "location_is_approximate": approximate,
            "itinerant": itinerant,
            "fixed_site": fixed,
            "opening_hours": clip("horaires", opening_hours, 500, issues),
            "opening_hours_valid": hours_valid,
            "phone": phone(get("telephone"), commune.departement, issues),
            "emails": emails(get("courriels"), issues),
            "websites": urls("site_web", get("site_web"), issues),
            "booking_url": next(iter(urls("prise_rdv", get("prise_rdv"), issues)), ""),
            "accessibility_url": next(
                iter(urls("fiche_acces_libre", get("fiche_acces_libre"), issues)),
                "",
            ),
            "data_updated_on": self.date(get("date_maj"), issues, flags),
            "unmapped_values": unmapped,
            "flags": sorted(str(flag) for flag in flags),
        }
        source = self.source or get("source") or self.default_source
        return Record(line, source[:100], source_id, fields, relations, issues)

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
        if "services" in cells and not relations["services"]:
            # Kept (the national converter drops such rows), for a coordinator to
            # complete.
            issues.append(Issue("services", cells["services"], NO_SERVICE))
        # Our `types_lieu` says the kinds; else they follow the structure types.
        kinds = self.extension("types_lieu", cells, self.refs.kinds_named, issues) or {
            self.refs.kinds[KIND_OF_TYPOLOGY[code.upper()]]
            for code in split_values(cells.get("typologie", ""))
            if code.upper() in KIND_OF_TYPOLOGY
        }
        relations["kinds"] = kinds or {self.refs.kinds[DEFAULT_KIND]}
        if "equipements" in cells:  # only then: else the coordinators' own
            named = split_values(cells["equipements"])
            equipment = self.extension(
                "equipements", cells, self.refs.equipment, issues
            )
            if equipment or not named:  # none recognised: left as they are
                relations["equipment"] = equipment
        return relations, unmapped

    def extension(
        self, column: str, cells: dict[str, str], named: dict[str, int], issues
    ) -> set[int]:
        """The ids a column of ours names (EXTENSION_COLUMNS: what the standard
        lacks), by code or label; an unknown name is reported."""
        found = set()
        for value in split_values(cells.get(column, "")):
            pk = named.get(value_key(value))
            if pk is None:
                issues.append(Issue(column, value, "valeur inconnue, ignorée"))
            else:
                found.add(pk)
        return found

    def v1_target(self, column: str, value: str) -> tuple[str, int]:
        vocabulary, place_field = VOCABULARY_COLUMNS[column]
        return place_field, self.refs.terms[(vocabulary, value_key(value))]

    def hours(self, text: str, issues) -> tuple[str, bool]:
        """OSM hours as given; or read from French ("du lundi au vendredi de 9h à
        12h"), saying so; or, when that is not sure, the text as written, flagged
        with the reason (places/french_hours.py)."""
        if not text:
            return text, True
        try:
            hours.parse(text)
            return text, True
        except hours.INVALID:
            pass
        read = reading(text)
        if read.osm:
            issues.append(Issue("horaires", text[:200], f"{READ_FROM_TEXT} {read.osm}"))
            return read.osm, True
        issues.append(
            Issue("horaires", text[:200], f"{KEPT_AS_WRITTEN} ({read.reason})")
        )
        return text, False

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
