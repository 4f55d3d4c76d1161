import factory
from django.contrib.gis.geos import Point

from places.models import Kind, Place, Term, Territory


def standard_file(path, **values) -> str:
    """A CSV of the national standard holding one place in Rennes, `values` over
    the defaults (the other columns empty); returns its path."""
    import csv

    from places.exchange.standard import COLUMNS

    row = dict.fromkeys(COLUMNS, "") | {
        "id": "lieu-1", "nom": "Lieu d’essai", "commune": "Rennes",
        "code_postal": "35000", "code_insee": "35238", "adresse": "1 place",
        "source": "test", "date_maj": "2024-04-02",
        "services": "Loisirs et créations numériques",
    } | values  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    return str(path)


def commune(code: str) -> Territory:
    return Territory.objects.get(level__in=["commune", "arrondissement"], code=code)


class PlaceFactory(factory.django.DjangoModelFactory):
    """A published place in Rennes (35238) unless told otherwise.

    `kinds` and `services` take codes: PlaceFactory(kinds=["fablab"], services=[...]).
    """

    class Meta:
        model = Place
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Espace numérique n°{n}")
    status = Place.Status.PUBLISHED
    summary = "Aide aux démarches en ligne et accès libre aux ordinateurs."
    address = "1 place de la Mairie"
    postal_code = "35000"
    commune = factory.LazyFunction(lambda: commune("35238"))
    location = factory.LazyFunction(lambda: Point(-1.6794, 48.1113, srid=4326))
    opening_hours = "Mo-Fr 09:00-12:00,14:00-18:00; PH off"

    @factory.post_generation
    def kinds(self, create, codes, **kwargs):
        self.kinds.set(Kind.objects.filter(code__in=codes or ["epn"]))

    @factory.post_generation
    def services(self, create, codes, **kwargs):
        if codes:
            self.services.set(Term.objects.filter(vocabulary="service", code__in=codes))


def marseille_place(**fields) -> Place:
    """A place in Marseille (11e arrondissement), outside Bretagne's coordinators'
    territory, with a service and a source id an attacker could reuse."""
    return PlaceFactory(
        **{
            "name": "Espace de Marseille",
            "commune": commune("13211"),
            "postal_code": "13011",
            "source": "cnfs",
            "source_id": "m1",
            "services": ["aide-aux-demarches-administratives"],
            **fields,
        }
    )
