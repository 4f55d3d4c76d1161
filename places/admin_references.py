"""The admin of the directory's references: the kinds of place, each vocabulary of
the standard, the sources (producers) and the territories. Places are
places/admin.py."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from coordination.roles import scoped

from .models import (
    AccessMode,
    Equipment,
    Fee,
    Kind,
    Label,
    Programme,
    Public,
    Service,
    Source,
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

    list_display = ["label", "label_en", "value", "code", "position"]
    list_editable = ["position"]
    search_fields = ["label", "label_en", "value", "code"]
    fields = ["label", "label_en", "value", "code", "description", "position"]
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


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "website"]
    search_fields = ["name", "code"]


@admin.register(Territory)
class TerritoryAdmin(LeafletGeoAdmin):
    list_display = ["name", "code", "level", "departement_code", "population"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    ordering = ["level", "name"]
    raw_id_fields = ["parent", "epci"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            # Every autocomplete of territories offers a coordinator their own
            # territory only, whatever the parameters say.
            queryset = scoped(queryset, request.user, "")
            # The place form's commune: communes and arrondissements, largest first.
            # (Django reads `model_name` without regard to case: so does this.)
            if request.GET.get("model_name", "").lower() == "place":
                queryset = queryset.filter(
                    level__in=["commune", "arrondissement"]
                ).order_by("-population")
        return queryset, may_have_duplicates
