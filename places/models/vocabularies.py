"""The reference lists that describe a place (the standard's services, publics,
labels…, and our own equipment), its kinds, and the sources of imported places."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import (
    Q,
)
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Vocabulary(models.TextChoices):
    """The reference lists describing a place; all but equipment are the standard's."""

    SERVICE = "service", _("Services")
    PUBLIC = "public", _("Publics spécifiquement adressés")
    SPECIAL_SUPPORT = "special_support", _("Prise en charge spécifique")
    FEE = "fee", _("Frais à charge")
    ACCESS_MODE = "access_mode", _("Modalités d’accès")
    SUPPORT_MODE = "support_mode", _("Modalités d’accompagnement")
    PROGRAMME = "programme", _("Dispositifs et programmes nationaux")
    LABEL = "label", _("Formations et labels")
    STRUCTURE_TYPE = "structure_type", _("Typologies de structure")
    EQUIPMENT = "equipment", _("Équipements")


def in_language(obj, name: str, french: str = "") -> str:
    """`obj.<name>` in the active language: its `<name>_en` on English pages when
    written, else the French (`obj.<french>`, by default `obj.<name>`): the
    reference labels of `Term` and `Kind`."""
    language = get_language() or settings.LANGUAGE_CODE
    if language != settings.LANGUAGE_CODE:
        translated = getattr(obj, f"{name}_{language}", "")
        if translated:
            return translated
    return getattr(obj, french or name)


class TermManager(models.Manager):
    def __init__(self, vocabulary: str | None = None):
        super().__init__()
        self.vocabulary = vocabulary

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.vocabulary:
            queryset = queryset.filter(vocabulary=self.vocabulary)
        return queryset

    def get_by_natural_key(self, vocabulary: str, code: str):
        return self.get(vocabulary=vocabulary, code=code)


class Term(models.Model):
    """One value of one vocabulary: a service, a public, a fee, a piece of equipment…

    `value` is the exact spelling of the national standard (what import and export
    read and write); `code` is the short form used in URLs (`?service=…`).
    """

    vocabulary = models.CharField(_("liste"), max_length=20, choices=Vocabulary)
    code = models.SlugField(_("code"), max_length=80)
    value = models.CharField(
        _("valeur du standard"),
        max_length=200,
        help_text=_("Orthographe exacte de la valeur dans le standard national."),
    )
    label = models.CharField(_("libellé"), max_length=200)
    label_en = models.CharField(_("libellé en anglais"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = TermManager()

    class Meta:
        verbose_name = _("valeur de référence")
        verbose_name_plural = _("valeurs de référence")
        ordering = ["vocabulary", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["vocabulary", "code"], name="term_unique_code"
            ),
            models.UniqueConstraint(
                fields=["vocabulary", "value"], name="term_unique_value"
            ),
            models.CheckConstraint(
                condition=Q(vocabulary__in=Vocabulary.values),
                name="term_vocabulary_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label_i18n

    @property
    def label_i18n(self) -> str:
        return in_language(self, "label")

    def natural_key(self) -> tuple[str, str]:
        return (self.vocabulary, self.code)

    def save(self, *args, **kwargs):
        vocabulary = getattr(self, "VOCABULARY", None)
        if vocabulary:
            self.vocabulary = vocabulary
        super().save(*args, **kwargs)


def _vocabulary_proxy(name: str, vocabulary: Vocabulary, singular: str):
    """A proxy of `Term` restricted to one vocabulary, for its own admin page."""
    meta = type(
        "Meta",
        (),
        {
            "proxy": True,
            "verbose_name": singular,
            "verbose_name_plural": vocabulary.label,
        },
    )
    attrs = {
        "__module__": __name__,
        "Meta": meta,
        "VOCABULARY": vocabulary.value,
        "objects": TermManager(vocabulary.value),
    }
    return type(name, (Term,), attrs)


Service = _vocabulary_proxy("Service", Vocabulary.SERVICE, _("service"))
Public = _vocabulary_proxy("Public", Vocabulary.PUBLIC, _("public"))
SpecialSupport = _vocabulary_proxy(
    "SpecialSupport", Vocabulary.SPECIAL_SUPPORT, _("prise en charge spécifique")
)
Fee = _vocabulary_proxy("Fee", Vocabulary.FEE, _("frais à charge"))
AccessMode = _vocabulary_proxy(
    "AccessMode", Vocabulary.ACCESS_MODE, _("modalité d’accès")
)
SupportMode = _vocabulary_proxy(
    "SupportMode", Vocabulary.SUPPORT_MODE, _("modalité d’accompagnement")
)
Programme = _vocabulary_proxy("Programme", Vocabulary.PROGRAMME, _("dispositif"))
Label = _vocabulary_proxy("Label", Vocabulary.LABEL, _("formation ou label"))
StructureType = _vocabulary_proxy(
    "StructureType", Vocabulary.STRUCTURE_TYPE, _("typologie de structure")
)
Equipment = _vocabulary_proxy("Equipment", Vocabulary.EQUIPMENT, _("équipement"))


class Source(models.Model):
    """A producer of data, as places name it (`Place.source`), with the name
    citizens read on a place's page. Imports add the producers they meet, their
    code as name: a place page names its producer only once a national
    administrator has written a name for people."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(
        _("nom"), max_length=200, help_text=_("Le nom du producteur, pour le public.")
    )
    website = models.URLField(_("site web"), max_length=500, blank=True)
    licence = models.CharField(
        _("licence"),
        max_length=200,
        blank=True,
        help_text=_("La licence sous laquelle le producteur publie ses données."),
    )
    # The last import of this source's file: each of its open records was seen then
    # (a record's "last seen" without writing every record at every import).
    last_imported_at = models.DateTimeField(
        _("dernier import"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("source de données")
        verbose_name_plural = _("sources de données")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KindManager(models.Manager):
    def get_by_natural_key(self, code: str):
        return self.get(code=code)


class Kind(models.Model):
    """What a place is for a citizen: EPN, coworking, fablab, tiers-lieu."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("libellé"), max_length=80)
    label_plural = models.CharField(_("libellé au pluriel"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    label_en = models.CharField(_("libellé en anglais"), max_length=80, blank=True)
    label_plural_en = models.CharField(
        _("libellé au pluriel en anglais"), max_length=80, blank=True
    )
    description_en = models.TextField(_("description en anglais"), blank=True)
    icon = models.CharField(
        _("icône"),
        max_length=80,
        blank=True,
        help_text=_("Nom du fichier SVG dans static/icons/."),
    )
    structure_type = models.ForeignKey(
        Term,
        verbose_name=_("typologie du standard"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"vocabulary": Vocabulary.STRUCTURE_TYPE},
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = KindManager()

    class Meta:
        verbose_name = _("type de lieu")
        verbose_name_plural = _("types de lieux")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label_i18n

    @property
    def label_i18n(self) -> str:
        return in_language(self, "label")

    @property
    def label_plural_i18n(self) -> str:
        return in_language(self, "label_plural")

    @property
    def description_i18n(self) -> str:
        return in_language(self, "description")

    def natural_key(self) -> tuple[str]:
        return (self.code,)
