import re
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from coordination.scope import ScopedAdminMixin, check_commune

# admin_matching and admin_references register their pages when imported.
from . import admin_matching, admin_references, merging  # noqa: F401
from .admin_filters import (
    DepartementFilter,
    FlagFilter,
    FreshnessFilter,
    MissingFilter,
    SourceFilter,
)
from .admin_links import list_choices_together
from .admin_sources import place_sources, separate, show_provenance
from .caching import forget_place_pages
from .links import prefetch_links
from .models import (
    Place,
    normalize_name,
    prefix_query,
)
from .quality import Flag
from .signals import send_after_commit
from .widgets import OpeningHoursWidget


class PlaceForm(forms.ModelForm):
    """The admin's place form; `user` (set by `PlaceAdmin.get_form`) must have the
    chosen commune in their scope."""

    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a merge makes a place "fusionné", and only "Séparer" undoes it.
        status = self.fields.get("status")
        if status is not None:
            status.choices = [
                choice for choice in status.choices if choice[0] != Place.Status.MERGED
            ]

    def clean(self):
        cleaned = super().clean()
        check_commune(self, self.user)
        return cleaned


@admin.register(Place)
class PlaceAdmin(ScopedAdminMixin, SimpleHistoryAdmin, LeafletGeoAdmin):
    form = PlaceForm
    # With the block "Sources" (where each value comes from, and « Séparer »).
    change_form_template = "admin/places/place/change_form.html"
    wide = forms.TextInput(attrs={"class": "vLargeTextField", "size": 80})
    several = _("Séparez plusieurs adresses par des virgules.")
    field_options = {
        "summary": {
            "widget": forms.Textarea(attrs={"rows": 3, "maxlength": 280}),
            "help_text": _(
                "280 caractères au plus : ce qui s’affiche dans les listes."
            ),
        },
        "opening_hours": {"widget": OpeningHoursWidget},
        "emails": {"widget": wide, "help_text": several},
        "websites": {"widget": wide, "help_text": several},
    }
    list_display = [
        "name",
        "commune",
        "status",
        "flag_list",
        "kind_list",
        "verified_at",
        "data_updated_on",
        "source",
    ]
    list_filter = [
        "status",
        "kinds",
        DepartementFilter,
        FlagFilter,
        FreshnessFilter,
        MissingFilter,
        "services",
        SourceFilter,
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
        "flag_list",
        "created_at",
        "updated_at",
        "unmapped_values",
        "opening_hours_valid",
    ]
    # Counting every place once more for "(N au total)", and browsing by year of
    # update, each read all 100,000 places (40 and 110 ms).
    show_full_result_count = False
    actions = ["publish", "withdraw", "mark_verified", "mark_closed"]
    # Structure types (92 of them) get the filterable selector; the other lists are
    # short, and read better as checkboxes (see formfield_for_manytomany).
    filter_horizontal = ["structure_types"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "flag_list",
                    "name",
                    "status",
                    "kinds",
                    "summary",
                    "description",
                ]
            },
        ),
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

    # The list of places: 50 rows (rendering 100 cost more than their query).
    list_per_page = 50
    # What the list does not show, and makes every row it sorts wider.
    LIST_SKIPS = ["description", "summary", "search_vector", "unmapped_values"]

    def get_queryset(self, request):
        places = super().get_queryset(request).prefetch_related("kinds")
        match = request.resolver_match
        if match and match.url_name == "places_place_changelist":
            places = places.defer(*self.LIST_SKIPS)
        return places

    @admin.display(description=_("à vérifier"))
    def flag_list(self, place: Place) -> str:
        labels = dict(Flag.choices)
        return "; ".join(str(labels[flag]) for flag in place.flags) or "—"

    @admin.display(description=_("types"))
    def kind_list(self, place: Place) -> str:
        return ", ".join(kind.label for kind in place.kinds.all())

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        kwargs.update(self.field_options.get(db_field.name, {}))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name not in self.filter_horizontal:
            kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        list_choices_together(field, db_field, request)
        return field

    def get_ordering(self, request):
        """By name; while searching, by the lower-case name: the planner otherwise
        walked the name index through 77,000 places to find 50 matching a common
        word (200 ms), where the search index gives the matches to sort (50 ms)."""
        if request.GET.get("q", "").strip():
            return [Lower("name"), "-pk"]
        return super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        """What a coordinator types: words (or their beginnings), each found where
        the public search finds it (name, kinds, services, town, summary: the
        search vector's index), or exactly a slug, an id in its source, a pivot, a
        postal or INSEE code. `icontains` over six columns read every place: 2 s
        at 100,000 places."""
        term = search_term.strip()
        if not term:
            return queryset, False
        found = Q(slug=term) | Q(source_id=term)
        if term.replace(" ", "").isdigit():
            digits = term.replace(" ", "")
            found |= Q(pivot=digits) | Q(postal_code=digits) | Q(commune__code=digits)
        words = re.findall(r"[a-z0-9]+", normalize_name(term))
        if words:
            found |= Q(search_vector=prefix_query(words))
        return queryset.filter(found), False

    def get_object(self, request, object_id, from_field=None):
        place = super().get_object(request, object_id, from_field)
        if place is not None:
            prefetch_links(place)
        return place

    def save_model(self, request, obj, form, change):
        # The coordinator has seen the place on the map: the import's correction of
        # swapped coordinates needs no more looking at (places/quality.py).
        obj.flags = [flag for flag in obj.flags if flag != Flag.LOCATION_SWAPPED]
        if change:
            # What a coordinator changes is theirs: later imports keep it.
            merging.mark_local(obj, form.changed_data)
        super().save_model(request, obj, form, change)

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        if change and obj is not None:
            context.update(place_sources(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Reverting saves the whole old version, its status and `merged_into`
        included, while the records stay where they are: a place merged, or a
        version from the other side of a merge, is not reverted (only "Séparer"
        undoes a merge)."""
        place = self.get_object(request, unquote(object_id))  # 403 out of scope
        if place is None:
            return super().history_form_view(request, object_id, version_id)
        version = place.history.filter(history_id=version_id).first()
        if version is not None and (
            Place.Status.MERGED in (place.status, version.status)
            or version.merged_into_id != place.merged_into_id
        ):
            messages.error(
                request,
                _(
                    "Ce lieu est fusionné dans un autre, ou cette version date "
                    "d’avant ou d’après une fusion : elle ne peut pas être rétablie. "
                    "Pour séparer des lieux fusionnés, utilisez « Séparer » dans les "
                    "sources du lieu gardé."
                ),
            )
            return redirect("admin:places_place_history", place.pk)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status == Place.Status.MERGED:
            return [*fields, "status"]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        if obj is not None:
            show_provenance(form, obj)
        return form

    def get_urls(self):
        return [
            *self.import_urls(),
            path(
                "<int:pk>/separer/<int:record_pk>/",
                self.admin_site.admin_view(partial(separate, self)),
                name="places_place_separate",
            ),
            *super().get_urls(),
        ]

    def import_urls(self):
        from coordination.imports import ImportView, JobView

        return [
            path(
                "importer/",
                self.admin_site.admin_view(ImportView.as_view(model_admin=self)),
                name="places_place_import",
            ),
            path(
                "importer/<int:pk>/",
                self.admin_site.admin_view(JobView.as_view(model_admin=self)),
                name="places_place_import_job",
            ),
        ]

    def change_many(self, request, queryset, reason: str, **values) -> int:
        """Set `values` on the selected places, each change kept in the history."""
        # Whole places (the list's are deferred): the history copies every field.
        # A place merged into another keeps its status (only "Séparer" undoes it).
        places = list(
            Place.objects.filter(pk__in=queryset.values("pk")).exclude(
                status=Place.Status.MERGED
            )
        )
        for place in places:
            for name, value in values.items():
                setattr(place, name, value)
            place.updated_at = timezone.now()
        bulk_update_with_history(
            places,
            Place,
            [*values, "updated_at"],
            default_user=request.user,
            default_change_reason=str(reason),
        )
        if "status" in values:  # what coverage measures
            send_after_commit([place.pk for place in places])
        # Their own pages show the change at once (places/caching.py).
        slugs = [place.slug for place in places]
        transaction.on_commit(lambda: forget_place_pages(slugs))
        return len(places)

    @admin.action(description=_("Publier les lieux sélectionnés"))
    def publish(self, request, queryset):
        count = self.change_many(
            request, queryset, _("publication"), status=Place.Status.PUBLISHED
        )
        self.message_user(request, _("%(count)d lieu(x) publié(s).") % {"count": count})

    @admin.action(description=_("Retirer de la publication (brouillon)"))
    def withdraw(self, request, queryset):
        count = self.change_many(
            request, queryset, _("retrait"), status=Place.Status.DRAFT
        )
        self.message_user(request, _("%(count)d lieu(x) retiré(s).") % {"count": count})

    @admin.action(description=_("Marquer « vérifié aujourd’hui »"))
    def mark_verified(self, request, queryset):
        count = self.change_many(
            request, queryset, _("vérification"), verified_at=timezone.now()
        )
        self.message_user(
            request, _("%(count)d lieu(x) marqué(s) vérifié(s).") % {"count": count}
        )

    @admin.action(description=_("Marquer comme fermé définitivement"))
    def mark_closed(self, request, queryset):
        count = self.change_many(
            request, queryset, _("fermeture"), status=Place.Status.CLOSED
        )
        self.message_user(
            request, _("%(count)d lieu(x) marqué(s) fermé(s).") % {"count": count}
        )
