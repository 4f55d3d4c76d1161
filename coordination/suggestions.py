"""Citizens' suggestions: received, sent to the right coordinators, accepted (the
change applied and kept in the place's history) or rejected."""

import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from places import merging
from places.exchange.values import e164_number
from places.french_hours import read_hours
from places.models import Place

from .models import Suggestion
from .roles import coordinators_for

Field = Suggestion.Field


def current_value(place: Place, field: str) -> str:
    if field in (Field.EMAILS, Field.WEBSITES):
        return ", ".join(getattr(place, field))
    if field in (Field.NAME, Field.ADDRESS, Field.OPENING_HOURS, Field.PHONE):
        return getattr(place, field)
    return ""


def notify(suggestion: Suggestion, request) -> list[str]:
    """Tell the coordinators whose territory holds the place (or the proposed
    place's commune); returns who. In French: the admin's language."""
    commune = suggestion.place.commune if suggestion.place else suggestion.commune
    recipients = [c.user.email for c in coordinators_for(commune) if c.user.email]
    if not recipients:
        return recipients
    link = request.build_absolute_uri(
        reverse("admin:coordination_suggestion_change", args=[suggestion.pk])
    )
    with translation.override(settings.LANGUAGE_CODE):
        if suggestion.is_proposal:
            name = suggestion.proposal.get("name", "")
            subject = _("Lieu proposé : %(name)s") % {"name": name}
            body = _(
                "Une personne propose d’ajouter « %(name)s » (%(town)s).\n\n"
                "Précisions : %(comment)s\n\nPour l’accepter ou la refuser : %(link)s"
            ) % {
                "name": name,
                "town": commune,
                "comment": suggestion.comment or "—",
                "link": link,
            }
        else:
            subject = _("Suggestion de modification : %(place)s") % {
                "place": suggestion.place
            }
            body = _(
                "Une personne signale une erreur sur « %(place)s » (%(field)s).\n\n"
                "Valeur proposée : %(value)s\nPrécisions : %(comment)s\n\n"
                "Pour l’accepter ou la refuser : %(link)s"
            ) % {
                "place": suggestion.place,
                "field": suggestion.get_field_display(),
                "value": suggestion.proposed_value or "—",
                "comment": suggestion.comment or "—",
                "link": link,
            }
    send_mail(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        fail_silently=True,  # the suggestion is saved whatever the mail server
    )
    return recipients


def readable(field: str, value: str) -> str:
    """`value` as a place takes it: hours written as people write them ("lundi
    9h-12h") read into OSM hours when possible."""
    value = value.strip()
    if field == Field.OPENING_HOURS:
        return read_hours(value) or value
    return value


def value_to_apply(suggestion: Suggestion) -> str:
    """What a coordinator is offered to apply: the citizen's value, readable."""
    return readable(suggestion.field, suggestion.proposed_value)


def accept(suggestion: Suggestion, user) -> None:
    """Apply the suggestion's value to its place (the coordinator's
    `applied_value`, else the citizen's, hours read as `value_to_apply` does),
    recorded in the history under `user`. Raises ValidationError, with nothing
    changed, when the value does not fit."""
    if suggestion.status != Suggestion.Status.PENDING or suggestion.is_proposal:
        raise ValidationError(_("Cette suggestion a déjà été traitée."))
    place = suggestion.place
    if place.status == Place.Status.MERGED and place.merged_into is not None:
        # The place is now part of another: the suggestion is about that one.
        place = place.merged_into
    field = suggestion.field
    value = readable(field, suggestion.applied_value or suggestion.proposed_value)
    if field == Field.CLOSED:
        place.status = Place.Status.CLOSED
    elif field == Field.PHONE:
        place.phone = e164_number(value, "FR") if value else ""
        if value and not place.phone:
            raise ValidationError(_("Numéro de téléphone illisible : %s") % value)
    elif field in (Field.EMAILS, Field.WEBSITES):
        setattr(place, field, [v.strip() for v in value.split(",") if v.strip()])
    elif field in (Field.NAME, Field.ADDRESS, Field.OPENING_HOURS):
        setattr(place, field, value)
    # Field.OTHER: the coordinator makes the change by hand; nothing to apply.
    if field != Field.OTHER:
        place.full_clean()
        place._change_reason = _("Suggestion n°%d acceptée") % suggestion.pk
        place._history_user = user
    with deciding(suggestion, user, Suggestion.Status.ACCEPTED):
        if field not in (Field.OTHER, Field.CLOSED):
            # A coordinator's decision: kept over later imports (places/merging.py).
            merging.mark_local(place, [field])
        if field != Field.OTHER:
            place.save()
        suggestion.applied_value = value
        suggestion.save(update_fields=["applied_value"])


@contextlib.contextmanager
def deciding(suggestion: Suggestion, user, status: str):
    """One decision, once: within one transaction the suggestion's row is locked
    and read again — still pending, or ValidationError (a double click, two
    coordinators: `suggestion` may be stale) — then the block runs and the
    suggestion is recorded as `status`, decided by `user`."""
    with transaction.atomic():
        locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.status != Suggestion.Status.PENDING:
            raise ValidationError(_("Cette suggestion a déjà été traitée."))
        yield
        suggestion.status = status
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])


def decide(suggestion: Suggestion, user, status: str) -> bool:
    """Close a pending suggestion as `status`; False (nothing changed) when someone
    decided it meanwhile."""
    try:
        with deciding(suggestion, user, status):
            pass
    except ValidationError:
        return False
    return True
