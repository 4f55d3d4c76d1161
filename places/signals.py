"""Signals of the places app for the data derived from places elsewhere."""

from django.db import transaction
from django.dispatch import Signal

# Sent once the transaction that changed places has committed, with `place_ids`:
# the ids of the places created, edited, published, withdrawn, closed or deleted,
# or None when too many changed to say (an import).
places_changed = Signal()


def send_after_commit(place_ids: list[int] | None, using: str = "default") -> None:
    transaction.on_commit(
        lambda: places_changed.send(sender=None, place_ids=place_ids), using=using
    )


def place_saved(sender, instance, raw=False, using="default", **kwargs):
    """Every save or deletion of a place, once committed (fixtures are left to the
    commands that load them, which refresh everything)."""
    if not raw:
        send_after_commit([instance.pk], using)
