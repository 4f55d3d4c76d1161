from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from .models import (
    AccessMode,
    Equipment,
    Fee,
    Kind,
    Label,
    Place,
    Programme,
    Public,
    Service,
    SpecialSupport,
    StructureType,
    SupportMode,
    Territory,
)


@admin.register(Kind)
class KindAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "structure_type", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"code": ["label"]}


class TermAdmin(admin.ModelAdmin):
    """One admin page per vocabulary (each a proxy of `Term`)."""

    list_display = ["label", "value", "code", "position"]
    list_editable = ["position"]
    search_fields = ["label", "value", "code"]
    fields = ["label", "value", "code", "description", "position"]
    prepopulated_fields = {"code": ["label"]}


for vocabulary_model in (
    Service,
    Public,
    SpecialSupport,
    Fee,
    AccessMode,
    SupportMode,
    Programme,
    Label,
    StructureType,
    Equipment,
):
    admin.site.register(vocabulary_model, TermAdmin)


@admin.register(Territory)
class TerritoryAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "level", "departement_code", "population"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    ordering = ["level", "name"]
    raw_id_fields = ["parent", "epci"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # The place form's commune autocomplete offers communes and arrondissements.
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if request.GET.get("model_name") == "place":
            queryset = queryset.filter(
                level__in=["commune", "arrondissement"]
            ).order_by("-population")
        return queryset, may_have_duplicates


@admin.register(Place)
class PlaceAdmin(LeafletGeoAdmin):
    wide = forms.TextInput(attrs={"class": "vLargeTextField", "size": 80})
    several = _("Séparez plusieurs adresses par des virgules.")
    field_options = {
        "summary": {
            "widget": forms.Textarea(attrs={"rows": 3, "maxlength": 280}),
            "help_text": _(
                "280 caractères au plus : ce qui s’affiche dans les listes."
            ),
        },
        "opening_hours": {"widget": wide},
        "emails": {"widget": wide, "help_text": several},
        "websites": {"widget": wide, "help_text": several},
    }
    list_display = [
        "name",
        "commune",
        "status",
        "kind_list",
        "data_updated_on",
        "source",
    ]
    list_filter = [
        "status",
        "kinds",
        "services",
        "source",
        "opening_hours_valid",
        "location_is_approximate",
    ]
    list_select_related = ["commune"]
    search_fields = [
        "name",
        "slug",
        "commune__name",
        "postal_code",
        "source_id",
        "pivot",
    ]
    autocomplete_fields = ["commune"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "unmapped_values",
        "opening_hours_valid",
    ]
    date_hierarchy = "data_updated_on"
    actions = ["publish", "withdraw"]
    # Structure types (92 of them) get the filterable selector; the other lists are
    # short, and read better as checkboxes (see formfield_for_manytomany).
    filter_horizontal = ["structure_types"]
    fieldsets = [
        (None, {"fields": ["name", "status", "kinds", "summary", "description"]}),
        (
            _("Adresse et position"),
            {
                "fields": [
                    "address",
                    "address_extra",
                    "postal_code",
                    "commune",
                    "location",
                    "location_is_approximate",
                    "fixed_site",
                    "itinerant",
                ]
            },
        ),
        (
            _("Horaires et contact"),
            {
                "fields": [
                    "opening_hours",
                    "opening_hours_valid",
                    "phone",
                    "emails",
                    "websites",
                    "booking_url",
                    "accessibility_url",
                ]
            },
        ),
        (
            _("Services et publics"),
            {
                "fields": [
                    "services",
                    "publics",
                    "special_support",
                    "fees",
                    "access_modes",
                    "support_modes",
                    "equipment",
                ]
            },
        ),
        (
            _("Structure, dispositifs et labels"),
            {
                "fields": [
                    "structure_types",
                    "pivot",
                    "parent_network",
                    "programmes",
                    "labels",
                    "other_labels",
                ]
            },
        ),
        (
            _("Provenance et suivi"),
            {
                "classes": ["collapse"],
                "fields": [
                    "slug",
                    "source",
                    "source_id",
                    "unmapped_values",
                    "data_updated_on",
                    "verified_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("kinds")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        kwargs.update(self.field_options.get(db_field.name, {}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name not in self.filter_horizontal:
            kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("types"))
    def kind_list(self, place: Place) -> str:
        return ", ".join(kind.label for kind in place.kinds.all())

    @admin.action(description=_("Publier les lieux sélectionnés"))
    def publish(self, request, queryset):
        count = queryset.update(status=Place.Status.PUBLISHED)
        self.message_user(request, _("%(count)d lieu(x) publié(s).") % {"count": count})

    @admin.action(description=_("Retirer de la publication (brouillon)"))
    def withdraw(self, request, queryset):
        count = queryset.update(status=Place.Status.DRAFT)
        self.message_user(request, _("%(count)d lieu(x) retiré(s).") % {"count": count})
