"""The shared server's dashboard pages answered from the kept page without the route (web/app.py KeptPages, issue 14
part 8): the answer must be the route's own, headers and all, and nothing the gate reads may be stale — a role
changed or data imported is seen by the very next request.

One server in this process (SQLite), real sign-in through the tests' provider; Ann an approver and Bob a viewer of
one area. Each test names the wrong answer it catches.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import LATER
from cyplan import reference
from cyplan.auth.config import ServerConfig, load
from cyplan.auth.roles import Role, revoke
from cyplan.cli import app as cli
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_server_app
from cyplan.web.state import WorkspaceState
from oidc_support import PUBLIC, Provider, data_template, give, start_provider, to_provider_and_back, write_config

ANN = {"email": "ann.approver@council.gov.uk", "name": "Ann Approver"}
BOB = {"email": "bob.viewer@council.gov.uk", "name": "Bob Viewer"}
TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRF-Token": ")([^"]+)"')
SIGN_OFF_FORM = 'action="/report/sign-off?area='
PATHS = ["/", "/workforce"]


def settled(browser: TestClient, path: str) -> str:
    """The page after a browser has loaded what it loads after it (on the first request after a change, the charts
    and the scenarios: issue 17 part 4): only then is the page kept whole."""
    first = browser.get(path)
    for later in LATER.findall(first.text):
        assert browser.get(later.replace("&amp;", "&"), headers={"HX-Request": "true"}).status_code == 200
    return first.text


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def server(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory,
           provider: Provider) -> Iterator[tuple[ServerConfig, dict[str, TestClient]]]:
    folder = tmp_path_factory.mktemp("kept-fast")
    shutil.copytree(data_template(tmp_path_factory.mktemp("kept-fast-data"), _demo_template), folder / "data")
    config = write_config(folder, provider)
    give(config, ANN["email"], "north", Role.APPROVER)
    give(config, BOB["email"], "north", Role.VIEWER)
    app = create_server_app(load(config))
    browsers = {"ann": TestClient(app, base_url=PUBLIC), "bob": TestClient(app, base_url=PUBLIC)}
    for who, claims in (("ann", ANN), ("bob", BOB)):
        browsers[who].__enter__()
        provider.next_token(claims)
        assert to_provider_and_back(browsers[who], provider, "/").status_code == 303
    yield load(config), browsers
    for browser in browsers.values():
        browser.__exit__(None, None, None)


@pytest.fixture
def hits(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The kept pages KeptPages found (a page it answered itself), request by request."""
    found: list[Any] = []
    original = WorkspaceState.kept

    def counted(self: WorkspaceState, key: tuple[Any, ...]) -> Any | None:
        got = original(self, key)
        if got is not None:
            found.append(key)
        return got

    monkeypatch.setattr(WorkspaceState, "kept", counted)
    return found


def _route_answer(browser: TestClient, path: str) -> Any:
    """The same request answered by the route itself (KeptPages off)."""
    app = browser.app
    app.state.kept_pages = False  # type: ignore[attr-defined]
    try:
        return browser.get(path)
    finally:
        app.state.kept_pages = True  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", PATHS)
def test_the_kept_answer_is_the_routes_own_status_headers_and_body(server: tuple[ServerConfig, dict[str, TestClient]],
                                                                   path: str, hits: list[Any]) -> None:
    """Catches the fast answer differing from the route's in any header (the workforce page's Vary: HX-Request, the
    content type, the length, the security headers) or any byte but the form token (which holds the time it was
    signed), for each person in turn; and KeptPages never answering at all (the route's key not the one it looks
    up), which would leave the load's figure where it was."""
    _, browsers = server
    for who in ["ann", "bob", "ann"]:
        settled(browsers[who], path)  # the browser holds its CSRF cookie (a first page sets it, in either answer)
        routed = _route_answer(browsers[who], path)
        before = len(hits)
        fast = browsers[who].get(path)
        assert len(hits) == before + 1, "KeptPages did not answer the page the route had just kept"
        assert fast.status_code == routed.status_code == 200
        assert [(k, v) for k, v in fast.headers.multi_items()] == [(k, v) for k, v in routed.headers.multi_items()]
        assert TOKEN.sub(r"\1TOKEN", fast.text) == TOKEN.sub(r"\1TOKEN", routed.text)
        assert (SIGN_OFF_FORM in fast.text) == (path == "/" and who == "ann")
    assert fast.headers["vary" if path == "/workforce" else "content-type"]  # the route's Vary is in both


def test_htmx_a_query_and_head_go_to_the_route(server: tuple[ServerConfig, dict[str, TestClient]],
                                               hits: list[Any]) -> None:
    """Catches the whole kept page answered to htmx's request for the workforce results alone, or to an address
    with a choice in it (another year shown as the default one)."""
    _, browsers = server
    bob = browsers["bob"]
    bob.get("/workforce")
    before = len(hits)
    part = bob.get("/workforce", headers={"HX-Request": "true"})
    assert part.status_code == 200 and "<html" not in part.text and part.headers["vary"] == "HX-Request"
    assert bob.get("/workforce?year=2027").status_code == 200
    assert len(hits) == before


def test_a_role_changed_is_seen_by_the_next_request(server: tuple[ServerConfig, dict[str, TestClient]],
                                                    hits: list[Any]) -> None:
    """Catches a kept page served for the roles a person held when it was first asked for: Ann, no longer an
    approver, must lose the sign-off form on her very next request; with no role left, the page saying so."""
    config, browsers = server
    ann = browsers["ann"]
    assert SIGN_OFF_FORM in ann.get("/").text and SIGN_OFF_FORM in ann.get("/").text
    ws = Workspace.open(config.server_dir)
    try:
        with ws.engine.begin() as conn:
            revoke(conn, ANN["email"], "north", Role.APPROVER)
        give(config.path, ANN["email"], "north", Role.VIEWER)
        assert SIGN_OFF_FORM not in ann.get("/").text
        with ws.engine.begin() as conn:
            revoke(conn, ANN["email"], "north", Role.VIEWER)
        gone = ann.get("/", follow_redirects=False)
        assert "Exampleshire" not in gone.text and SIGN_OFF_FORM not in gone.text
    finally:
        give(config.path, ANN["email"], "north", Role.APPROVER)
        ws.close()
    assert SIGN_OFF_FORM in ann.get("/").text


def test_an_import_is_seen_by_the_next_request(server: tuple[ServerConfig, dict[str, TestClient]],
                                               tmp_path: Path, hits: list[Any]) -> None:
    """Catches a kept page served after the area's data changed (by another process: the CLI): the next request
    shows the area's new name, and the page is then kept again for the new data."""
    config, browsers = server
    bob = browsers["bob"]
    assert "Exampleshire" in settled(bob, "/workforce") and "Exampleshire" in bob.get("/workforce").text
    renamed = tmp_path / "areas.csv"
    renamed.write_text((reference.DEMO / "areas.csv").read_text().replace("Exampleshire", "Renamedshire"))
    try:
        done = CliRunner().invoke(cli, ["import", "areas", str(renamed), "-w", str(config.area_dir("north"))])
        assert done.exit_code == 0, done.stdout
        before = len(hits)
        page = settled(bob, "/workforce")
        assert "Renamedshire" in page and "Exampleshire" not in page
        assert len(hits) == before  # rendered afresh, not the old kept page
        assert "Renamedshire" in bob.get("/workforce").text and len(hits) == before  # whole now, and kept
        assert "Renamedshire" in bob.get("/workforce").text and len(hits) == before + 1
    finally:
        done = CliRunner().invoke(cli, ["import", "areas", str(reference.DEMO / "areas.csv"), "-w",
                                        str(config.area_dir("north"))])
        assert done.exit_code == 0, done.stdout


def test_a_workers_start_up_objects_are_out_of_the_collectors_reach(
        server: tuple[ServerConfig, dict[str, TestClient]]) -> None:
    """Catches a shared-server worker (the app factory uvicorn's workers call) left with Python's collector as it is:
    every object of the imported code walked at each full collection, and a young collection every 700 new objects,
    which under load promoted every request in flight and brought the full ones every few seconds (issue 14 part 8).
    Run in a process of its own: freezing this one's objects would change the other tests' collector."""
    import subprocess
    import sys

    from cyplan.auth.config import CONFIG_ENV
    from cyplan.web.app import GC_YOUNG

    config, _ = server
    done = subprocess.run([sys.executable, "-c", "import gc\nfrom cyplan.web.app import server_app\nserver_app()\n"
                           "print(gc.get_freeze_count(), gc.get_count()[2], gc.get_threshold()[0])"],
                          env={**os.environ, CONFIG_ENV: str(config.path)}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    frozen, in_reach, young = map(int, done.stdout.split())
    assert frozen > 50_000 and in_reach < 1_000 and young == GC_YOUNG == 10_000
