"""Partners' API keys: a partner with a key gets a higher request rate than an
anonymous client (docs/api.md). Keys are stored hashed by
djangorestframework-api-key and shown once, when created in the admin."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

DEFAULT_PARTNER_RATE = 1200


class PartnerKey(AbstractAPIKey):
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
