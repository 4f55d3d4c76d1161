from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from places.models import Kind, Term, Vocabulary
from places.widgets import OpeningHoursWidget

from . import proposals
from .models import Coordinator, Suggestion
from .proposals import tell_proposer, twins
from .roles import GROUP_NAME, is_national, suggestions_of
from .scope import ScopedAdminMixin
from .suggestions import accept, decide, value_to_apply


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    """Who coordinates what: for national administrators only."""

    list_display = ["__str__", "national", "territory_list"]
    list_filter = ["national"]
    search_fields = ["user__username", "user__email", "territories__name"]
    autocomplete_fields = ["user", "territories"]

    def has_module_permission(self, request):
        return is_national(request.user)

    def has_view_permission(self, request, obj=None):
        return is_national(request.user)

    def has_add_permission(self, request):
        return is_national(request.user)

    def has_change_permission(self, request, obj=None):
        return is_national(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_national(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("territories")

    @admin.display(description=_("territoires"))
    def territory_list(self, coordinator: Coordinator) -> str:
        return ", ".join(str(t) for t in coordinator.territories.all())

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A coordinator works in the admin, with the coordinators' rights.
        user = obj.user
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=GROUP_NAME))


class AppliedValueForm(forms.ModelForm):
    """The value to apply, which the coordinator may correct first (for hours,
    with the hours editor and its preview)."""

    class Meta:
        model = Suggestion
        fields = ["applied_value"]
        widgets = {"applied_value": forms.TextInput(attrs={"class": "vLargeTextField"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suggestion = self.instance
        field = self.fields.get("applied_value")  # read-only once decided
        if field is None:
            return
        if suggestion.field == Suggestion.Field.OPENING_HOURS:
            field.widget = OpeningHoursWidget()
        if not suggestion.applied_value:
            self.initial["applied_value"] = value_to_apply(suggestion)


@admin.register(Suggestion)
class SuggestionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The queue of citizens' suggestions and proposed places, each coordinator
    seeing their territory's."""

    form = AppliedValueForm
    change_form_template = "admin/coordination/suggestion/change_form.html"
    list_display = ["subject", "field", "proposed_value", "status", "created_at"]
    list_filter = ["status", "field"]
    list_select_related = ["place", "commune"]
    search_fields = ["place__name", "proposed_value", "comment"]
    actions = ["reject_selected"]
    proposal_fields = [
        "proposal_summary",
        "possible_twins",
        "place_link",
        "comment",
        "email",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
    ]
    fields = [
        "place_link",
        "field",
        "current_value",
        "proposed_value",
        "applied_value",
        "comment",
        "email",
        "status",
        "created_at",
        "decided_by",
        "decided_at",
    ]

    def get_queryset(self, request):
        return suggestions_of(
            admin.ModelAdmin.get_queryset(self, request), request.user
        )

    def get_fields(self, request, obj=None):
        return self.proposal_fields if obj and obj.is_proposal else self.fields

    def get_readonly_fields(self, request, obj=None):
        editable = obj is not None and obj.status == Suggestion.Status.PENDING
        return [
            name
            for name in self.get_fields(request, obj)
            if name != "applied_value" or not editable
        ]

    @admin.display(description=_("lieu"))
    def subject(self, suggestion: Suggestion) -> str:
        if suggestion.place_id:
            return str(suggestion.place)
        return f"{suggestion.proposal.get('name', '')} ({suggestion.commune})"

    @admin.display(description=_("lieu proposé"))
    def proposal_summary(self, suggestion: Suggestion) -> str:
        data = suggestion.proposal
        kind = Kind.objects.filter(code=data.get("kind")).first()
        services = Term.objects.filter(
            vocabulary=Vocabulary.SERVICE, code__in=data.get("services", [])
        )
        rows = [
            (_("Nom"), data.get("name")),
            (_("Type"), kind),
            (_("Adresse"), f"{data.get('address')}, {data.get('postal_code')} "
                           f"{suggestion.commune}"),
            (_("Position"), _("approximative (centre de la commune)")
             if data.get("approximate") else _("trouvée à l’adresse")),
            (_("Téléphone"), data.get("phone")),
            (_("Courriel du lieu"), data.get("contact_email")),
            (_("Site internet"), data.get("url")),
            (_("Horaires"), data.get("opening_hours")),
            (_("Services"), ", ".join(str(s) for s in services)),
        ]  # fmt: skip
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows_filled(rows)),
        )

    @admin.display(description=_("déjà connu ?"))
    def possible_twins(self, suggestion: Suggestion) -> str:
        found = twins(suggestion)
        if not found:
            return _("Aucun lieu proche au nom semblable.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li>{} <a href="{}">{}</a> ({}, {})</li>',
                (
                    (
                        _("Déjà connu comme"),
                        reverse("admin:places_place_change", args=[place.pk]),
                        place.name,
                        place.address,
                        place.commune,
                    )
                    for place in found
                ),
            ),
        )

    def has_add_permission(self, request):
        return False  # they come from the public pages

    @admin.display(description=_("lieu"))
    def place_link(self, suggestion: Suggestion) -> str:
        if suggestion.place_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:places_place_change", args=[suggestion.place_id]),
            suggestion.place,
            suggestion.place.get_absolute_url(),
            _("page publique"),
        )

    def save_model(self, request, obj, form, change):
        """With a decision's button, only the value to apply is saved (a full save
        of this request's copy would put back the state it read: a double click
        re-opened a proposal another click had just accepted)."""
        decision = {"_accept", "_handled", "_reject"} & set(request.POST)
        if not decision:
            return super().save_model(request, obj, form, change)
        if "applied_value" in form.changed_data:
            obj.save(update_fields=["applied_value"])

    def response_change(self, request, obj):
        if "_accept" in request.POST:
            return self.apply_or_create(request, obj)
        for button, status, message in [
            ("_handled", Suggestion.Status.HANDLED, _("Suggestion traitée à la main.")),
            ("_reject", Suggestion.Status.REJECTED, _("Suggestion refusée.")),
        ]:
            if button in request.POST:
                if decide(obj, request.user, status):
                    tell_proposer(obj, request)
                    self.message_user(request, message)
                return HttpResponseRedirect("../")
        return super().response_change(request, obj)

    @admin.action(description=_("Refuser les suggestions sélectionnées"))
    def reject_selected(self, request, queryset):
        count = 0
        for suggestion in queryset.filter(status=Suggestion.Status.PENDING):
            if decide(suggestion, request.user, Suggestion.Status.REJECTED):
                tell_proposer(suggestion, request)
                count += 1
        self.message_user(request, _("%d suggestion(s) refusée(s).") % count)

    def apply_or_create(self, request, obj):
        """« Appliquer la valeur » (a correction), or « Créer le lieu » (a proposed
        place: published, then its form, to complete it)."""
        proposal = obj.is_proposal
        try:
            if proposal:
                place = proposals.accept(obj, request.user)
            else:
                accept(obj, request.user)
        except ValidationError as error:
            refused = (
                _("Lieu non créé : %s")
                if proposal
                else _("Suggestion non appliquée : %s")
            )
            self.message_user(
                request, refused % " ".join(error.messages), messages.ERROR
            )
            return HttpResponseRedirect(request.path)
        if not proposal:
            self.message_user(request, _("Suggestion acceptée et appliquée."))
            return HttpResponseRedirect("../")
        tell_proposer(obj, request)
        self.message_user(
            request, _("Lieu créé et publié : complétez sa fiche si besoin.")
        )
        return HttpResponseRedirect(
            reverse("admin:places_place_change", args=[place.pk])
        )


def rows_filled(rows):
    return [(label, value) for label, value in rows if value]
