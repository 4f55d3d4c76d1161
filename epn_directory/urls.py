from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Annuaire des lieux numériques — administration")
admin.site.site_title = _("Administration de l’annuaire")
admin.site.index_title = _("Tableau de bord")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("coordination.urls")),
    path("", include("coverage.urls")),
    path("", include("api.urls")),
    path("", include("places.urls")),
]

handler400 = "api.views.bad_request"
handler403 = "coordination.views.permission_denied"
handler500 = "api.views.server_error"
