"""What a row of a file says about a place, and what happened to its values
(`Issue`: reformatted, shortened, unknown to the standard, ignored)."""

from dataclasses import dataclass, field

# What a row says of a place besides its links, as `Place` fields (written by
# imports; derived from a place's records, places/merging.py).
SCALAR_FIELDS = [
    "name", "pivot", "parent_network", "summary", "description", "other_labels",
    "address", "address_extra", "postal_code", "commune_id", "location",
    "location_is_approximate", "itinerant", "fixed_site", "opening_hours",
    "opening_hours_valid", "phone", "emails", "websites", "booking_url",
    "accessibility_url", "data_updated_on", "unmapped_values", "flags",
]  # fmt: skip


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
    row: dict | None = None  # the row as received (kept on the source's record)
