"""Nothing a person can type into a form crashes the app.

On the demo sub-district, signed in as its administrator (every staff form shows), the
test follows the site's own links, collects every form (POST forms, and GET forms:
searches and filters), and submits each one again and again with one field at a time set to something awkward: a number no database
integer holds, a negative or fractional or full-width number, a superscript digit, words where a number
goes, an empty value, a NUL character, text far over any limit. Every answer must be a
page or a redirect, never a server error (500). Runs on SQLite and, in CI, PostgreSQL,
whose integers are 32-bit and whose text refuses NUL.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from consult.communities import demo as communities_demo
from consult.demo import load

ADMIN = "13800000001"
AWKWARD = ("9" * 12, "-1", "1.5", "２０２６", "²", "x", "", "a\x00b", "长" * 5000)
#: forms that end the session or change how the crawler signs in: submitting them would
#: only sign the crawler out (each is tested on its own elsewhere)
SKIP_ACTIONS = re.compile(r"^/(logout|account/password)")
#: pages that are downloads or that the crawler need not open more than a few of
SKIP_PAGES = re.compile(r"\.(csv|xlsx|pb|svg|png|jpg|webp)$|^/static/|^/media/|^/api/")
MAX_PAGES = 160
#: of pages whose path differs only in its numbers, open this many
PER_SHAPE = 2


class _Page(HTMLParser):
    """The links and the POST forms (their fields with the values a browser would send)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and (href := a.get("href")):
            self.links.append(href)
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "fields": {},
                          "method": (a.get("method") or "get").lower()}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                return
            if kind in ("checkbox", "radio"):
                if kind == "radio" and a["name"] in self._form["fields"]:
                    return
                self._form["fields"][a["name"]] = a.get("value") or "on"
            else:
                self._form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(self._select, "")
        elif tag == "option" and self._select is not None:
            if not self._form["fields"][self._select] or "selected" in a:
                self._form["fields"][self._select] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form["fields"][self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form["fields"][self._textarea] += data


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _crawl(client: TestClient) -> dict[tuple[str, str], dict]:
    """Every form reachable by links from the home page, one per method and action shape."""
    seen_pages: set[str] = set()
    shapes: dict[str, int] = {}
    forms: dict[str, dict] = {}
    queue = deque(["/"])
    while queue and len(seen_pages) < MAX_PAGES:
        path = queue.popleft()
        if path in seen_pages or SKIP_PAGES.search(path):
            continue
        shape = _shape(urlsplit(path).path)
        if shapes.get(shape, 0) >= PER_SHAPE:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen_pages.add(path)
        response = client.get(path, follow_redirects=False)
        assert response.status_code < 500, path
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = _Page()
        page.feed(response.text)
        for form in page.forms:
            action = form["action"] or urlsplit(path).path
            if action.startswith("/") and not SKIP_ACTIONS.match(action):
                forms.setdefault((form["method"], _shape(action)), {**form, "action": action, "page": path})
        for href in page.links:
            parts = urlsplit(href)
            if not parts.netloc and parts.path.startswith("/") and not parts.fragment:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return forms


@pytest.mark.slow
def test_no_form_answers_awkward_input_with_a_server_error(db, settings, app):
    load(db, settings)
    db.flush()
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)

    def sign_in() -> str:
        """Sign in as the administrator; the session's CSRF token."""
        client.cookies.clear()
        token = _token(client.get("/login").text)
        done = client.post("/login", data={"csrf_token": token, "login": ADMIN,
                                           "password": communities_demo.DEMO_PASSWORD},
                           follow_redirects=False)
        assert done.status_code == 303
        return _token(client.get("/account").text)

    token = sign_in()
    forms = _crawl(client)
    assert len(forms) >= 40, sorted(forms)  # the crawler reached the staff pages
    failures, sent = [], 0
    for form in forms.values():
        for field in [name for name in form["fields"] if name != "csrf_token"]:
            for value in AWKWARD:
                data = {**form["fields"], field: value}
                if form["method"] == "get":  # a search or a filter
                    response = client.get(form["action"], params=data, follow_redirects=False)
                else:
                    response = client.post(form["action"], data={**data, "csrf_token": token},
                                           follow_redirects=False)
                    if response.status_code == 403:  # perhaps a form signed the crawler out
                        token = sign_in()
                        response = client.post(form["action"], data={**data, "csrf_token": token},
                                               follow_redirects=False)
                sent += 1
                if response.status_code >= 500:
                    failures.append((form["action"], field, value[:20], response.status_code))
    print(f"{len(forms)} forms, {sent} submissions")  # shown with pytest -s
    assert failures == [], "\n".join(map(repr, failures))
    assert sent >= 500


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
