"""The reference data one import reads rows against, loaded once: the
vocabularies, the kinds and the communes of the départements the file points at;
and how a row's commune is found (INSEE code, postal code, name even misspelt)."""

import difflib
import re
from dataclasses import dataclass

from django.db.models import Q

from ..models import (
    ARRONDISSEMENT_SUFFIX,
    ORDINAL,
    Kind,
    PointX,
    PointY,
    Term,
    Territory,
    normalize_name,
)
from .standard import (
    V0_VALUES,
    value_key,
)


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
        self.equipment = {
            value_key(name): pk
            for pk, code, value in Term.objects.filter(
                vocabulary="equipment"
            ).values_list("pk", "code", "value")
            for name in (code, value)
        }
        # Our extension column `types_lieu` names kinds by code or label.
        self.kinds_named = {
            value_key(name): pk
            for pk, code, label in Kind.objects.values_list("pk", "code", "label")
            for name in (code, label)
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
        wanted = re.sub(r"^[\d\s]+(?=\D)", "", wanted)  # "0 Pontarion": a typo
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
        return _one_of(
            # The town, then other words ("Saint-Vaury  Numéro de téléphone"): the
            # longest commune name the cell starts with.
            [c for c in candidates if wanted.startswith(c.key + " ")],
            key=lambda c: len(c.key),
        ) or _one_of(
            # Part of the name ("Châtain" for Arfeuille-Châtain), when only one of
            # the postal code's communes has all its words.
            [c for c in candidates if set(wanted.split()) <= set(c.key.split())],
        )


def _one_of(communes: list[Commune], key=None) -> Commune | None:
    """The commune `communes` point at, if only one does (the greatest by `key`,
    if only one is)."""
    if key and communes:
        best = max(map(key, communes))
        communes = [c for c in communes if key(c) == best]
    unique = {c.code: c for c in communes}
    return next(iter(unique.values())) if len(unique) == 1 else None


def strip_article(key: str) -> str:
    return re.sub(r"^(le|la|les|l) ", "", key)


def departement_of(code: str) -> str:
    """The département of a postal code (or of an INSEE code: same prefixes)."""
    if code.startswith(("97", "98")):
        return code[:3]
    if code.startswith("20"):
        return "2A" if code < "20200" else "2B"
    return code[:2]


def known_values() -> dict[str, set[str]]:
    """Per column of values, the values an import understands (compared by
    `value_key`): the vocabularies' v1 values, our kinds and equipment by code or
    label, the itinerancy."""
    from .standard import VOCABULARY_COLUMNS

    terms: dict[str, set[str]] = {}
    rows = Term.objects.values_list("vocabulary", "code", "value")
    for vocabulary, code, value in rows:
        terms.setdefault(vocabulary, set()).update({value_key(value)})
        if vocabulary == "equipment":
            terms[vocabulary].add(value_key(code))
    known = {
        column: terms.get(vocabulary, set())
        for column, (vocabulary, _field) in VOCABULARY_COLUMNS.items()
    }
    known["equipements"] = terms.get("equipment", set())
    known["types_lieu"] = {
        value_key(name)
        for code, label in Kind.objects.values_list("code", "label")
        for name in (code, label)
    }
    known["itinerance"] = {value_key("Itinérant"), value_key("Fixe")}
    return known
