"""The web app's kept results and the data's version read once a request (web/state.py, issue 14 part 8).

A page asks for several kept results; each used to read the data's version again (on PostgreSQL three round trips
to the database), which was most of a page's time under load. Now it is read once a request. These tests catch the
wrong answers that saving could give: a page showing the data from before its own request's import, a change
made elsewhere not seen by the next request, and results thrown away by a download's audit entry.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cyplan import reference
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from cyplan.web.app import create_app
from cyplan.web.state import WorkspaceState, one_version_per_request


def _renamed(folder: Path, name: str) -> Path:
    """The demo's areas file with its one area renamed (a change of data any reader can see)."""
    path = folder / f"areas-{name}.csv"
    path.write_text((reference.DEMO / "areas.csv").read_text(encoding="utf-8").replace("Exampleshire", name),
                    encoding="utf-8")
    return path


def _import_areas(workspace: Path, csv: Path) -> None:
    ws = Workspace.open(workspace)
    try:
        import_inputs(ws, [Source("areas", csv)], "replace")
    finally:
        ws.close()


def _names(st: WorkspaceState) -> list[str]:
    return st.frames()["areas"]["name"].to_list()


@pytest.fixture
def counted(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[WorkspaceState, list[int]]:
    """The demo's state, with each real read of its version counted."""
    st = WorkspaceState(demo_workspace)
    reads: list[int] = []
    real = WorkspaceState._read_version

    def read(self: WorkspaceState) -> tuple[object, ...]:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(WorkspaceState, "_read_version", read)
    return st, reads


def test_within_a_request_the_version_is_read_once_however_many_results_are_asked_for(
        counted: tuple[WorkspaceState, list[int]]) -> None:
    """Catches the version read again for every kept result a page asks for (the cost this change removed), and a
    memo that leaks from one request into the next (then a new request would read nothing)."""
    st, reads = counted
    with one_version_per_request():
        st.frames()
        st.area_codes()
        st.area(None)
    assert len(reads) == 1
    with one_version_per_request():
        st.frames()
    assert len(reads) == 2
    st.frames()  # outside a request (the CLI, the tests): read every time, as before
    st.frames()
    assert len(reads) == 4


def test_a_change_made_elsewhere_is_seen_by_the_next_request(counted: tuple[WorkspaceState, list[int]],
                                                              tmp_path: Path) -> None:
    """Catches the version kept beyond its request: another process's import (a worker, the CLI) unseen."""
    st, _ = counted
    with one_version_per_request():
        before = _names(st)
    _import_areas(st.path, _renamed(tmp_path, "Elsewhereshire"))
    with one_version_per_request():
        assert before == ["Exampleshire"] and _names(st) == ["Elsewhereshire"]


def test_a_request_that_imports_then_shows_the_page_shows_the_new_data(counted: tuple[WorkspaceState, list[int]],
                                                                        tmp_path: Path) -> None:
    """Catches the request's own write (an upload, a restore, a sign-off: each calls forget()) answered from what was
    kept before it, so the page right after the import would show the old figures; and the results worked out after
    the write keyed on the version read before it, so the next request would throw them away and work them out
    again (a second simulation after every upload)."""
    st, _ = counted
    with one_version_per_request():
        assert _names(st) == ["Exampleshire"]
        import_inputs(st.ws, [Source("areas", _renamed(tmp_path, "Uploadshire"))], "replace")
        st.forget()
        assert _names(st) == ["Uploadshire"]
        after = st.frames()
    with one_version_per_request():
        assert st.frames() is after


def test_a_download_in_a_request_keeps_the_results_for_the_next_request(
        counted: tuple[WorkspaceState, list[int]]) -> None:
    """Catches the audit entry of a download (which on SQLite changes the database file's time) read as new data
    by the next request because the version after the entry came from the memo: every download would then throw
    away the kept simulation."""
    st, _ = counted
    with one_version_per_request():
        kept = st.frames()
        st.audit("download", {"inputs": ["areas"]})
    with one_version_per_request():
        assert st.frames() is kept


def test_an_upload_through_the_web_shows_the_new_data_on_its_own_page_and_the_next(demo_workspace: Path,
                                                                                    tmp_path: Path) -> None:
    """End to end through the app's middleware: the upload's answer and the next request show the new name."""
    client = TestClient(create_app(demo_workspace), base_url="http://127.0.0.1")
    page = client.get("/data")
    assert "Exampleshire" in client.get("/").text
    form = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = client.post("/data/upload", data={"kind": "areas", "mode": "replace", "csrf_token": form},
                       files={"file": ("areas.csv", _renamed(tmp_path, "Uploadshire").read_bytes())})
    assert done.status_code == 200 and "Uploadshire" in done.text
    assert [a["name"] for a in client.get("/api/inputs/areas").json()] == ["Uploadshire"]
