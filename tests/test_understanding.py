"""What the search understands (issue 13): needs from the thesaurus, towns typed in
the "what" box, misspelt towns, a radius around a town, and what the listing says."""

import json

import pytest
from bs4 import BeautifulSoup
from django.contrib.gis.geos import Point
from django.http import QueryDict

from places.filters import PlaceFilter
from places.models import Place, Term, Territory
from places.understanding import NEEDS_FILE, Thesaurus, ThesaurusError, understand
from places.where import names_place, resolve

from .conftest import REFERENCE
from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def read(text: str):
    return understand(text, names_place)


def needs_of(text: str) -> list[set]:
    return [set(need.means) for need, _typed, _span in read(text).needs]


DEMARCHES = ("service", "aide-aux-demarches-administratives")
EVERYDAY = ("service", "maitrise-des-outils-numeriques-du-quotidien")


# --- The thesaurus file


def test_every_code_of_the_thesaurus_exists_in_the_reference_data():
    reference = json.loads(REFERENCE.read_text())
    known = {
        ("type", o["fields"]["code"]) for o in reference if o["model"] == "places.kind"
    }
    param_of = {
        "service": "service",
        "public": "public",
        "fee": "frais",
        "support_mode": "accompagnement",
        "programme": "label",
        "label": "label",
        "equipment": "equipement",
    }
    known |= {
        (param_of[o["fields"]["vocabulary"]], o["fields"]["code"])
        for o in reference
        if o["model"] == "places.term" and o["fields"]["vocabulary"] in param_of
    }
    used = {pair for need in Thesaurus.read().needs() for pair in need.means}
    assert used and used <= known, used - known


def test_no_need_is_also_a_town_people_would_mean():
    """A need phrase that is also a town's name (as matched: accents, case, plurals
    and stopwords aside) would hide the town in the "what" box: none names a commune
    of more than 10,000 people ("salle" once hid Salles; "santé" and Santes, 5,700
    people, is a choice: the town can be typed in « Où ? »)."""
    thesaurus = Thesaurus.read()
    towns = {}
    for name in Territory.objects.filter(
        level="commune", population__gt=10000
    ).values_list("name", flat=True):
        towns.setdefault(thesaurus.key(name), name)
    clashes = {towns[key] for key in thesaurus.phrases if key in towns}
    assert clashes == set(), clashes


@pytest.mark.parametrize(
    "text, error",
    [
        ("version: 1\nneeds: []\nsynonyms: {}\n", "unknown keys"),
        ("version: 1\nneeds:\n  - {means: {servce: [x]}, words: [a b]}\n", "servce"),
        ("version: 1\nneeds:\n  - {means: {service: [x]}}\n", "`means` and `words`"),
        (
            "version: 1\nneeds:\n  - {means: {service: [x]}, words: [wifi]}\n"
            "  - {means: {service: [y]}, words: [WIFI]}\n",
            "already means",
        ),
    ],
)
def test_a_wrong_thesaurus_is_refused_with_where(tmp_path, text, error):
    path = tmp_path / "needs.yaml"
    path.write_text(text)
    with pytest.raises(ThesaurusError, match=error):
        Thesaurus.read(path)


def test_the_shipped_thesaurus_reads():
    thesaurus = Thesaurus.read(NEEDS_FILE)
    assert thesaurus.version >= 1 and len(thesaurus.phrases) > 300


# --- Reading a query


@pytest.mark.parametrize(
    "text, need",
    [
        ("aide pour ma déclaration de revenus", DEMARCHES),
        ("Ameli", DEMARCHES),
        ("ANTS", DEMARCHES),
        ("impots.gouv", DEMARCHES),
        ("apprendre à me servir de mon téléphone", EVERYDAY),
        ("SMARTPHONES", EVERYDAY),
        ("imprimer un billet", ("equipement", "imprimante-scanner")),
        ("Wi-Fi", ("equipement", "wifi")),
        ("France Services", ("label", "france-services")),
        ("Pôle emploi", ("service", "insertion-professionnelle-via-le-numerique")),
    ],
)
def test_everyday_words_are_needs(text, need):
    found = needs_of(text)
    assert len(found) == 1 and need in found[0]


def test_the_longest_phrase_wins():
    (solidaire,) = needs_of("ordinateur pas cher")
    assert ("service", "acquisition-de-materiel-informatique-a-prix-solidaire") in (
        solidaire
    )


def test_a_town_typed_with_the_need_is_the_place():
    found = read("smartphone à Rennes")
    assert found.place == "Rennes" and found.words == "" and len(found.needs) == 1
    assert read("wifi La Rochelle").place == "La Rochelle"
    assert read("fablab 35000").place == "35000"


def test_quoted_words_are_taken_literally():
    found = read('"smartphone" Rennes')
    assert found.needs == [] and found.words == '"smartphone"'
    assert read("smartphone Rennes").quoted((0, 10)) == '"smartphone" Rennes'


def test_a_misspelt_word_of_names_is_searched_right():
    found = read("mediatek")
    assert found.words == "médiathèque"
    assert found.corrections == [("mediatek", "médiathèque", (0, 8))]


def test_a_street_address_in_the_what_box_is_the_place():
    assert read("12 rue de la Paix Rennes").place == "12 rue de la Paix Rennes"


def test_other_words_stay_words():
    found = read("médiathèque Rennes")
    assert (
        found.needs == [] and found.place == "Rennes" and found.words == "médiathèque"
    )


# --- Towns people type


@pytest.mark.parametrize(
    "typed, code",
    [
        ("Bordo", "33063"),
        ("Marseile", "13055"),
        ("Lile", "59350"),
        ("Grenobl", "38185"),
        ("Besancon", "25056"),
        ("Toulouze", "31555"),
        ("Clermont Feran", "63113"),
    ],
)
def test_misspelt_towns_are_understood(typed, code):
    where = resolve(typed)
    assert where.territory.code == code


def test_a_corrected_town_says_so_and_offers_others_when_unsure():
    sure = resolve("Bordo")
    assert sure.corrected and sure.alternatives == []
    unsure = resolve("Nante")
    assert unsure.corrected and unsure.territory.code == "44109"
    assert unsure.alternatives  # « Vouliez-vous dire … ? »


def test_a_short_name_means_the_large_town_first():
    where = resolve("Aix")
    assert where.territory.code == "13001"  # Aix-en-Provence, not Aix (Corrèze)
    assert {t.code for t in where.alternatives} >= {"19002", "73008"}


def test_an_exact_name_is_not_corrected():
    where = resolve("Rennes")
    assert where.territory.code == "35238" and not where.corrected


def test_nonsense_is_unknown():
    assert resolve("xqzwv").unknown


# --- The listing


@pytest.fixture
def rennes_places():
    Territory.objects.filter(level="commune", code="35238").update(
        centre="POINT(-1.68 48.11)"
    )
    return {
        "phone": PlaceFactory(
            name="Espace numérique du Colombier",
            services=["maitrise-des-outils-numeriques-du-quotidien"],
            location=Point(-1.68, 48.11, srid=4326),
        ),
        "far": PlaceFactory(
            name="Cyber-base de Saint-Jacques",
            commune=commune("35281"),
            services=["maitrise-des-outils-numeriques-du-quotidien"],
            location=Point(-1.72, 48.06, srid=4326),
        ),
        "papers": PlaceFactory(
            name="Point d'accès au droit",
            services=["aide-aux-demarches-administratives"],
            summary="Permanence juridique.",
            location=Point(-1.69, 48.12, srid=4326),
        ),
    }


def results(query: str) -> list[str]:
    place_filter = PlaceFilter(QueryDict(query), queryset=Place.objects.published())
    return list(place_filter.qs.values_list("name", flat=True))


def test_a_need_and_a_town_in_the_what_box_work_as_with_where(rennes_places):
    assert (
        results("q=smartphone+Rennes")
        == results("q=smartphone&ou=Rennes")
        == ["Espace numérique du Colombier"]
    )


def test_a_need_finds_places_that_offer_it_then_those_that_mention_it(rennes_places):
    mentions = PlaceFactory(name="Maison des associations", summary="Imprimante.")
    assert results("q=imprimer") == [mentions.name]  # none has the equipment
    rennes_places["papers"].equipment.set(
        Term.objects.filter(vocabulary="equipment", code="imprimante-scanner")
    )
    assert results("q=imprimer") == ["Point d'accès au droit", mentions.name]


def test_a_radius_around_a_town_sorts_by_distance(rennes_places):
    assert results("ou=Rennes&rayon=10") == [
        "Espace numérique du Colombier",
        "Point d'accès au droit",
        "Cyber-base de Saint-Jacques",  # in another commune, 6 km away
    ]
    assert "Cyber-base de Saint-Jacques" not in results("ou=Rennes")


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_the_page_says_what_it_understood_and_each_can_be_removed(
    client, rennes_places
):
    html = page(client, "/lieux/?q=smartphone+Rennes")
    chips = html.select(".understood .chip")
    assert [c.get_text(" ", strip=True).replace(" ✕", "") for c in chips] == [
        "Maîtrise des outils numériques du quotidien (téléphone, tablette)",
        "Où : Rennes (35)",
    ]
    removes = [a["href"] for a in html.select(".chip__remove")]
    assert removes == ["?q=%22smartphone%22+Rennes", "?q=smartphone+%22Rennes%22"]
    literal = page(client, "/lieux/" + removes[0])
    assert not literal.select(".chip--need")  # taken as a word now


def test_a_corrected_town_is_said_on_the_page(client, rennes_places):
    html = page(client, "/lieux/?ou=Renne")
    notice = html.select_one(".notice").get_text(" ", strip=True)
    assert "« Renne » comme Rennes (35)" in notice
    assert html.select_one("h1").get_text(strip=True) == "Lieux : Rennes"


def test_an_empty_search_never_drops_the_town_silently(client, rennes_places):
    html = page(client, "/lieux/?q=fablab&ou=Rennes")
    links = [a["href"] for a in html.select(".empty .widen a")]
    assert links and all("ou=Rennes" in link for link in links)
    assert any("rayon=20" in link for link in links)


def test_open_now_with_nothing_open_shows_when_places_open(client, rennes_places):
    Place.objects.update(opening_hours="Mo 09:00-09:01")
    from places.openings import refresh_openings

    refresh_openings()
    html = page(client, "/lieux/?ou=Rennes&ouvert=1&q=smartphone")
    empty = html.select_one(".empty")
    assert "Ceux qui ouvrent le plus tôt" in empty.get_text()
    assert [h.get_text(strip=True) for h in empty.select(".card__title")] == [
        "Espace numérique du Colombier"
    ]
    assert "ouvre" in empty.select_one(".open-status").get_text()


def test_filter_control_counts_the_active_filters(client, rennes_places):
    html = page(client, "/lieux/?ou=Rennes&service=aide-aux-demarches-administratives")
    assert html.select_one("a.to-filters").get_text(strip=True) == (
        "Filtrer (1 filtre actif)"
    )
    assert html.select_one("a.to-filters")["href"] == "#filtres"


def test_the_home_page_offers_around_me(client):
    html = page(client, "/")
    assert html.select_one("form.search [data-geolocate] button")
    assert html.select_one("form.search input[name=lat][type=hidden]")


def test_labels_and_equipment_are_words_of_a_place_however_it_was_written(tmp_path):
    """The importer computes new places' search vectors itself (one COPY); they must
    hold what the database's own definition does: services, programmes, labels and
    equipment by name (migration 0015)."""
    from django.db import connection

    from places.exchange.importer import import_places

    from .test_import import write_csv

    path = write_csv(
        tmp_path / "places.csv",
        [
            {
                "id": "v1",
                "nom": "Le Relais",
                "commune": "Rennes",
                "code_postal": "35000",
                "adresse": "1 rue de Brest",
                "services": "Aide aux démarches administratives",
                "dispositif_programmes_nationaux": "Aidants Connect|France Services",
                "formations_labels": "Fabriques de Territoire",
            }
        ],
    )
    import_places(path)
    place = Place.objects.get(name="Le Relais")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text, places_place_vector(p)::text "
            "FROM places_place p WHERE id = %s",
            [place.pk],
        )
        imported, defined = cursor.fetchone()
    assert imported == defined
    for words in ["aidants connect", "fabriques de territoire"]:
        assert results(f"q=%22{words}%22") == ["Le Relais"]
    # An edit in the admin's way (the links changed) keeps it so.
    place.labels.clear()
    assert results("q=%22fabriques de territoire%22") == []


# --- What the review of the change found (each failed before its fix)


@pytest.mark.parametrize(
    "text, place",
    [
        ("médiathèque Bordo", "Bordo"),  # a misspelt town at the end
        ("wifi Marseile", "Marseile"),
        ("wifi Arès", "Arès"),  # not "ARE", allocation chômage
        ("médiathèque Salles", "Salles"),  # not « Salle de réunion »
        ("mairie Cours-la-Ville", "Cours-la-Ville"),  # not « cours » + Villé
        ("wifi Saint-Denis (93)", "Saint-Denis (93)"),
        ("wifi Lyon 3e", "Lyon 3e"),
        ("emploi Paris 15", "Paris 15"),
        ("wifi Nord", "Nord"),  # a capital: the département
        ("emploi Lourmarin", "Lourmarin"),  # 1,100 people, but written as a name
    ],
)
def test_places_typed_in_the_what_box(text, place):
    from places.where import close_place

    assert understand(text, names_place, close_place=close_place).place == place


@pytest.mark.parametrize(
    "text",
    [
        "école numérique",  # École (Savoie), 270 people
        "mairie de ma ville",
        "atelier numérique bord de mer",  # Mer (Loir-et-Cher), typed as a word
        "bus france services",
        "ordinateur 12345",  # no such postal code
        "cyber base Trifouillis",
        "windows 10",  # not the Aube
        "jeunes 16 25",
        "espace public",  # not Publier
        "agence",  # not Agen
        "atelier vélo",  # not Velaux
        "aide champs",  # a former commune, in lower case
    ],
)
def test_ordinary_words_are_not_places(text):
    from places.where import close_place

    assert understand(text, names_place, close_place=close_place).place == ""


def test_a_town_typed_wins_over_a_position(client, rennes_places):
    # "Autour de moi" leaves lat/lon in the form; then a town is typed.
    assert results("ou=Rennes&rayon=5&lat=43.3&lon=5.4") == results("ou=Rennes&rayon=5")
    assert results("q=smartphone+Rennes&lat=43.3&lon=5.4&rayon=10") == [
        "Espace numérique du Colombier",
        "Cyber-base de Saint-Jacques",
    ]
    html = page(client, "/lieux/?ou=Rennes&lat=43.3&lon=5.4")
    assert "votre position n’est pas utilisée" in html.get_text()


def test_a_radius_needs_a_town_or_it_is_said(client, rennes_places):
    Territory.objects.filter(level="commune", code="75056").update(
        centre="POINT(2.3469 48.8589)"
    )
    PlaceFactory(
        name="Près de l'Hôtel de Ville",
        commune=commune("75104"),
        location=Point(2.352, 48.857),
    )
    place_filter = PlaceFilter(
        QueryDict("ou=Paris&rayon=3"), queryset=Place.objects.published()
    )
    assert place_filter.point == (2.3469, 48.8589)  # the city's, not the département's
    html = page(client, "/lieux/?ou=Bretagne&rayon=5")
    assert (
        "Le rayon s’applique autour d’une commune"
        in html.select_one(".notice--warning").get_text()
    )
    response = client.get("/api/v1/lieux/", {"ou": "Bretagne", "rayon": "5"})
    assert response.status_code == 400 and "rayon" in response.json()
    assert (
        client.get("/api/v1/lieux/", {"q": "wifi Rennes", "rayon": "5"}).status_code
        == 200
    )


def test_a_postal_code_is_its_arrondissement():
    assert resolve("13008").territory.code == "13208"
    assert resolve("75015", around=True).territory.code == "75115"


def test_a_large_town_beats_a_middling_namesake():
    assert resolve("Clermont").territory.code == "63113"


def test_punctuation_or_numbers_are_no_town(client):
    for typed in ["!!!", "1234", "(75)", "123456", "Zzzyx", "Kkkkkkq"]:
        assert resolve(typed).unknown, typed
    assert client.get("/api/v1/lieux/", {"ou": "1234"}).status_code == 400


def test_a_need_said_twice_is_one_chip(client, rennes_places):
    html = page(
        client, "/lieux/?q=cours+d%27informatique+pour+d%C3%A9butant+%C3%A0+Rennes"
    )
    needs = html.select(".chip--need")
    assert len(needs) == 1
    assert needs[0].select_one("a")["href"].count("%22") == 4  # both phrases quoted


def test_the_map_says_what_it_understood(client, rennes_places):
    html = page(client, "/carte/?ou=Renne")
    assert "« Renne » comme Rennes (35)" in html.select_one(".notice").get_text()


def test_the_smallest_radius_is_accepted(rennes_places):
    place_filter = PlaceFilter(
        QueryDict("lat=48.11&lon=-1.68&rayon=0.1"), queryset=Place.objects.published()
    )
    assert place_filter.is_valid(), place_filter.errors


def test_pages_links_to_an_arrondissement_find_it():
    for code in ["75101", "13208", "69381"]:
        territory = Territory.objects.get(code=code)
        assert resolve(str(territory)).territory == territory


def test_a_wider_radius_is_never_zero(client, rennes_places):
    html = page(client, "/lieux/?q=fablab&lat=48.11&lon=-1.68&rayon=0.1")
    links = [a["href"] for a in html.select(".empty .widen a")]
    assert any("rayon=1" in link for link in links)
    assert not any("rayon=0&" in link or link.endswith("rayon=0") for link in links)


def test_the_api_says_the_place_is_unknown_before_the_radius(client):
    response = client.get("/api/v1/lieux/", {"ou": "Xyzzyq", "rayon": "5"})
    assert response.status_code == 400 and list(response.json()) == ["ou"]
