"""Who is calling, and how often they may: anonymous clients by address (the
address `epn_directory.clients` sets from the trusted proxies, never a header a
client writes), partners by their key, at the rate set on the key in the admin."""

import contextlib
import ipaddress
import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_api_key.permissions import KeyParser

from .models import PartnerKey

# What djangorestframework-api-key hands out: an 8-character prefix, a dot, a secret.
KEY_FORMAT = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}")


class PartnerKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: request.auth is the partner's key. No
    header: anonymous. Any other Authorization (a wrong, revoked or expired key,
    another scheme) is refused (401) rather than served at the anonymous rate
    without the partner noticing; refusals count against the address's rate."""

    keyword = KeyParser.keyword

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        key = KeyParser().get(request)
        partner_key = None
        if key and KEY_FORMAT.fullmatch(key):  # nothing else reaches the database
            with contextlib.suppress(PartnerKey.DoesNotExist):
                partner_key = PartnerKey.objects.get_from_key(key)
        if partner_key is None or partner_key.has_expired or partner_key.revoked:
            throttle = ClientRateThrottle()
            if not throttle.allow(request, None):
                raise exceptions.Throttled(throttle.wait())
            raise exceptions.AuthenticationFailed(
                _("Clé d’API inconnue, révoquée ou expirée (Authorization: Api-Key …).")
            )
        return AnonymousUser(), partner_key

    def authenticate_header(self, request):
        return self.keyword


def client_network(address: str) -> str:
    """The client's address; for IPv6, its /64 (what one subscriber is given)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:1.2.3.4 is 1.2.3.4
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class ClientRateThrottle(SimpleRateThrottle):
    """Per partner key at its own rate, otherwise per client address (an IPv6
    /64) at API_ANONYMOUS_RATE. Counts are kept in the default cache: shared by
    every process with REDIS_URL, per process without."""

    scope = "api"

    def allow_request(self, request, view):
        key = request.auth if isinstance(request.auth, PartnerKey) else None
        return self.allow(request, key)

    def allow(self, request, key: "PartnerKey | None") -> bool:
        if key is not None:
            self.rate = f"{key.requests_per_minute}/min"
            self.ident = "key:" + key.prefix
        else:
            self.rate = settings.API_ANONYMOUS_RATE
            self.ident = "ip:" + client_network(request.META.get("REMOTE_ADDR") or "")
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, None)

    def get_rate(self):
        return settings.API_ANONYMOUS_RATE  # replaced per request in `allow`

    def get_cache_key(self, request, view):
        return f"api-throttle:{self.ident}"


class AlwaysJson(BaseContentNegotiation):
    """The API speaks JSON only, whatever `Accept` says (no 406 to document)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


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
