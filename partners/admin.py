"""Partners in the admin: national administrators see them all, a coordinator
those whose territory lies within theirs; the workbench (workbench.py) writes a
partner's mapping on a file of theirs, and "harvest now" fetches its URL."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from coordination.roles import OUT_OF_SCOPE, is_national, territory_in_scope

from .models import HarvestRun, MappingVersion, Partner
from .tasks import harvest_partner
from .workbench import WorkbenchView


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = [
            "name", "code", "website", "licence", "territory", "file_url",
            "schedule", "close_missing",
        ]  # fmt: skip

    def clean_territory(self):
        territory = self.cleaned_data["territory"]
        if not territory_in_scope(self.user, territory):
            raise ValidationError(OUT_OF_SCOPE)
        return territory

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self.instance.pk and code != self.instance.code:
            # Its places carry the code: a new one would orphan them.
            raise ValidationError(
                _("Le code d’une source ne change plus une fois créé.")
            )
        return code


class VersionInline(admin.TabularInline):
    model = MappingVersion
    fields = ["number", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class RunInline(admin.TabularInline):
    model = HarvestRun
    fields = ["started_at", "outcome", "http_status", "size", "seconds", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["name", "code", "territory", "schedule", "version", "last_run"]
    list_filter = ["schedule"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["territory"]
    inlines = [VersionInline, RunInline]
    change_form_template = "admin/partners/partner/change_form.html"

    def get_queryset(self, request):
        partners = super().get_queryset(request).select_related("territory")
        if is_national(request.user):
            return partners
        if not hasattr(request, "_partners_in_scope"):
            request._partners_in_scope = [
                partner.pk
                for partner in partners
                if territory_in_scope(request.user, partner.territory)
            ]
        return partners.filter(pk__in=request._partners_in_scope)

    def get_object(self, request, object_id, from_field=None):
        partner = super().get_object(request, object_id, from_field)
        exists = partner is None and str(object_id).isdigit()
        if exists and Partner.objects.filter(pk=object_id).exists():
            raise PermissionDenied(OUT_OF_SCOPE)
        return partner

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    @admin.display(description=_("correspondance"))
    def version(self, partner: Partner) -> str:
        version = partner.current_version()
        return f"v{version.number}" if version else "—"

    @admin.display(description=_("dernière moisson"))
    def last_run(self, partner: Partner) -> str:
        run = partner.runs.first()
        return (
            f"{run.started_at:%d/%m/%Y} : {run.get_outcome_display()}" if run else "—"
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/correspondance/",
                view(WorkbenchView.as_view(model_admin=self)),
                name="partners_partner_workbench",
            ),
            path(
                "<int:pk>/moissonner/",
                view(self.harvest_now),
                name="partners_partner_harvest",
            ),
            *super().get_urls(),
        ]

    def partner_for(self, request, pk: int, change: bool = True) -> Partner:
        """The partner, if the user may see it (and change it)."""
        partner = self.get_object(request, pk)
        if partner is None:
            raise PermissionDenied
        allowed = (
            self.has_change_permission(request, partner)
            if change
            else self.has_view_permission(request, partner)
        )
        if not allowed:
            raise PermissionDenied
        return partner

    def harvest_now(self, request, pk: int):
        if request.method != "POST":
            raise PermissionDenied
        partner = self.partner_for(request, pk)
        harvest_partner.enqueue(partner.pk, force="force" in request.POST)
        messages.info(
            request,
            _(
                "Moisson demandée : son résultat s’affichera dans la liste des "
                "moissons de cette page d’ici quelques minutes."
            ),
        )
        return redirect(reverse("admin:partners_partner_change", args=[partner.pk]))
