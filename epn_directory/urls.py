from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from api import docs as api_docs
from api.errors import json_safe_methods

admin.site.site_header = _("Annuaire des lieux numériques — administration")
admin.site.site_title = _("Administration de l’annuaire")
admin.site.index_title = _("Tableau de bord")

urlpatterns = [
    path("admin/", admin.site.urls),
    # One language: health check, robots.txt and the sitemaps (which list both).
    path("", include("places.service_urls")),
    # Every public page in French at its path, and in English under /en/.
    *i18n_patterns(
        # The API's documentation page; the API itself (below) is for machines and
        # answers at /api/ only.
        path(
            "api/v1/",
            json_safe_methods(api_docs.documentation),
            name="api-documentation",
        ),
        path("", include("coordination.urls")),
        path("", include("coverage.urls")),
        path("", include("places.urls")),
        prefix_default_language=False,
    ),
    path("", include("api.urls")),
]

if settings.BENCH_BARE_PAGE:  # benchmarks only (manage.py bench_load)
    urlpatterns.append(path("", include("bench.urls")))

handler400 = "api.errors.bad_request"
handler403 = "coordination.views.permission_denied"
handler500 = "api.errors.server_error"
