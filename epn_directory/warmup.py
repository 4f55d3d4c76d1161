"""What a worker of the web server does once, when it starts, rather than on its
first requests (gunicorn.conf.py's `post_worker_init`).

Measured in a new process at 104,974 places (docs/benchmarks.md, session 11): the
first place page took 690 ms and the next ones 27 ms; the first listing 670 ms. With
5 workers, their first requests were most of the slowest twentieth of cold pages.
What they paid: compiling the templates, reading the translation catalogues, building
the URL resolver, and the hours parser's calendars and time zones."""

import gc
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import engines
from django.urls import URLResolver, get_resolver
from django.utils import translation


def our_templates() -> list[str]:
    """The names of the project's own templates (not Django's admin's, which the
    coordinators' first page compiles)."""
    base = Path(settings.BASE_DIR)
    directories = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    directories += [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(base)
        and "site-packages" not in Path(app.path).parts  # a virtualenv inside
    ]
    return sorted(
        {
            path.relative_to(directory).as_posix()
            for directory in directories
            if directory.is_dir()
            for path in directory.rglob("*.html")
        }
    )


def index_urls(resolver: URLResolver) -> None:
    """Build the reverse index of each URL namespace for the active language
    (otherwise each is built by the first `{% url %}` naming it)."""
    for _prefix, namespace in resolver.namespace_dict.values():
        index_urls(namespace)


def warm_up() -> int:
    """Load what the first requests would; returns the number of templates
    compiled. Then moves the loaded objects out of the garbage collector's sight
    (full collections no longer walk them)."""
    from places import hours

    hours.status_now("Mo-Su 09:00-18:00", 2.35, 48.85)
    engine = engines["django"]
    names = our_templates()
    for name in names:
        engine.get_template(name)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Accueil")
            index_urls(get_resolver())
    gc.collect()
    gc.freeze()
    return len(names)
