"""The dashboard pages kept rendered per version of the data and what the roles allow, with each person's own parts
(their name, their forms' token) filled in per request (web/app.py page(keep=True), issue 14 part 8).

On the shared server (the app in this process, real sign-in through the tests' provider), several people of one
area open the overview and the workforce page in turn, the first of them an approver whose page has a form the
viewers' must not. Each test names the wrong page it catches.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import LATER
from cyplan.auth.config import load
from cyplan.auth.roles import Role
from cyplan.web import app as web_app
from cyplan.web.app import create_server_app
from oidc_support import PUBLIC, Provider, data_template, give, start_provider, to_provider_and_back, write_config

PEOPLE = {  # the approver first: the page is first rendered for her
    "ann": ({"email": "ann.approver@council.gov.uk", "name": "Ann Approver"}, Role.APPROVER),
    "bob": ({"email": "bob.viewer@council.gov.uk", "name": "Bob <O'Brien> & \"Co\""}, Role.VIEWER),
    "cat": ({"email": "cat.viewer@council.gov.uk", "name": "Cat Viewer"}, Role.VIEWER),
}
SHOWN = {"ann": "Ann Approver", "bob": "Bob &lt;O&#39;Brien&gt; &amp; &#34;Co&#34;", "cat": "Cat Viewer"}
TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRF-Token": ")([^"]+)"')
SIGN_OFF_FORM = 'action="/report/sign-off?area='
AREA = "E10999999"  # the demo's area: the menu's links name it


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def clients(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory,
            provider: Provider) -> Iterator[dict[str, TestClient]]:
    """One server; each person signed in in a browser of their own (a client with its own cookies)."""
    folder = tmp_path_factory.mktemp("kept-pages")
    shutil.copytree(data_template(tmp_path_factory.mktemp("kept-data"), _demo_template), folder / "data")
    config = write_config(folder, provider)
    for claims, role in PEOPLE.values():
        give(config, claims["email"], "north", role)
    app = create_server_app(load(config))
    browsers = {who: TestClient(app, base_url=PUBLIC) for who in PEOPLE}
    for who, browser in browsers.items():
        browser.__enter__()
        provider.next_token(PEOPLE[who][0])
        assert to_provider_and_back(browser, provider, "/").status_code == 303
    yield browsers
    for browser in browsers.values():
        browser.__exit__(None, None, None)


def _tokens(html: str) -> set[str]:
    return {m.group(2) for m in TOKEN.finditer(html)}


@pytest.mark.parametrize("path", ["/", "/workforce"])
def test_each_person_gets_their_own_name_and_token_and_their_roles_page_whoever_was_served_first(
        clients: dict[str, TestClient], path: str) -> None:
    """Catches a kept page showing the first person's name or form token to the next (or to all), a stand-in left
    unfilled, a name not escaped as the template escapes it, and a viewer served the approver's page (its sign-off
    form) or the approver the viewers'."""
    for who in ["ann", "bob", "cat", "ann", "bob"]:
        r = clients[who].get(path)
        assert r.status_code == 200
        html = r.text
        assert not any(stand_in in html for stand_in in web_app.STAND_INS.values())
        claims = PEOPLE[who][0]
        assert f"Signed in as <strong>{SHOWN[who]}</strong> ({claims['email']})" in html
        for other in PEOPLE.keys() - {who}:
            assert PEOPLE[other][0]["email"] not in html and SHOWN[other] not in html
        tokens = _tokens(html)
        assert len(tokens) == 1  # every form and htmx's header carry the one token
        token = tokens.pop()
        assert _post_with(clients[who], token) != 403, f"{who}'s own token was refused: it is someone else's"
        assert (SIGN_OFF_FORM in html) == (path == "/" and who == "ann")


@pytest.mark.parametrize("path", ["/", "/workforce"])
def test_a_kept_page_is_byte_for_byte_the_page_rendered_afresh_for_that_person(
        clients: dict[str, TestClient], path: str) -> None:
    """Catches any part of a kept page that differs from rendering it for this person now (a header, a link, a
    form, an escape), both as the address is typed and as the menu links to it (the area named): the same page with
    anything more in its address is never kept, so it is rendered afresh. Only the token differs between two
    requests (it holds the time it was signed)."""
    for who in ["ann", "bob", "ann"]:
        for kept_at in (path, f"{path}?area={AREA}"):
            kept = clients[who].get(kept_at)
            fresh = clients[who].get(f"{path}?area={AREA}&afresh=1")
            assert kept.status_code == fresh.status_code == 200
            assert TOKEN.sub(r"\1TOKEN", kept.text) == TOKEN.sub(r"\1TOKEN", fresh.text)


def test_a_choice_in_the_address_is_answered_afresh_and_made_up_addresses_keep_nothing(
        clients: dict[str, TestClient]) -> None:
    """Catches the kept page answered for an address with a choice in it (the workforce page for another year shown
    as the default year's), and a page kept for every address asked for (any query string a new kept page: a
    signed-in user could fill the worker's memory)."""
    browser = clients["bob"]
    default = browser.get(f"/workforce?area={AREA}").text
    years = re.findall(r'<option value="(\d{4})"( selected)?>', default)
    shown, other = next(y for y, on in years if on), next(y for y, on in years if not on)
    chosen = browser.get(f"/workforce?area={AREA}&year={other}").text
    assert f'<option value="{other}" selected>' in chosen and f'<option value="{shown}" selected>' not in chosen
    state = browser.app.state.areas["north"]  # type: ignore[attr-defined]

    def kept() -> int:
        return sum(key[0] == "page" for key in state._cache)

    # the page is kept once whole: its later parts (the scenarios side by side, the charts) loaded, as htmx loads them
    for later in LATER.findall(default):
        assert browser.get(later.replace("&amp;", "&"), headers={"HX-Request": "true"}).status_code == 200
    browser.get(f"/workforce?area={AREA}")
    before = kept()
    for n in range(5):
        assert browser.get(f"/workforce?area={AREA}&n={n}").status_code == 200
    assert kept() == before >= 1


def test_a_signed_out_persons_kept_page_is_not_served_to_their_old_cookie(clients: dict[str, Any],
                                                                         provider: Provider) -> None:
    """Catches a kept page answered without the gate's session check: after signing out, the old cookie gets the
    sign-in, not the page kept for the area and role it had."""
    browser = clients["cat"]
    assert browser.get("/").status_code == 200
    old = dict(browser.cookies)
    token = _tokens(browser.get("/").text).pop()
    assert browser.post("/signout", data={"csrf_token": token}, follow_redirects=False).status_code in (303, 200)
    browser.cookies.clear()
    browser.cookies.update(old)
    r = browser.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    provider.next_token(PEOPLE["cat"][0])
    assert to_provider_and_back(browser, provider, "/").status_code == 303  # for any test run after this one


def _post_with(browser: TestClient, token: str) -> int:
    """A form sent with this token (choosing the area the person already works in: it changes nothing)."""
    return browser.post("/area", data={"tenant": "north", "csrf_token": token}, follow_redirects=False).status_code
