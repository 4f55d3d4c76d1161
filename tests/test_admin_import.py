"""Imports from the admin: sent, checked by the task worker, confirmed, imported,
in the coordinator's territory only; each job its sender's; files that are refused
or too big; nothing left behind."""

import pytest
from bs4 import BeautifulSoup as soup
from django.core.management import call_command
from django.test import Client

from coordination.models import ImportJob
from places import merging
from places.models import Place

from . import factories
from .test_coordination import PLACES, coordinator_client

pytestmark = pytest.mark.django_db

CSV = "\n".join(
    [
        "id,nom,commune,code_postal,code_insee,adresse,latitude,longitude,source",
        "r1,Atelier de Rennes,Rennes,35000,35238,1 rue A,48.11,-1.68,partenaire",
        "n1,Atelier de Nice,Nice,06000,06088,1 rue B,43.70,7.26,partenaire",
        # The id of a Marseille place, with a commune of the coordinator's own.
        "m1,Renommé,Rennes,35000,35238,2 rue C,48.11,-1.68,cnfs",
    ]
)


@pytest.fixture
def bretagne():
    return coordinator_client("bretagne", ("region", "53"))


@pytest.fixture
def marseille_place():
    return factories.marseille_place()


def send(client, tmp_path, content: str | bytes = CSV, name="partenaire.csv"):
    upload = tmp_path / name
    upload.write_bytes(content.encode() if isinstance(content, str) else content)
    with upload.open("rb") as file:
        return client.post(f"{PLACES}importer/", {"file": file, "source": ""})


def test_an_import_is_checked_then_applied_in_the_territory_only(
    bretagne, tmp_path, tasks_run_at_once, marseille_place
):
    sent = send(bretagne, tmp_path)
    job = ImportJob.objects.get()
    assert sent.status_code == 302 and sent["Location"].endswith(f"importer/{job.pk}/")
    page = bretagne.get(sent["Location"]).content.decode()
    assert "rien n’est encore enregistré" in page
    assert page.count("hors de votre territoire") == 2  # Nice, and the Marseille id
    assert "Espace de Marseille" not in page  # nothing said of the other place
    assert not Place.objects.filter(source="partenaire").exists()  # a dry run
    done = bretagne.post(sent["Location"], {"confirm": "1"}, follow=True)
    assert "Import terminé" in done.content.decode()
    assert list(
        Place.objects.filter(source="partenaire").values_list("name", flat=True)
    ) == ["Atelier de Rennes"]
    marseille_place.refresh_from_db()
    assert (marseille_place.name, marseille_place.commune.code) == (
        "Espace de Marseille",
        "13211",
    )
    assert marseille_place.services.count() == 1
    # In the place's history: who imported it, from which file.
    record = Place.objects.get(source="partenaire").history.get()
    assert (record.history_type, record.history_user) == ("+", bretagne.user)
    assert record.history_change_reason == "import : partenaire.csv"
    job.refresh_from_db()
    assert (job.state, bytes(job.content)) == (ImportJob.State.DONE, b"")


def test_a_confirmation_is_applied_once(bretagne, tmp_path, tasks_run_at_once):
    url = send(bretagne, tmp_path)["Location"]
    bretagne.post(url, {"confirm": "1"})
    again = bretagne.post(url, {"confirm": "1"}, follow=True)
    assert "n’attend plus de confirmation" in again.content.decode()
    assert Place.objects.filter(source="partenaire").count() == 1


def test_an_import_is_seen_and_confirmed_only_by_its_sender(
    bretagne, tmp_path, tasks_run_at_once
):
    url = send(bretagne, tmp_path)["Location"]
    other = coordinator_client("autre-bretagne", ("region", "53"))
    assert other.get(url).status_code == 404
    assert other.post(url, {"confirm": "1"}).status_code == 404
    assert ImportJob.objects.get().state == ImportJob.State.CHECKED
    assert "partenaire.csv" not in other.get(f"{PLACES}importer/").content.decode()


def test_a_refused_file_says_why_and_keeps_nothing(
    bretagne, tmp_path, tasks_run_at_once
):
    url = send(bretagne, tmp_path, "id,nom\n1,Lieu\n", "mauvais.csv")["Location"]
    page = bretagne.get(url).content.decode()
    assert "Fichier refusé" in page and "Colonnes obligatoires absentes" in page
    job = ImportJob.objects.get()
    assert (job.state, bytes(job.content)) == (ImportJob.State.REFUSED, b"")


def test_a_file_over_the_limit_is_refused_up_front(bretagne, tmp_path, settings):
    settings.IMPORT_MAX_MEGABYTES = 1
    response = send(bretagne, tmp_path, b"x" * (2**20 + 1), "gros.csv")
    assert response.status_code == 200
    assert "Fichier trop gros : 1 Mo au plus, celui-ci fait 1,0 Mo" in (
        response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_a_cancelled_check_drops_the_file(bretagne, tmp_path, tasks_run_at_once):
    url = send(bretagne, tmp_path)["Location"]
    bretagne.post(url, {"cancel": "1"})
    job = ImportJob.objects.get()
    assert (job.state, bytes(job.content)) == (ImportJob.State.CANCELLED, b"")
    bretagne.post(url, {"confirm": "1"})
    assert not Place.objects.filter(source="partenaire").exists()


def test_the_worker_checks_and_imports_outside_the_request(committed_rennes, tmp_path):
    """The real worker (`db_worker`, run here until no task is left), and the
    confirmation sent through another app server: nothing is kept in a process
    or a temporary folder, only in the database."""
    from django.contrib.auth.models import User

    user = User.objects.create_user("national", is_staff=True, is_superuser=True)
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    rennes_only = "\n".join(CSV.splitlines()[:2])
    url = send(first, tmp_path, rennes_only)["Location"]
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.CHECKING  # queued: the request is over
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert (job.rows_done, job.rows_total) == (1, 1)
    assert "Confirmer l’import" in second.get(url).content.decode()
    second.post(url, {"confirm": "1"})
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.report["created"] == 1
    assert Place.objects.get(source="partenaire").name == "Atelier de Rennes"


def test_a_job_never_stays_running(bretagne, tmp_path, tasks_run_at_once):
    """A column name with a NUL character made the report unstorable: the job
    stayed "checking" for ever. A job a stopped worker left is marked too."""
    import datetime as dt

    from django.utils import timezone

    odd = '[{"id": "k1", "nom": "x", "commune": "Rennes", "code_postal": "35000",'
    odd += ' "adresse": "a", "bad\\u0000key": "v"}]'
    url = send(bretagne, tmp_path, odd, "odd.json")["Location"]
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.REFUSED  # no row could be read
    assert "caractère nul" in bretagne.get(url).content.decode()
    stalled = ImportJob.objects.create(
        user=bretagne.user, file_name="x.csv", state=ImportJob.State.IMPORTING
    )
    ImportJob.objects.filter(pk=stalled.pk).update(
        updated_at=timezone.now() - dt.timedelta(hours=1)
    )
    page = bretagne.get(f"{PLACES}importer/{stalled.pk}/")
    assert page.status_code == 200
    bretagne.get(f"{PLACES}importer/")  # the list of imports looks for them
    stalled.refresh_from_db()
    assert stalled.state == ImportJob.State.FAILED
    assert (
        "interrompu" in bretagne.get(f"{PLACES}importer/{stalled.pk}/").content.decode()
    )


def test_the_report_lists_merges_and_the_local_changes_kept(
    bretagne, tmp_path, tasks_run_at_once
):
    header = CSV.splitlines()[0] + ",telephone"
    rennes = "r1,Atelier de Rennes,Rennes,35000,35238,1 rue A,48.11,-1.68,partenaire"
    url = send(bretagne, tmp_path, f"{header}\n{rennes},0299000001")["Location"]
    bretagne.post(url, {"confirm": "1"})
    place = Place.objects.get(source="partenaire")
    merging.mark_local(place, ["phone"])
    place.phone = "+33299000002"
    place.save()
    # The file offers another phone, and another partner describes the same place.
    again = "\n".join(
        [
            header,
            f"{rennes},0299000003",
            "x1,Atelier de Rennes,Rennes,35000,35238,1 rue A,48.11,-1.68,autre,",
        ]
    )
    url = send(bretagne, tmp_path, again)["Location"]
    page = bretagne.post(url, {"confirm": "1"}, follow=True).content.decode()
    assert "1 lieu fusionné avec un lieu existant" in page
    (row,) = soup(page, "html.parser").select("#import-conflicts tbody tr")
    assert [cell.get_text() for cell in row.find_all("td")] == [
        "2",
        "r1",
        "Atelier de Rennes",
        "téléphone",
    ]
    place.refresh_from_db()
    assert place.phone == "+33299000002" and place.records.count() == 2
