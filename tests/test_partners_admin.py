"""Partners in the admin, as a coordinator scoped to one territory: create one in
their territory only, never see nor touch another's; the workbench, from a file to
an import (profile, check and preview, dry run, a value added to a table, a saved
version, the import checked then confirmed); the admin import through a partner."""

from collections import Counter

import pytest
import yaml

from coordination.models import ImportJob
from partners.models import MappingVersion, Partner
from places.models import Place, Source, Territory

from .conftest import SHARED_DATA, needs_shared_data
from .test_coordination import PLACES, coordinator_client
from .test_mapping_format import PLACE_FIELDS

pytestmark = pytest.mark.django_db
PARTNERS = "/admin/partners/partner/"
BRETAGNE_FILE = SHARED_DATA / "fablabs_tierslieux_bretagne_maplabbzh.csv"


@pytest.fixture
def bretagne():
    return coordinator_client("bretagne", ("region", "53"))


@pytest.fixture
def paris_partner():
    return Partner.objects.create(
        name="Ville de Paris",
        code="paris",
        territory=Territory.objects.get(level="departement", code="75"),
        file_url="https://paris.example/lieux.csv",
    )


def territory(level: str, code: str) -> int:
    return Territory.objects.get(level=level, code=code).pk


def create(client, code: str, territory_pk: int):
    return client.post(
        f"{PARTNERS}add/",
        {
            "name": f"Partenaire {code}",
            "code": code,
            "territory": territory_pk,
            "schedule": "manual",
            "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0,
            "runs-TOTAL_FORMS": 0,
            "runs-INITIAL_FORMS": 0,
        },
    )


def test_a_coordinator_creates_partners_in_their_territory_only(
    bretagne, paris_partner
):
    made = create(bretagne, "makers-35", territory("departement", "35"))
    assert made.status_code == 302, made.content.decode()[:2000]
    assert Partner.objects.get(code="makers-35").territory.code == "35"
    refused = create(bretagne, "intrus", territory("departement", "75"))
    assert refused.status_code == 200
    assert "Ce territoire n’est pas dans le vôtre." in refused.content.decode()
    assert not Partner.objects.filter(code="intrus").exists()

    listed = bretagne.get(PARTNERS).content.decode()
    assert "Partenaire makers-35" in listed and "Ville de Paris" not in listed
    pk = paris_partner.pk
    for url in (f"{PARTNERS}{pk}/change/", f"{PARTNERS}{pk}/correspondance/"):
        assert bretagne.get(url).status_code == 403, url
    for url, data in (
        (f"{PARTNERS}{pk}/change/", {"name": "Pris", "code": "paris"}),
        (f"{PARTNERS}{pk}/correspondance/", {"action": "save", "draft": "version: 1"}),
        (f"{PARTNERS}{pk}/moissonner/", {}),
    ):
        assert bretagne.post(url, data).status_code == 403, url
    assert not MappingVersion.objects.exists()
    paris_partner.refresh_from_db()
    assert paris_partner.name == "Ville de Paris"

    # An existing partner's code (its places' source) does not change.
    mine = Partner.objects.get(code="makers-35")
    moved = bretagne.post(
        f"{PARTNERS}{mine.pk}/change/",
        {
            "name": mine.name, "code": "autre", "territory": mine.territory_id,
            "schedule": "manual", "versions-TOTAL_FORMS": 0,
            "versions-INITIAL_FORMS": 0, "runs-TOTAL_FORMS": 0, "runs-INITIAL_FORMS": 0,
        },
    )  # fmt: skip
    assert moved.status_code == 200 and "ne change plus" in moved.content.decode()


def workbench(client, partner, **data):
    url = f"{PARTNERS}{partner.pk}/correspondance/"
    return client.post(url, data) if data else client.get(url)


@needs_shared_data
def test_the_workbench_from_a_partner_file_to_its_import(bretagne, tasks_run_at_once):
    partner = Partner.objects.create(
        name="MakerTour Bretagne",
        code="maplab-bzh",
        territory=Territory.objects.get(level="region", code="53"),
    )
    with BRETAGNE_FILE.open("rb") as file:
        sent = bretagne.post(
            f"{PARTNERS}{partner.pk}/correspondance/",
            {"action": "upload", "file": file},
        )
    assert sent.status_code == 302
    page = workbench(bretagne, partner)
    assert page.status_code == 200
    profile = page.context["profile"]
    assert profile.records == 121
    structure = next(c for c in profile.columns if c.name == "structure")
    assert structure.filled == 121 and structure.distinct == 9
    assert structure.samples[0] == ("fablab", 32)
    # A first mapping from the usual column names.
    first = yaml.safe_load(page.context["draft"])["champs"]
    assert first["nom"] == {"colonne": "name"}
    assert first["code_postal"] == {"colonne": "cp"}
    assert first["commune"] == {"colonne": "ville"}
    assert first["latitude"] == {"colonne": "latitude"}

    wrong = workbench(
        bretagne,
        partner,
        action="check",
        draft="version: 1\nchamps: {nom: {column: name}}",
    )
    assert "clés inconnues : column" in wrong.context["error"]

    draft = yaml.safe_load(page.context["draft"])
    draft["champs"]["typologie"] = [
        {"colonnes": ["structure"], "table": {"fablab": "FABLAB"}}
    ]
    text = yaml.safe_dump(draft, allow_unicode=True)
    checked = workbench(bretagne, partner, action="check", draft=text)
    # The rows as read (the import then refuses the 5 without an address).
    assert checked.context["valid"] and checked.context["preview_total"] == 121
    assert len(checked.context["preview"]) == 50
    names = checked.context["preview_columns"]
    assert checked.context["preview"][0][1][names.index("nom")] == "MakerSpace56"

    tried = workbench(bretagne, partner, action="dry_run", draft=text)
    report = tried.context["report"]
    # 5 rows without an address; 11 in Loire-Atlantique, outside Bretagne (the
    # coordinator's territory and the partner's).
    assert report["dry_run"] and (report["created"], report["rejected"]) == (105, 16)
    reasons = Counter(
        i["reason"]
        for r in report["rows"]
        if r["status"] == "rejected"
        for i in r["issues"]
    )
    assert reasons == {"adresse manquante": 5, "hors de votre territoire": 11}
    unmapped = {(c, v): (n, rule) for c, v, n, rule, _ch in tried.context["unmapped"]}
    assert unmapped[("typologie", "cantine")] == (22, 1)
    assert not Place.objects.filter(source="maplab-bzh").exists()
    row = [v for _c, v, *_rest in tried.context["unmapped"]].index("cantine") + 1

    # "Ajouter" sends the editor's draft with the value (an edit not yet saved
    # stays), and adds it to the table of the rule that did not know it.
    edited = text.replace("version: 1", "version: 1\ndescription: MakerTour")
    added = workbench(
        bretagne, partner, action=f"add_value:{row}", draft=edited,
        **{f"column_{row}": "typologie", f"value_{row}": "cantine",
           f"rule_{row}": "1", f"target_{row}": "TIERS_LIEUX"},
    )  # fmt: skip
    assert ("typologie", "cantine") not in {
        (c, v) for c, v, *_rest in added.context["unmapped"]
    }
    partner.refresh_from_db()
    kept = yaml.safe_load(partner.draft)
    assert kept["description"] == "MakerTour"
    assert kept["champs"]["typologie"][0]["table"] == {
        "fablab": "FABLAB",
        "cantine": "TIERS_LIEUX",
    }
    for target in ("", "ZZZ"):
        bad_target = workbench(
            bretagne, partner, action="add_value:1", draft=partner.draft,
            column_1="typologie", value_1="x", rule_1="1", target_1=target,
        )  # fmt: skip
        assert bad_target.context["error"] == "Choisissez une valeur du standard."
    unknown = workbench(
        bretagne, partner, action="save",
        draft=partner.draft.replace("TIERS_LIEUX", "TIERS_LIEU_X"),
    )  # fmt: skip
    assert (
        "Valeurs inconnues du standard : typologie : TIERS_LIEU_X"
        in (unknown.context["error"])
    )
    assert not MappingVersion.objects.exists()

    saved = workbench(
        bretagne, partner, action="save", draft=partner.draft, note="premier essai"
    )
    assert saved.status_code == 302
    version = partner.current_version()
    assert (version.number, version.note) == (1, "premier essai")
    assert version.created_by == bretagne.user
    # The version keeps its text as written: the editor shows it again.
    assert "description: MakerTour" in version.text
    assert "description: MakerTour" in workbench(bretagne, partner).context["draft"]

    imported = workbench(bretagne, partner, action="import")
    job = ImportJob.objects.get()
    assert imported["Location"].endswith(f"importer/{job.pk}/")
    assert job.partner == partner and job.mapping == version.document
    assert job.state == "checked" and job.check_report["created"] == 105
    bretagne.post(f"{PLACES}importer/{job.pk}/", {"confirm": "1"})
    job.refresh_from_db()
    assert job.state == "done"
    places = Place.objects.filter(source="maplab-bzh")
    assert places.count() == 105
    assert not places.filter(postal_code__startswith="44").exists()
    cantines = places.filter(structure_types__value="TIERS_LIEUX")
    assert cantines.count() == 22 - 2  # two cantines are in Loire-Atlantique
    partner.refresh_from_db()
    assert "structure" in partner.columns


def test_the_admin_import_reads_a_file_through_a_partner_s_mapping(
    bretagne,
    tmp_path,
    tasks_run_at_once,
):
    partner = Partner.objects.create(
        name="Réseau 35",
        code="reseau-35",
        territory=Territory.objects.get(level="departement", code="35"),
        columns=["id", "nom", "adresse", "cp", "ville", "ancienne"],
    )
    MappingVersion.objects.create(
        partner=partner,
        number=1,
        document={
            "version": 1,
            "champs": PLACE_FIELDS,
        },
    )
    upload = tmp_path / "reseau.csv"
    # Brest is in Bretagne (the coordinator's) but not in the partner's 35.
    upload.write_text(
        "id;nom;adresse;cp;ville;nouvelle\n"
        "1;EPN Rennes;1 rue A;35000;Rennes;x\n"
        "2;EPN Brest;1 rue B;29200;Brest;x\n"
    )
    with upload.open("rb") as file:
        bretagne.post(f"{PLACES}importer/", {"file": file, "partner": partner.pk})
    job = ImportJob.objects.get()
    assert job.partner == partner and job.source == "reseau-35"
    report = job.check_report
    assert (report["created"], report["rejected"]) == (1, 1)
    assert report["columns_changed"] == {"added": ["nouvelle"], "removed": ["ancienne"]}
    page = bretagne.get(f"{PLACES}importer/{job.pk}/").content.decode()
    assert "Disparues : ancienne" in page

    other = Partner.objects.create(
        name="Paris",
        code="p75",
        territory=Territory.objects.get(level="departement", code="75"),
    )
    with upload.open("rb") as file:
        refused = bretagne.post(
            f"{PLACES}importer/", {"file": file, "partner": other.pk}
        )
    assert refused.status_code == 200 and ImportJob.objects.count() == 1


def test_a_file_not_in_the_standard_says_where_to_read_it(
    bretagne, tmp_path, tasks_run_at_once
):
    upload = tmp_path / "fablabs.csv"
    upload.write_text("id,name,cp,ville\n1,Fablab,35000,Rennes\n")
    with upload.open("rb") as file:
        bretagne.post(f"{PLACES}importer/", {"file": file})
    job = ImportJob.objects.get()
    assert job.state == "refused"
    page = bretagne.get(f"{PLACES}importer/{job.pk}/").content.decode()
    assert "Colonnes obligatoires absentes" in page
    assert 'id="not-standard-help"' in page and PARTNERS in page


def test_a_coordinator_cannot_take_over_another_source(bretagne, paris_partner):
    Source.objects.create(code="cnfs", name="Conseillers numériques France Services")
    taken = create(bretagne, "cnfs", territory("departement", "35"))
    assert taken.status_code == 200
    assert "déjà la source d’autres lieux" in taken.content.decode()
    assert not Partner.objects.filter(code="cnfs").exists()
    assert (
        Source.objects.get(code="cnfs").name == "Conseillers numériques France Services"
    )
    # Another partner's code, too.
    assert create(bretagne, "paris", territory("departement", "35")).status_code == 200


def test_the_harvest_button_is_outside_the_change_form(bretagne):
    partner = Partner.objects.create(
        name="Réseau 35",
        code="reseau-35",
        territory=Territory.objects.get(level="departement", code="35"),
        file_url="https://reseau35.example/lieux.csv",
    )
    page = bretagne.get(f"{PARTNERS}{partner.pk}/change/").content.decode()
    change_form_end = page.index("</form>", page.index('id="partner_form"'))
    assert page.index('id="harvest-now"') > change_form_end


def test_a_harvest_s_report_is_shown_to_its_partner_s_coordinators_only(
    bretagne, paris_partner
):
    from partners.models import HarvestRun

    mine = Partner.objects.create(
        name="Réseau 35",
        code="reseau-35",
        territory=Territory.objects.get(level="departement", code="35"),
    )
    report = {"rows_read": 3, "created": 2, "updated": 0, "unchanged": 0,
              "rejected": 1, "rows": [{"line": 4, "name": "Espace Paris",
              "status": "rejected", "issues": [{"field": "commune", "value": "Paris",
              "reason": "hors de votre territoire"}]}]}  # fmt: skip
    run = HarvestRun.objects.create(partner=mine, outcome="imported", report=report)
    other = HarvestRun.objects.create(partner=paris_partner, outcome="imported")
    page = bretagne.get(f"/admin/partners/harvestrun/{run.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 lieux créés" in html and "hors de votre territoire" in html
    assert "&lt;ul" not in html  # the report is shown, not its markup
    assert (
        bretagne.get(f"/admin/partners/harvestrun/{other.pk}/change/").status_code
        == 403
    )
    listed = bretagne.get("/admin/partners/harvestrun/").content.decode()
    assert "Réseau 35" in listed and "Ville de Paris" not in listed
    partner_page = bretagne.get(f"{PARTNERS}{mine.pk}/change/").content.decode()
    assert f"/admin/partners/harvestrun/{run.pk}/change/" in partner_page
