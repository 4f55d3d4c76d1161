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


# A mapping longer than this is no mapping (the longest development one: 20 kB).
LONGEST = 500_000


def _yaml(text: str):
    """YAML without anchors nor aliases: `*a` repeated in `*b`… is a billion
    values in a few hundred bytes, and no mapping needs them."""
    if any(
        isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
        for event in yaml.parse(text, Loader=yaml.SafeLoader)
    ):
        raise MappingError("Correspondance refusée : pas d’ancres ni d’alias YAML.")
    return yaml.safe_load(text)


def parse_mapping(text: str) -> Mapping:
    """A mapping from its text: ours (it has `version` or `champs`), in YAML or
    JSON, or the converter's JSON config."""
    if len(text) > LONGEST:
        raise MappingError(
            f"Correspondance trop longue (plus de {LONGEST} caractères)."
        )
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else _yaml(text)
    except MappingError:
        raise
    except (ValueError, yaml.YAMLError) as error:
        raise MappingError(f"Correspondance illisible : {error}") from error
    except RecursionError as error:
        raise MappingError("Correspondance trop profondément imbriquée.") from error
    try:
        if isinstance(document, dict) and {"version", "champs"} & set(document):
            return Mapping.checked(document)
        return Mapping.checked(converter.translate(document), origin="convertisseur")
    except RecursionError as error:  # "sinon" within "sinon" within…
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
