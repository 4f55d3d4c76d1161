"""The national standard of places of digital mediation: columns, and v0 → v1 vocabularies.

v1.0.2 is what we export and the target of every import; v0.1.x (2022) is what most
published files still use. The mapping of v0 values onto v1 is the single table below
(`V0_VALUES`), also written down in docs/exchange.md.
"""

import functools
import re
import unicodedata

# The 32 columns of v1.0.2, in schema order.
COLUMNS = [
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone", "courriels",
    "site_web", "horaires", "presentation_resume", "presentation_detail", "source",
    "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
]  # fmt: skip

# v1 columns holding values of one of our vocabularies, and the Place field they fill.
VOCABULARY_COLUMNS = {
    "typologie": ("structure_type", "structure_types"),
    "services": ("service", "services"),
    "publics_specifiquement_adresses": ("public", "publics"),
    "prise_en_charge_specifique": ("special_support", "special_support"),
    "frais_a_charge": ("fee", "fees"),
    "dispositif_programmes_nationaux": ("programme", "programmes"),
    "formations_labels": ("label", "labels"),
    "modalites_acces": ("access_mode", "access_modes"),
    "modalites_accompagnement": ("support_mode", "support_modes"),
}

# Columns of ours beyond the standard, read when a file has them (the demo places
# have them; docs/exchange.md): the kinds of place (the standard's `typologie` knows
# no coworking) and the equipment (the standard has none), each by code or label,
# separated by `|`. A file without `equipements` leaves the places' equipment alone.
EXTENSION_COLUMNS = ["types_lieu", "equipements"]

# Older or misspelt column names → the v1 column they feed. v0 columns whose values
# need translating (services, publics_accueillis, conditions_acces, labels_nationaux,
# modalites_accompagnement) are handled by V0_VALUES.
COLUMN_ALIASES = {
    "courriel": "courriels",
    "accessibilite": "fiche_acces_libre",
    "labels_autres": "autres_formations_labels",
    "conditions_access": "conditions_acces",
}

# Columns that tell a v0 file from a v1 file.
V0_MARKERS = {"publics_accueillis", "conditions_acces", "labels_nationaux", "courriel"}
V1_MARKERS = {"courriels", "frais_a_charge", "publics_specifiquement_adresses"}

# v0 column → {v0 value (its label before " : ") → [(v1 column, v1 value), …]}.
# An empty list means "deliberately nothing in v1" (e.g. "Adultes": everyone).
SERVICE = "services"
PUBLIC = "publics_specifiquement_adresses"
SUPPORT = "prise_en_charge_specifique"
FEE = "frais_a_charge"
PROGRAMME = "dispositif_programmes_nationaux"
LABEL = "formations_labels"
MODE = "modalites_accompagnement"
V0_VALUES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "services": {
        "Devenir autonome dans les démarches administratives": [(SERVICE, "Aide aux démarches administratives")],
        "Réaliser des démarches administratives avec un accompagnement": [(SERVICE, "Aide aux démarches administratives")],
        "Accompagner les démarches de santé": [(SERVICE, "Aide aux démarches administratives")],
        "Prendre en main un smartphone ou une tablette": [(SERVICE, "Maîtrise des outils numériques du quotidien")],
        "Prendre en main un ordinateur": [(SERVICE, "Maîtrise des outils numériques du quotidien")],
        "Utiliser le numérique au quotidien": [(SERVICE, "Maîtrise des outils numériques du quotidien")],
        "Approfondir ma culture numérique": [(SERVICE, "Compréhension du monde numérique")],
        "Promouvoir la citoyenneté numérique": [(SERVICE, "Compréhension du monde numérique")],
        "Favoriser mon insertion professionnelle": [(SERVICE, "Insertion professionnelle via le numérique")],
        "Créer et développer mon entreprise": [(SERVICE, "Insertion professionnelle via le numérique")],
        "Accéder à une connexion internet": [(SERVICE, "Accès internet et matériel informatique")],
        "Accéder à du matériel": [(SERVICE, "Accès internet et matériel informatique")],
        "S'équiper en matériel informatique": [(SERVICE, "Acquisition de matériel informatique à prix solidaire")],
        "Créer avec le numérique": [(SERVICE, "Loisirs et créations numériques")],
        "Soutenir la parentalité et l'éducation avec le numérique": [(SERVICE, "Parentalité et éducation avec le numérique")],
    },
    "publics_accueillis": {
        "Seniors (+ 65 ans)": [(PUBLIC, "Seniors")],
        "Familles/enfants": [(PUBLIC, "Familles et/ou enfants")],
        "Jeunes (16-26 ans)": [(PUBLIC, "Jeunes")],
        "Uniquement femmes": [(PUBLIC, "Femmes")],
        "Adultes": [],
        "Public langues étrangères": [(SUPPORT, "Langues étrangères (autres)")],
        "Déficience visuelle": [(SUPPORT, "Déficience visuelle")],
        "Surdité": [(SUPPORT, "Surdité")],
        "Handicaps psychiques": [(SUPPORT, "Handicaps mentaux")],
        "Handicaps mentaux": [(SUPPORT, "Handicaps mentaux")],
        "Personnes en situation d'illettrisme": [(SUPPORT, "Illettrisme")],
    },
    "conditions_acces": {
        "Gratuit": [(FEE, "Gratuit")],
        "Gratuit sous condition": [(FEE, "Gratuit sous condition")],
        "Accepte le Pass numérique": [(FEE, "Gratuit sous condition")],
        "Payant": [(FEE, "Payant")],
        "Adhésion": [(FEE, "Payant")],
    },
    "labels_nationaux": {
        "France Services": [(PROGRAMME, "France Services")],
        "CNFS": [(PROGRAMME, "Conseillers numériques")],
        "Aidants Connect": [(PROGRAMME, "Aidants Connect")],
        "Grandes écoles du numérique": [(PROGRAMME, "Grande école du numérique")],
        "Point relais CAF": [(PROGRAMME, "Point d'accès numérique CAF")],
        "Point numérique CAF": [(PROGRAMME, "Point d'accès numérique CAF")],
        "Fabriques de Territoire": [(LABEL, "Fabriques de Territoire")],
    },
    "modalites_accompagnement": {
        "Seul": [(MODE, "En autonomie")],
        "Avec de l'aide": [(MODE, "Accompagnement individuel")],
        "A ma place": [(MODE, "Accompagnement individuel")],
        "Dans un atelier": [(MODE, "Dans un atelier collectif")],
    },
}  # fmt: skip

# Our kinds, from the standard's structure types (a mednum place is an EPN otherwise).
KIND_OF_TYPOLOGY = {"FABLAB": "fablab", "TIERS_LIEUX": "tiers-lieu", "EPN": "epn"}
DEFAULT_KIND = "epn"

# The phone prefixes the standard accepts (metropolitan France and overseas).
PHONE_PATTERN = re.compile(
    r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}$"
)
UNKNOWN_PIVOT = "00000000000000"


@functools.lru_cache(maxsize=4096)
def value_key(value: str) -> str:
    """The form in which vocabulary values are compared: case, accents kept but
    typographic apostrophes, spacing and a trailing description (" : …") ignored."""
    value = unicodedata.normalize("NFC", value).replace("’", "'").replace("\u00a0", " ")
    value = value.split(" : ")[0]
    return re.sub(r"\s+", "", value).casefold()


def split_values(raw: str) -> list[str]:
    """Split a multi-valued cell on `|` (v1) or `;` (v0), dropping empty items."""
    return [item.strip() for item in re.split(r"[|;]", raw or "") if item.strip()]
