import re

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse, translate_url
from django.utils.formats import number_format
from django.utils.html import format_html, json_script
from django.utils.translation import (
    get_language,
    get_language_info,
    gettext_noop,
    override,
)
from django.utils.translation import gettext as _

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
        return _("à %(metres)d m") % {"metres": int(round(metres, -1))}
    return _("à %(km)s km") % {"km": number_format(metres / 1000, 1)}


@register.simple_tag(takes_context=True)
def language_versions(context) -> list[dict]:
    """The current page in each language (query string kept): its code, its name
    in that language, its absolute address, and whether it is the one shown."""
    request = context.get("request")
    if request is None:  # an error page rendered without its request
        return []
    current = get_language()
    # A page that does not exist (no resolver match): the other language's home.
    found = getattr(request, "resolver_match", None) is not None
    versions = []
    for code, _name in settings.LANGUAGES:
        if found:
            path = translate_url(request.get_full_path(), code)
        else:
            with override(code):
                path = reverse("places:home")
        versions.append(
            {
                "code": code,
                "name": get_language_info(code)["name_local"].capitalize(),
                "url": request.build_absolute_uri(path),
                "current": code == current,
                "alternate": found,  # the same page: an hreflang alternate
            }
        )
    return versions


# What the scripts say (static/js/*.js, through static/js/i18n.js), in French: the
# keys of the translations written into each page that is not in French.
JS_MESSAGES = [
    gettext_noop("Ouvert maintenant"),
    gettext_noop("Fermé maintenant"),
    gettext_noop("%s lieux : zoomer sur ce groupe"),
    gettext_noop("%s lieux sur la carte"),
    gettext_noop("%s lieu sur la carte"),
    gettext_noop(" (regroupés : zoomez pour les voir un à un)"),
    gettext_noop(
        "La carte n’a pas pu être chargée. La liste des lieux reste disponible."
    ),
    gettext_noop("%s habitants"),
    gettext_noop("aucun lieu"),
    gettext_noop("%s km du lieu le plus proche"),
    gettext_noop(
        "La carte n’a pas pu être chargée ; les tableaux de cette page donnent les "
        "mêmes informations."
    ),
    gettext_noop("Recherche de votre position…"),
    gettext_noop(
        "Position non disponible : tapez le nom de votre ville ou son code postal."
    ),
    gettext_noop("Lundi"),
    gettext_noop("Mardi"),
    gettext_noop("Mercredi"),
    gettext_noop("Jeudi"),
    gettext_noop("Vendredi"),
    gettext_noop("Samedi"),
    gettext_noop("Dimanche"),
    gettext_noop("Aperçu : "),
    gettext_noop(" : "),
    gettext_noop("fermé"),
    gettext_noop("Horaires avancés : modifiez le texte ci-dessus directement."),
]


@register.simple_tag
def js_messages() -> str:
    """The scripts' messages in the page's language, and the script that gives them
    to the others (static/js/i18n.js, before them). Nothing in French: the scripts
    are written in it."""
    if get_language() == settings.LANGUAGE_CODE:
        return ""
    return format_html(
        '{}<script src="{}" defer></script>',
        json_script({text: _(text) for text in JS_MESSAGES}, "js-messages"),
        static("js/i18n.js"),
    )
