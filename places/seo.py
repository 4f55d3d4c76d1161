"""What search engines and link previews read: schema.org data of a place."""

from django.utils.html import json_script
from django.utils.safestring import mark_safe

from .models import Place

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def place_data(place: Place, url: str) -> dict:
    """schema.org `CivicStructure` (a public place that has opening hours)."""
    data = {
        "@context": "https://schema.org",
        "@type": "CivicStructure",
        "name": place.name,
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": ", ".join(
                filter(None, [place.address, place.address_extra])
            ),
            "postalCode": place.postal_code,
            "addressLocality": place.commune.name,
            "addressCountry": "FR",
        },
    }
    if place.summary:
        data["description"] = place.summary
    if place.location:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": round(place.location.y, 6),
            "longitude": round(place.location.x, 6),
        }
    if place.phone:
        data["telephone"] = place.phone
    if place.emails:
        data["email"] = place.emails[0]
    if place.websites:
        data["sameAs"] = place.websites
    specifications = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{DAYS[day.date.weekday()]}",
            "opens": f"{begin:%H:%M}",
            "closes": f"{end:%H:%M}",
        }
        for day in place.week()
        for begin, end in day.intervals
    ]
    if specifications:
        data["openingHoursSpecification"] = specifications
    return data


def json_ld(data: dict) -> str:
    """A `<script type="application/ld+json">` block, escaped as `json_script` does
    (a data block: never executed, allowed by a strict Content-Security-Policy)."""
    block = json_script(data).replace(
        'type="application/json"', 'type="application/ld+json"', 1
    )
    return mark_safe(block)  # json_script has escaped the content
