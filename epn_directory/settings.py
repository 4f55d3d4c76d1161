"""Settings of the EPN directory, read from environment variables.

Development defaults are safe; production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL. See README.md, "Configuration".
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "leaflet",
    "simple_history",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "pgtrigger",
    "places",
    "coordination",
    "coverage",
    "corsheaders",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "api",
    "backups",
    "partners",
]
# Development only (bench/): benchmarks, seed_places and the bare page. Never in
# production: installed when DEBUG is on or BENCH is set (`make bench`, the tests).
BENCH = env_bool("BENCH", default=False)
if DEBUG or BENCH:
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    # First: the client's address, as the trusted reverse proxies report it.
    "epn_directory.clients.client_address",
    # CORS headers on /api/v1/ (reads from any origin), preflights answered here.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag on every page, and "304 Not Modified" when the browser already has it.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "epn_directory.languages.PathLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "epn_directory.replicas.replica_reads",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "epn_directory.urls"
WSGI_APPLICATION = "epn_directory.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "places.context_processors.map_config",
            ],
        },
    },
]

# The default database is a local "epn_directory" on the local PostgreSQL server
# (socket or 127.0.0.1 with trust auth); PostGIS is required.
DATABASES = {
    "default": dj_database_url.config(
        default="postgis://postgres@127.0.0.1:5432/epn_directory",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
        engine="django.contrib.gis.db.backends.postgis",
    )
}

# Read replicas (optional): DATABASE_REPLICA_URLS, comma-separated, one URL per
# replica of the primary. Public pages then read the directory's data from one of
# them (epn_directory/replicas.py); writes and the admin stay on the primary. In
# tests a replica is a second connection to the test database (TEST MIRROR).
DATABASE_READ_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    alias = f"replica{number}"
    DATABASES[alias] = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "600")),
        conn_health_checks=True,
        engine="django.contrib.gis.db.backends.postgis",
        test_options={"MIRROR": "default"},
    )
    DATABASE_READ_REPLICAS.append(alias)
DATABASE_ROUTERS = ["epn_directory.replicas.ReplicaRouter"]

# Each django-pgtrigger trigger first asks whether it is ignored (the session
# setting `pgtrigger.ignore`). While that setting is undefined, each asking raises
# and catches an error: 0.55 ms per row and trigger in a long transaction
# (measured: 5,000 seeded places inserted in 8.1 s, in 1.7 s with it defined).
# Defined, empty, for every connection (pgtrigger.ignore() still works: it sets it
# for its statements and then resets it to this).
# The directory's tables fit in memory: reading a page at random costs about what
# reading the next one does (PostgreSQL's default, 4, is for spinning disks). With
# 4, a département's page scanned all 105,000 places to count its 1,900 (73 ms)
# instead of looking up its 708 communes' places (7 ms). DATABASE_PAGE_COST changes it.
try:
    PAGE_COST = float(os.environ.get("DATABASE_PAGE_COST") or "1.1")
except ValueError:
    PAGE_COST = -1.0
if not 0 < PAGE_COST < 1000:  # also refuses nan and inf
    raise ImproperlyConfigured("DATABASE_PAGE_COST must be a positive number.")
for database in DATABASES.values():
    options = database.setdefault("OPTIONS", {})
    options["options"] = (
        f"{options.get('options', '')} -c pgtrigger.ignore={{}}"
        f" -c random_page_cost={PAGE_COST}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": (
            "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
        )
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login protection (django-axes): after 5 failed logins from one address, logins
# from it are refused for an hour (`manage.py axes_reset` lifts it). Not per user
# name: anyone could then lock any coordinator out by failing five times with their
# name; the password validators make guessing one account from many addresses slow.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
# The client's address (epn_directory/clients.py): behind TRUSTED_PROXIES reverse
# proxies (1 with BEHIND_TLS_PROXY), taken from X-Forwarded-For as they append it.
TRUSTED_PROXIES = int(
    os.environ.get("TRUSTED_PROXIES", "1" if env_bool("BEHIND_TLS_PROXY") else "0")
)
AXES_CLIENT_IP_CALLABLE = "epn_directory.clients.remote_address"
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# Notifications to coordinators (citizens' suggestions). Without a mail server,
# messages are written to the console.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Annuaire des lieux numériques <ne-pas-repondre@localhost>"
)
# Work done outside the requests (imports from the admin): queued in the database,
# run by `manage.py db_worker` (django-tasks, the backport of Django 6's tasks).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Files coordinators may import from the admin: at most this many megabytes.
IMPORT_MAX_MEGABYTES = int(os.environ.get("IMPORT_MAX_MEGABYTES", "50"))
# Harvesting partners' URLs (partners/harvest.py): the largest file fetched, how
# long to wait for the server, and whether private or local addresses may be
# fetched (no: a URL typed in the admin must not reach our own services).
HARVEST_MAX_MEGABYTES = int(
    os.environ.get("HARVEST_MAX_MEGABYTES", str(IMPORT_MAX_MEGABYTES))
)
HARVEST_TIMEOUT_SECONDS = int(os.environ.get("HARVEST_TIMEOUT_SECONDS", "60"))
HARVEST_PRIVATE_HOSTS = os.environ.get("HARVEST_PRIVATE_HOSTS", "0") == "1"

# Citizens' suggestions: at most this many per hour from one address.
SUGGESTIONS_PER_HOUR = int(os.environ.get("SUGGESTIONS_PER_HOUR", "5"))

LANGUAGE_CODE = "fr"
# French at the current URLs, English under /en/ (epn_directory/urls.py); the
# translations are in locale/ and compiled by `make install` (compilemessages).
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
# Without the manifest (development, tests) WhiteNoise serves straight from the sources.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_MANIFEST
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names and gzip/brotli copies in production; plain files when the
        # manifest has not been built (development and tests).
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

# GDAL/GEOS come from the system (Debian: libgdal32); paths can be forced if needed.
if os.environ.get("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = os.environ["GDAL_LIBRARY_PATH"]
if os.environ.get("GEOS_LIBRARY_PATH"):
    GEOS_LIBRARY_PATH = os.environ["GEOS_LIBRARY_PATH"]

# Whole pages and counts for visitors are cached (places/caching.py, below). With
# several app servers or processes, give them one cache: REDIS_URL (e.g.
# redis://cache.internal:6379/0). Without it, each process keeps its own.
# Redis unreachable is not an outage: django-redis then answers "not cached"
# (logged), pages are computed, and /healthz says the cache is down.
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_cache(url: str) -> dict:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from epn_directory.cache import BreakerConnection

    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            # A Redis that does not answer costs one cache call this much, once:
            # then the process leaves it alone for a while (epn_directory/cache.py).
            "SOCKET_CONNECT_TIMEOUT": 0.3,
            "SOCKET_TIMEOUT": 0.3,
            "CONNECTION_POOL_KWARGS": {
                "connection_class": BreakerConnection,
                "retry": Retry(NoBackoff(), 0),  # redis-py retried 3 times
            },
        },
    }


CACHES = {
    "default": (
        redis_cache(REDIS_URL)
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    ),
}
# Whole public pages for visitors without a session (places/caching.py, page_cache):
# kept PAGE_CACHE_SECONDS, fresh for PAGE_FRESH_SECONDS (an edit shows in listings,
# maps and territory pages within that delay + 2 × COUNT_CACHE_SECONDS, on the
# place's own page at once);
# after that the first request renews a page while others get the stale copy.
# PAGE_CACHE_SECONDS=0 turns the page cache off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))
PAGE_FRESH_SECONDS = float(os.environ.get("PAGE_FRESH_SECONDS", "30"))
# A search's total and facet counts, the map's counts and bounds (caching.counted),
# for visitors without a session; 0 turns it off.
COUNT_CACHE_SECONDS = int(os.environ.get("COUNT_CACHE_SECONDS", "30"))
# Benchmarks only: /bench/bare/, a page without data (manage.py bench_load).
BENCH_BARE_PAGE = "bench" in INSTALLED_APPS and env_bool("BENCH_BARE_PAGE")

# Map: the tile server is a setting so that tests and air-gapped installs use their own.
# Street addresses typed in `ou` (places/geocoding.py): the search endpoint of a
# geocoder speaking the national address API's protocol, e.g.
# https://api-adresse.data.gouv.fr/search/. Empty: addresses fall back to their commune.
GEOCODER_URL = os.environ.get("GEOCODER_URL", "")
GEOCODER_TIMEOUT = float(os.environ.get("GEOCODER_TIMEOUT", "2"))
# New addresses asked a minute, whoever types them (the national API allows 50 a
# second per caller; known addresses are remembered a day and cost nothing).
GEOCODER_PER_MINUTE = int(os.environ.get("GEOCODER_PER_MINUTE", "600"))

MAP_TILES_URL = os.environ.get(
    "MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
MAP_TILES_ATTRIBUTION = os.environ.get(
    "MAP_TILES_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">'
    "les contributeurs d’OpenStreetMap</a>",
)
# Map data (places/maps.py): with more places than this in view, clusters.
MAP_MAX_PLACES = int(os.environ.get("MAP_MAX_PLACES", "300"))

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (46.6, 2.4),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 2,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
    "TILES": [(_("Plan"), MAP_TILES_URL, {"attribution": MAP_TILES_ATTRIBUTION})],
    "ATTRIBUTION_PREFIX": "Leaflet",
}

# Where set-up finds the npm data package of territories.
TERRITORIES_DATA_DIR = Path(
    os.environ.get(
        "TERRITORIES_DATA_DIR",
        BASE_DIR / "node_modules" / "@etalab" / "decoupage-administratif" / "data",
    )
)

SECURE_CONTENT_TYPE_NOSNIFF = True


def tiles_source(url: str) -> list[str]:
    """The CSP source of a tile URL template: https://{s}.tile.x/{z}/… → https://*.tile.x"""
    parts = urlsplit(url.replace("{s}", "*"))
    return (
        [f"{parts.scheme}://{parts.netloc}"]
        if parts.scheme in {"http", "https"}
        else []
    )


# Content-Security-Policy (django-csp): scripts and styles only from our own static
# files (no inline script anywhere). The one exception is the admin's map widget of
# django-leaflet, whose inline script carries the per-request nonce; a nonce is only
# added to the header of a response whose page asked for it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Map tiles come from the tile server; Leaflet's icons are data: URIs.
        "img-src": [SELF, "data:", *tiles_source(MAP_TILES_URL)],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        # Only the embed view (/carte/?embed=1) may be framed; it says so itself.
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers ask for the health check over plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
# With HSTS on, subdomains too and the browsers' preload list, unless told otherwise.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0
)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Lockouts are warnings; every failed attempt need not be in the logs.
        "axes": {"level": "WARNING"},
    },
}

# Debian 12 ships GDAL 3.6; GDAL only reads geometries we build ourselves (no user
# supplied spatial references), so the warning about GDAL < 3.9 does not apply.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]


# The public read API, /api/v1/ (api/, docs/api.md).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.access.PartnerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["api.access.ClientRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # The client's address is REMOTE_ADDR, as epn_directory.clients sets it from
    # the trusted proxies; DRF's default believes any X-Forwarded-For.
    "NUM_PROXIES": 0,
    # JSON whatever the client asks for: no `?format=`, no 406.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.access.AlwaysJson",
    # OPTIONS is for CORS preflights (answered by django-cors-headers); DRF's own
    # description of a view (its name, its docstring) is not for partners.
    "DEFAULT_METADATA_CLASS": None,
}
# Requests per client address without a partner key (partner keys: their own rate).
API_ANONYMOUS_RATE = os.environ.get("API_ANONYMOUS_RATE", "120/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "API de l’annuaire des lieux numériques",
    "DESCRIPTION": (
        "Lecture publique des lieux (espaces publics numériques, coworkings, "
        "fablabs, tiers-lieux), de leurs territoires et des listes de valeurs du "
        "standard national des lieux de médiation numérique. Documentation, "
        "synchronisation et politique de versions : /api/v1/."
    ),
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.docs.facet_codes",
        "api.docs.describe_shapes",
    ],
}
CORS_ALLOW_ALL_ORIGINS = True
CORS_URLS_REGEX = r"^/api/v1/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["authorization", "if-none-match", "accept", "accept-language"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
