"""Sign-in on the shared server (issue 14 part 2), through the real OpenID Connect flow: the app in this process,
a real provider (npm oauth2-mock-server, tests/oidc/provider.mjs) on loopback, the browser's redirects followed by
hand. Each test names the wrong behaviour it catches."""

from __future__ import annotations

import base64
import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Request
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from cyplan.auth import session
from cyplan.auth.config import load
from cyplan.auth.roles import Role
from cyplan.auth.session import COOKIE
from cyplan.store import audit
from cyplan.store.tables import sessions
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_server_app
from cyplan.web.routes.signin import PENDING_COOKIE, local_path
from oidc_support import (
    ANN,
    PUBLIC,
    Provider,
    data_template,
    give,
    server_client,
    start_provider,
    to_provider_and_back,
    write_config,
)


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def data(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data_template(tmp_path_factory.mktemp("signin-data"), _demo_template)


def make(tmp_path: Path, provider: Provider, data: Path, **session: str | int) -> tuple[Path, Any]:
    """A fresh server (its own data folder, so failures and sessions of other tests do not count here), Ann
    analyst of north and viewer of south."""
    shutil.copytree(data, tmp_path / "data")
    config = write_config(tmp_path, provider, **session)
    give(config, ANN["email"], "north", Role.ANALYST)
    give(config, ANN["email"], "south", Role.VIEWER)
    client = server_client(config)

    @client.app.get("/test/whoami")  # what the gate told the routes
    def whoami(request: Request) -> dict[str, Any]:
        user = request.state.user
        return {"user": user and user.name, "display": user and user.display, "tenant": request.state.tenant,
                "roles": sorted(request.state.roles)}

    return config, client


@pytest.fixture
def server(tmp_path: Path, provider: Provider, data: Path) -> Iterator[tuple[Path, Any]]:
    config, client = make(tmp_path, provider, data)
    with client:
        yield config, client


MINUTE, HOUR = 60.0, 3600.0


class Clock:
    """The sessions' clock (cyplan.auth.session.clock), stopped at the time the test began and moved only by the
    test: a time-out is crossed by saying "21 minutes later", not by sleeping, so a slow machine changes nothing."""

    def __init__(self) -> None:
        self.start = self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set_after_start(self, seconds: float) -> None:
        self.now = self.start + seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    stopped = Clock()
    monkeypatch.setattr(session, "clock", stopped)
    return stopped


def trail(config: Path) -> list[dict[str, Any]]:
    ws = Workspace.open(config.parent / "data" / "server")
    with ws.engine.connect() as conn:
        entries = audit.read(conn)
    ws.close()
    return entries


def csrf(client: Any) -> str:
    page = client.get("/data").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


# -- signing in ----------------------------------------------------------------------------------------------


def test_sign_in_lands_on_the_page_asked_for_as_the_user_in_lower_case(server: tuple[Path, Any],
                                                                        provider: Provider) -> None:
    """Catches: the return address lost, the name kept in the provider's case (roles are granted lower case),
    the roles of another area than the one shown, and a sign-in missing from the audit trail."""
    config, client = server
    provider.next_token()
    r = to_provider_and_back(client, provider, "/data?tab=inputs")
    assert r.status_code == 303 and r.headers["location"] == "/data?tab=inputs"
    assert client.get("/data").status_code == 200
    me = client.get("/test/whoami").json()
    assert me == {"user": "ann.analyst@council.gov.uk", "display": "Ann Analyst", "tenant": "north",
                  "roles": ["analyst"]}
    page = client.get("/data").text
    assert "Ann Analyst" in page and "North Council" in page and 'action="/signout"' in page
    signed_in = [e for e in trail(config) if e["action"] == "sign-in"]
    assert [e["who"] for e in signed_in] == ["ann.analyst@council.gov.uk"] and signed_in[0]["source"].startswith("web")


def test_pkce_s256_state_and_nonce_are_sent(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches a flow without PKCE, with the 'plain' method, or a challenge that is not SHA-256 of the verifier
    kept for the token exchange (the provider refuses a mismatched verifier, so the sign-in working proves the
    exchange sent it)."""
    _, client = server
    provider.next_token()
    r = client.get("/signin", params={"next": "/"}, follow_redirects=False)
    kept = URLSafeTimedSerializer(client.app.state.secret, salt="cyplan-signin").loads(r.cookies[PENDING_COOKIE])
    state, nonce, verifier, _ = kept

    httpx.get(r.headers["location"], follow_redirects=False)
    asked = provider.authorize_log()[-1]
    assert asked["code_challenge_method"] == "S256"
    assert asked["code_challenge"] == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()
                                                               ).rstrip(b"=").decode()
    assert asked["state"] == state and asked["nonce"] == nonce and len(verifier) >= 43
    assert asked["redirect_uri"] == PUBLIC + "/signin/callback" and asked["client_id"] == "cyplan-tests"
    assert "openid" in asked["scope"].split()


@pytest.mark.parametrize(("token", "reason"), [
    ({"forge": "foreign-key"}, "signature"),
    ({"forge": "none"}, "signature"),
    ({"expired": True}, "expired"),
    ({"claims": {"aud": "another-app"}}, "audience"),
    ({"claims": {"nonce": "a-replayed-token"}}, "nonce"),
    ({"claims": {"iss": "https://evil.example"}}, "issuer"),
])
def test_a_bad_id_token_is_refused_with_its_reason_and_audited(server: tuple[Path, Any], provider: Provider,
                                                               token: dict[str, Any], reason: str) -> None:
    """Catches an ID token taken on trust: a forged signature (another key, or alg none), an expired token, one
    for another app, a replayed one (wrong nonce), one from another issuer — each must be refused, say why, start
    no session, and leave an audit entry with the reason."""
    config, client = server
    provider.next_token(**token)
    r = to_provider_and_back(client, provider)
    assert r.status_code == 400 and "Sign-in failed" in r.text and reason in r.text
    assert COOKIE not in r.cookies
    assert client.get("/data", follow_redirects=False).status_code == 303  # still not signed in
    failed = [e for e in trail(config) if e["action"] == "sign-in failed"]
    assert len(failed) == 1 and reason in failed[0]["what"]
    assert not [e for e in trail(config) if e["action"] == "sign-in"]


def test_a_callback_with_a_state_not_started_here_is_refused(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches a callback accepted without the state of a sign-in this browser began (login CSRF)."""
    config, client = server
    client.get("/signin", params={"next": "/"}, follow_redirects=False)
    r = client.get("/signin/callback", params={"code": "x", "state": "forged"}, follow_redirects=False)
    assert r.status_code == 400 and "(state)" in r.text
    assert [e["action"] for e in trail(config)] == ["sign-in failed"]


def test_without_an_email_the_preferred_username_names_the_user(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches Entra ID's UPN (preferred_username) ignored when the token has no email claim."""
    _, client = server
    provider.next_token({"preferred_username": "ANN.ANALYST@council.gov.uk"})
    to_provider_and_back(client, provider)
    assert client.get("/test/whoami").json()["user"] == "ann.analyst@council.gov.uk"


# -- where a browser is sent -----------------------------------------------------------------------------------


@pytest.mark.parametrize("evil", ["https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example",
                                  "/\t/evil.example", "javascript:alert(1)", "evil.example"])
def test_the_return_address_is_never_another_site(server: tuple[Path, Any], provider: Provider, evil: str) -> None:
    """Catches an open redirect: ?next= pointing off this server after sign-in."""
    _, client = server
    provider.next_token()
    r = to_provider_and_back(client, provider, evil)
    assert r.status_code == 303 and r.headers["location"] == "/"


@given(st.text(max_size=40))
def test_local_path_gives_only_a_path_on_this_server(value: str) -> None:
    """Catches any spelling a browser would read as another host (scheme, //, backslash, control characters)."""
    kept = local_path(value)
    assert kept.startswith("/") and not kept.startswith("//") and "\\" not in kept
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in kept)
    assert kept in ("/", value)


def test_unauthenticated_pages_go_to_sign_in_and_the_api_answers_401(server: tuple[Path, Any]) -> None:
    """Catches a route reachable without signing in, and the API redirected to a login page a program cannot use."""
    _, client = server
    r = client.get("/workforce?area=E1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fworkforce%3Farea%3DE1"
    r = client.get("/api/inputs")
    assert r.status_code == 401 and r.json()["detail"].startswith("Sign in first")
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/static/js-enabled.js").status_code == 200


def test_a_user_with_no_role_is_told_to_ask_their_admin(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches a signed-in stranger let into an area, or left with an error page that does not say what to do."""
    _, client = server
    provider.next_token({"email": "nobody@elsewhere.org", "name": "No Body"})
    to_provider_and_back(client, provider)
    r = client.get("/data")
    assert r.status_code == 403 and "no role" in r.text and "nobody@elsewhere.org" in r.text
    assert "administrator" in r.text
    assert "Exampleshire" not in r.text
    assert client.get("/api/inputs").status_code == 403


def test_the_area_chooser_switches_area_and_roles_and_refuses_an_area_not_held(server: tuple[Path, Any],
                                                                              provider: Provider) -> None:
    """Catches the roles of one area kept after switching to another, and an area chosen where the user holds no
    role (with one answer whether or not it exists)."""
    _, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    token = csrf(client)
    r = client.post("/area", data={"tenant": "south", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/test/whoami").json()["roles"] == ["viewer"]
    assert client.get("/test/whoami").json()["tenant"] == "south"
    for other in ("west", "../server"):
        r = client.post("/area", data={"tenant": other, "csrf_token": token})
        assert r.status_code == 403 and "no role in that area" in r.text
    assert client.get("/test/whoami").json()["tenant"] == "south"


# -- sessions ------------------------------------------------------------------------------------------------


def test_sign_out_ends_the_session_on_the_server(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches a sign-out that only clears the browser's cookie (a copy of it would still work), one without a
    CSRF check (another site could sign people out), and a sign-out missing from the audit trail."""
    config, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    cookie = client.cookies[COOKIE]
    assert client.post("/signout", data={}).status_code == 403  # no CSRF token: refused, still signed in
    assert client.get("/data").status_code == 200
    r = client.post("/signout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signout"
    client.cookies.set(COOKIE, cookie)  # the old cookie, kept by someone
    assert client.get("/data", follow_redirects=False).status_code == 303
    assert [e["action"] for e in trail(config)][-1] == "sign-out"


def test_a_new_session_id_at_each_sign_in_and_the_old_one_ended(server: tuple[Path, Any], provider: Provider) -> None:
    """Catches session fixation: a session id planted in the browser before sign-in (here, an earlier session's)
    must not be the one signed in, and must stop working."""
    _, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    planted = client.cookies[COOKIE]
    to_provider_and_back(client, provider)
    fresh = client.cookies[COOKIE]
    assert fresh != planted
    client.cookies.set(COOKIE, planted)
    assert client.get("/data", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE, fresh)
    assert client.get("/data").status_code == 200


def test_a_made_up_session_cookie_is_refused(server: tuple[Path, Any]) -> None:
    """Catches a cookie taken without checking the server's signature."""
    _, client = server
    client.cookies.set(COOKIE, "made-up.value")
    assert client.get("/data", follow_redirects=False).status_code == 303


def test_the_idle_time_out_ends_a_session_left_alone_not_one_in_use(tmp_path: Path, provider: Provider, data: Path,
                                                                    clock: Clock) -> None:
    """Catches an idle time-out counted from sign-in instead of the last request (the second request, 30 minutes
    after sign-in, would be refused), or not applied at all (the last request, 21 minutes left alone, answered)."""
    _, client = make(tmp_path, provider, data, idle_timeout="20m")
    with client:
        provider.next_token()
        to_provider_and_back(client, provider)
        for _ in range(4):  # in use: a request every 15 minutes keeps it for an hour, three times the time-out
            clock.advance(15 * MINUTE)
            assert client.get("/test/whoami", follow_redirects=False).status_code == 200
        clock.advance(21 * MINUTE)  # then left alone for longer than the time-out
        assert client.get("/data", follow_redirects=False).status_code == 303


def test_the_absolute_time_out_ends_even_a_session_in_use(tmp_path: Path, provider: Provider, data: Path,
                                                          clock: Clock) -> None:
    """Catches a session kept alive for ever by use, or ended later than the hour after sign-in."""
    _, client = make(tmp_path, provider, data, absolute_timeout="1h")  # idle: the default 30 minutes
    with client:
        provider.next_token()
        to_provider_and_back(client, provider)
        codes = []
        for after in (25 * MINUTE, 50 * MINUTE, HOUR - 1, HOUR + 1):  # in use every 25 minutes or less: never idle
            clock.set_after_start(after)
            codes.append(client.get("/test/whoami", follow_redirects=False).status_code)
        assert codes == [200, 200, 200, 303]


def test_too_many_failed_sign_ins_from_one_address_are_refused(tmp_path: Path, provider: Provider,
                                                               data: Path) -> None:
    """Catches unlimited guessing: after the allowed failures in the window, sign-in is refused (429 with
    Retry-After), even with a good token, and the refusal says when to try again."""
    config, client = make(tmp_path, provider, data, failures_allowed=3, failure_window="10m")
    with client:
        for _ in range(3):
            client.get("/signin/callback", params={"code": "guess", "state": "guess"})
        r = client.get("/signin", params={"next": "/"}, follow_redirects=False)
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text and "10 minutes" in r.text
        assert 590 <= int(r.headers["Retry-After"]) <= 600
        provider.next_token()
        assert client.get("/signin/callback", params={"code": "x", "state": "y"}).status_code == 429
        assert len([e for e in trail(config) if e["action"] == "sign-in failed"]) == 3  # refusals add none


def test_https_public_address_gives_secure_httponly_lax_cookies(tmp_path: Path, provider: Provider,
                                                                data: Path) -> None:
    """Catches a session cookie sent over plain HTTP, readable by scripts, or SameSite=Strict (which the
    provider's cross-site redirect back would lose)."""
    shutil.copytree(data, tmp_path / "data")
    config = write_config(tmp_path, provider, public="https://plan.council.example")
    with TestClient(create_server_app(load(config)), base_url="https://plan.council.example") as client:
        r = client.get("/signin", params={"next": "/"}, follow_redirects=False)
        pending = r.headers["set-cookie"].lower()
        assert "httponly" in pending and "secure" in pending and "samesite=lax" in pending and "path=/signin" in pending
        provider.next_token()
        back = urlsplit(httpx.get(r.headers["location"], follow_redirects=False).headers["location"])
        assert back.netloc == "plan.council.example"
        done = client.get(f"{back.path}?{back.query}", follow_redirects=False)
        session = next(c for c in done.headers.get_list("set-cookie") if c.startswith(COOKIE)).lower()
        assert "httponly" in session and "secure" in session and "samesite=lax" in session


def test_an_areas_audit_entry_names_the_signed_in_user_and_lands_in_that_area(server: tuple[Path, Any],
                                                                               provider: Provider) -> None:
    """Catches the server's OS account written as `who` instead of the person, and an entry kept in another area's
    trail (or the server's) instead of the area worked in."""
    config, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    assert client.get("/data/inputs/areas.csv").status_code == 200
    north = Workspace.open(config.parent / "data" / "areas" / "north")
    with north.engine.connect() as conn:
        downloads = audit.read(conn, "download")
    north.close()
    assert [(e["who"], e["what"]) for e in downloads] == [("ann.analyst@council.gov.uk",
                                                         '{"file":"areas.csv","inputs":["areas"]}')]
    south = Workspace.open(config.parent / "data" / "areas" / "south")
    with south.engine.connect() as conn:
        assert audit.read(conn, "download") == []
    south.close()
    assert not [e for e in trail(config) if e["action"] == "download"]


@pytest.mark.parametrize("tenant", ["north", "south"])
def test_the_pages_work_in_either_area_and_a_missing_page_is_a_plain_404(server: tuple[Path, Any],
                                                                        provider: Provider, tenant: str) -> None:
    """Catches pages still reading the one-person app's workspace (there is none on the server), an empty area
    failing, and an error page that needs an area's data to show."""
    _, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    client.post("/area", data={"tenant": tenant, "csrf_token": csrf(client)})
    for path in ("/", "/data", "/workforce", "/services", "/returns"):
        assert client.get(path).status_code == 200, path
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "There is no page at this address" in r.text and "Ann Analyst" in r.text


def test_htmx_requests_after_the_session_ends_go_to_sign_in_whole(server: tuple[Path, Any]) -> None:
    """Catches the provider's sign-in page swapped into a fragment of the page by htmx."""
    _, client = server
    r = client.get("/workforce", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/signin?next=%2Fworkforce"


def test_timed_out_sessions_are_forgotten_at_the_next_sign_in(tmp_path: Path, provider: Provider, data: Path,
                                                               clock: Clock) -> None:
    """Catches the sessions table growing for ever with sessions no one can use (3 rows at the end), or a session
    still in its time forgotten with them (1 row)."""
    config, client = make(tmp_path, provider, data, idle_timeout="20m")
    with client:
        provider.next_token()
        for wait in (0, 19 * MINUTE, 2 * MINUTE):  # the third sign-in 21 minutes after the first, 2 after the second
            clock.advance(wait)
            to_provider_and_back(client, provider)
            client.cookies.clear()  # the browser forgets it: the session is never used again
    ws = Workspace.open(config.parent / "data" / "server")
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 2  # the second and third
    ws.close()


def test_an_upload_through_the_web_is_kept_in_the_history_and_the_trail_as_the_signed_in_user(
        server: tuple[Path, Any], provider: Provider) -> None:
    """Catches the input's history (`by`) or the import's audit entry naming the server's OS account instead of the
    person who uploaded the file."""
    config, client = server
    provider.next_token()
    to_provider_and_back(client, provider)
    areas = b"code,name,kind,parent,source\nE10999999,Renamedshire,council,,renamed on the web\n"
    r = client.post("/data/upload", data={"kind": "areas", "mode": "replace", "csrf_token": csrf(client)},
                    files={"file": ("areas.csv", areas)})
    assert r.status_code == 200 and "Renamedshire" in client.get("/api/inputs/areas").text
    north = Workspace.open(config.parent / "data" / "areas" / "north")
    try:
        assert north.versions("areas")["by"].to_list()[-1] == "ann.analyst@council.gov.uk"
        with north.engine.connect() as conn:
            assert [e["who"] for e in audit.read(conn, "import")][-1] == "ann.analyst@council.gov.uk"
    finally:
        north.close()
