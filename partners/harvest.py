"""Harvesting partners' files (`manage.py harvest`): each partner's URL fetched
with a conditional GET (its last ETag and Last-Modified), a size limit and a
timeout, then imported through its latest mapping, in its territory only. A file
the server says is unchanged (304), or whose content and mapping are those of the
last import, writes nothing. Each run is kept with its report (`HarvestRun`).

Only http(s) URLs are fetched, and not on private or local addresses (nor
redirected to one), unless HARVEST_PRIVATE_HOSTS is set (tests, a private network):
a coordinator's URL must not reach the servers' own services."""

import hashlib
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


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s), or whose host is a private, loopback or
    link-local address (unless HARVEST_PRIVATE_HOSTS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HarvestRefused(_("Adresse refusée : seules http et https sont lues."))
    if settings.HARVEST_PRIVATE_HOSTS:
        return
    try:
        addresses = {
            info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)
        }
    except (OSError, UnicodeError) as error:
        raise HarvestRefused(_("Serveur introuvable : %s") % parts.hostname) from error
    if not all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise HarvestRefused(_("Adresse refusée : réseau privé ou local."))


class CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """A redirection is followed only to an address `check_url` accepts."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, etag: str = "", last_modified: str = "") -> Download:
    check_url(url)
    limit = settings.HARVEST_MAX_MEGABYTES * 2**20
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    opener = urllib.request.build_opener(CheckedRedirects)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (checked)
    try:
        response = opener.open(request, timeout=settings.HARVEST_TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Download(304, None, etag, last_modified)
        raise HarvestRefused(_("Le serveur répond HTTP %s.") % error.code) from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise HarvestRefused(_("Serveur injoignable : %s") % reason) from error
    with response:
        size = response.headers.get("Content-Length", "")
        if size.isdigit() and int(size) > limit:
            raise HarvestRefused(_("Fichier trop gros (%s octets).") % size)
        try:
            content = response.read(limit + 1)
        except (OSError, ValueError) as error:  # a timeout while reading
            raise HarvestRefused(_("Lecture interrompue : %s") % error) from error
        if len(content) > limit:
            raise HarvestRefused(
                _("Fichier trop gros (plus de %s Mo).") % settings.HARVEST_MAX_MEGABYTES
            )
        return Download(
            response.status,
            content,
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
        got = download(
            partner.file_url,
            "" if force else partner.etag,
            "" if force else partner.last_modified,
        )
        run.http_status = got.status
        if got.content is None:
            run.outcome = Outcome.NOT_MODIFIED
            return run
        run.size = len(got.content)
        digest = fingerprint(got.content, version.number)
        if digest == partner.content_hash and not force:
            run.outcome = Outcome.UNCHANGED
            remember(partner, got, digest)
            return run
        found = profile(got.content, mapping)
        changed = columns_changed(partner.columns, found.names)
        lost = sorted(set(changed.get("removed", [])) & mapping.used_columns())
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
        remember(partner, got, digest)
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


def remember(partner: Partner, got: Download, digest: str) -> None:
    partner.etag, partner.last_modified = got.etag[:500], got.last_modified[:100]
    partner.content_hash = digest
    Partner.objects.filter(pk=partner.pk).update(
        etag=partner.etag,
        last_modified=partner.last_modified,
        content_hash=digest,
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
