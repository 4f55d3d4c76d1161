from django import forms
from django.utils.translation import gettext_lazy as _

from places import hours
from places.exchange.values import e164_number
from places.french_hours import read_hours
from places.models import Kind, Term, Vocabulary
from places.widgets import OpeningHoursWidget

from .models import Suggestion
from .proposals import find_commune, locate


class CitizensForm:
    """What the forms citizens send share: a honeypot (`website`: hidden from people
    by CSS and aria-hidden, filled by robots) and hints read with their field."""

    def describe_fields(self) -> None:
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_hint"

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


def honeypot() -> forms.CharField:
    return forms.CharField(required=False, label=_("Ne pas remplir"))


class SuggestionForm(CitizensForm, forms.ModelForm):
    website = honeypot()

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
        # No empty choice; a missing place is proposed at /lieux/proposer/.
        self.fields["field"].choices = [
            choice
            for choice in Suggestion.Field.choices
            if choice[0] != Suggestion.Field.NEW_PLACE
        ]
        self.describe_fields()

    def clean(self):
        cleaned = super().clean()
        field = cleaned.get("field")
        needs_value = field not in (Suggestion.Field.CLOSED, Suggestion.Field.OTHER)
        if field and needs_value and not cleaned.get("proposed_value", "").strip():
            self.add_error("proposed_value", _("Indiquez la bonne information."))
        if field == Suggestion.Field.OTHER and not cleaned.get("comment", "").strip():
            self.add_error("comment", _("Dites-nous ce qui ne va pas."))
        return cleaned


class ProposalForm(CitizensForm, forms.Form):
    """A missing place, as anyone may describe it (/lieux/proposer/). What it reads
    is kept in `Suggestion.proposal` until a coordinator decides."""

    name = forms.CharField(label=_("Nom du lieu"), max_length=250)
    kind = forms.ModelChoiceField(
        label=_("Type de lieu"),
        queryset=Kind.objects.all(),
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    address = forms.CharField(
        label=_("Adresse"),
        max_length=250,
        help_text=_("Le numéro et la rue, par exemple « 12 rue de la Poterie »."),
    )
    town = forms.CharField(
        label=_("Code postal et commune"),
        max_length=120,
        help_text=_("Par exemple « 35000 Rennes »."),
    )
    phone = forms.CharField(label=_("Téléphone du lieu"), max_length=30, required=False)
    contact_email = forms.EmailField(
        label=_("Adresse électronique du lieu"), max_length=254, required=False
    )
    url = forms.URLField(
        label=_("Site internet du lieu"),
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    opening_hours = forms.CharField(
        label=_("Horaires"),
        max_length=500,
        required=False,
        help_text=_(
            "Remplissez le tableau par jour, ou écrivez-les, par exemple "
            "« du lundi au vendredi de 9h à 12h »."
        ),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("Ce qu’on peut y faire"),
        queryset=Term.objects.filter(vocabulary=Vocabulary.SERVICE),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label=_("Autre chose à nous dire (facultatif)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
    )
    email = forms.EmailField(
        label=_("Votre adresse électronique (facultatif)"),
        max_length=254,
        required=False,
        help_text=_("Seulement pour vous dire si le lieu a été ajouté."),
    )
    website = honeypot()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opening_hours"].widget = OpeningHoursWidget()
        self.describe_fields()
        self.commune = None

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"])

    def clean_address(self) -> str:
        return one_line(self.cleaned_data["address"])

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        number = e164_number(raw, "FR") if raw else ""
        if raw and not number:
            raise forms.ValidationError(
                _("Numéro illisible : écrivez-le par exemple 02 99 00 00 00.")
            )
        return number

    def clean_opening_hours(self) -> str:
        text = self.cleaned_data["opening_hours"].strip()
        if not text:
            return ""
        try:
            hours.parse(text)
            return text
        except hours.INVALID:
            pass
        read = read_hours(text)
        if read is None:
            raise forms.ValidationError(
                _(
                    "Horaires illisibles : remplissez le tableau par jour, ou "
                    "décrivez-les dans « Autre chose à nous dire »."
                )
            )
        return read

    def clean(self):
        cleaned = super().clean()
        town = cleaned.get("town", "")
        if town:
            self.commune, postal, problem = find_commune(town)
            if problem:
                self.add_error("town", problem)
            cleaned["postal_code"] = postal
        return cleaned

    def proposal(self) -> dict:
        """What a coordinator will read, and what the place is created from."""
        data = self.cleaned_data
        point, approximate = locate(data["address"], data["postal_code"], self.commune)
        return {
            "name": data["name"].strip(),
            "kind": data["kind"].code,
            "address": data["address"].strip(),
            "postal_code": data["postal_code"],
            "commune": self.commune.code,
            "lon": point.x if point else None,
            "lat": point.y if point else None,
            "approximate": approximate,
            "phone": data["phone"],
            "contact_email": data["contact_email"],
            "url": data["url"],
            "opening_hours": data["opening_hours"],
            "services": [term.code for term in data["services"]],
        }


def one_line(text: str) -> str:
    """Line breaks and runs of spaces as one space: a name goes into e-mail subjects
    (where a line break is refused) and onto one line of a page."""
    return " ".join(text.split())
