"""How far each commune is from help: the straight-line distance from its centre to
the nearest published place — of any kind, offering a service, or of a kind. Kept
up to date after imports and edits (see `compute`), read by the coverage pages."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from places.models import Place, Territory


class Distance(models.Model):
    """From one commune's centre to the nearest published place of one dimension:
    every place (`facet` ""), those offering a service (`service` + its code) or
    those of a kind (`type` + its code, as in the listing's parameters)."""

    class Facet(models.TextChoices):
        ALL = "", _("tous les lieux")
        SERVICE = "service", _("service")
        KIND = "type", _("type de lieu")

    commune = models.ForeignKey(
        Territory, verbose_name=_("commune"), on_delete=models.CASCADE, related_name="+"
    )
    # Copied from the commune, so that a territory's figures read this table only.
    population = models.PositiveIntegerField(_("population"), null=True)
    departement_code = models.CharField(_("code du département"), max_length=3)
    region_code = models.CharField(_("code de la région"), max_length=3)
    facet = models.CharField(_("critère"), max_length=10, choices=Facet, blank=True)
    code = models.SlugField(_("code"), max_length=80, blank=True)
    # Metres on the WGS84 spheroid; NULL when no published place of it exists.
    metres = models.FloatField(_("distance (m)"), null=True)
    # No constraint: a deleted place stays named here until its refresh, which
    # finds the communes it was nearest to by this id.
    nearest = models.ForeignKey(
        Place,
        verbose_name=_("lieu le plus proche"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("distance au lieu le plus proche")
        verbose_name_plural = _("distances au lieu le plus proche")
        constraints = [
            models.UniqueConstraint(
                fields=["facet", "code", "commune"], name="distance_unique_commune"
            )
        ]
        indexes = [
            models.Index(fields=["nearest"], name="distance_nearest"),
            models.Index(
                fields=["facet", "code", "departement_code"],
                name="distance_departement",
            ),
            models.Index(
                fields=["facet", "code", "region_code"], name="distance_region"
            ),
        ]


class Run(models.Model):
    """One complete computation: when, how long, how much; and when edits last
    updated it (the pages say both). Only the latest few are kept."""

    finished_at = models.DateTimeField(_("terminé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), null=True)
    places = models.PositiveIntegerField(_("lieux"), default=0)
    rows = models.PositiveIntegerField(_("distances écrites"), default=0)
    seconds = models.FloatField(_("durée (s)"), default=0)

    class Meta:
        verbose_name = _("calcul de la couverture")
        verbose_name_plural = _("calculs de la couverture")
        get_latest_by = "finished_at"
