from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partenaires et moissonnage")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from coordination.roles import ensure_coordinators_group

        # After this app's permissions exist (coordination's comes before them).
        post_migrate.connect(ensure_coordinators_group, sender=self)
