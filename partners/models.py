"""Partners whose files we read in their own layout (issue 16): who they are, the
versions of their mapping, and each harvest of their file's URL."""

import datetime as dt

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.exchange.mapping import Mapping
from places.models import Source, Territory

SCOPE_LEVELS = ["region", "departement", "epci"]


class Partner(models.Model):
    """A producer of data with its own layout: its file (a URL harvested on
    schedule, or a file sent from the admin), read through its mapping; its places
    carry `code` as their source, and may lie only in its territory."""

    class Schedule(models.TextChoices):
        MANUAL = "manual", _("à la demande")
        DAILY = "daily", _("chaque jour")
        WEEKLY = "weekly", _("chaque semaine")

    # How long after a run a scheduled partner is harvested again (a run starting a
    # few minutes earlier than the day before still counts).
    EVERY = {
        Schedule.DAILY: dt.timedelta(hours=20),
        Schedule.WEEKLY: dt.timedelta(days=6, hours=20),
    }

    name = models.CharField(
        _("nom"),
        max_length=200,
        help_text=_("Le producteur, tel que le public le lit."),
    )
    code = models.SlugField(
        _("code de la source"),
        max_length=100,
        unique=True,
        help_text=_("La source de ses lieux (lettres, chiffres et tirets)."),
    )
    website = models.URLField(_("site web"), max_length=500, blank=True)
    licence = models.CharField(
        _("licence"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple « Licence Ouverte 2.0 » ou « ODbL »."),
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level__in": SCOPE_LEVELS},
        help_text=_("Ses lieux hors de ce territoire sont refusés."),
    )
    file_url = models.URLField(
        _("adresse du fichier"),
        max_length=1000,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Moissonnée selon la fréquence choisie (http ou https)."),
    )
    schedule = models.CharField(
        _("fréquence"), max_length=10, choices=Schedule, default=Schedule.MANUAL
    )
    close_missing = models.BooleanField(
        _("fermer les lieux absents"),
        default=False,
        help_text=_(
            "À chaque import, ses lieux absents du fichier sont retirés de l’annuaire."
        ),
    )
    # The workbench's file and the mapping being written (not yet a version).
    sample = models.BinaryField(_("fichier d’essai"), blank=True, editable=False)
    sample_name = models.CharField(
        _("nom du fichier d’essai"), max_length=255, blank=True, editable=False
    )
    draft = models.TextField(_("correspondance en cours"), blank=True, editable=False)
    # What the last import read: its columns, and for harvests, the HTTP validators
    # and the content's hash (an unchanged file is not imported again).
    columns = models.JSONField(
        _("colonnes du dernier fichier"), default=list, blank=True, editable=False
    )
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    harvested_version = models.PositiveIntegerField(null=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("partenaire")
        verbose_name_plural = _("partenaires")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if fields is None or {"name", "website"} & set(fields):
            # Citizens read the producer's name and site on its places' pages.
            Source.objects.update_or_create(
                code=self.code, defaults={"name": self.name, "website": self.website}
            )

    def current_version(self) -> "MappingVersion | None":
        return self.versions.order_by("-number").first()


class MappingVersion(models.Model):
    """A saved mapping of a partner (our format, checked when saved); imports and
    harvests use the latest."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("correspondance"))
    # As written (YAML, with its comments), to edit the next version from.
    text = models.TextField(_("texte"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version de correspondance")
        verbose_name_plural = _("versions de correspondance")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "number"], name="mappingversion_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} v{self.number}"

    def mapping(self) -> Mapping:
        return Mapping.checked(self.document)


class HarvestRun(models.Model):
    """One harvest of a partner's URL, and what came of it."""

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("importé")
        NOT_MODIFIED = "not_modified", _("inchangé (le serveur le dit)")
        UNCHANGED = "unchanged", _("inchangé (même contenu)")
        REFUSED = "refused", _("refusé, rien n’a changé")
        FAILED = "failed", _("échec, rien n’a changé")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(
        MappingVersion,
        verbose_name=_("correspondance"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("commencé le"), auto_now_add=True)
    seconds = models.FloatField(_("durée (s)"), default=0)
    outcome = models.CharField(_("résultat"), max_length=15, choices=Outcome)
    http_status = models.PositiveSmallIntegerField(_("statut HTTP"), null=True)
    size = models.PositiveIntegerField(_("octets"), null=True)
    message = models.TextField(_("message"), blank=True)
    report = models.JSONField(_("rapport d’import"), null=True)

    class Meta:
        verbose_name = _("moisson")
        verbose_name_plural = _("moissons")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["partner", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.partner} — {self.started_at:%Y-%m-%d %H:%M}"
