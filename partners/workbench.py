"""The mapping workbench of a partner, in the admin: a file of theirs (sent, or
fetched from their URL) → a profile of its columns → the mapping written and
checked → the first rows as places → a dry run with the values no table knew (one
click adds one) → a saved version → the import, checked then confirmed as any
admin import (coordination/imports.py), in the partner's and the coordinator's
territory."""

import copy

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from coordination.models import ImportJob
from coordination.tasks import check_import, communes_of, partner_communes
from places.exchange.importer import import_places
from places.exchange.mapping import MappingError, dumped, parse_mapping
from places.exchange.mapping.schema import VALUE_COLUMNS
from places.exchange.reader import FileRefused, read_table
from places.exchange.references import known_values
from places.exchange.standard import COLUMNS, VOCABULARY_COLUMNS
from places.models import Kind, Term

from .harvest import HarvestRefused, download
from .models import MappingVersion, Partner
from .profile import columns_changed, profile, suggested

ACTIONS = {"upload", "fetch", "check", "dry_run", "add_value", "save", "import"}
PREVIEW_ROWS = 50
FETCH_SECONDS = 60
# A dry run here is done while the coordinator waits: on a file this large at most
# (the import itself is checked by the task worker, whatever its size).
DRY_RUN_MEGABYTES = 5
SHOWN_ROWS = 200  # rows of a dry run's report shown
NO_SAMPLE = gettext_lazy(
    "Envoyez d’abord un fichier d’essai : l’aperçu et l’essai le lisent."
)


class SampleForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier du partenaire"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_MEGABYTES * 2**20:
            raise forms.ValidationError(
                _("Fichier trop gros : %s Mo au plus.") % settings.IMPORT_MAX_MEGABYTES
            )
        return upload


def choices_for(column: str) -> list[str]:
    """The standard values a column of values may take, to complete a table."""
    if column in VOCABULARY_COLUMNS:
        vocabulary = VOCABULARY_COLUMNS[column][0]
        return list(
            Term.objects.filter(vocabulary=vocabulary)
            .order_by("value")
            .values_list("value", flat=True)
        )
    if column == "types_lieu":
        return list(Kind.objects.values_list("code", flat=True))
    if column == "equipements":
        return list(
            Term.objects.filter(vocabulary="equipment").values_list("value", flat=True)
        )
    if column == "itinerance":
        return ["Itinérant", "Fixe"]
    return []


def with_value(draft: str, column: str, value: str, target: str, rule: int) -> str:
    """The draft with `value` → `target` added to the table of rule number `rule`
    of `column` (the one that did not know it; comments of the draft are lost)."""
    document = copy.deepcopy(parse_mapping(draft).document)
    rules = document.get("champs", {}).get(column) or []
    if not (0 < rule <= len(rules) and "table" in rules[rule - 1]):
        raise MappingError(
            _("« %s » n’a pas de règle « table » où ajouter la valeur.") % column
        )
    table = rules[rule - 1]["table"]
    known = table.get(value)
    if known is None:
        table[value] = target
    else:
        known = [known] if isinstance(known, str) else known
        table[value] = [*known, target] if target not in known else known
    return dumped(document)


class WorkbenchView(View):
    model_admin = None

    def dispatch(self, request, pk: int):
        self.partner = self.model_admin.partner_for(request, pk)
        return super().dispatch(request, pk)

    def draft(self) -> str:
        partner = self.partner
        if partner.draft:
            return partner.draft
        version = partner.current_version()
        if version:
            return version.text or dumped(version.document)
        if partner.sample:
            try:
                return dumped(suggested(profile(bytes(partner.sample))))
            except FileRefused:
                pass
        return dumped({"version": 1, "champs": {"nom": {"colonne": "?"}}})

    def get(self, request, pk: int, **results):
        partner = self.partner
        found, refused = None, ""
        if partner.sample:
            try:
                mapping = parse_mapping(results.get("draft") or self.draft())
            except MappingError:
                mapping = None
            try:
                found = profile(bytes(partner.sample), mapping)
            except FileRefused as error:
                refused = str(error)
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": Partner._meta,
            "title": _("Correspondance de « %s »") % partner.name,
            "partner": partner,
            "original": partner,
            "version": partner.current_version(),
            "sample_form": results.pop("sample_form", None) or SampleForm(),
            "profile": found,
            "profile_refused": refused,
            "changed": columns_changed(partner.columns, found.names) if found else {},
            "draft": self.draft(),
            **results,
        }
        return render(request, "admin/partners/partner/workbench.html", context)

    def post(self, request, pk: int):
        action, _sep, row = request.POST.get("action", "").partition(":")
        handler = getattr(self, f"do_{action}", None) if action in ACTIONS else None
        if handler is None:
            return self.get(request, pk, error=_("Action inconnue."))
        return handler(request, pk, row) if row else handler(request, pk)

    def save_sample(self, name: str, content: bytes) -> None:
        self.partner.sample, self.partner.sample_name = content, name[:255]
        self.partner.save(update_fields=["sample", "sample_name"])

    def do_upload(self, request, pk: int):
        form = SampleForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, pk, sample_form=form)
        upload = form.cleaned_data["file"]
        self.save_sample(upload.name, b"".join(upload.chunks()))
        return redirect(request.path)

    def do_fetch(self, request, pk: int):
        try:
            # While the coordinator waits: a minute at most (harvests take longer).
            got = download(self.partner.file_url, longest=FETCH_SECONDS)
        except HarvestRefused as error:
            return self.get(request, pk, error=str(error))
        self.save_sample(self.partner.file_url.rsplit("/", 1)[-1], got.content)
        return redirect(request.path)

    def checked_draft(self, request):
        """The draft sent, kept, and read (or the reason it cannot be)."""
        draft = request.POST.get("draft", "")
        self.partner.draft = draft
        self.partner.save(update_fields=["draft"])
        try:
            return draft, parse_mapping(draft), ""
        except MappingError as error:
            return draft, None, str(error)

    def do_check(self, request, pk: int):
        draft, mapping, error = self.checked_draft(request)
        if mapping is None:
            return self.get(request, pk, draft=draft, error=error)
        if not self.partner.sample:
            return self.get(request, pk, draft=draft, valid=True, error=NO_SAMPLE)
        try:
            table = read_table(
                self.partner.sample_name,
                content=bytes(self.partner.sample),
                mapping=mapping,
            )
        except FileRefused as refusal:
            return self.get(request, pk, draft=draft, error=str(refusal))
        shown = [c for c in COLUMNS + ["types_lieu"] if c in mapping.fields]
        return self.get(
            request,
            pk,
            draft=draft,
            valid=True,
            preview_columns=shown,
            preview=[
                (line, [cells.get(c, "") for c in shown])
                for line, cells in table.rows[:PREVIEW_ROWS]
            ],
            preview_refused=table.refused[:PREVIEW_ROWS],
            preview_total=len(table.rows),
        )

    def do_dry_run(self, request, pk: int, draft=None):
        if draft is None:
            draft, mapping, error = self.checked_draft(request)
        else:
            mapping, error = parse_mapping(draft), ""
        partner = self.partner
        if mapping is None:
            return self.get(request, pk, draft=draft, error=error)
        if not partner.sample:
            return self.get(request, pk, draft=draft, valid=True, error=NO_SAMPLE)
        if len(partner.sample) > DRY_RUN_MEGABYTES * 2**20:
            return self.get(
                request,
                pk,
                draft=draft,
                error=_(
                    "Fichier de plus de %s Mo : enregistrez la version et lancez "
                    "l’import, vérifié en arrière-plan avant votre confirmation."
                )
                % DRY_RUN_MEGABYTES,
            )
        try:
            report = import_places(
                partner.sample_name,
                content=bytes(partner.sample),
                source_name=partner.code,
                dry_run=True,
                mapping=mapping,
                communes=partner_communes(partner, communes_of(request.user)),
                user=request.user,
            ).as_dict()
        except FileRefused as refusal:
            return self.get(request, pk, draft=draft, error=str(refusal))
        rows_total = len(report["rows"])
        report["rows"] = report["rows"][:SHOWN_ROWS]
        unmapped = [
            (column, value, count, report["unmapped_rules"][column][value])
            for column, values in report["unmapped"].items()
            if column in VALUE_COLUMNS
            for value, count in values.items()
        ]
        choices = {row[0]: choices_for(row[0]) for row in unmapped}
        return self.get(
            request,
            pk,
            draft=draft,
            valid=True,
            report=report,
            rows_cut=rows_total - len(report["rows"]),
            unmapped=[(*row, choices[row[0]]) for row in unmapped],
        )

    def do_add_value(self, request, pk: int, row: str = ""):
        """One unknown value of the dry run (`row`: its number in the form, sent
        with its column, value and rule) added to its rule's table, in the draft
        as it was in the editor."""
        get = request.POST.get
        column, value = get(f"column_{row}", ""), get(f"value_{row}", "")
        target, rule = get(f"target_{row}", ""), get(f"rule_{row}", "")
        draft, _mapping, _error = self.checked_draft(request)
        if target not in choices_for(column) or not rule.isdigit():
            error = _("Choisissez une valeur du standard.")
            return self.get(request, pk, draft=draft, error=error)
        try:
            draft = with_value(draft, column, value, target, int(rule))
        except MappingError as error:
            return self.get(request, pk, draft=draft, error=str(error))
        self.partner.draft = draft
        self.partner.save(update_fields=["draft"])
        return self.do_dry_run(request, pk, draft=draft)

    def do_save(self, request, pk: int):
        draft, mapping, error = self.checked_draft(request)
        if mapping is None:
            return self.get(request, pk, draft=draft, error=error)
        # Saved in our format, where a value no vocabulary knows is refused (a
        # converter's config only warns): every import of the version would be.
        unknown = mapping.unknown_targets(known_values())
        if unknown:
            error = _("Valeurs inconnues du standard : %s.") % " ; ".join(unknown)
            return self.get(request, pk, draft=draft, error=error)
        with transaction.atomic():
            # One number per version, whoever saves at the same time.
            Partner.objects.select_for_update().filter(pk=self.partner.pk).first()
            last = self.partner.current_version()
            MappingVersion.objects.create(
                partner=self.partner,
                number=(last.number + 1) if last else 1,
                document=mapping.document,
                text=draft,
                note=request.POST.get("note", "")[:300],
                created_by=request.user,
            )
            self.partner.draft = ""
            self.partner.save(update_fields=["draft"])
        messages.success(request, _("Version enregistrée."))
        return redirect(request.path)

    def do_import(self, request, pk: int):
        partner, version = self.partner, self.partner.current_version()
        if version is None or not partner.sample:
            return self.get(
                request, pk, error=_("Il faut un fichier et une version enregistrée.")
            )
        job = ImportJob.objects.create(
            user=request.user,
            file_name=partner.sample_name or partner.code,
            content=bytes(partner.sample),
            source=partner.code,
            partner=partner,
            mapping=version.document,
        )
        check_import.enqueue(job.pk)
        return redirect("admin:places_place_import_job", pk=job.pk)
