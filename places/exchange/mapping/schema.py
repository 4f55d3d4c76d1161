"""Our own mapping format, version 1, as a JSON Schema (docs/mapping.md explains
it; docs/mapping.schema.json is this schema written out, kept equal by a test),
and the schema's errors said in French, naming the key at fault."""

import jsonschema

from ..standard import COLUMNS, EXTENSION_COLUMNS, VOCABULARY_COLUMNS
from .transforms import MappingError

# Columns filled by value rules (the standard's vocabularies, our kinds and
# equipment, the itinerancy, and the free list of other labels).
VALUE_COLUMNS = [
    *VOCABULARY_COLUMNS,
    "itinerance",
    "autres_formations_labels",
    *EXTENSION_COLUMNS,
]
SCALAR_COLUMNS = [c for c in COLUMNS if c not in VALUE_COLUMNS]
DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "PH"]
SOURCES = ["colonne", "joindre", "valeur", "depuis_adresse", "jours"]
TEXTS = {"type": "array", "items": {"type": "string"}, "minItems": 1}


def _expression(hours: bool) -> dict:
    properties = {
        "colonne": {"anyOf": [{"type": "string"}, TEXTS]},
        "joindre": TEXTS,
        "separateur": {"type": "string"},
        "valeur": {"type": ["string", "number"]},
        "depuis_adresse": {"const": True},
        "decouper": {"type": "string", "minLength": 1},
        "partie": {"type": "integer", "minimum": 0},
        "motif": {"type": "string", "minLength": 1},
        "table": {"type": "object", "additionalProperties": {"type": "string"}},
        "date": {"const": True},
        "sinon": {"$ref": "#/$defs/horaires" if hours else "#/$defs/expression"},
    }
    if hours:
        properties["jours"] = {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": DAYS},
            "additionalProperties": {"type": "string", "minLength": 1},
        }
    return {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": properties,
    }


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Correspondance d’un fichier partenaire vers le standard des lieux de "
    "médiation numérique (format 1)",
    "type": "object",
    "required": ["version", "champs"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "description": {"type": "string"},
        "enregistrements": {"type": "string", "minLength": 1},
        "csv": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "separateur": {"enum": [",", ";", "\t", "|"]},
                "encodage": {"enum": ["utf-8", "windows-1252", "latin-1", "utf-16"]},
            },
        },
        "projection": {"enum": [4326, 2154, 3857]},
        "regrouper": {
            "type": "array",
            "items": {"enum": COLUMNS},
            "minItems": 1,
            "uniqueItems": True,
        },
        "champs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                **{c: {"$ref": "#/$defs/expression"} for c in SCALAR_COLUMNS},
                "horaires": {"$ref": "#/$defs/horaires"},
                **{c: {"$ref": "#/$defs/regles"} for c in VALUE_COLUMNS},
            },
        },
    },
    "$defs": {
        "expression": _expression(hours=False),
        "horaires": _expression(hours=True),
        "regles": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "dependentRequired": {"contient": ["colonnes"], "sauf": ["colonnes"]},
                "properties": {
                    "colonnes": TEXTS,
                    "contient": TEXTS,
                    "sauf": TEXTS,
                    "valeurs": TEXTS,
                    "table": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {
                            "anyOf": [{"type": "string"}, {"type": "array"}]
                        },
                    },
                },
            },
        },
    },
}
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
TYPES = {
    "string": "un texte",
    "number": "un nombre",
    "integer": "un nombre entier",
    "object": "un objet",
    "array": "une liste",
    "boolean": "vrai ou faux",
}


def where(error: jsonschema.ValidationError) -> str:
    path = "".join(
        f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
    ).lstrip(".")
    return f"« {path} »" if path else "la correspondance"


def said(error: jsonschema.ValidationError) -> str:
    """One schema error in French, naming the key at fault."""
    at, kind, schema = where(error), error.validator, error.validator_value
    if kind == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(str(k) for k in error.instance if k not in known)
        if error.absolute_path and error.absolute_path[-1] == "champs":
            return f"Colonnes inconnues du standard : {', '.join(unknown)}."
        return f"{at} : clés inconnues : {', '.join(unknown)}."
    if kind == "required":
        missing = [k for k in schema if k not in error.instance]
        return f"{at} : « {', '.join(missing)} » manque."
    if kind == "type":
        names = schema if isinstance(schema, list) else [schema]
        return f"{at} : attendu : {' ou '.join(TYPES[n] for n in names)}."
    if kind in ("const", "enum"):
        allowed = [schema] if kind == "const" else schema
        shown = ", ".join(repr(a) for a in allowed[:12])
        return (
            f"{at} : « {str(error.instance)[:60]} » n’est pas permis "
            f"(attendu : {shown})."
        )
    if kind == "anyOf":
        return f"{at} : attendu : un texte ou une liste de textes."
    if kind == "dependentRequired":
        return f"{at} : « contient » et « sauf » lisent des « colonnes »."
    if kind in ("minItems", "minLength", "minProperties"):
        return f"{at} : ne peut être vide."
    if kind == "minimum":
        return f"{at} : attendu : un nombre d’au moins {schema}."
    if kind == "uniqueItems":
        return f"{at} : un élément y est en double."
    if kind == "propertyNames":
        return f"{at} : « {str(error.instance)[:60]} » n’est pas permis."
    return f"{at} : {error.message}"  # a rule of the schema not foreseen above


def validate(document) -> None:
    """Raise MappingError with every fault of `document`, in the order of its keys."""
    errors = sorted(
        VALIDATOR.iter_errors(document), key=lambda e: list(map(str, e.path))
    )
    if errors:
        raise MappingError(" ".join(dict.fromkeys(said(e) for e in errors[:8])))
