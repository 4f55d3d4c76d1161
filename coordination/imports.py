"""Importing a partner's file from the admin: the file is sent and kept in the
database, the task worker checks it (nothing is written), the coordinator reads the
report and confirms, the worker imports it; the job's page follows its progress.
A coordinator's import applies only the rows of their territory (tasks.py); each
job is seen and confirmed only by whoever sent it."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views import View

from .models import ImportJob
from .tasks import apply_import, check_import, forget_old_jobs

State = ImportJob.State


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier du partenaire"),
        help_text=_("CSV, JSON ou GeoJSON, au standard national (v1 ou v0)."),
    )
    source = forms.CharField(
        label=_("Nom de la source"),
        required=False,
        max_length=100,
        help_text=_("Par exemple le nom du réseau ; sinon, la colonne « source »."),
    )
    partner = forms.ModelChoiceField(
        label=_("Partenaire"),
        queryset=None,
        required=False,
        help_text=_(
            "Pour un fichier dans la présentation d’un partenaire (pas au standard) : "
            "il est lu avec la dernière version de sa correspondance."
        ),
    )

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners

    def clean_partner(self):
        partner = self.cleaned_data["partner"]
        if partner is not None and partner.current_version() is None:
            raise forms.ValidationError(
                _("Ce partenaire n’a pas encore de correspondance enregistrée.")
            )
        return partner

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_MEGABYTES * 2**20
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "Fichier trop gros : %(limit)s au plus, celui-ci fait %(size)s. "
                    "Découpez-le, ou demandez à l’administration nationale de "
                    "l’importer en ligne de commande."
                )
                % {
                    "limit": f"{settings.IMPORT_MAX_MEGABYTES} Mo",
                    "size": f"{number_format(upload.size / 2**20, 1)} Mo",
                }
            )
        return upload


class AdminImportMixin:
    model_admin = None

    def dispatch(self, request, *args, **kwargs):
        admin = self.model_admin
        if not (
            admin.has_add_permission(request) and admin.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, template: str, **extra):
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Importer un fichier de lieux"),
            **extra,
        }
        return render(request, template, context)


class ImportView(AdminImportMixin, View):
    """The form, and the user's recent imports."""

    def partners(self, request):
        """The partners the user may import for (those the partners' admin shows)."""
        from partners.models import Partner

        return self.model_admin.admin_site._registry[Partner].get_queryset(request)

    def get(self, request, form=None):
        forget_old_jobs()
        return self.render(
            request,
            "admin/places/place/import.html",
            form=form or ImportForm(partners=self.partners(request)),
            jobs=ImportJob.objects.filter(user=request.user).defer("content")[:10],
        )

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, partners=self.partners(request))
        if not form.is_valid():
            return self.get(request, form)
        upload = form.cleaned_data["file"]
        partner = form.cleaned_data["partner"]
        forget_old_jobs()
        job = ImportJob.objects.create(
            user=request.user,
            file_name=upload.name[:255],
            content=b"".join(upload.chunks()),
            source=partner.code if partner else form.cleaned_data["source"],
            partner=partner,
            mapping=partner.current_version().document if partner else None,
        )
        check_import.enqueue(job.pk)
        return redirect("admin:places_place_import_job", pk=job.pk)


class JobView(AdminImportMixin, View):
    """One import: its progress, its reports, and the confirmation."""

    def job(self, request, pk: int) -> ImportJob:
        try:
            return ImportJob.objects.defer("content").get(pk=pk, user=request.user)
        except ImportJob.DoesNotExist:
            raise Http404 from None

    def get(self, request, pk: int):
        job = self.job(request, pk)
        if request.GET.get("format") == "json":  # for the page's progress script
            return JsonResponse(
                {
                    "state": job.state,
                    "label": job.get_state_display(),
                    "done": job.rows_done,
                    "total": job.rows_total,
                }
            )
        return self.render(
            request,
            "admin/places/place/import_job.html",
            title=_("Import de « %(name)s »") % {"name": job.file_name},
            job=job,
            running=job.state in ImportJob.RUNNING,
            report=job.report or job.check_report,
        )

    def post(self, request, pk: int):
        job = self.job(request, pk)
        if "confirm" in request.POST:
            # From "checked" to "importing" once only, whatever the server.
            if ImportJob.objects.filter(pk=job.pk, state=State.CHECKED).update(
                state=State.IMPORTING, rows_done=0
            ):
                apply_import.enqueue(job.pk)
            else:
                messages.error(request, _("Cet import n’attend plus de confirmation."))
        elif "cancel" in request.POST:
            ImportJob.objects.filter(pk=job.pk, state=State.CHECKED).update(
                state=State.CANCELLED, content=b""
            )
        return redirect("admin:places_place_import_job", pk=job.pk)
