"""The national converter's `*.config.json` (../shared/data/partners/README.md), read
as it is and translated into our own format (docs/mapping.md), which one engine
applies: every partner config works unchanged, and `manage.py convert_mapping`
writes it in our format to be edited.

What a config says, per column of the standard:
- `{"colonne": "Nom"}`, a dotted path into nested JSON (`properties.nom`), or a list
  of them (the first non-empty); an empty name for `code_postal` / `commune`: taken
  out of the address ("12 rue X 51200 Épernay");
- `{"joindre": {"colonnes": [...], "séparateur": " ", "ou": <rule>}}`;
- `{"dissocier": {"colonne": "geo", "séparateur": ",", "partie": 0}}`;
- `{"valeur": "2023-01-15"}`, a constant;
- for a column of values (services, typologie…): a list of
  `{"colonnes": [...], "termes": [...], "sauf": [...], "cible": "<value>"}` — the
  value is added when a column contains one of the terms (case-insensitive) and
  none of the `sauf` ones; without terms, any non-empty value; without columns,
  always;
- `horaires`: `{"osm": col}` (opening_hours, or free text), `{"semaine": col}` (free
  text), `{"jours": [{"colonne": "h_lundi", "osm": "Mo"}, …]}`, the first that
  gives something.

Unlike the converter, a key or rule it does not know is refused, with its name.
"""

from ..standard import COLUMNS, VOCABULARY_COLUMNS
from .transforms import MappingError

SCALAR_RULES = {"colonne", "joindre", "dissocier", "valeur"}
VALUE_RULE_KEYS = {"colonnes", "termes", "sauf", "cible"}
VALUE_COLUMNS = set(VOCABULARY_COLUMNS) | {"itinerance", "autres_formations_labels"}
# Keys of the converter that are no column of the standard: read, not used (the
# standard has nowhere to put the weeks an itinerant bus comes).
CONVERTER_ONLY = {"semaine_ouverture"}
HOURS = "horaires"
HOURS_RULES = {"osm", "semaine", "jours"}


def _check_columns(value, where: str) -> None:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(name, str) for name in names):
        raise MappingError(f"{where} : « colonne » attend un nom ou une liste de noms.")


def _check_scalar(column: str, rule) -> None:
    where = f"« {column} »"
    if not isinstance(rule, dict) or len(rule) != 1 or set(rule) - SCALAR_RULES:
        found = (
            ", ".join(sorted(rule)) if isinstance(rule, dict) else type(rule).__name__
        )
        raise MappingError(
            f"{where} : une règle parmi {', '.join(sorted(SCALAR_RULES))} est "
            f"attendue (lu : {found})."
        )
    kind, body = next(iter(rule.items()))
    if kind == "colonne":
        _check_columns(body, where)
    elif kind == "valeur":
        if not isinstance(body, str | int | float) or isinstance(body, bool):
            raise MappingError(f"{where} : « valeur » attend un texte ou un nombre.")
    elif kind == "joindre":
        unknown = (
            set(body) - {"colonnes", "séparateur", "ou"}
            if isinstance(body, dict)
            else {"?"}
        )
        if unknown or not isinstance(body.get("colonnes"), list):
            raise MappingError(
                f"{where} : « joindre » mal formé "
                f"({', '.join(sorted(unknown)) or 'colonnes'})."
            )
        _check_columns(body["colonnes"], where)
        if not isinstance(body.get("séparateur", " "), str):
            raise MappingError(f"{where} : « séparateur » attend un texte.")
        if "ou" in body:
            _check_scalar(column, body["ou"])
    elif kind == "dissocier":
        keys = {"colonne", "séparateur", "partie"}
        if isinstance(body, dict) and set(body) - keys:
            unknown = ", ".join(sorted(set(body) - keys))
            raise MappingError(f"{where} : « dissocier », clés inconnues : {unknown}.")
        if isinstance(body, dict) and "colonne" in body:
            _check_columns(body["colonne"], where)
        if (
            not isinstance(body, dict)
            or set(body) != keys
            or not isinstance(body["séparateur"], str)
            or not body["séparateur"]
            or not isinstance(body["partie"], int)
            or isinstance(body["partie"], bool)
            or body["partie"] < 0
        ):
            raise MappingError(
                f"{where} : « dissocier » attend colonne, séparateur et partie."
            )


def _check_values(column: str, rules) -> None:
    if not isinstance(rules, list):
        raise MappingError(f"« {column} » : une liste de règles est attendue.")
    for n, rule in enumerate(rules, start=1):
        where = f"« {column} », règle {n}"
        if not isinstance(rule, dict):
            raise MappingError(f"{where} : un objet est attendu.")
        unknown = set(rule) - VALUE_RULE_KEYS
        if unknown:
            raise MappingError(
                f"{where} : clés inconnues : {', '.join(sorted(unknown))}."
            )
        if not isinstance(rule.get("cible"), str) or not rule["cible"].strip():
            raise MappingError(f"{where} : « cible » (la valeur du standard) manque.")
        for key in ("colonnes", "termes", "sauf"):
            if key in rule and not (
                isinstance(rule[key], list)
                and all(isinstance(v, str) for v in rule[key])
            ):
                raise MappingError(f"{where} : « {key} » attend une liste de textes.")


def _check_hours(rule) -> None:
    if isinstance(rule, dict) and set(rule) - HOURS_RULES:
        unknown = ", ".join(sorted(set(rule) - HOURS_RULES))
        raise MappingError(f"« {HOURS} » : clés inconnues : {unknown}.")
    if not isinstance(rule, dict) or not rule:
        raise MappingError(
            f"« {HOURS} » : une règle parmi {', '.join(sorted(HOURS_RULES))} "
            "est attendue."
        )
    for key in ("osm", "semaine"):
        if key in rule:
            _check_columns(rule[key], f"« {HOURS} » ({key})")
    days = rule.get("jours")
    if days is not None and not (
        isinstance(days, list)
        and all(
            isinstance(d, dict)
            and set(d) == {"colonne", "osm"}
            and all(isinstance(v, str) for v in d.values())
            for d in days
        )
    ):
        raise MappingError(f"« {HOURS} » : « jours » attend des {{colonne, osm}}.")


def checked(rules) -> dict:
    """A converter config, checked: its unknown keys and wrong rules named."""
    if not isinstance(rules, dict):
        raise MappingError("Une correspondance est un objet JSON.")
    unknown = set(rules) - set(COLUMNS) - CONVERTER_ONLY
    if unknown:
        raise MappingError(
            f"Colonnes inconnues du standard : {', '.join(sorted(unknown))}."
        )
    for column, rule in rules.items():
        if column in VALUE_COLUMNS:
            _check_values(column, rule)
        elif column == HOURS:
            _check_hours(rule)
        else:
            _check_scalar(column, rule)
    return rules


def _expression(column: str, rule: dict) -> dict | None:
    kind, body = next(iter(rule.items()))
    if kind == "colonne":
        if body == "" and column in ("code_postal", "commune"):
            return {"depuis_adresse": True}
        return {"colonne": body} if body not in ("", []) else None
    if kind == "valeur":
        return {"valeur": body}
    if kind == "dissocier":
        return {
            "colonne": body["colonne"],
            "decouper": body["séparateur"],
            "partie": body["partie"],
        }
    joined = {"joindre": body["colonnes"], "separateur": body.get("séparateur", " ")}
    fallback = _expression(column, body["ou"]) if "ou" in body else None
    return {**joined, "sinon": fallback} if fallback else joined


def _rule(rule: dict) -> dict | None:
    ours = {}
    if "colonnes" in rule:
        ours["colonnes"] = rule["colonnes"]
        if "termes" in rule:
            if not rule["termes"]:
                return None  # no term: the converter never matches
            ours["contient"] = rule["termes"]
        if rule.get("sauf"):
            ours["sauf"] = rule["sauf"]
    return {**ours, "valeurs": [rule["cible"]]}


def _hours(rule: dict) -> dict:
    names = []
    for key in ("osm", "semaine"):
        found = rule.get(key) or []
        names += found if isinstance(found, list) else [found]
    days = {d["osm"]: d["colonne"] for d in rule.get("jours", [])}
    if len(days) < len(rule.get("jours", [])):
        named = [d["osm"] for d in rule["jours"]]
        twice = sorted({day for day in named if named.count(day) > 1})
        raise MappingError(
            f"« {HOURS} » : « jours » nomme deux fois {', '.join(twice)} ; une "
            "colonne par jour est attendue."
        )
    if not names:
        return {"jours": days}
    ours = {"colonne": list(dict.fromkeys(n for n in names if n))}
    return {**ours, "sinon": {"jours": days}} if days else ours


def translate(rules) -> dict:
    """A converter config (checked) in our format, meaning the same."""
    fields = {}
    for column, rule in checked(rules).items():
        if column in CONVERTER_ONLY:
            continue
        if column in VALUE_COLUMNS:
            fields[column] = [r for r in map(_rule, rule) if r]
        elif column == HOURS:
            fields[column] = _hours(rule)
        elif expression := _expression(column, rule):
            fields[column] = expression
    return {"version": 1, "champs": fields}
