"""Importing a partner's file from the admin: the dry-run report first, then the
import once confirmed. A coordinator's import applies only the rows whose commune
lies in their territory; the others are reported, with their line."""

import shutil
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from places.exchange.importer import import_places
from places.exchange.reader import FileRefused
from places.models import Territory

from .roles import scoped

UPLOADS = Path(tempfile.gettempdir()) / "epn-imports"
SESSION_KEY = "pending_imports"


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


def communes_of(user) -> set[int] | None:
    """The ids of the communes a user may import into (None: all of them)."""
    communes = Territory.objects.filter(level__in=["commune", "arrondissement"])
    narrowed = scoped(communes, user, "")
    if narrowed is communes:
        return None
    return set(narrowed.values_list("pk", flat=True))


class ImportView(View):
    model_admin = None
    template_name = "admin/places/place/import.html"

    def dispatch(self, request, *args, **kwargs):
        admin = self.model_admin
        if not (
            admin.has_add_permission(request) and admin.has_change_permission(request)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def context(self, request, **extra):
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Importer un fichier de lieux"),
            **extra,
        }

    def get(self, request):
        return render(
            request, self.template_name, self.context(request, form=ImportForm())
        )

    def post(self, request):
        if "token" in request.POST:
            return self.confirm(request, request.POST["token"])
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(request, form=form))
        token = uuid.uuid4().hex
        folder = UPLOADS / token
        folder.mkdir(parents=True)
        upload = form.cleaned_data["file"]
        path = folder / Path(upload.name).name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        source = form.cleaned_data["source"] or None
        report = self.run(request, path, source, dry_run=True)
        if report is None:
            shutil.rmtree(folder, ignore_errors=True)
            return render(request, self.template_name, self.context(request, form=form))
        pending = request.session.get(SESSION_KEY, {})
        pending[token] = {"path": str(path), "source": source}
        request.session[SESSION_KEY] = pending
        return render(
            request,
            self.template_name,
            self.context(request, report=report, token=token, dry_run=True),
        )

    def confirm(self, request, token: str):
        pending = request.session.get(SESSION_KEY, {})
        entry = pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        if entry is None:  # not this session's file, or already imported
            messages.error(
                request, _("Import introuvable : envoyez le fichier à nouveau.")
            )
            return redirect("admin:places_place_import")
        path = Path(entry["path"])
        try:
            report = self.run(request, path, entry["source"], dry_run=False)
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        return render(
            request,
            self.template_name,
            self.context(request, report=report, dry_run=False),
        )

    def run(self, request, path: Path, source: str | None, dry_run: bool):
        try:
            return import_places(
                str(path),
                source_name=source,
                dry_run=dry_run,
                communes=communes_of(request.user),
                user=request.user,
            )
        except FileRefused as refusal:
            messages.error(request, _("Fichier refusé : %s") % refusal)
            return None
