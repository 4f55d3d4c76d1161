"""What a row of a file says about a place, and what happened to its values
(`Issue`: reformatted, shortened, unknown to the standard, ignored)."""

from dataclasses import dataclass, field


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
