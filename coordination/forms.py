from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Suggestion


class SuggestionForm(forms.ModelForm):
    # A honeypot: hidden from people (CSS and aria-hidden), filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))

    class Meta:
        model = Suggestion
        fields = ["field", "proposed_value", "comment", "email"]
        labels = {
            "field": _("Qu’est-ce qui est faux ou a changé ?"),
            "proposed_value": _("La bonne information"),
            "comment": _("Précisions (facultatif)"),
            "email": _("Votre adresse électronique (facultatif)"),
        }
        help_texts = {
            "proposed_value": _("Par exemple le bon numéro, ou « lundi 9h-12h »."),
            "email": _("Seulement pour vous poser une question si besoin."),
        }
        widgets = {
            "field": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
            "proposed_value": forms.TextInput(attrs={"maxlength": 500}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = Suggestion.Field.choices  # no empty choice
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_hint"

    def clean(self):
        cleaned = super().clean()
        field = cleaned.get("field")
        needs_value = field not in (Suggestion.Field.CLOSED, Suggestion.Field.OTHER)
        if field and needs_value and not cleaned.get("proposed_value", "").strip():
            self.add_error("proposed_value", _("Indiquez la bonne information."))
        if field == Suggestion.Field.OTHER and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Dites-nous ce qui ne va pas."))
        return cleaned

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))
