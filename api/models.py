"""Partners' API keys: a partner with a key gets a higher request rate than an
anonymous client (docs/api.md). Keys are stored hashed by
djangorestframework-api-key and shown once, when created in the admin."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

DEFAULT_PARTNER_RATE = 1200


class PartnerKey(AbstractAPIKey):
    # The library's fields, as they are, with labels coordinators read in French.
    prefix = models.CharField(_("préfixe"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("nom de la clé"),
        max_length=50,
        default=None,
        help_text=_("Pour la reconnaître, ex. « synchronisation nocturne »."),
    )
    revoked = models.BooleanField(
        _("révoquée"),
        blank=True,
        default=False,
        help_text=_("Une clé révoquée ne sert plus, définitivement."),
    )
    expiry_date = models.DateTimeField(
        _("expire le"),
        blank=True,
        null=True,
        help_text=_("Après cette date, la clé ne sert plus."),
    )
    partner = models.CharField(_("partenaire"), max_length=200)
    contact = models.EmailField(_("contact"), blank=True)
    requests_per_minute = models.PositiveIntegerField(
        _("requêtes par minute"),
        default=DEFAULT_PARTNER_RATE,
        validators=[MinValueValidator(1)],
        help_text=_("Au-delà, l’API répond 429 et dit quand réessayer."),
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("clé d’API partenaire")
        verbose_name_plural = _("clés d’API partenaires")
