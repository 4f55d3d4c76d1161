"""Partners in the admin: national administrators see them all, a coordinator
those whose territory lies within theirs; the workbench (workbench.py) writes a
partner's mapping on a file of theirs, and "harvest now" fetches its URL."""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from coordination.roles import is_national, territory_in_scope
from coordination.scope import SaysOutOfScope
from places.models import Place, Source

from .models import HarvestRun, MappingVersion, Partner
from .tasks import harvest_partner
from .workbench import WorkbenchView

TERRITORY_OUT_OF_SCOPE = _("Ce territoire n’est pas dans le vôtre.")
PARTNER_OUT_OF_SCOPE = _("Ce partenaire est hors de votre territoire.")
RUNS_DAYS = 90  # harvests shown on a partner's page


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
            raise ValidationError(TERRITORY_OUT_OF_SCOPE)
        return territory

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self.instance.pk and code != self.instance.code:
            # Its places carry the code: a new one would orphan them.
            raise ValidationError(
                _("Le code d’une source ne change plus une fois créé.")
            )
        taken = Source.objects.filter(code=code).exists() or (
            Place.objects.filter(source=code).exists()
        )
        if not self.instance.pk and taken and not is_national(self.user):
            # Another producer's places (and its name for the public) are not a
            # coordinator's to take over; a national administrator may link them.
            raise ValidationError(
                _("Ce code est déjà la source d’autres lieux : choisissez-en un autre.")
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
    show_change_link = True  # the run's page shows its report
    verbose_name_plural = format_lazy(
        _("moissons des {days} derniers jours"), days=RUNS_DAYS
    )

    def get_queryset(self, request):
        since = timezone.now() - dt.timedelta(days=RUNS_DAYS)
        return (
            super().get_queryset(request).defer("report").filter(started_at__gte=since)
        )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(SaysOutOfScope, admin.ModelAdmin):
    out_of_scope = PARTNER_OUT_OF_SCOPE
    form = PartnerForm
    list_display = ["name", "code", "territory", "schedule", "version", "last_run"]
    list_filter = ["schedule"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["territory"]
    inlines = [VersionInline, RunInline]
    change_form_template = "admin/partners/partner/change_form.html"

    def get_queryset(self, request):
        # Not the workbench's file nor draft: a list needs neither. The latest
        # version and run in the same query (the list shows them).
        runs = HarvestRun.objects.filter(partner=OuterRef("pk")).order_by("-started_at")
        versions = MappingVersion.objects.filter(partner=OuterRef("pk"))
        partners = (
            super()
            .get_queryset(request)
            .select_related("territory")
            .defer("sample", "draft")
            .annotate(
                last_version=Subquery(
                    versions.order_by("-number").values("number")[:1]
                ),
                last_run_at=Subquery(runs.values("started_at")[:1]),
                last_outcome=Subquery(runs.values("outcome")[:1]),
            )
        )
        if is_national(request.user):
            return partners
        if not hasattr(request, "_partners_in_scope"):
            request._partners_in_scope = [
                partner.pk
                for partner in partners
                if territory_in_scope(request.user, partner.territory)
            ]
        return partners.filter(pk__in=request._partners_in_scope)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    @admin.display(description=_("correspondance"))
    def version(self, partner: Partner) -> str:
        return f"v{partner.last_version}" if partner.last_version else "—"

    @admin.display(description=_("dernière moisson"))
    def last_run(self, partner: Partner) -> str:
        if partner.last_run_at is None:
            return "—"
        day = timezone.localtime(partner.last_run_at)
        return f"{day:%d/%m/%Y} : {HarvestRun.Outcome(partner.last_outcome).label}"

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


@admin.register(HarvestRun)
class HarvestRunAdmin(SaysOutOfScope, admin.ModelAdmin):
    out_of_scope = PARTNER_OUT_OF_SCOPE
    """A harvest and its report, seen (never changed) by whoever sees its partner."""

    list_display = ["started_at", "partner", "outcome", "http_status", "seconds"]
    list_filter = ["outcome"]
    list_select_related = ["partner"]
    fields = [
        "partner", "version", "started_at", "seconds", "outcome", "http_status",
        "size", "message", "report_shown",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        runs = super().get_queryset(request)
        if is_national(request.user):
            return runs
        partners = admin.site._registry[Partner].get_queryset(request)
        return runs.filter(partner__in=partners.values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rapport d’import"))
    def report_shown(self, run: HarvestRun) -> str:
        if not run.report:
            return "—"
        return render_to_string(
            "admin/partners/harvestrun/report.html", {"report": run.report}
        )
