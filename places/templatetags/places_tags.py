import re

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def phone_display(number: str) -> str:
    """+33123456789 → 01 23 45 67 89; other numbers are shown as stored."""
    if re.fullmatch(r"\+33[1-9][0-9]{8}", number or ""):
        national = "0" + number[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return number


@register.filter
def distance_display(distance) -> str:
    """A distance (GeoDjango `Distance`) as "à 850 m" or "à 1,2 km"."""
    metres = distance.m
    if metres < 1000:
        return f"à {int(round(metres, -1))} m"
    return f"à {number_format(metres / 1000, 1)} km"
