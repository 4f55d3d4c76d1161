"""The shapes the API answers with, as the OpenAPI description states them.

Places are written by `api.rows` (plain values, a fixed number of queries per page)
rather than by these serializers field by field; the tests check every answer
against the description generated from them (tests/test_api.py)."""

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from places.exchange.standard import VOCABULARY_COLUMNS

# A place merged into another (one place, once) is withdrawn for partners: the
# place it was merged into is updated at the same moment.
STATUS_CODES = {
    "published": "publie",
    "closed": "ferme",
    "draft": "retire",
    "merged": "retire",
}


def text(help_text, **kwargs):
    return serializers.CharField(allow_null=True, help_text=help_text, **kwargs)


def values(help_text):
    return serializers.ListField(child=serializers.CharField(), help_text=help_text)


@extend_schema_serializer(component_name="Lieu")
class PlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Identifiant de l’annuaire, stable."))
    slug = serializers.SlugField(
        help_text=_("Adresse de la page du lieu ; le champ `id` des exports.")
    )
    url = serializers.URLField(help_text=_("La page du lieu pour les citoyens."))
    statut = serializers.ChoiceField(
        choices=[("publie", "publie"), ("ferme", "ferme")],
        help_text=_("`publie`, ou `ferme` : fermé définitivement."),
    )
    modifie_le = serializers.DateTimeField(
        help_text=_("Dernière modification dans l’annuaire (pour `modifie_depuis`).")
    )
    nom = serializers.CharField()
    pivot = text(_("SIRET, RNA ou RIDET, quand il est connu."))
    structure_parente = text(_("Réseau ou structure de rattachement."))
    adresse = serializers.CharField()
    complement_adresse = text("")
    code_postal = serializers.CharField()
    commune = serializers.CharField()
    code_insee = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True, help_text=_("WGS84."))
    longitude = serializers.FloatField(allow_null=True, help_text=_("WGS84."))
    position_approximative = serializers.BooleanField(
        help_text=_("Vrai quand le lieu est placé au centre de sa commune.")
    )
    itinerance = values(_("« Itinérant », « Fixe », ou les deux."))
    telephone = text(_("Format international (+33…)."))
    courriels = values("")
    site_web = values("")
    prise_rdv = text(_("Adresse de prise de rendez-vous."))
    fiche_acces_libre = text(_("Fiche d’accessibilité sur acceslibre."))
    horaires = text(_("Syntaxe OpenStreetMap opening_hours."))
    ouvert_maintenant = serializers.BooleanField(
        allow_null=True,
        help_text=_(
            "Selon les horaires, heure de Paris ; null sans horaires lisibles et "
            "pour un lieu fermé."
        ),
    )
    prochaine_ouverture = serializers.DateTimeField(
        allow_null=True,
        help_text=_(
            "Début de la prochaine ouverture dans les sept jours ; null sinon, et "
            "pour un lieu fermé."
        ),
    )
    presentation_resume = text(_("Au plus 280 caractères."))
    presentation_detail = text("")
    types = values(_("Codes des types de lieu (paramètre `type`)."))
    equipements = values(_("Codes des équipements (paramètre `equipement`)."))
    autres_formations_labels = text("")
    source = text(_("Producteur des données."))
    date_maj = serializers.DateField(
        help_text=_("Date de mise à jour des informations par leur producteur.")
    )
    distance_m = serializers.FloatField(
        required=False,
        help_text=_(
            "Distance au point `lat`, `lon`, en mètres : avec ce point, hors "
            "synchronisation."
        ),
    )


def vocabulary_help(vocabulary: str) -> str:
    return gettext(
        "Valeurs du standard national, liste « %(list)s » de "
        "/api/v1/vocabulaires/ (codes pour le filtre : son paramètre)."
    ) % {"list": vocabulary}


# The standard's vocabularies, as lists of its values (in the standard's order); the
# help in the language the description is generated in.
for _column, (_vocabulary, _field) in VOCABULARY_COLUMNS.items():
    PlaceSerializer._declared_fields[_column] = values(
        lazy(vocabulary_help, str)(_vocabulary)
    )


@extend_schema_serializer(component_name="LieuRetire")
class WithdrawnPlaceSerializer(serializers.Serializer):
    # Described in SHAPES.

    id = serializers.IntegerField()
    statut = serializers.ChoiceField(
        choices=[("retire", "retire")],
        help_text=_("`retire` : le lieu n’est plus public."),
    )
    modifie_le = serializers.DateTimeField()


@extend_schema_serializer(component_name="LieuSupprime")
class DeletedPlaceSerializer(serializers.Serializer):
    # Described in SHAPES.

    id = serializers.IntegerField()
    supprime_le = serializers.DateTimeField()


@extend_schema_serializer(component_name="Centre")
class CentreSerializer(serializers.Serializer):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()


@extend_schema_serializer(component_name="Territoire")
class TerritorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Code INSEE (ou SIREN d’un EPCI)."))
    code_url = serializers.CharField(
        help_text=_("Code des adresses : `R53` pour une région, `35`, `35238`.")
    )
    nom = serializers.CharField()
    niveau = serializers.ChoiceField(
        choices=[
            ("region", "region"),
            ("departement", "departement"),
            ("epci", "epci"),
            ("commune", "commune"),
            ("arrondissement", "arrondissement"),
        ]
    )
    parent = serializers.CharField(
        allow_null=True, help_text=_("`code_url` du territoire parent.")
    )
    code_departement = text("")
    code_region = text("")
    epci = text(_("SIREN de l’intercommunalité d’une commune."))
    population = serializers.IntegerField(allow_null=True)
    codes_postaux = values("")
    centre = CentreSerializer(allow_null=True)
    url = serializers.URLField(help_text=_("La page du territoire."))


@extend_schema_serializer(component_name="TerritoireDetaille")
class TerritoryDetailSerializer(TerritorySerializer):
    nombre_lieux = serializers.IntegerField(
        help_text=_("Lieux publiés dans ce territoire.")
    )


@extend_schema_serializer(component_name="Valeur")
class TermSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("La valeur à passer en paramètre."))
    valeur = text(
        _("La valeur telle que les lieux la portent (null pour les types de lieu).")
    )
    libelle = serializers.CharField()
    description = text("")


@extend_schema_serializer(component_name="Vocabulaire")
class VocabularySerializer(serializers.Serializer):
    liste = serializers.CharField()
    libelle = serializers.CharField()
    parametre = text(_("Le paramètre de /api/v1/lieux/ qui filtre sur cette liste."))
    champ = serializers.CharField(help_text=_("Le champ d’un lieu qui la porte."))
    valeurs = TermSerializer(many=True)


@extend_schema_serializer(component_name="Erreur")
class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# What the description says of these shapes (rather than their docstrings: in the
# language it is generated in, through api.docs.describe_shapes).
SHAPES = {
    "LieuRetire": _(
        "Un lieu qui n’est plus public, tel que `modifie_depuis` le donne : de quoi "
        "le retirer d’une copie."
    ),
    "LieuSupprime": _("Un lieu supprimé : de quoi le retirer d’une copie."),
}
