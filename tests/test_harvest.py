"""Harvesting partners' URLs (partners/harvest.py, `manage.py harvest`), against a
local HTTP server that speaks HTTP as a partner's would: ETag and Last-Modified,
304, redirects, a large file."""

import datetime as dt
import shutil
import ssl
import subprocess
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from partners.harvest import due, harvest
from partners.models import HarvestRun, MappingVersion, Partner
from places.models import Place, Source, Territory

from .test_mapping_format import PLACE_FIELDS

pytestmark = pytest.mark.django_db
Outcome = HarvestRun.Outcome

MAPPING = {
    "version": 1,
    "champs": {
        **PLACE_FIELDS,
        "horaires": {"colonne": "horaires"},
    },
}
FILE = (
    "id;nom;adresse;cp;ville;horaires\n"
    "1;EPN du Colombier;1 place du Colombier;35000;Rennes;"
    "du lundi au vendredi de 9h à 12h\n"
    "2;Médiathèque;2 rue de Brest;35000;Rennes;Mo-Sa 10:00-18:00\n"
    "3;Espace Paris;3 rue de Rivoli;75001;Paris;\n"
)


class PartnerServer(BaseHTTPRequestHandler):
    """Serves `files` (path → bytes); with `validators`, an ETag and a
    Last-Modified, and 304 to a request that has them."""

    files: dict[str, bytes] = {}
    validators = True
    requests: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests.append(dict(self.headers))
        if self.path == "/ailleurs":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/secret")
            self.end_headers()
            return
        content = self.files.get(self.path)
        if content is None:
            self.send_error(404)
            return
        etag = f'"{hash(content) & 0xFFFFFFFF:x}"'
        if self.validators and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        if self.validators:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(usegmt=True))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(settings):
    settings.HARVEST_PRIVATE_HOSTS = True  # the test server is on 127.0.0.1
    PartnerServer.files = {"/lieux.csv": FILE.encode()}
    PartnerServer.validators = True
    PartnerServer.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PartnerServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def partner_at(url: str, code: str = "ville-rennes", **fields) -> Partner:
    partner = Partner.objects.create(
        name="Ville de Rennes",
        code=code,
        website="https://rennes.example",
        territory=Territory.objects.get(level="departement", code="35"),
        file_url=url,
        **fields,
    )
    MappingVersion.objects.create(partner=partner, number=1, document=MAPPING)
    return partner


def writes() -> tuple[int, int]:
    return Place.objects.count(), Place.history.count()


def test_a_harvest_imports_in_the_territory_and_an_unchanged_url_writes_nothing(
    server,
):
    partner = partner_at(f"{server}/lieux.csv")
    first = harvest(partner)
    assert first.outcome == Outcome.IMPORTED, first.message
    assert first.report["created"] == 2 and first.report["rejected"] == 1
    paris = [r for r in first.report["rows"] if r["status"] == "rejected"]
    assert paris[0]["issues"][0]["reason"] == "hors de votre territoire"
    colombier = Place.objects.get(source="ville-rennes", source_id="1")
    assert colombier.opening_hours == "Mo-Fr 09:00-12:00"
    assert Source.objects.get(code="ville-rennes").name == "Ville de Rennes"
    before = writes()

    second = harvest(Partner.objects.get(pk=partner.pk))
    assert second.outcome == Outcome.NOT_MODIFIED and second.http_status == 304
    assert PartnerServer.requests[-1]["If-None-Match"]
    assert PartnerServer.requests[-1]["If-Modified-Since"]
    assert writes() == before
    assert list(partner.runs.values_list("outcome", flat=True)) == [
        Outcome.NOT_MODIFIED,
        Outcome.IMPORTED,
    ]


def test_without_validators_the_same_content_is_not_imported_again(server):
    PartnerServer.validators = False
    partner = partner_at(f"{server}/lieux.csv")
    assert harvest(partner).outcome == Outcome.IMPORTED
    before = writes()
    again = harvest(Partner.objects.get(pk=partner.pk))
    assert again.outcome == Outcome.UNCHANGED and again.http_status == 200
    assert writes() == before
    # A new version of the mapping reads the same file again.
    MappingVersion.objects.create(partner=partner, number=2, document=MAPPING)
    third = harvest(Partner.objects.get(pk=partner.pk))
    assert third.outcome == Outcome.IMPORTED
    assert third.report["unchanged"] == 2 and third.report["updated"] == 0


def test_a_changed_file_is_imported_and_a_lost_column_refused(server):
    partner = partner_at(f"{server}/lieux.csv", close_missing=True)
    harvest(partner)
    PartnerServer.files["/lieux.csv"] = (
        FILE.replace("2;Médiathèque", "2;Médiathèque des Champs Libres")
        .replace("1;EPN du Colombier", "9;EPN du Colombier")
        .encode()
    )
    partner.refresh_from_db()
    changed = harvest(partner)
    assert changed.outcome == Outcome.IMPORTED
    assert (changed.report["created"], changed.report["updated"]) == (1, 1)
    assert changed.report["closed"] == 1  # the place the file no longer has

    PartnerServer.files["/lieux.csv"] = FILE.replace(";horaires", ";heures").encode()
    partner.refresh_from_db()
    before = writes()
    lost = harvest(partner)
    assert lost.outcome == Outcome.REFUSED
    assert "horaires" in lost.message
    assert writes() == before


def test_what_is_not_harvested_says_why(server, settings):
    cases = {
        "file:///etc/passwd": "http et https",
        f"{server}/absent.csv": "HTTP 404",
        "http://127.0.0.1:1/lieux.csv": "injoignable",
    }
    for n, (url, said) in enumerate(cases.items()):
        run = harvest(partner_at(url, code=f"p{n}"))
        assert run.outcome == Outcome.REFUSED and said in run.message, run.message
    settings.HARVEST_MAX_MEGABYTES = 0
    big = harvest(partner_at(f"{server}/lieux.csv", code="big"))
    assert big.outcome == Outcome.REFUSED and "trop gros" in big.message
    no_mapping = Partner.objects.create(
        name="Sans",
        code="sans",
        territory=Territory.objects.get(code="35", level="departement"),
        file_url=f"{server}/lieux.csv",
    )
    assert "Aucune correspondance" in harvest(no_mapping).message
    assert not Place.objects.filter(
        source__in=["p0", "p1", "p2", "big", "sans"]
    ).exists()


def test_private_and_local_addresses_are_refused_even_through_a_redirect(
    server, settings
):
    settings.HARVEST_PRIVATE_HOSTS = False
    local = harvest(partner_at(f"{server}/lieux.csv", code="local"))
    assert local.outcome == Outcome.REFUSED and "privé ou local" in local.message
    assert PartnerServer.requests == []  # not even asked
    for url in (
        "http://10.0.0.1/x.csv",
        "http://[::1]/x.csv",
        "http://169.254.169.254/",
    ):
        run = harvest(partner_at(url, code=f"p-{abs(hash(url))}"))
        assert run.outcome == Outcome.REFUSED, url

    settings.HARVEST_PRIVATE_HOSTS = True
    from partners import harvest as module

    checked = []
    real = module.check_url

    def only_the_first(url):  # the partner's own host is fine; the redirect's not
        checked.append(url)
        if len(checked) > 1:
            settings.HARVEST_PRIVATE_HOSTS = False
        real(url)

    module.check_url = only_the_first
    try:
        run = harvest(partner_at(f"{server}/ailleurs", code="redirige"))
    finally:
        module.check_url = real
    assert run.outcome == Outcome.REFUSED and "privé ou local" in run.message
    assert checked == [f"{server}/ailleurs", "http://127.0.0.1:1/secret"]


def test_the_command_harvests_the_named_or_the_due_partners(server, capsys):
    daily = partner_at(f"{server}/lieux.csv", schedule=Partner.Schedule.DAILY)
    manual = partner_at(f"{server}/lieux.csv", code="manuel")
    assert due() == [daily]
    call_command("harvest")
    assert "ville-rennes: importé" in capsys.readouterr().out
    assert due() == []
    assert due(timezone.now() + dt.timedelta(hours=21)) == [daily]
    call_command("harvest", "manuel")
    assert manual.runs.get().outcome == Outcome.IMPORTED
    with pytest.raises(CommandError, match="Unknown partners: personne"):
        call_command("harvest", "personne")
    PartnerServer.files = {}
    with pytest.raises(CommandError, match="Not harvested: manuel"):
        call_command("harvest", "manuel", force=True)


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("::127.0.0.1", False),
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::", False),
        ("64:ff9b::5db8:d822", True),
    ],
)
def test_addresses_inside_addresses_are_judged_too(address, public):
    from partners.harvest import public as is_public

    assert is_public(address) is public


def test_a_close_missing_harvest_closes_the_partner_s_places_in_its_territory_only(
    server,
):
    from .factories import marseille_place

    partner = partner_at(f"{server}/lieux.csv", close_missing=True)
    elsewhere = marseille_place(source="ville-rennes", source_id="x")
    harvest(partner)
    elsewhere.refresh_from_db()
    assert elsewhere.status == Place.Status.PUBLISHED
    # A file of which no row is read closes nothing.
    PartnerServer.files["/lieux.csv"] = FILE.splitlines()[0].encode() + b"\n3;;;;;\n"
    partner.refresh_from_db()
    broken = harvest(partner, force=True)
    assert broken.report["closed"] == 0
    assert Place.objects.filter(source="ville-rennes", status="published").count() == 3


def test_a_new_mapping_version_reads_a_file_the_server_says_unchanged(server):
    partner = partner_at(f"{server}/lieux.csv")
    harvest(partner)
    MappingVersion.objects.create(partner=partner, number=2, document=MAPPING)
    partner.refresh_from_db()
    again = harvest(partner)
    assert "If-None-Match" not in PartnerServer.requests[-1]
    assert again.outcome == Outcome.IMPORTED and again.http_status == 200
    partner.refresh_from_db()
    assert harvest(partner).outcome == Outcome.NOT_MODIFIED


def test_a_bad_port_is_refused_not_an_error(server):
    run = harvest(partner_at("http://example.com:99999/x.csv", code="port"))
    assert run.outcome == Outcome.REFUSED and "port invalide" in run.message


def test_a_server_that_trickles_is_cut_at_the_deadline(server, settings):
    """One byte at a time never trips a socket's timeout: the whole download has
    its own limit, met while the server is still sending (not once a block of the
    file has come)."""
    import time as clock

    from partners.harvest import HarvestRefused, download

    sent = []

    class Trickle(PartnerServer):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "300")
            self.end_headers()
            for _ in range(300):
                self.wfile.write(b"x")
                self.wfile.flush()
                sent.append(1)
                clock.sleep(0.01)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    httpd.block_on_close = False  # the trickle goes on after the test is done
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with pytest.raises(HarvestRefused, match="trop long"):
            download(f"http://127.0.0.1:{httpd.server_port}/", longest=0.3)
        assert len(sent) < 300
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not found")
def test_https_is_fetched_on_the_checked_address_with_the_certificate_verified(
    server, tmp_path, monkeypatch
):
    """Partners publish over https: the connection made to the checked address
    still verifies the certificate for the URL's host name."""
    from partners.harvest import HarvestRefused, download

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PartnerServer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # our certificate, trusted
        got = download(f"https://localhost:{httpd.server_port}/lieux.csv")
        assert got.status == 200 and got.content == FILE.encode()
        # The same server under a name its certificate does not have: refused.
        with pytest.raises(HarvestRefused, match="injoignable"):
            download(f"https://127.0.0.1:{httpd.server_port}/lieux.csv")
    finally:
        httpd.shutdown()
        httpd.server_close()
