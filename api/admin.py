from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from coordination.roles import is_national

from .models import PartnerKey

# Only our partners' keys: the library's own model is not used.
admin.site.unregister(APIKey)


@admin.register(PartnerKey)
class PartnerKeyAdmin(APIKeyModelAdmin):
    list_display = [
        "partner",
        "name",
        "prefix",
        "requests_per_minute",
        "created",
        "expiry_date",
        "expired",
        "revoked",
    ]
    search_fields = ["partner", "name", "prefix", "contact"]

    @admin.display(description=gettext_lazy("expirée"), boolean=True)
    def expired(self, key: PartnerKey) -> bool:
        return key.has_expired

    # Keys open the whole country's data at a higher rate: national coordinators
    # and administrators only, whatever permissions a group is given.
    def has_module_permission(self, request):
        return request.user.is_active and is_national(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_model(self, request, obj, form=None, change=False):
        if obj.pk:
            obj.save()
            return
        key = PartnerKey.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            _(
                "La clé d’API de « %(partner)s » est : %(key)s — transmettez-la au "
                "partenaire maintenant, elle ne sera plus jamais affichée. Il "
                "l’envoie dans l’en-tête « Authorization: Api-Key %(key)s »."
            )
            % {"partner": obj.partner, "key": key},
        )
