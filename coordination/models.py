"""Who keeps which territory right, and what citizens suggest."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from places.models import Place, Territory

SCOPE_LEVELS = [
    Territory.Level.REGION,
    Territory.Level.DEPARTEMENT,
    Territory.Level.EPCI,
]


class Coordinator(models.Model):
    """An admin user's scope: national, or one or more régions, départements or EPCI.
    A staff user without one sees no place at all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="coordinator",
    )
    national = models.BooleanField(
        _("administration nationale"),
        default=False,
        help_text=_("Voit et modifie les lieux de toute la France."),
    )
    territories = models.ManyToManyField(
        Territory,
        verbose_name=_("territoires"),
        blank=True,
        limit_choices_to={"level__in": SCOPE_LEVELS},
        help_text=_("Régions, départements ou intercommunalités coordonnés."),
    )

    class Meta:
        verbose_name = _("coordinateur ou coordinatrice")
        verbose_name_plural = _("coordinateurs et coordinatrices")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Suggestion(models.Model):
    """A citizen's proposed correction to a place, or a missing place proposed
    (`Field.NEW_PLACE`, its description in `proposal`), waiting for a coordinator
    of the territory: one moderation queue for both."""

    class Field(models.TextChoices):
        NAME = "name", _("Le nom")
        ADDRESS = "address", _("L’adresse")
        OPENING_HOURS = "opening_hours", _("Les horaires")
        PHONE = "phone", _("Le téléphone")
        EMAILS = "emails", _("L’adresse électronique")
        WEBSITES = "websites", _("Le site internet")
        CLOSED = "closed", _("Le lieu a fermé définitivement")
        OTHER = "other", _("Autre chose")
        NEW_PLACE = "new_place", _("Un lieu à ajouter")

    class Status(models.TextChoices):
        PENDING = "pending", _("à traiter")
        ACCEPTED = "accepted", _("acceptée")
        HANDLED = "handled", _("traitée à la main")
        REJECTED = "rejected", _("refusée")

    place = models.ForeignKey(
        Place,
        verbose_name=_("lieu"),
        on_delete=models.CASCADE,
        related_name="suggestions",
        null=True,
        blank=True,
        help_text=_("Pour un lieu proposé : le lieu créé en l’acceptant."),
    )
    # Where a proposed place lies: the coordinators of this commune moderate it.
    commune = models.ForeignKey(
        Territory,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    field = models.CharField(_("ce qui est faux"), max_length=20, choices=Field)
    current_value = models.TextField(_("valeur affichée alors"), blank=True)
    proposed_value = models.CharField(_("valeur proposée"), max_length=500, blank=True)
    applied_value = models.CharField(
        _("valeur à appliquer"),
        max_length=500,
        blank=True,
        help_text=_(
            "La valeur proposée, corrigée au besoin : c’est elle qui est appliquée."
        ),
    )
    comment = models.TextField(_("précisions"), max_length=1000, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    # A proposed place as the form read it (coordination/proposals.py).
    proposal = models.JSONField(_("lieu proposé"), default=dict, blank=True)
    # The language of the person who wrote: the outcome is told in it.
    language = models.CharField(_("langue"), max_length=8, default="fr")
    status = models.CharField(
        _("état"), max_length=10, choices=Status, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traitée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("suggestion de modification")
        verbose_name_plural = _("suggestions de modification")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "handled", "rejected"]),
                name="suggestion_status_valid",
            ),
            # A correction is about a place; a proposal, about a commune.
            models.CheckConstraint(
                condition=Q(place__isnull=False)
                | Q(field="new_place", commune__isnull=False),
                name="suggestion_place_or_commune",
            ),
        ]

    def __str__(self) -> str:
        if self.is_proposal:
            return f"{self.proposal.get('name', '')} — {self.get_field_display()}"
        return f"{self.place} — {self.get_field_display()}"

    @property
    def is_proposal(self) -> bool:
        return self.field == self.Field.NEW_PLACE


class ImportJob(models.Model):
    """A partner's file imported from the admin. The file is kept here, not in one
    server's temporary folder, so that any app server shows and confirms it; the
    task worker checks it (a dry run) and, once confirmed, imports it, writing its
    progress and reports here (coordination/tasks.py). The file itself is dropped
    once it is no longer needed."""

    class State(models.TextChoices):
        CHECKING = "checking", _("vérification en cours")
        CHECKED = "checked", _("vérifié, à confirmer")
        IMPORTING = "importing", _("import en cours")
        DONE = "done", _("importé")
        REFUSED = "refused", _("fichier refusé")
        FAILED = "failed", _("échec, rien n’a changé")
        CANCELLED = "cancelled", _("annulé")

    RUNNING = (State.CHECKING, State.IMPORTING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("importé par"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    file_name = models.CharField(_("fichier"), max_length=255)
    content = models.BinaryField(_("contenu du fichier"), blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # A partner's file in its own layout: the partner (its territory bounds the
    # import too) and the mapping it is read through, as it was when sent.
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partenaire"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    mapping = models.JSONField(_("correspondance"), null=True, blank=True)
    state = models.CharField(
        _("état"), max_length=10, choices=State, default=State.CHECKING
    )
    rows_done = models.PositiveIntegerField(_("lignes lues"), default=0)
    rows_total = models.PositiveIntegerField(_("lignes"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    check_report = models.JSONField(_("rapport de vérification"), null=True)
    report = models.JSONField(_("rapport d’import"), null=True)
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "checking", "checked", "importing", "done", "refused",
                        "failed", "cancelled",
                    ]
                ),
                name="importjob_state_valid",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.file_name
