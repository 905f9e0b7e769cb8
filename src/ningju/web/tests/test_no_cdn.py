"""Nothing is loaded from outside hosts: every page each role can reach, the CSS it links, the
htmx script, and the template and static sources. The platform must work on a government
intranet without internet access, and the CSP ('self' only) would block outside hosts anyway."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from ningju.core import roles
from ningju.orgs.models import Organisation
from ningju.people.models import Person

pytestmark = pytest.mark.django_db

LOCAL_HOSTS = {"testserver", "localhost", "127.0.0.1", "[::1]", "::1"}
SRC_DIR = Path(__file__).resolve().parents[2]  # src/ningju

# Attributes whose value the browser (or htmx) fetches or navigates to.
URL_ATTRS = {"src", "href", "action", "data", "poster", "formaction", "background", "ping", "cite",
             "longdesc", "manifest", "xlink:href", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
SRCSET_ATTRS = {"srcset", "imagesrcset"}

CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.I)
CSS_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""", re.I)
ABSOLUTE_URL = re.compile(r"""https?://[^\s"'<>()]+""", re.I)
# XML namespace names (xmlns="http://www.w3.org/2000/svg") are identifiers, never fetched.
XMLNS = re.compile(r"""xmlns(:[\w-]+)?\s*=\s*(['"])[^'"]*\2""", re.I)


def is_outside(url: str) -> bool:
    """True if ``url`` names a host (scheme://host or //host) other than the test server."""
    url = url.strip()
    if not url or url.startswith(("#", "data:", "blob:", "mailto:", "tel:", "javascript:")):
        return False
    parts = urlsplit(url)
    if not parts.netloc:
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


class UrlCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = [(k.lower(), v or "") for k, v in attrs]
        for name, value in attrs:
            if name in URL_ATTRS:
                self.urls.append((tag, name, value))
            elif name in SRCSET_ATTRS:
                for candidate in value.split(","):
                    if candidate.strip():
                        self.urls.append((tag, name, candidate.split()[0]))
            elif name == "style":
                self.inline_css.append(value)
        a = dict(attrs)
        if tag == "link" and "stylesheet" in a.get("rel", "").lower().split():
            self.stylesheets.append(a.get("href", ""))
        if tag == "script":
            self.scripts.append(a.get("src", ""))
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


def css_urls(css: str) -> list[str]:
    return [m.group(2) for m in CSS_URL.finditer(css)] + [m.group(2) for m in CSS_IMPORT.finditer(css)]


def pages_for(user) -> list[tuple[str, bool]]:
    """(url, reachable) for every page of the navigation and the detail and form pages."""
    pages = [
        ("/", True),
        ("/geo/", user.can(roles.M_GEO)),
        ("/orgs/", user.can(roles.M_ORGS)),
        ("/people/", user.can(roles.M_PEOPLE)),
        ("/audit/", user.can(roles.M_AUDIT)),
        ("/accounts/me/", user.can(roles.M_PROFILE)),
    ]
    if user.can(roles.M_ORGS):
        org = Organisation.objects.visible_to(user).order_by("pk").first()
        assert org is not None
        pages.append((f"/orgs/{org.pk}/", True))
    if user.can(roles.M_PEOPLE):
        person = Person.objects.visible_to(user).order_by("pk").first()
        assert person is not None
        pages.append((f"/people/{person.pk}/", True))
    if user.can(roles.M_ORGS_EDIT):
        pages.append(("/orgs/new/", True))
    if user.can(roles.M_PEOPLE_EDIT):
        pages.append(("/people/new/", True))
    return pages


def check_page(client: Client, url: str, expected_status: int, served: dict[str, str]) -> list[str]:
    """GET ``url``; return the outside references found. Fetches (and caches in ``served``) linked CSS/JS."""
    response = client.get(url)
    assert response.status_code == expected_status, (url, response.status_code)
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], (url, csp)
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (url, csp)

    parser = UrlCollector()
    parser.feed(response.content.decode())
    problems = [f"{url}: <{tag} {attr}={value!r}>" for tag, attr, value in parser.urls if is_outside(value)]
    for css in parser.inline_css:
        problems += [f"{url}: inline style url({u})" for u in css_urls(css) if is_outside(u)]

    assert parser.stylesheets, f"{url}: no stylesheet linked"
    assert any("htmx" in s for s in parser.scripts), f"{url}: htmx script missing"
    for src in parser.scripts:
        assert src, f"{url}: inline <script> (CSP forbids it)"
    for asset in parser.stylesheets + parser.scripts:
        if is_outside(asset):
            continue  # already reported above
        path = urlsplit(urljoin(url, asset)).path
        if path in served:
            continue  # each asset is checked once
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        body = served[path] = b"".join(r.streaming_content).decode() if r.streaming else r.content.decode()
        if asset in parser.stylesheets:
            problems += [f"{path}: url({u})" for u in css_urls(body) if is_outside(u)]
        else:
            # The htmx shipped by django-htmx must be served by us and not pull anything in itself.
            assert path.startswith("/static/"), (url, asset)
            problems += [f"{path}: {u}" for u in ABSOLUTE_URL.findall(body) if is_outside(u)]
    return problems


@pytest.fixture
def serve_static(settings):
    # Tests run with DEBUG off and no collectstatic: let WhiteNoise serve from the finders so that
    # the CSS and JS are fetched the way the browser gets them. Takes effect for clients created after.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_login_page_anonymous_has_no_outside_references(db, serve_static):
    served: dict[str, str] = {}
    problems = check_page(Client(), "/accounts/login/", 200, served)
    assert not problems, "\n".join(problems)
    assert "/static/ningju/app.css" in served
    assert any(p.startswith("/static/django_htmx/") for p in served)


def test_every_page_of_every_role_has_no_outside_references(world, login, serve_static):
    served: dict[str, str] = {}
    problems: list[str] = []
    checked = 0
    for key, user in world.user.items():
        client = login(user)
        for url, reachable in pages_for(user):
            problems += [f"[{key}] {p}" for p in check_page(client, url, 200 if reachable else 403, served)]
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 6 * len(world.user)
    assert {"/static/ningju/app.css"} <= set(served)


def test_htmx_partials_have_no_outside_references(world, login):
    client = login(world.user["qy_org"])
    for url in ["/people/?q=骑手", "/orgs/?q=沁阳", "/geo/?q=沁阳", "/audit/?q=a"]:
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, url
        parser = UrlCollector()
        parser.feed(response.content.decode())
        bad = [v for _, _, v in parser.urls if is_outside(v)]
        assert not bad, (url, bad)


def _source_files():
    for pattern in ("**/static/**/*", "**/templates/**/*"):
        for path in SRC_DIR.glob(pattern):
            # static/vendor/ holds third-party files pinned by hash (scripts/vendor_assets.py); their URLs
            # (XML namespaces, licences) are checked against a known list in test_vendor_assets.py.
            if path.is_file() and "__pycache__" not in path.parts and "vendor" not in path.parts:
                yield path


def test_sources_name_no_outside_hosts():
    files = sorted(set(_source_files()))
    assert any(p.name == "app.css" for p in files) and any(p.name == "base.html" for p in files)
    problems = []
    for path in files:
        text = XMLNS.sub("", path.read_text(encoding="utf-8", errors="replace"))
        for url in ABSOLUTE_URL.findall(text):
            if is_outside(url):
                problems.append(f"{path.relative_to(SRC_DIR)}: {url}")
        for match in re.finditer(r"""(?:src|href|action|url\()\s*=?\s*['"]?(//[^\s"'<>()]+)""", text):
            if is_outside(match.group(1)):
                problems.append(f"{path.relative_to(SRC_DIR)}: {match.group(1)}")
    assert not problems, "\n".join(problems)


def test_is_outside():
    assert is_outside("https://cdn.jsdelivr.net/npm/htmx.org")
    assert is_outside("//unpkg.com/htmx.org")
    assert is_outside("http://evil.example:8080/x.css")
    assert not is_outside("/static/ningju/app.css")
    assert not is_outside("http://testserver/people/")
    assert not is_outside("http://localhost:8000/")
    assert not is_outside("data:image/png;base64,AAAA")
    assert not is_outside("?page=2")
