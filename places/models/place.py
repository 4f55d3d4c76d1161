"""A place of digital mediation. Field names are English; `verbose_name`s are the
French labels coordinators read. The comment on each field names the column of the
national standard (« Standard de données des lieux de médiation numérique » v1.0.2)
it carries."""

import datetime as dt

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchVectorField,
)
from django.core.validators import RegexValidator
from django.db import connections, transaction
from django.db.models import (
    Count,
    Q,
)
from django.db.models.functions import Now
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .. import hours, quality
from ..quality import Flag
from .common import PHONE_PATTERN, PIVOT_PATTERN, POSTAL_CODE_PATTERN
from .openings import PlaceHours
from .place_rules import PLACE_CONSTRAINTS, PLACE_INDEXES
from .search import (
    COMPLETENESS,
    FACET_TERM_FIELDS,
    LINKED_FIELDS,
    PlaceManager,
)
from .territories import Territory
from .triggers import PLACE_TRIGGERS, links_proxy
from .vocabularies import Kind, Term, Vocabulary


class Place(PlaceHours, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PUBLISHED = "published", _("publié")
        CLOSED = "closed", _("fermé définitivement")
        # Another record of a place kept elsewhere (`merged_into`): no page of its
        # own (its address redirects there), restored by an unmerge.
        MERGED = "merged", _("fusionné")

    # Identity and provenance.
    name = models.CharField(_("nom"), max_length=250)  # nom
    slug = models.SlugField(
        _("adresse de la page"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_(
            "Calculée à la création à partir du nom et de la commune ; stable ensuite."
        ),
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status, default=Status.DRAFT, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("Producteur des données.")
    )  # source
    source_id = models.CharField(
        _("identifiant à la source"), max_length=255, blank=True
    )  # id
    pivot = models.CharField(
        _("SIRET, RNA ou RIDET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(PIVOT_PATTERN)],
    )  # pivot
    parent_network = models.CharField(
        _("structure parente"), max_length=250, blank=True
    )  # structure_parente

    # What.
    kinds = models.ManyToManyField(
        Kind, verbose_name=_("types de lieu"), related_name="places"
    )
    structure_types = models.ManyToManyField(
        Term,
        verbose_name=_("typologies"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.STRUCTURE_TYPE},
    )  # typologie
    # varchar(280): the database refuses a longer summary.
    summary = models.CharField(
        _("présentation courte"), max_length=280, blank=True
    )  # presentation_resume
    description = models.TextField(
        _("présentation détaillée"), blank=True
    )  # presentation_detail
    services = models.ManyToManyField(
        Term,
        verbose_name=_("services"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SERVICE},
    )  # services
    publics = models.ManyToManyField(
        Term,
        verbose_name=_("publics spécifiquement adressés"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.PUBLIC},
    )  # publics_specifiquement_adresses
    special_support = models.ManyToManyField(
        Term,
        verbose_name=_("prise en charge spécifique"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SPECIAL_SUPPORT},
    )  # prise_en_charge_specifique
    fees = models.ManyToManyField(
        Term,
        verbose_name=_("frais à charge"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.FEE},
    )  # frais_a_charge
    access_modes = models.ManyToManyField(
        Term,
        verbose_name=_("modalités d’accès"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.ACCESS_MODE},
    )  # modalites_acces
    support_modes = models.ManyToManyField(
        Term,
        verbose_name=_("modalités d’accompagnement"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SUPPORT_MODE},
    )  # modalites_accompagnement
    programmes = models.ManyToManyField(
        Term,
        verbose_name=_("dispositifs et programmes nationaux"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.PROGRAMME},
    )  # dispositif_programmes_nationaux
    labels = models.ManyToManyField(
        Term,
        verbose_name=_("formations et labels"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.LABEL},
    )  # formations_labels
    other_labels = models.CharField(
        _("autres formations et labels"), max_length=500, blank=True
    )  # autres_formations_labels
    equipment = models.ManyToManyField(
        Term,
        verbose_name=_("équipements"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.EQUIPMENT},
    )

    # Where.
    address = models.CharField(_("adresse"), max_length=250)  # adresse
    address_extra = models.CharField(
        _("complément d’adresse"), max_length=250, blank=True
    )  # complement_adresse
    postal_code = models.CharField(
        _("code postal"), max_length=5, validators=[RegexValidator(POSTAL_CODE_PATTERN)]
    )  # code_postal
    commune = models.ForeignKey(
        Territory,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"level__in": ["commune", "arrondissement"]},
    )  # commune, code_insee
    location = models.PointField(
        _("position"), srid=4326, null=True, blank=True
    )  # latitude, longitude
    location_is_approximate = models.BooleanField(
        _("position approximative"),
        default=False,
        help_text=_("Placée au centre de la commune faute de coordonnées."),
    )
    itinerant = models.BooleanField(_("itinérant"), default=False)  # itinerance
    fixed_site = models.BooleanField(_("lieu fixe"), default=True)  # itinerance

    # When and how to reach.
    opening_hours = models.CharField(
        _("horaires"),
        max_length=500,
        blank=True,
        validators=[hours.validate_opening_hours],
        help_text=_(
            "Syntaxe OpenStreetMap, par ex. « Mo-Fr 09:00-12:00,14:00-18:00; PH off »."
        ),
    )  # horaires
    opening_hours_valid = models.BooleanField(
        _("horaires lisibles"),
        default=True,
        help_text=_("Faux quand des horaires importés ne suivent pas la syntaxe OSM."),
    )
    phone = models.CharField(
        _("téléphone"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(PHONE_PATTERN)],
        help_text=_("Format international, par ex. +33123456789."),
    )  # telephone
    emails = ArrayField(
        models.EmailField(max_length=254),
        verbose_name=_("courriels"),
        default=list,
        blank=True,
    )  # courriels
    websites = ArrayField(
        models.URLField(max_length=500),
        verbose_name=_("sites web"),
        default=list,
        blank=True,
    )  # site_web
    booking_url = models.URLField(
        _("prise de rendez-vous"), max_length=500, blank=True
    )  # prise_rdv
    accessibility_url = models.URLField(
        _("fiche Accès libre"), max_length=500, blank=True
    )  # fiche_acces_libre

    # Kept by the database (triggers of migration 0003): name, kinds, services, town,
    # summary and description, French stemming, accents ignored.
    search_vector = SearchVectorField(null=True, editable=False)
    # Also kept by the database (migration 0005): the ids of the place's kinds and of
    # its facet terms (services, publics, fees, support modes, programmes, labels,
    # equipment), so that facet filters and counts read one row per place instead of
    # joining eight link tables. Whatever Django writes here is replaced by the truth.
    kind_ids = ArrayField(
        models.BigIntegerField(), default=list, db_default=[], editable=False
    )
    term_ids = ArrayField(
        models.BigIntegerField(), default=list, db_default=[], editable=False
    )
    flags = ArrayField(
        models.CharField(max_length=30, choices=Flag),
        verbose_name=_("à vérifier"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Ce qui, dans ces informations, demande un coup d’œil."),
    )
    # How useful the place's page is to a citizen, for the default order of the
    # listings (DEFAULT_ORDER_EXPRESSIONS): hours, a way to get in touch, what it
    # offers, a precise position, a coordinator's check; a name that is only an
    # identifier goes last. Kept by the database from the row itself.
    completeness = models.GeneratedField(
        expression=COMPLETENESS,
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("complétude"),
    )
    # Kept by the database (migration 0013): whether the place has ever been
    # published. Only those withdrawn since are announced to partners in sync (the
    # API): a place prepared and never shown stays unknown to them.
    was_public = models.BooleanField(
        _("déjà publié"), default=False, db_default=False, editable=False
    )
    unmapped_values = models.JSONField(
        _("valeurs non reconnues"),
        default=dict,
        blank=True,
        help_text=_(
            "Valeurs d’un fichier importé qui ne correspondent à aucune valeur du "
            "standard, gardées ici par colonne pour qu’un coordinateur les traite."
        ),
    )

    # Sources (places/merging.py): a place is built from the records of its
    # sources (`records`); the fields a coordinator changed are theirs ("modifié
    # localement"), kept over every later import; `provenance` says, for each other
    # field, the source whose value it shows.
    local_fields = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("modifié localement"),
        default=list,
        db_default=[],
        blank=True,
        editable=False,
    )
    provenance = models.JSONField(
        _("provenance des champs"),
        default=dict,
        db_default={},
        blank=True,
        editable=False,
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("fusionné dans"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="merged_places",
    )

    # Freshness.
    data_updated_on = models.DateField(
        _("date de mise à jour des informations"), default=dt.date.today
    )  # date_maj
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True, db_default=Now())

    objects = PlaceManager()
    # Every change made through Django (admin, accepted suggestions), with who and
    # when; imports write theirs in bulk (places/exchange/importer.py).
    history = HistoricalRecords(
        excluded_fields=["search_vector", "kind_ids", "term_ids", "completeness"],
        m2m_fields=LINKED_FIELDS,
    )

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        triggers = PLACE_TRIGGERS
        constraints = PLACE_CONSTRAINTS
        indexes = PLACE_INDEXES

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("places:detail", kwargs={"slug": self.slug})

    def save(self, *args, **kwargs):
        self.opening_hours_valid = (
            self.parsed_hours is not None or not self.opening_hours
        )
        self.flags = self.flags_now()
        if self.slug:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using):
            lock_new_slugs(using)
            self.slug = self.unique_slug()
            super().save(*args, **kwargs)

    def flags_now(self) -> list[str]:
        """The place's flags for its current values (places/quality.py)."""
        centre = self.commune.centre if self.commune_id else None
        return quality.flags_of(
            self.name,
            self.location.coords if self.location else None,
            centre.coords if centre else None,
            self.data_updated_on,
            kept=tuple(self.flags),
        )

    def unique_slug(self) -> str:
        town = self.commune.name if self.commune_id else ""
        base = slugify(f"{self.name} {town}")[:100].strip("-") or "lieu"
        slug, n = base, 1
        while Place.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    @property
    def known_update(self) -> dt.date | None:
        """The date of update citizens are told: none when it is impossible."""
        return None if Flag.DATE_UNKNOWN in self.flags else self.data_updated_on

    @property
    def lon(self) -> float | None:
        return self.location.x if self.location else None

    @property
    def lat(self) -> float | None:
        return self.location.y if self.location else None


# The links the search vector and the facet arrays are made of, with their triggers.
LINK_PROXIES = [links_proxy(Place, field) for field in ("kinds", *FACET_TERM_FIELDS)]


# pg_advisory_xact_lock key under which new places get their slug ("EPN").
NEW_SLUGS_LOCK = 0x45504E


def lock_new_slugs(using: str = "default") -> None:
    """Until the end of the current transaction, be the only writer that gives new
    places their slugs (imports take it for their whole run): two writers never
    pick the same slug, and imports run one at a time."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NEW_SLUGS_LOCK])


def kinds_with_counts():
    """Every kind with the number of its published places (one query)."""
    return Kind.objects.annotate(
        n_places=Count("places", filter=Q(places__status=Place.Status.PUBLISHED))
    )
