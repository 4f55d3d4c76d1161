from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination des territoires")

    def ready(self):
        from .roles import ensure_coordinators_group

        post_migrate.connect(ensure_coordinators_group, sender=self)
