"""What the browser tests share: the system Chromium through Playwright, pages that
fail a test on any script error or Content-Security-Policy refusal, and logging a
coordinator in. Map tiles come from a blank data URI: no test reaches the internet."""

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "YAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
PASSWORD = "un mot de passe solide 42"
# Phone and desktop widths at which citizens' pages are tried.
WIDTHS = [390, 1280]

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"
    ),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test
# itself are still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


@contextlib.contextmanager
def opened(browser, width: int = 1280, **options):
    """A page in a new context, `width` pixels wide. Every page of every browser
    test is also a check of the Content-Security-Policy: whatever it refuses (an
    inline script or style, a foreign source) fails the test, as a script error
    does."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="fr-FR", **options
    )
    page = context.new_page()
    page.errors, page.refused = [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and page.refused.append(message.text)
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert page.refused == [], page.refused
    assert page.errors == [], page.errors


def coordinator(username: str, *territories):
    """A coordinator of `territories` (Territory objects), who logs in with
    PASSWORD."""
    from django.contrib.auth.models import Group, User

    from coordination.models import Coordinator
    from coordination.roles import GROUP_NAME

    user = User.objects.create_user(
        username, f"{username}@example.org", PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=GROUP_NAME))
    Coordinator.objects.create(user=user).territories.set(territories)
    return user


def log_in(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/admin/")
