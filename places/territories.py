"""Loading the French administrative territories (COG) and their centre points.

The source is the npm package `@etalab/decoupage-administratif` (installed by the
set-up into node_modules/). Loading compares with what is stored and writes only the
differences, so that re-running it changes nothing.
"""

import csv
import io
import json
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import connection, transaction

from .models import ARRONDISSEMENT_SUFFIX, Territory, normalize_name, sound_key

Level = Territory.Level
COMPARED_FIELDS = [
    "name",
    "search_name",
    "sound",
    "parent_id",
    "epci_id",
    "departement_code",
    "region_code",
    "postal_codes",
    "population",
    "centre",
]


class TerritoryDataError(Exception):
    """The data package or the centres file cannot be used; nothing was written."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    centres: int = 0
    centre_errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.centres:
            text += f"; {self.centres} centre points read"
        if self.centre_errors:
            text += f"; {len(self.centre_errors)} centre rows rejected"
        return text


def read_package(data_dir: Path, name: str) -> list[dict]:
    path = data_dir / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise TerritoryDataError(
            f"{path} is missing: install the npm package with `npm ci` "
            "(the set-up does it)."
        ) from error


def read_centres(source: str, report: LoadReport) -> dict[str, Point]:
    """Read `code_insee,latitude,longitude` rows from a CSV file path or URL.

    Rows with a missing or out-of-range coordinate are reported (line and reason)
    and skipped; the other rows are used.
    """
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310
            text = response.read().decode("utf-8-sig")
    else:
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise TerritoryDataError(f"Cannot read {source}: {error}") from error
    sample = text[:4096]
    dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = {"code_insee", "latitude", "longitude"} - set(reader.fieldnames or [])
    if missing:
        raise TerritoryDataError(
            f"{source}: missing column(s) {', '.join(sorted(missing))}; "
            "expected code_insee, latitude, longitude."
        )
    centres = {}
    for line, row in enumerate(reader, start=2):
        code = (row["code_insee"] or "").strip()
        lat, lon = (row["latitude"] or "").strip(), (row["longitude"] or "").strip()
        if not lat and not lon:
            continue  # a commune without a known centre: nothing to say
        try:
            lat_f, lon_f = float(lat.replace(",", ".")), float(lon.replace(",", "."))
        except ValueError:
            report.centre_errors.append(
                f"line {line}: {code}: not a number ({lat}, {lon})"
            )
            continue
        if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
            report.centre_errors.append(
                f"line {line}: {code}: out of range ({lat}, {lon})"
            )
            continue
        centres[code] = Point(lon_f, lat_f, srid=4326)
    report.centres = len(centres)
    return centres


def _sync(
    level: str, wanted: Iterable[Territory], report: LoadReport
) -> dict[str, int]:
    """Write the territories of `level` that differ from the stored ones.

    Returns {code: id} for the level, for the next level's parents.
    """
    existing = {t.code: t for t in Territory.objects.filter(level=level)}
    to_create, to_update = [], []
    for territory in wanted:
        territory.search_name = normalize_name(territory.name)
        territory.sound = sound_key(territory.name)
        current = existing.get(territory.code)
        if current is None:
            to_create.append(territory)
            continue
        if territory.centre is None:
            territory.centre = current.centre  # keep a centre loaded earlier
        if any(
            _differs(getattr(current, f), getattr(territory, f))
            for f in COMPARED_FIELDS
        ):
            territory.pk = current.pk
            to_update.append(territory)
        else:
            report.unchanged += 1
    Territory.objects.bulk_create(to_create, batch_size=2000)
    Territory.objects.bulk_update(to_update, COMPARED_FIELDS, batch_size=2000)
    report.created += len(to_create)
    report.updated += len(to_update)
    return dict(Territory.objects.filter(level=level).values_list("code", "id"))


def _differs(old, new) -> bool:
    if isinstance(old, Point) or isinstance(new, Point):
        if old is None or new is None:
            return old is not new
        return old.coords != new.coords
    return old != new


def short_names(name: str, level: str) -> set[str]:
    """ "paris 11" for "Paris 11e Arrondissement": how people write it."""
    if level != Level.ARRONDISSEMENT:
        return set()
    return {ARRONDISSEMENT_SUFFIX.sub(r" \1", normalize_name(name))}


@transaction.atomic
def load_territories(
    data_dir: Path, centres_source: str | None = None, regions_only=None
) -> LoadReport:
    """Every territory, or with `regions_only` (région codes) those régions', their
    départements, communes and the EPCI these belong to (a test that needs a few)."""
    report = LoadReport()
    centres = read_centres(centres_source, report) if centres_source else {}
    regions = read_package(data_dir, "regions")
    departements = read_package(data_dir, "departements")
    epcis = read_package(data_dir, "epci")
    everything = read_package(data_dir, "communes")
    communes = [
        c
        for c in everything
        if c["type"] in ("commune-actuelle", "arrondissement-municipal")
    ]
    if regions_only:
        wanted = set(regions_only)
        regions = [r for r in regions if r["code"] in wanted]
        departements = [d for d in departements if d["region"] in wanted]
        communes = [c for c in communes if c.get("region") in wanted]
        kept = {c["code"] for c in communes}
        epcis = [e for e in epcis if any(m["code"] in kept for m in e["membres"])]
    # Former communes (merged into a "commune nouvelle") live on as names people use.
    aliases: dict[str, set[str]] = {}
    for c in everything:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            aliases.setdefault(c["chefLieu"], set()).add(normalize_name(c["nom"]))

    # A région's or département's population: its communes' (arrondissements are
    # counted in their city).
    # (Région and département codes overlap: "01" is Guadeloupe and Ain.)
    population: dict[tuple[str, str], int] = {}
    for c in communes:
        if c["type"] == "commune-actuelle" and c.get("population"):
            for key in (("region", c.get("region")), ("dep", c.get("departement"))):
                population[key] = population.get(key, 0) + c["population"]
    region_ids = _sync(
        Level.REGION,
        (
            Territory(
                level=Level.REGION,
                code=r["code"],
                name=r["nom"],
                region_code=r["code"],
                population=population.get(("region", r["code"])),
            )
            for r in regions
        ),
        report,
    )
    departement_ids = _sync(
        Level.DEPARTEMENT,
        (
            Territory(
                level=Level.DEPARTEMENT,
                code=d["code"],
                name=d["nom"],
                parent_id=region_ids.get(d["region"]),
                departement_code=d["code"],
                region_code=d["region"],
                population=population.get(("dep", d["code"])),
            )
            for d in departements
        ),
        report,
    )
    epci_of = {m["code"]: e["code"] for e in epcis for m in e["membres"]}
    epci_ids = _sync(
        Level.EPCI,
        (
            Territory(
                level=Level.EPCI,
                code=e["code"],
                name=e["nom"],
                population=e.get("populationMunicipale"),
            )
            for e in epcis
        ),
        report,
    )

    def territory(c: dict, level: str, parent_id: int | None) -> Territory:
        return Territory(
            level=level,
            code=c["code"],
            name=c["nom"],
            parent_id=parent_id,
            epci_id=epci_ids.get(epci_of.get(c["code"], "")),
            departement_code=c.get("departement", ""),
            region_code=c.get("region", ""),
            postal_codes=sorted(c.get("codesPostaux", [])),
            population=c.get("population"),
            centre=centres.get(c["code"]),
            aliases=sorted(
                (aliases.get(c["code"], set()) | short_names(c["nom"], level))
                - {normalize_name(c["nom"])}
            ),
        )

    commune_ids = _sync(
        Level.COMMUNE,
        (
            territory(c, Level.COMMUNE, departement_ids.get(c.get("departement")))
            for c in communes
            if c["type"] == "commune-actuelle"
        ),
        report,
    )
    _sync(
        Level.ARRONDISSEMENT,
        (
            territory(c, Level.ARRONDISSEMENT, commune_ids.get(c["commune"]))
            for c in communes
            if c["type"] == "arrondissement-municipal"
        ),
        report,
    )
    # 36,000 rows written: the planner's statistics now (autovacuum may be off,
    # and would come later): unanalysed, the table was planned as the demo's few.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Territory._meta.db_table}")
    return report
