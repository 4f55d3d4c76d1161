"""What the browser is told to refuse: the Content-Security-Policy (django-csp),
framing, content sniffing. Production HTTPS settings are checked by test_settings.py;
the browser tests check that the pages work under this policy (a refusal fails them)."""

import pytest
from bs4 import BeautifulSoup

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/lieux/?q=atelier&type=epn&ouvert=1",
    "PLACE/",
    "PLACE/signaler/",
    "/carte/",
    "/carte/?embed=1",
    "/carte/liste/?bbox=-2,47,-1,49",
    "/territoires/35/",
    "/admin/login/",
]
DATA_BLOCKS = {"application/json", "application/ld+json"}


@pytest.fixture
def place():
    return PlaceFactory(name="Atelier numérique des Lices")


def policy_of(response) -> dict[str, list[str]]:
    directives = (d.split() for d in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_allow_only_their_own_scripts_and_styles(client, place, path):
    path = path.replace("PLACE", place.get_absolute_url().rstrip("/"))
    response = client.get(path)
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no nonce: no page asked for one
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # So the policy is not a lie: no inline script, no inline style, no handler.
    html = BeautifulSoup(response.content, "html.parser")
    for script in html.find_all("script"):
        assert script.get("src") or script.get("type") in DATA_BLOCKS, script
    assert html.find_all("style") == []
    for element in html.find_all(True):
        assert "style" not in element.attrs, element
        assert not [a for a in element.attrs if a.startswith("on")], element


def test_only_the_embed_view_may_be_framed(client, place):
    page = client.get("/carte/")
    assert page["X-Frame-Options"] == "DENY"
    assert policy_of(page)["frame-ancestors"] == ["'none'"]
    embed = client.get("/carte/", {"embed": "1"})
    assert "X-Frame-Options" not in embed
    assert policy_of(embed)["frame-ancestors"] == ["*"]
    assert policy_of(embed)["script-src"] == ["'self'"]  # the rest stays as strict


def test_the_admin_map_widget_runs_under_a_nonce(admin_client, place):
    """django-leaflet's admin widget is the one inline script: it carries the
    request's nonce, and only that response's policy names it."""
    response = admin_client.get(f"/admin/places/place/{place.pk}/change/")
    assert response.status_code == 200
    sources = policy_of(response)["script-src"]
    nonces = [s for s in sources if s.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    html = BeautifulSoup(response.content, "html.parser")
    inline = [
        s for s in html.find_all("script") if not s.get("src") and not s.get("type")
    ]
    assert inline and all(s.get("nonce") == nonce for s in inline)
    again = admin_client.get(f"/admin/places/place/{place.pk}/change/")
    assert policy_of(again)["script-src"] != sources  # a new nonce each time
