from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "coverage"
    verbose_name = _("Couverture des territoires")

    def ready(self):
        from places.signals import places_changed

        from .tasks import refresh_later

        places_changed.connect(refresh_later, dispatch_uid="coverage")
