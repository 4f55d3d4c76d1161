"""Harvesting partners' files (`manage.py harvest`): each partner's URL fetched
with a conditional GET (its last ETag and Last-Modified), a size limit and a
timeout, then imported through its latest mapping, in its territory only. A file
the server says is unchanged (304), or whose content and mapping are those of the
last import, writes nothing. Each run is kept with its report (`HarvestRun`).

Only http(s) URLs are fetched, and not on private or local addresses (nor
redirected to one), unless HARVEST_PRIVATE_HOSTS is set (tests, a private network):
a coordinator's URL must not reach the servers' own services. The connection is
made to the address checked, not to a second lookup of the name."""

import hashlib
import http.client
import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.tasks import partner_communes
from places.exchange.importer import import_places
from places.exchange.mapping import MappingError
from places.exchange.reader import FileRefused

from .models import HarvestRun, Partner
from .profile import columns_changed, profile

log = logging.getLogger(__name__)
Outcome = HarvestRun.Outcome
USER_AGENT = "epn-directory-harvest/1"


class HarvestRefused(Exception):
    """The file cannot be fetched; nothing was changed."""


@dataclass
class Download:
    status: int
    content: bytes | None  # None when the server said 304
    etag: str
    last_modified: str


# IPv6 prefixes that carry an IPv4 address (NAT64, IPv4-compatible): judged by it.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
COMPATIBLE = ipaddress.ip_network("::/96")


def public(address: str) -> bool:
    """Whether an address is on the public internet, an IPv4 address inside an
    IPv6 one included ("::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::")."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo and ip.teredo[1])
        if inner is None and (ip in NAT64 or ip in COMPATIBLE):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None and not inner.is_global:
            return False
    return ip.is_global


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s) with a host (the address is checked when
    connecting, by `connected`)."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (raises on "host:99999")
    except ValueError as error:
        raise HarvestRefused(_("Adresse refusée : port invalide.")) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarvestRefused(_("Adresse refusée : seules http et https sont lues."))


def connected(host: str, port: int, timeout) -> socket.socket:
    """A connection to `host`, on the address that was checked: a private, loopback
    or link-local one is refused (unless HARVEST_PRIVATE_HOSTS), and the name is not
    looked up again between the check and the connection (DNS rebinding)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise HarvestRefused(_("Serveur introuvable : %s") % host) from error
    if not settings.HARVEST_PRIVATE_HOSTS and not all(
        public(info[4][0]) for info in infos
    ):
        raise HarvestRefused(_("Adresse refusée : réseau privé ou local."))
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


class CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = connected(self.host, self.port, self.timeout)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = connected(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(CheckedHTTPConnection, req)


class CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(CheckedHTTPSConnection, req, context=self._context)


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """A redirection is followed only to an http(s) URL (its address is checked
    when connecting, as any)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(
    url: str, etag: str = "", last_modified: str = "", longest: float | None = None
) -> Download:
    """The file at `url` (None when the server says it has not changed since the
    validators given). Each network operation waits HARVEST_TIMEOUT_SECONDS at most,
    the whole download `longest` seconds (ten times that by default)."""
    check_url(url)
    limit = settings.HARVEST_MAX_MEGABYTES * 2**20
    timeout = settings.HARVEST_TIMEOUT_SECONDS
    longest = longest or 10 * timeout
    deadline = time.monotonic() + longest
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    opener = urllib.request.build_opener(
        CheckedHTTPHandler, CheckedHTTPSHandler, CheckedRedirects
    )
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked)
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Download(304, None, etag, last_modified)
        raise HarvestRefused(_("Le serveur répond HTTP %s.") % error.code) from error
    except HarvestRefused:
        raise
    except urllib.error.URLError as error:
        if isinstance(error.reason, HarvestRefused):
            raise error.reason from error
        raise HarvestRefused(_("Serveur injoignable : %s") % error.reason) from error
    except (OSError, ValueError, http.client.HTTPException) as error:
        raise HarvestRefused(_("Serveur injoignable : %s") % error) from error
    with response:
        size = response.headers.get("Content-Length", "")
        if size.isdigit() and int(size) > limit:
            raise HarvestRefused(_("Fichier trop gros (%s octets).") % size)
        chunks, read = [], 0
        try:
            while read <= limit:
                if time.monotonic() > deadline:
                    raise HarvestRefused(
                        _("Téléchargement trop long (plus de %s s).") % round(longest)
                    )
                # What has come (read1), not a whole block: a server that sends
                # a byte at a time meets the deadline.
                chunk = response.read1(min(2**16, limit + 1 - read))
                if not chunk:
                    break
                chunks.append(chunk)
                read += len(chunk)
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise HarvestRefused(_("Lecture interrompue : %s") % error) from error
        if read > limit:
            raise HarvestRefused(
                _("Fichier trop gros (plus de %s Mo).") % settings.HARVEST_MAX_MEGABYTES
            )
        return Download(
            response.status,
            b"".join(chunks),
            response.headers.get("ETag", ""),
            response.headers.get("Last-Modified", ""),
        )


def fingerprint(content: bytes, version_number: int) -> str:
    """What an import read: the file's content and the mapping's version."""
    return hashlib.sha256(b"%d:" % version_number + content).hexdigest()


def harvest(partner: Partner, force: bool = False) -> HarvestRun:
    """Fetch, and import when new, one partner's file; the run, saved. With
    `force`, fetched and imported whatever the last run saw."""
    started = time.monotonic()
    version = partner.current_version()
    run = HarvestRun(partner=partner, version=version)
    try:
        if not partner.file_url:
            raise HarvestRefused(_("Pas d’adresse de fichier."))
        if version is None:
            raise HarvestRefused(_("Aucune correspondance enregistrée."))
        mapping = version.mapping()
        # The server's "not modified" holds for the file: a new version of the
        # mapping reads it again.
        conditional = not force and partner.harvested_version == version.number
        got = download(
            partner.file_url,
            partner.etag if conditional else "",
            partner.last_modified if conditional else "",
        )
        run.http_status = got.status
        if got.content is None:
            run.outcome = Outcome.NOT_MODIFIED
            return run
        run.size = len(got.content)
        digest = fingerprint(got.content, version.number)
        if digest == partner.content_hash and not force:
            run.outcome = Outcome.UNCHANGED
            remember(partner, got, digest, version.number)
            return run
        found = profile(got.content, mapping)
        changed = columns_changed(partner.columns, found.names)
        lost = mapping.lost(partner.columns, found.names)
        if lost:
            raise HarvestRefused(
                _("Colonnes disparues du fichier, que la correspondance lit : %s.")
                % ", ".join(lost)
            )
        report = import_places(
            partner.file_url,
            content=got.content,
            source_name=partner.code,
            mapping=mapping,
            communes=partner_communes(partner, None),
            close_missing=partner.close_missing,
        )
        run.report = report.as_dict()
        run.outcome = Outcome.IMPORTED
        run.message = said_changed(changed) or report.summary()
        partner.columns = found.names
        remember(partner, got, digest, version.number)
    except (HarvestRefused, FileRefused, MappingError) as refusal:
        run.outcome, run.message = Outcome.REFUSED, str(refusal)
    except Exception as error:  # one partner's failure must not stop the others
        log.exception("Harvest of %s failed", partner.code)
        run.outcome, run.message = Outcome.FAILED, f"{type(error).__name__}: {error}"
    finally:
        run.seconds = round(time.monotonic() - started, 2)
        run.save()
    return run


def said_changed(changed: dict[str, list[str]]) -> str:
    if not changed:
        return ""
    return _(
        "Colonnes du fichier changées : ajoutées %(added)s ; retirées %(removed)s."
    ) % {
        "added": ", ".join(changed["added"]) or "—",
        "removed": ", ".join(changed["removed"]) or "—",
    }


def remember(partner: Partner, got: Download, digest: str, number: int) -> None:
    """What the next harvest compares with: the server's validators, the content
    and mapping version read, the file's columns."""
    partner.etag, partner.last_modified = got.etag[:500], got.last_modified[:100]
    partner.content_hash, partner.harvested_version = digest, number
    Partner.objects.filter(pk=partner.pk).update(
        etag=partner.etag,
        last_modified=partner.last_modified,
        content_hash=digest,
        harvested_version=number,
        columns=partner.columns,
    )


def due(now=None) -> list[Partner]:
    """The partners whose schedule says they are to be harvested now."""
    now = now or timezone.now()
    partners = (
        Partner.objects.exclude(file_url="")
        .exclude(schedule=Partner.Schedule.MANUAL)
        .annotate(last_run=Max("runs__started_at"))
    )
    return [
        partner
        for partner in partners.filter(Q(last_run__isnull=True) | Q(last_run__lt=now))
        if partner.last_run is None
        or partner.last_run <= now - Partner.EVERY[partner.schedule]
    ]
