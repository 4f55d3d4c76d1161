"""Who is calling, and how often they may: anonymous clients by address (the
address `epn_directory.clients` sets from the trusted proxies, never a header a
client writes), partners by their key, at the rate set on the key in the admin."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_api_key.permissions import KeyParser

from .models import PartnerKey


class PartnerKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: request.auth is the partner's key. No
    header: anonymous. A wrong, revoked or expired key is refused (401) rather
    than served at the anonymous rate without the partner noticing."""

    keyword = KeyParser.keyword

    def authenticate(self, request):
        key = KeyParser().get(request)
        if key is None:
            return None
        try:
            partner_key = PartnerKey.objects.get_from_key(key)
        except PartnerKey.DoesNotExist:
            partner_key = None
        if partner_key is None or partner_key.has_expired or partner_key.revoked:
            raise exceptions.AuthenticationFailed(
                _("Clé d’API inconnue, révoquée ou expirée.")
            )
        return AnonymousUser(), partner_key

    def authenticate_header(self, request):
        return self.keyword


class ClientRateThrottle(SimpleRateThrottle):
    """Per partner key at its own rate, otherwise per client address at
    API_ANONYMOUS_RATE."""

    scope = "api"

    def allow_request(self, request, view):
        key = request.auth if isinstance(request.auth, PartnerKey) else None
        if key is not None:
            self.rate = f"{key.requests_per_minute}/min"
        else:
            self.rate = settings.API_ANONYMOUS_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return settings.API_ANONYMOUS_RATE  # replaced per request above

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PartnerKey):
            ident = "key:" + request.auth.prefix
        else:
            ident = "ip:" + (request.META.get("REMOTE_ADDR") or "")
        return f"api-throttle:{ident}"


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI description states the optional partner key."""

    target_class = PartnerKeyAuthentication
    name = "cleApi"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "Facultative : « Api-Key <clé> » donne le débit du partenaire "
                    "(clés délivrées par les coordinateurs nationaux)."
                )
            ),
        }
