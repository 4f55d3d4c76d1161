"""Partners' own layouts (issue 16), read through a mapping: our own format
(docs/mapping.md, YAML or JSON, validated by a JSON Schema) or the national
converter's `*.config.json`, which is translated into ours. Each record of the
partner's file becomes a row of the standard, which the importer then reads as it
reads a standard file (same report, same per-row reasons, same scope)."""

import json
from pathlib import Path

import yaml

from . import converter
from .engine import Mapping
from .transforms import MappingError, derived_id, flatten, postcode_in

__all__ = [
    "Mapping",
    "MappingError",
    "as_text",
    "derived_id",
    "dumped",
    "flatten",
    "parse_mapping",
    "postcode_in",
    "read_mapping",
]


def parse_mapping(text: str) -> Mapping:
    """A mapping from its text: ours (it has `version` or `champs`), in YAML or
    JSON, or the converter's JSON config."""
    try:
        if text.lstrip().startswith("{"):
            document = json.loads(text)
        else:
            document = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise MappingError(f"Correspondance illisible : {error}") from error
    except RecursionError as error:
        raise MappingError("Correspondance trop profondément imbriquée.") from error
    if isinstance(document, dict) and {"version", "champs"} & set(document):
        return Mapping.checked(document)
    try:
        return Mapping.checked(converter.translate(document), origin="convertisseur")
    except RecursionError as error:  # "ou" within "ou" within…
        raise MappingError("Correspondance trop profondément imbriquée.") from error


def read_mapping(path: str | Path) -> Mapping:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise MappingError(f"Correspondance illisible : {error}") from error
    return parse_mapping(text)


def as_text(mapping: Mapping) -> str:
    """A mapping written in our format (YAML), e.g. a converter config translated."""
    return dumped(mapping.document)


def dumped(document: dict) -> str:
    """A mapping document in YAML, as people read it (keys in their order)."""
    return yaml.safe_dump(
        document,
        allow_unicode=True,
        sort_keys=False,
        width=88,
        default_flow_style=None,
    )
