"""Places as the API gives them: plain values read for a whole page at once (the
place rows, their vocabulary values, their openings), never one query per place."""

import datetime as dt

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from places.exchange.exporter import itinerance, linked_values
from places.exchange.standard import VOCABULARY_COLUMNS
from places.models import Kind, Place, PointX, PointY, Term, Vocabulary

from .serializers import STATUS_CODES

FIELDS = (
    "id", "slug", "status", "updated_at", "name", "pivot", "parent_network",
    "address", "address_extra", "postal_code", "commune__name", "commune__code",
    "location_is_approximate", "itinerant", "fixed_site", "phone", "emails",
    "websites", "booking_url", "accessibility_url", "opening_hours",
    "opening_hours_valid", "summary", "description", "kind_ids", "term_ids",
    "other_labels", "source", "data_updated_on",
)  # fmt: skip


def place_values(queryset: QuerySet) -> QuerySet:
    """`queryset` as the plain values `place_rows` needs."""
    extra = ["distance"] if "distance" in queryset.query.annotations else []
    return queryset.annotate(lon=PointX("location"), lat=PointY("location")).values(
        *FIELDS, "lon", "lat", *extra
    )


def openings(ids: list[int], now: dt.datetime, using: str) -> dict[int, tuple]:
    """(open at `now`, start of the next opening) of the places `ids`, from their
    opening periods (places.models.OpeningPeriod). Looked up place by place on the
    place_id index: a plan that holds whatever the table's statistics say (a
    grouped scan of all of them went parallel on stale statistics, 12 ms a page)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.id,"
            " EXISTS (SELECT FROM places_openingperiod o"
            "  WHERE o.place_id = p.id AND o.during @> %s::timestamptz),"
            " (SELECT min(lower(o.during)) FROM places_openingperiod o"
            "  WHERE o.place_id = p.id AND lower(o.during) > %s)"
            " FROM unnest(%s::bigint[]) p(id)",
            [now, now, ids],
        )
        return {pk: (is_open, start) for pk, is_open, start in cursor.fetchall()}


def or_none(value: str) -> str | None:
    return value or None


def place_rows(places: list[dict], base_url: str, using: str) -> list[dict]:
    """The API's representation of `places` (from `place_values`), in their order.
    `base_url`: the site's address, for the pages' URLs."""
    if not places:
        return []
    public = [place["id"] for place in places if place["status"] != "draft"]
    terms = Term.objects.using(using).values_list(
        "pk", "position", "value", "code", "vocabulary"
    )
    equipment = {pk: code for pk, *_, code, vocabulary in terms
                 if vocabulary == Vocabulary.EQUIPMENT}  # fmt: skip
    values = {pk: (position, pk, value) for pk, position, value, *_ in terms}
    links = linked_values(public, values, using) if public else {}
    now = timezone.now()
    opening = openings(public, now, using) if public else {}
    kinds = dict(Kind.objects.using(using).values_list("pk", "code"))
    rows = []
    for place in places:
        row = {"id": place["id"], "statut": STATUS_CODES[place["status"]]}
        if place["status"] in (Place.Status.DRAFT, Place.Status.MERGED):
            # Withdrawn: nothing more is public (not even the slug: a place never
            # published would give its name away).
            rows.append({**row, "modifie_le": place["updated_at"].isoformat()})
            continue
        row.update(slug=place["slug"], modifie_le=place["updated_at"].isoformat())
        # Hours of a place closed for good say nothing of when to come.
        hours_known = (
            bool(place["opening_hours"])
            and place["opening_hours_valid"]
            and place["status"] == Place.Status.PUBLISHED
        )
        is_open, next_opening = opening.get(place["id"], (False, None))
        row.update(
            url=f"{base_url}/lieux/{place['slug']}/",
            nom=place["name"],
            pivot=or_none(place["pivot"]),
            structure_parente=or_none(place["parent_network"]),
            adresse=place["address"],
            complement_adresse=or_none(place["address_extra"]),
            code_postal=place["postal_code"],
            commune=place["commune__name"],
            code_insee=place["commune__code"],
            latitude=place["lat"],
            longitude=place["lon"],
            position_approximative=place["location_is_approximate"],
            itinerance=itinerance(place),
            telephone=or_none(place["phone"]),
            courriels=place["emails"],
            site_web=place["websites"],
            prise_rdv=or_none(place["booking_url"]),
            fiche_acces_libre=or_none(place["accessibility_url"]),
            horaires=or_none(place["opening_hours"]),
            ouvert_maintenant=bool(is_open) if hours_known else None,
            prochaine_ouverture=(
                next_opening.isoformat() if hours_known and next_opening else None
            ),
            presentation_resume=or_none(place["summary"]),
            presentation_detail=or_none(place["description"]),
            types=[kinds[pk] for pk in place["kind_ids"] if pk in kinds],
            equipements=[equipment[pk] for pk in place["term_ids"] if pk in equipment],
            autres_formations_labels=or_none(place["other_labels"]),
            source=or_none(place["source"]),
            date_maj=place["data_updated_on"].isoformat(),
        )
        found = links.get(place["id"], {})
        for column, (_, field) in VOCABULARY_COLUMNS.items():
            row[column] = found.get(field, [])
        if place.get("distance") is not None:
            row["distance_m"] = round(place["distance"].m, 1)
        rows.append(row)
    return rows
