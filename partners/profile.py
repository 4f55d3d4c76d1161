"""What a partner's file holds, before any mapping: each column (dotted paths for
nested JSON) with its fill rate, number of distinct values and most frequent
values; and the columns a new file gained or lost since the last import."""

from collections import Counter
from dataclasses import dataclass

from places.exchange.mapping import Mapping, MappingError, flatten
from places.exchange.mapping.transforms import plain
from places.exchange.reader import decode, partner_records

SAMPLES = 5  # most frequent values shown per column
SHOWN = 80  # characters of a value shown


@dataclass
class Column:
    name: str
    filled: int
    distinct: int
    samples: list[tuple[str, int]]  # (value, how many records have it)

    def rate(self, total: int) -> int:
        return round(100 * self.filled / total) if total else 0


@dataclass
class Profile:
    records: int
    columns: list[Column]
    refused: list[tuple[int, str]]  # CSV rows that could not be read

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def profile(content: bytes, mapping: Mapping | None = None) -> Profile:
    """The columns of a partner's file, in the order they first appear; read as
    `mapping` says (its records path, separator and encoding) when given.
    Raises FileRefused when the file cannot be read at all."""
    options = mapping.document if mapping else {}
    csv_options = options.get("csv", {})
    text, _encoding = decode(content, csv_options.get("encodage"))
    records, refused, _detected = partner_records(
        text, options.get("enregistrements"), csv_options.get("separateur")
    )
    values: dict[str, Counter] = {}
    for _line, record in records:
        if not isinstance(record, dict):
            continue
        try:
            flat = flatten(record)
        except MappingError:
            continue
        for name, value in flat.items():
            counted = values.setdefault(name, Counter())
            if value.strip():
                counted[value.strip()[:SHOWN]] += 1
    columns = [
        Column(
            name=name,
            filled=counted.total(),
            distinct=len(counted),
            samples=counted.most_common(SAMPLES),
        )
        for name, counted in values.items()
    ]
    return Profile(records=len(records), columns=columns, refused=refused)


def columns_changed(before: list[str], now: list[str]) -> dict[str, list[str]]:
    """The columns added and removed between two files (nothing when there was no
    file before)."""
    if not before:
        return {}
    added = [c for c in now if c not in before]
    removed = [c for c in before if c not in now]
    return {"added": added, "removed": removed} if added or removed else {}


# Column names partners commonly use for each column of the standard (compared
# without case, accents nor punctuation), to start a new mapping.
USUAL_NAMES = {
    "id": ["id", "identifiant", "ref", "reference", "code", "objectid"],
    "nom": ["nom", "name", "nomdelastructure", "nomstructure", "libelle", "titre"],
    "adresse": ["adresse", "address", "adr", "voie", "rue", "adressepostale"],
    "code_postal": ["codepostal", "cp", "postcode", "zipcode", "zip"],
    "commune": ["commune", "ville", "city", "localite", "town"],
    "latitude": ["latitude", "lat"],
    "longitude": ["longitude", "lon", "lng", "long"],
    "telephone": ["telephone", "tel", "phone", "numerodetelephone"],
    "courriels": ["courriel", "courriels", "email", "mail", "adressemail"],
    "site_web": ["siteweb", "site", "web", "url", "siteinternet"],
    "horaires": ["horaires", "horaire", "hours", "openinghours", "horairesdouverture"],
    "date_maj": ["datemaj", "miseajour", "datedemiseajour", "updated", "lastupdate"],
    "presentation_resume": ["description", "presentation", "resume"],
}


def suggested(found: Profile) -> dict:
    """A first mapping for a file: each standard column whose usual name a column
    of the file has (its last dotted part), to be checked and completed."""
    by_name: dict[str, str] = {}
    for column in found.columns:
        key = "".join(
            ch for ch in plain(column.name.rsplit(".", 1)[-1]) if ch.isalnum()
        )
        by_name.setdefault(key, column.name)
    fields = {}
    for standard, names in USUAL_NAMES.items():
        for name in names:
            if name in by_name:
                fields[standard] = {"colonne": by_name[name]}
                break
    return {"version": 1, "champs": fields or {"nom": {"colonne": "?"}}}
