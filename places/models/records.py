"""Where a place's values come from: the records of its sources, and the pairs of
places that may be one (places/merging.py, places/matching.py)."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from .place import Place


class SourceRecord(models.Model):
    """What one source says of one place: its id there, the values read from its
    row, the row as received. A place is built from its open records (and its
    coordinators' changes); each record first made a place of its own (`origin`),
    which an unmerge gives it back."""

    place = models.ForeignKey(
        Place, verbose_name=_("lieu"), on_delete=models.CASCADE, related_name="records"
    )
    origin = models.ForeignKey(
        Place,
        verbose_name=_("lieu d’origine"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=100)
    source_id = models.CharField(_("identifiant à la source"), max_length=255)
    # The values read from the row, as the importer reads them (places/merging.py,
    # `as_values`). Empty while the record is its place's only one and the place
    # shows exactly them: the place holds them (filled before any merge or local
    # change; an unchanged import then writes nothing).
    values = models.JSONField(_("valeurs lues"), null=True, blank=True)
    row = models.JSONField(_("ligne reçue"), null=True, blank=True)
    digest = models.CharField(
        _("empreinte de la ligne"), max_length=40, blank=True, db_default=""
    )
    data_updated_on = models.DateField(_("mis à jour par la source le"), null=True)
    first_seen = models.DateTimeField(_("vu la première fois"), db_default=Now())
    withdrawn_at = models.DateTimeField(_("retiré par la source le"), null=True)

    class Meta:
        verbose_name = _("enregistrement d’une source")
        verbose_name_plural = _("enregistrements des sources")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="record_unique_source_id"
            )
        ]
        indexes = [models.Index(fields=["place"], name="record_place")]

    def __str__(self) -> str:
        return f"{self.source} · {self.source_id}"


class MatchCandidate(models.Model):
    """Two places that may be one, found by places/matching.py: merged at once when
    the rules are sure, otherwise kept here for a coordinator to decide. A "not the
    same" decision is remembered: the pair is never proposed nor merged again."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("à examiner")
        MERGED = "merged", _("même lieu (fusionnés)")
        DISTINCT = "distinct", _("lieux distincts")

    first = models.ForeignKey(
        Place, verbose_name=_("lieu"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Place, verbose_name=_("autre lieu"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("indices"), max_length=200)
    score = models.FloatField(_("ressemblance"))
    decision = models.CharField(
        _("décision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    automatic = models.BooleanField(_("fusion automatique"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    found_at = models.DateTimeField(_("trouvé le"), db_default=Now())

    class Meta:
        verbose_name = _("doublon possible")
        verbose_name_plural = _("doublons possibles")
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="match_pair"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="match_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} / {self.second_id}"
