"""Signals of the places app for the data derived from places elsewhere."""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .caching import forget_place_pages

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
        if instance.slug:  # a deleted place's id no longer gives its slug
            slug = instance.slug
            transaction.on_commit(lambda: forget_place_pages([slug]), using=using)


# What a place shows of a vocabulary value or a kind: the API gives the standard's
# value and the codes, so a change of these dates every place that carries it.
SHOWN = {"Term": (("code", "value"), "term_ids"), "Kind": (("code",), "kind_ids")}


def shown(instance) -> tuple[type, tuple[str, ...], str] | None:
    """(model, the fields places show, the places' array of its ids), for a term
    (of any vocabulary's proxy) or a kind; None for anything else."""
    from .models import Kind, Term

    for model in (Term, Kind):
        if isinstance(instance, model):
            return model, *SHOWN[model.__name__]
    return None


def vocabulary_saving(sender, instance, raw=False, **kwargs):
    """Before a term or a kind is saved: what its places showed of it."""
    found = shown(instance)
    if found and not raw and instance.pk is not None:
        model, fields, _column = found
        instance._shown_before = (
            model.objects.filter(pk=instance.pk).values_list(*fields).first()
        )


def vocabulary_saved(sender, instance, created=False, raw=False, **kwargs):
    """A term or a kind renamed in the admin: its places are modified too
    (`updated_at`, the API's `modifie_le`), for partners who synchronise by date."""
    from .models import Place

    found = shown(instance)
    if not found or raw or created:
        return
    _model, fields, column = found
    if getattr(instance, "_shown_before", None) != tuple(
        getattr(instance, name) for name in fields
    ):
        Place.objects.filter(**{f"{column}__contains": [instance.pk]}).update(
            updated_at=timezone.now()
        )
