from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_lazy as _


def no_history_for_fixtures(sender, instance, raw=False, **kwargs):
    """Fixtures (`loaddata`) are not edits: no history row, for the place nor for each
    of its links (simple-history skips raw saves, not the links set after them)."""
    if raw:
        instance.skip_history_when_saving = True


class PlacesConfig(AppConfig):
    name = "places"
    verbose_name = _("Annuaire des lieux")

    def ready(self):
        from .openings import refresh_after_save
        from .signals import (
            place_saved,
            vocabulary_saved,
            vocabulary_saving,
        )

        place = self.get_model("Place")
        pre_save.connect(no_history_for_fixtures, sender=place)
        post_save.connect(refresh_after_save, sender=place)
        post_save.connect(place_saved, sender=place)
        post_delete.connect(place_saved, sender=place)
        # Any sender: the vocabularies' admin pages save through proxy models.
        pre_save.connect(vocabulary_saving, dispatch_uid="places-vocabulary-saving")
        post_save.connect(vocabulary_saved, dispatch_uid="places-vocabulary-saved")
