"""What an import says it did: counts, and each row it rejected or changed with
its line, field, value and reason."""

from dataclasses import asdict, dataclass, field

from .records import Issue


@dataclass
class RowReport:
    line: int
    id: str
    name: str
    status: str  # "rejected" or "flagged"
    issues: list[Issue]


@dataclass
class ImportReport:
    source: str
    format: str = ""
    version: str = ""
    encoding: str = ""
    dry_run: bool = False
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    closed: int = 0
    flagged: int = 0
    seconds: float = 0.0
    openings_seconds: float = 0.0
    ignored_columns: list[str] = field(default_factory=list)
    # Read through a mapping: rows grouped into another one (the same place), and
    # per column the cells its value tables did not know, with their counts.
    grouped: int = 0
    mapping_warnings: list[str] = field(default_factory=list)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    unmapped_rules: dict[str, dict[str, int]] = field(default_factory=dict)
    duplicates: list[dict] = field(default_factory=list)
    # One place, once (places/matching.py): places merged into another because the
    # rules were sure; imported values not applied because a coordinator changed
    # that field (line, id, field).
    merged: int = 0
    conflicts: list[dict] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        grouped = f"{self.grouped} rows grouped into others, " if self.grouped else ""
        return (
            f"{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, "
            f"{self.rejected} rejected, {self.closed} closed ({self.flagged} flagged, "
            f"{grouped}{self.merged} merged, {len(self.duplicates)} possible "
            f"duplicates, {len(self.conflicts)} local changes kept) — {self.rows_read} "
            f"rows in {self.seconds:.1f} s (then {self.openings_seconds:.1f} s of "
            "statistics and opening periods)"
        )
