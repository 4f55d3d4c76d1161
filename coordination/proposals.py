"""Missing places proposed by anyone (/lieux/proposer/): read from the form, kept
out of sight in the moderation queue of the coordinators of their commune, and
created as places only when one of them accepts.

A proposal is a `Suggestion` whose `field` is NEW_PLACE: the same queue, scope and
decisions as corrections; `proposal` holds what the form read."""

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.postgres.search import TrigramSimilarity
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from places import geocoding
from places.models import Kind, Place, Term, Territory, Vocabulary
from places.understanding import POSTAL_CODE
from places.where import as_town, named

from .models import Suggestion
from .roles import OUT_OF_SCOPE, commune_in_scope
from .suggestions import deciding

SOURCE = "proposition"  # Place.source of the places created from proposals
TWIN_METRES = 200  # "already known as …?": places this close with a similar name…
TWIN_SIMILARITY = 0.4
TWINS_SHOWN = 5


def find_commune(text: str) -> tuple[Territory | None, str, str]:
    """The commune that `text` ("35000 Rennes", "Rennes", "75011 Paris") names, read
    as the search reads places (misspellings too), the postal code to write (the one
    typed, else the commune's when it has only one), and what is wrong when neither
    can be told for sure: a postal code and a name that disagree are not guessed
    between (a typo in the code would send the proposal to another territory)."""
    tokens = text.replace(",", " ").split()
    postal = next((t for t in tokens if POSTAL_CODE.match(t)), "")
    rest = " ".join(t for t in tokens if t != postal)
    by_code = named(postal).territory if postal else None
    if by_code is not None and postal not in by_code.postal_codes:
        by_code = None  # a commune's INSEE code, not a postal code
    if postal and by_code is None:
        return None, "", _("Code postal inconnu : %(code)s.") % {"code": postal}
    by_name = named(rest).territory if rest else None
    if by_name is not None:
        by_name = as_town(by_name)
    if rest and by_name is None:
        return None, "", _("Commune introuvable : écrivez son code postal et son nom.")
    if by_code is not None and by_name is not None:
        if by_code.pk == by_name.pk or by_code.parent_id == by_name.pk:
            commune = by_code  # "75011 Paris": Paris 11e
        elif postal in by_name.postal_codes:
            commune = by_name  # several communes share this postal code
        else:
            return (
                None,
                "",
                _("Le code postal %(code)s n’est pas celui de %(name)s : vérifiez-les.")
                % {"code": postal, "name": by_name},
            )
    else:
        commune = by_code or by_name
    if not postal:
        if len(commune.postal_codes) != 1:
            return (
                None,
                "",
                _("Cette commune a plusieurs codes postaux : écrivez le bon."),
            )
        postal = commune.postal_codes[0]
    return commune, postal, ""


def locate(address: str, postal_code: str, commune: Territory) -> tuple[Point, bool]:
    """The point of `address` in `commune` through the geocoder, else the commune's
    centre (then marked approximate, as imports do)."""
    try:
        found = geocoding.locate(f"{address} {postal_code} {commune.name}")
    except geocoding.GeocoderUnavailable:
        found = None
    codes = {commune.code, commune.parent.code if commune.parent else ""}
    if found is not None and found.citycode in codes:
        return Point(found.lon, found.lat, srid=4326), False
    return commune.centre, True


def twins(suggestion: Suggestion) -> list[Place]:
    """Places that may be the one proposed: a similar name within TWIN_METRES, or a
    similar name or the same address in the same commune (the import's duplicate
    check, issue 11, for one place). Published places only: a draft may belong to
    another territory, whose coordinators alone may see it."""
    data = suggestion.proposal
    name, address = data.get("name", ""), data.get("address", "")
    near = Q(commune=suggestion.commune)
    if data.get("lon") is not None and data.get("lat") is not None:
        point = Point(data["lon"], data["lat"], srid=4326)
        near |= Q(location__dwithin=(point, TWIN_METRES / 111_000))
    return list(
        Place.objects.published()
        .filter(near)
        .annotate(likeness=TrigramSimilarity("name", name))
        .filter(Q(likeness__gte=TWIN_SIMILARITY) | Q(address__iexact=address))
        .select_related("commune")
        .order_by("-likeness")[:TWINS_SHOWN]
    )


def accept(suggestion: Suggestion, user) -> Place:
    """Create the proposed place, published, its creation kept in the history under
    `user`. Raises PermissionDenied outside the user's scope, ValidationError (with
    nothing created) when the proposal no longer fits."""
    if not suggestion.is_proposal or not suggestion.proposal.get("name"):
        raise ValidationError(_("Ce n’est pas une proposition de lieu."))
    if suggestion.commune is None or not commune_in_scope(user, suggestion.commune):
        raise PermissionDenied(OUT_OF_SCOPE)
    data = suggestion.proposal
    lon, lat = data.get("lon"), data.get("lat")
    place = Place(
        name=data["name"],
        status=Place.Status.PUBLISHED,
        source=SOURCE,
        source_id=f"{SOURCE}-{suggestion.pk}",
        address=data["address"],
        postal_code=data["postal_code"],
        commune=suggestion.commune,
        location=Point(lon, lat, srid=4326) if lon is not None else None,
        location_is_approximate=bool(data.get("approximate")),
        opening_hours=data.get("opening_hours", ""),
        phone=data.get("phone", ""),
        emails=[data["contact_email"]] if data.get("contact_email") else [],
        websites=[data["url"]] if data.get("url") else [],
        data_updated_on=timezone.localdate(),
    )
    place.full_clean(exclude=["slug"])
    kind = Kind.objects.filter(code=data.get("kind")).first()
    if kind is None:  # removed from the reference lists since
        raise ValidationError(
            _("Ce type de lieu n’existe plus : créez le lieu à la main.")
        )
    services = Term.objects.filter(
        vocabulary=Vocabulary.SERVICE, code__in=data.get("services", [])
    )
    place._change_reason = _("Proposition n°%d acceptée") % suggestion.pk
    place._history_user = user
    with deciding(suggestion, user, Suggestion.Status.ACCEPTED):
        place.save()
        place.kinds.set([kind])
        if kind.structure_type_id:
            place.structure_types.set([kind.structure_type_id])
        place.services.set(services)
        suggestion.place = place
        suggestion.save(update_fields=["place"])
    return place


def tell_proposer(suggestion: Suggestion, request) -> bool:
    """Tell the person who proposed the place, in their language, what became of
    it (when they left an address). Returns whether a message was sent."""
    decided = (Suggestion.Status.ACCEPTED, Suggestion.Status.REJECTED)
    if not suggestion.is_proposal:
        return False  # a correction's address is only to ask a question
    if not suggestion.email or suggestion.status not in decided:
        return False  # "handled by hand": the coordinator writes, if need be
    name = suggestion.proposal.get("name", "")
    with translation.override(suggestion.language):
        if suggestion.status == Suggestion.Status.ACCEPTED and suggestion.place:
            link = request.build_absolute_uri(suggestion.place.get_absolute_url())
            subject = _("« %(name)s » est dans l’annuaire") % {"name": name}
            body = _(
                "Bonjour,\n\nMerci d’avoir proposé « %(name)s ». La personne qui "
                "coordonne les lieux de ce territoire l’a ajouté à l’annuaire :\n"
                "%(link)s\n"
            ) % {"name": name, "link": link}
        else:
            subject = _("Votre proposition « %(name)s »") % {"name": name}
            body = _(
                "Bonjour,\n\nMerci d’avoir proposé « %(name)s ». La personne qui "
                "coordonne les lieux de ce territoire ne l’a pas ajouté à l’annuaire "
                "(par exemple parce qu’il y figure déjà, ou n’accueille pas de "
                "public).\n"
            ) % {"name": name}
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [suggestion.email],
            fail_silently=True,
        )
    return True
