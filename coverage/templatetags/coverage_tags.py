from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from coverage.figures import band_of

register = template.Library()


@register.filter
def km(metres: float | None) -> str:
    """12,3 km (French decimal comma); "aucun lieu" when there is none."""
    if metres is None:
        return _("aucun lieu")
    return _("%(km)s km") % {"km": floatformat(metres / 1000, 1)}


@register.filter
def percent(share: float) -> str:
    return _("%(value)s %%") % {"value": floatformat(share * 100, 1)}


@register.filter
def band(metres: float | None) -> int:
    """The index of the distance band (legend and map colours)."""
    return band_of(metres)
