"""The client's address, once for the whole site: behind a reverse proxy (or a chain
of them), REMOTE_ADDR is the proxy's, and the client's is in X-Forwarded-For.

Each trusted proxy appends the address it received the request from, so with
`TRUSTED_PROXIES` = N the client is the N-th address from the right; whatever a
client writes in the header itself stays further left and is never believed. The
login lockout (django-axes), the suggestions' limit and the logs all read
REMOTE_ADDR, which this middleware sets first.
"""

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def forwarded_client(request: HttpRequest, proxies: int) -> str | None:
    """The address the outermost trusted proxy saw, or None when the request did
    not come through `proxies` proxies (then REMOTE_ADDR is the client's)."""
    chain = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if proxies <= 0 or len(chain) < proxies:
        return None
    candidate = chain[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_address(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware, first of all: REMOTE_ADDR becomes the client's address."""

    def middleware(request: HttpRequest) -> HttpResponse:
        client = forwarded_client(request, settings.TRUSTED_PROXIES)
        if client:
            request.META["REMOTE_ADDR"] = client
        return get_response(request)

    return middleware


def remote_address(request: HttpRequest) -> str | None:
    """For django-axes: the address the middleware above has set."""
    return request.META.get("REMOTE_ADDR")
