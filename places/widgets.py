from django import forms
from django.urls import reverse_lazy


class OpeningHoursWidget(forms.TextInput):
    """The OSM `opening_hours` text, with an editor by day and time slot beside it
    (static/js/hours-editor.js: it writes the text, which stays the value sent) and
    a preview of "open now" and the coming week. Without JavaScript, the text."""

    template_name = "places/widgets/opening_hours.html"

    class Media:
        js = ["js/i18n.js", "js/hours-editor.js"]
        css = {"all": ["css/hours-editor.css"]}

    def __init__(self, attrs=None):
        super().__init__(
            {"class": "vTextField hours-text", **(attrs or {})},
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["preview_url"] = reverse_lazy("places:hours-preview")
        return context
