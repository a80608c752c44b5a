"""The web app against an attacker (issue 11 part 1, docs/security.md): a foreign Host (DNS rebinding) is refused
before anything is read, an unsafe request from another site is refused, the CSRF token is signed by the
workspace (forged, other-workspace, other-browser and unsigned double-submit tokens all fail), and every response
carries the security headers, with no inline script on any page."""

from __future__ import annotations

import base64
import hashlib
import http.client
import re
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from browser_support import Server
from conftest import folder_bytes
from cyplan.web import security
from cyplan.web.app import create_app

LOCAL = "http://localhost"
AREAS = b"code,name,kind,parent,source\nE10999999,Exampleshire Borough,council,,renamed\n"
PAGES = ["/", "/workforce", "/services", "/returns", "/data", "/data/history/areas", "/nowhere"]


@pytest.fixture
def app(demo_workspace: Path) -> Iterator[object]:
    app = create_app(demo_workspace)
    yield app
    app.state.workspace.close()


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL) as c:  # type: ignore[arg-type]
        yield c


def token_of(client: TestClient) -> str:
    """The token in the Data page's form (and the session cookie set with it), as a browser gets them."""
    html = client.get("/data").text
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def upload(client: TestClient, token: str | None, headers: dict[str, str] | None = None) -> int:
    r = client.post("/data/upload", data={"kind": "areas", "mode": "replace", security.CSRF_FIELD: token or ""},
                    files={"file": ("areas.csv", AREAS)}, headers=headers or {})
    return r.status_code


# -- host names (DNS rebinding) ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "127.0.0.1.nip.io",
                                  "", "[::2]:8000", "10.0.0.5"])
def test_a_foreign_host_is_refused_even_the_unpublished_counts(client: TestClient, host: str) -> None:
    """A page on another site whose name is rebound to 127.0.0.1 sends its own name as Host: it gets nothing."""
    for path in ("/", "/api/returns?counts=unpublished", "/data/inputs/areas.csv"):
        r = client.get(path, headers={"Host": host})
        assert r.status_code == 400, (host, path)
        assert r.headers["content-type"].startswith("text/plain") and "does not answer to the address" in r.text
        assert "--allowed-host" in r.text and "Exampleshire" not in r.text and security.CSRF_COOKIE not in str(
            r.headers)


def test_a_foreign_host_cannot_upload(client: TestClient, demo_workspace: Path) -> None:
    token = token_of(client)
    before = folder_bytes(demo_workspace)
    assert upload(client, token, {"Host": "evil.example"}) == 400
    assert folder_bytes(demo_workspace) == before


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "LOCALHOST:1", "localhost.", "127.0.0.1",
                                  "127.0.0.1:8000", "[::1]", "[::1]:8000"])
def test_this_computers_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/inputs", headers={"Host": host}).status_code == 200


def test_the_listening_address_and_allowed_hosts_are_answered_and_only_they(demo_workspace: Path) -> None:
    app = create_app(demo_workspace, host="192.168.1.20", allowed_hosts=["planning-pc.council.local", "::5"])
    with TestClient(app, base_url=LOCAL) as c:
        for host in ("192.168.1.20:8000", "planning-pc.council.local", "PLANNING-PC.council.local:80", "[::5]:80",
                     "localhost"):
            assert c.get("/api/inputs", headers={"Host": host}).status_code == 200, host
        for host in ("192.168.1.21", "pc.council.local", "council.local", "planning-pc.council.local.evil.example"):
            assert c.get("/api/inputs", headers={"Host": host}).status_code == 400, host
    app.state.workspace.close()


@dataclass
class _AllowedServer(Server):
    allowed: str = ""

    def command(self) -> list[str]:
        return [*super().command(), "--allowed-host", self.allowed]


def _get(port: int, host: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", "/api/inputs", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def test_cyplan_serve_refuses_a_foreign_host_end_to_end(demo_workspace: Path, tmp_path: Path) -> None:
    """The real command, as a user starts it: its own address and --allowed-host answered, another name not."""
    server = _AllowedServer(demo_workspace, tmp_path / "server.log", allowed="planning-pc.example").start()
    try:
        assert _get(server.port, f"127.0.0.1:{server.port}")[0] == 200
        assert _get(server.port, f"planning-pc.example:{server.port}")[0] == 200
        status, text = _get(server.port, f"attacker.example:{server.port}")
        assert status == 400 and "does not answer to the address 'attacker.example'" in text
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["http://planning-pc", "planning-pc:8000", "planning pc", "a/b"])
def test_an_allowed_host_that_is_not_a_name_is_refused_at_start(run_cli: object, demo_workspace: Path,
                                                                 name: str) -> None:
    code, _, err = run_cli(["serve", "-w", str(demo_workspace), "--allowed-host", name])  # type: ignore[operator]
    assert code == 2 and "without http:// or a port" in err


# -- where an unsafe request comes from -----------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Origin": "http://localhost:9999"}, {"Origin": "https://localhost.evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}])
def test_a_post_from_another_site_is_refused_even_with_a_good_token(client: TestClient, demo_workspace: Path,
                                                                    headers: dict[str, str]) -> None:
    token = token_of(client)
    before = folder_bytes(demo_workspace)
    assert upload(client, token, headers) == 403
    assert folder_bytes(demo_workspace) == before


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"},
                                     {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}])
def test_a_post_from_the_apps_own_page_passes(client: TestClient, headers: dict[str, str]) -> None:
    """The refusals above are not refusing everything: the same upload from cyplan's own page is saved."""
    assert upload(client, token_of(client), headers) == 200
    assert client.get("/api/inputs/areas").json()[0]["name"] == "Exampleshire Borough"


# -- the CSRF token -------------------------------------------------------------------------------------


def test_a_forged_token_is_refused(client: TestClient, demo_workspace: Path) -> None:
    token = token_of(client)
    before = folder_bytes(demo_workspace)
    session = client.cookies.get(security.CSRF_COOKIE)
    assert session
    forged = [secrets.token_urlsafe(32), token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
              session, token + "x", ""]
    for bad in forged:
        assert upload(client, bad) == 403, bad
    assert folder_bytes(demo_workspace) == before


def test_an_unsigned_matching_double_submit_pair_is_refused(client: TestClient, demo_workspace: Path) -> None:
    """The old check passed any cookie and field that matched: an attacker able to set a cookie chose both."""
    before = folder_bytes(demo_workspace)
    pair = secrets.token_urlsafe(32)
    client.cookies.set(security.CSRF_COOKIE, pair)
    assert upload(client, pair) == 403
    assert upload(client, None, {security.CSRF_HEADER: pair}) == 403
    assert folder_bytes(demo_workspace) == before


def test_a_token_signed_by_another_workspace_is_refused(client: TestClient, demo_workspace: Path,
                                                        _demo_template: Path, tmp_path: Path) -> None:
    """Each workspace signs with its own secret: a session and token from another one's server do not pass."""
    import shutil

    other = Path(shutil.copytree(_demo_template, tmp_path / "other"))
    other_app = create_app(other)
    with TestClient(other_app, base_url=LOCAL) as theirs:
        their_token = token_of(theirs)
        their_session = theirs.cookies.get(security.CSRF_COOKIE)
        assert upload(theirs, their_token) == 200  # the pair is good where it was made
    other_app.state.workspace.close()
    before = folder_bytes(demo_workspace)
    client.cookies.set(security.CSRF_COOKIE, their_session)  # type: ignore[arg-type]
    assert upload(client, their_token) == 403
    assert folder_bytes(demo_workspace) == before


def test_a_token_for_another_browser_is_refused(app: object, demo_workspace: Path) -> None:
    """Cross-session: a token this workspace signed for one browser's session does not pass with another's."""
    with TestClient(app, base_url=LOCAL) as alice, TestClient(app, base_url=LOCAL) as mallory:  # type: ignore[arg-type]
        alices = token_of(alice)
        token_of(mallory)  # mallory's own session cookie
        before = folder_bytes(demo_workspace)
        assert upload(mallory, alices) == 403
        assert folder_bytes(demo_workspace) == before
        assert upload(alice, alices) == 200


def test_the_secret_is_the_workspaces_own_owner_only_and_outlives_a_restart(demo_workspace: Path) -> None:
    first = create_app(demo_workspace)
    secret = demo_workspace / security.SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_bytes()) >= 32
    with TestClient(first, base_url=LOCAL) as c:
        token, session = token_of(c), c.cookies.get(security.CSRF_COOKIE)
    first.state.workspace.close()
    again = create_app(demo_workspace)  # the server restarted: a page left open still posts
    with TestClient(again, base_url=LOCAL) as c:
        c.cookies.set(security.CSRF_COOKIE, session)  # type: ignore[arg-type]
        assert upload(c, token) == 200
    again.state.workspace.close()


def test_an_expired_token_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    token = token_of(client)
    monkeypatch.setattr(security, "TOKEN_MAX_AGE", -1)  # every token older than its max age
    assert upload(client, token) == 403


# -- headers and inline script --------------------------------------------------------------------------


def _csp(headers: object) -> dict[str, str]:
    policy = headers["content-security-policy"]  # type: ignore[index]
    return {d.split()[0]: d for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.parametrize("path", [*PAGES, "/api/overview", "/static/charts.js", "/report?format=html"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    csp = _csp(r.headers)
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["script-src"] == "script-src 'self'"  # no inline script, no eval
    assert "'unsafe-inline'" not in csp["default-src"] and csp["object-src"] == "object-src 'none'"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


def test_a_refused_host_gets_the_headers_too(client: TestClient) -> None:
    r = client.get("/", headers={"Host": "evil.example"})
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_session_cookie_is_httponly_and_samesite_strict(app: object) -> None:
    with TestClient(app, base_url=LOCAL) as c:  # type: ignore[arg-type]
        cookie = c.get("/data").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.mark.parametrize("path", [*PAGES, "/workforce?year=2030", "/returns?counts=unpublished&by=age"])
def test_no_page_has_an_inline_script_or_event_handler(client: TestClient, path: str) -> None:
    """The CSP refuses inline script: a page that had one would silently stop working in the browser."""
    html = client.get(path).text
    assert "<script" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "an inline event handler"
    assert "javascript:" not in html.lower()


def test_api_docs_use_cyplans_own_swagger_files(client: TestClient) -> None:
    """No CDN: each file the page loads is served here, and the CSP lets run only its one inline script."""
    r = client.get("/api/docs")
    assert r.status_code == 200 and "cdn" not in r.text.lower() and "https://" not in r.text
    files = re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text)
    assert {f.rsplit("/", 1)[1] for f in files} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for f in files:
        assert client.get(f).status_code == 200, f
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    assert len(inline) == 1 and "SwaggerUIBundle" in inline[0]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert _csp(r.headers)["script-src"] == f"script-src 'self' 'sha256-{digest}'"


# -- the Host check as a parser (hypothesis) ------------------------------------------------------------

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
NAMES = ["localhost", "127.0.0.1", "[::1]", "planning-pc.council.local"]
GUARD = security.Guard(None, security.allowed_hosts(None, ["planning-pc.council.local"]))  # type: ignore[arg-type]


def _answered(host: str) -> bool:
    return GUARD.check(Headers({"host": host}), "GET") is None


@given(name=st.sampled_from(NAMES), port=st.integers(1, 65535), upper=st.booleans())
def test_an_allowed_name_is_answered_with_any_port_or_case(name: str, port: int, upper: bool) -> None:
    host = f"{name}:{port}"
    assert _answered(host.upper() if upper else host)


@given(name=st.sampled_from(NAMES), labels=st.lists(LABEL, min_size=1, max_size=3), port=st.integers(1, 65535),
       before=st.booleans())
def test_a_name_built_around_an_allowed_one_is_refused(name: str, labels: list[str], port: int,
                                                       before: bool) -> None:
    """An attacker's domain that contains an allowed name (localhost.evil.example, evil-localhost) is another
    name: refused, with or without a port."""
    other = ".".join(labels)
    for host in ([f"{other}.{name}", f"{other}{name}"] if before else [f"{name}.{other}", f"{name}{other}"]):
        if host.strip("[]").lower() in {n.strip("[]") for n in NAMES}:
            continue
        assert not _answered(host) and not _answered(f"{host}:{port}"), host


@given(text=st.text(st.characters(max_codepoint=255), max_size=40))  # header bytes are latin-1
def test_any_host_header_is_answered_only_when_it_names_an_allowed_host(text: str) -> None:
    """Whatever the header holds, it never raises, and it passes only if it is one of the names, in any case,
    with at most a trailing dot and a port."""
    given = text.strip().lower()
    named = any(re.fullmatch(re.escape(n) + ("" if n.startswith("[") else r"\.?") + "(:[0-9]*)?", given)
                for n in NAMES)
    assert _answered(text) == named


def test_the_terminal_is_never_sent_a_control_character(run_cli, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches an escape sequence in a file name or a stored value reaching the user's terminal raw: ESC ] 0;
    retitles the window, ESC [ 2J clears it. Error messages and results tables show it written out (\\x1b)."""
    from cyplan.terminal import printable

    assert printable("a\x1b[2Jb\x07c\x9bd\te\nf") == "a\\x1b[2Jb\\x07c\\x9bd\te\nf"  # tab and newline stay
    assert printable("file\u202egpj.csv") == "file\\u202egpj.csv"  # a right-to-left override shown, not obeyed
    hostile = tmp_path / "q1\x1b]0;pwned\x07.csv"
    code, out, err = run_cli(["import", "areas", hostile, "-w", demo_workspace])
    assert code != 0 and "\\x1b]0;pwned\\x07" in err
    assert not any((ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F for ch in out + err), repr(err)


def test_history_shows_a_hostile_file_name_written_out(run_cli, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches `cyplan history` printing an imported file's name raw: a name holding ESC ] 0; retitled the
    user's window (imports and the audit list already wrote it out)."""
    hostile = tmp_path / "st\x1b]0;pwned\x07.csv"
    hostile.write_text("agency,label,engaged,representative,source\nschool,,yes,,s1\n", encoding="utf-8")
    assert run_cli(["import", "stakeholders", hostile, "-w", demo_workspace])[0] == 0
    code, out, err = run_cli(["history", "stakeholders", "-w", demo_workspace])
    assert code == 0 and "\\x1b]0;pwned\\x07" in out
    assert not any((ord(ch) < 32 and ch not in "\n\t") or 0x7F <= ord(ch) <= 0x9F for ch in out + err), repr(out)
