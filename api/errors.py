"""Errors as the API gives them (JSON, under /api/ only), and Django's error
handlers, which answer JSON under /api/ and the site's pages elsewhere."""

import contextlib
import functools

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt


def api_error(status: int, message, key: str = "detail") -> JsonResponse:
    """An error as the API gives them; a 400's keys name parameters, and its
    messages are lists."""
    body = {key: [str(message)] if status == 400 else str(message)}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def json_safe_methods(view):
    """Django views under /api/ (the documentation, the redirect to it): GET and
    HEAD, anything else a JSON 405 (not the CSRF page)."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = api_error(405, _("Méthode non autorisée : GET seulement."))
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return wrapped


@csrf_exempt
def not_found(request, path: str = ""):
    """Any other address under /api/: JSON, as the rest of the API; an address
    that only lacks its final slash is redirected (as the site's are)."""
    if not request.path.endswith("/"):
        with contextlib.suppress(Resolver404):
            if resolve(request.path + "/").func is not not_found:
                query = request.META.get("QUERY_STRING")
                return HttpResponsePermanentRedirect(
                    request.path + "/" + (f"?{query}" if query else "")
                )
    return api_error(404, _("Adresse inconnue dans l’API."))


def bad_request(request, exception=None):
    """Django's 400 (e.g. more than DATA_UPLOAD_MAX_NUMBER_FIELDS parameters):
    JSON under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):  # `parametres`: all of them
        return api_error(400, _("Requête refusée : trop de paramètres ?"), "parametres")
    return defaults.bad_request(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return api_error(500, _("Erreur du serveur : elle est signalée à l’équipe."))
    return defaults.server_error(request)
