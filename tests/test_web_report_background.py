"""The board paper's PDF and Word document made in the background in the web app (issue 17 part 2,
docs/decisions/0016-paper-speed.md): the request answers at once with a page that polls the paper's status, the
status says how far it has got and then sends the browser to the file; the file is the paper of the data as they
stand, kept for that version (the next request gets it at once, a new import makes a new one); a paper another
worker is making is not made twice; a viewer gets it; a failure is said, with a way to try again."""

from __future__ import annotations

import datetime as dt
import functools
import io
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cyplan import reference, results
from cyplan.reports import kept
from cyplan.reports.paper import build_paper
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from cyplan.web.routes import report as web_report
from test_roles import VIEWER, as_role, client_for

AREA = "E10999999"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each paper the app builds, by area; few draws, to be quick (the draws are not what is tested here)."""
    made: list[str] = []
    quick = functools.partial(build_paper, draws=0)

    def counted(ws: Workspace, code: str) -> Any:
        made.append(code)
        return quick(ws, code)

    monkeypatch.setattr(web_report, "build_paper", counted)
    return made


@pytest.fixture
def client(demo_workspace: Path, built: list[str]) -> Iterator[TestClient]:
    yield from client_for(demo_workspace)


def made_file(client: TestClient, fmt: str, headers: dict[str, str] | None = None) -> Response:
    """Request → the making page → its status polled until it sends the browser to the file → the file's
    response."""
    first = client.get("/report", params={"area": AREA, "format": fmt}, headers=headers)
    assert first.status_code == 202, first.text
    assert f'hx-get="/report/status?area={AREA}&amp;format={fmt}"' in first.text
    assert 'hx-trigger="every 1s"' in first.text
    for _ in range(600):  # a bound on the wait, not a timing: the thread makes it as fast as the machine allows
        status = client.get("/report/status", params={"area": AREA, "format": fmt}, headers=headers)
        assert status.status_code == 200
        if "HX-Redirect" in status.headers:
            break
        assert "Making the board paper" in status.text and 'hx-trigger="every 1s"' in status.text
        time.sleep(0.1)
    assert status.headers["HX-Redirect"] == f"/report?area={AREA}&format={fmt}"
    assert "is ready" in status.text and "hx-trigger" not in status.text  # the polling stops
    download = client.get(status.headers["HX-Redirect"], headers=headers)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="board-paper-{AREA}.{fmt}"'
    assert download.headers["content-type"] == (WORD if fmt == "docx" else "application/pdf")
    return download


def title(content: bytes) -> str:
    return next(p.text for p in docx.Document(io.BytesIO(content)).paragraphs if p.style.name == "Title")


def test_request_progress_download_then_at_once_and_a_new_import_makes_a_new_one(
        client: TestClient, built: list[str], demo_workspace: Path) -> None:
    """Catches the paper made in the request (a worker held for seconds), the polling never ending, a second request
    for the same data making it again, or a paper of the data before an import handed out after it."""
    first = made_file(client, "docx").content
    assert title(first).startswith("Children and young people's services in Exampleshire") and built == [AREA]
    again = client.get("/report", params={"area": AREA, "format": "docx"})
    assert again.status_code == 200 and again.headers["content-type"] == WORD
    assert again.content == first and built == [AREA]  # kept: not made again

    details = (reference.DEMO / "paper_details.csv").read_text(encoding="utf-8") + "title,1,The second version\n"
    (demo_workspace.parent / "paper_details.csv").write_text(details, encoding="utf-8")
    with closing(Workspace.open(demo_workspace)) as ws:
        import_inputs(ws, [Source("paper_details", demo_workspace.parent / "paper_details.csv")])
    second = made_file(client, "docx").content
    assert title(second) == "The second version" and built == [AREA, AREA]


def test_a_viewer_gets_the_pdf_and_it_is_the_one_kept_for_the_data(client: TestClient, demo_workspace: Path) -> None:
    """Catches a viewer refused the paper (it is published figures: as before), the PDF not a PDF, or the file
    handed out not the one kept under the key of the data as they stand."""
    content = made_file(client, "pdf", VIEWER).content
    assert content.startswith(b"%PDF-")
    with closing(Workspace.open(demo_workspace)) as ws:
        key = kept.key(ws, ws.read_all(), AREA, "pdf", results.DRAWS, results.SEED, dt.date.today())
        assert kept.path(ws, key, "pdf").read_bytes() == content
    for path in ("/report", "/report/status"):
        refused = client.get(path, params={"area": AREA, "format": "pdf"}, headers=as_role())
        assert refused.status_code == 403


def test_a_paper_another_worker_is_making_is_not_made_twice(client: TestClient, built: list[str],
                                                            demo_workspace: Path) -> None:
    """Catches two workers making the same paper: while the lock is held (as by another worker), requests and polls
    report its stage and make nothing; once it is let go unmade (that worker died), the next poll makes it."""
    with closing(Workspace.open(demo_workspace)) as ws:
        key = kept.key(ws, ws.read_all(), AREA, "pdf", results.DRAWS, results.SEED, dt.date.today())
        with kept.making(ws, key, "pdf") as progress:
            assert progress is not None
            progress("Writing the PDF")
            with kept.making(ws, key, "pdf") as second:
                assert second is None  # the lock is exclusive
            assert client.get("/report", params={"area": AREA, "format": "pdf"}).status_code == 202
            status = client.get("/report/status", params={"area": AREA, "format": "pdf"})
            assert "writing the pdf…" in status.text and "HX-Redirect" not in status.headers
            time.sleep(0.2)
            assert built == []
    content = None
    for _ in range(600):
        status = client.get("/report/status", params={"area": AREA, "format": "pdf"})
        if "HX-Redirect" in status.headers:
            content = client.get(status.headers["HX-Redirect"]).content
            break
        time.sleep(0.1)
    assert content is not None and content.startswith(b"%PDF-") and built == [AREA]


def test_a_paper_that_cannot_be_made_says_so_and_can_be_tried_again(client: TestClient, built: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a failure in the background lost (the page polling for ever) or a traceback shown."""
    def broken(paper: Any, fmt: str, progress: Any, printer: Any = None) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(web_report, "made", broken)
    assert client.get("/report", params={"area": AREA, "format": "pdf"}).status_code == 202
    for _ in range(600):
        status = client.get("/report/status", params={"area": AREA, "format": "pdf"})
        if "could not be made" in status.text:
            break
        time.sleep(0.1)
    assert "the paper could not be made (RuntimeError)" in status.text and "secret detail" not in status.text
    assert "hx-trigger" not in status.text and "again=true" in status.text
    monkeypatch.undo()
    monkeypatch.setattr(web_report, "build_paper", functools.partial(build_paper, draws=0))
    retry = client.get("/report", params={"area": AREA, "format": "pdf", "again": "true"})
    assert retry.status_code == 202 and "could not be made" not in retry.text
    for _ in range(600):  # made this time (and the thread done before the next test)
        if "HX-Redirect" in client.get("/report/status", params={"area": AREA, "format": "pdf"}).headers:
            break
        time.sleep(0.1)
    assert client.get("/report", params={"area": AREA, "format": "pdf"}).content.startswith(b"%PDF-")


def test_a_paper_finished_while_its_status_is_read_is_sent_with_the_redirect(
        client: TestClient, demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the status answering from two looks at the paper (CI, 7 December 2026): the thread finished between
    them, so the fragment said "ready" (and stopped polling) but no HX-Redirect came, and the browser waited for
    nothing. Here the paper lands just as the status asks whether it is being made."""
    made_file(client, "docx")
    with closing(Workspace.open(demo_workspace)) as ws:
        key = kept.key(ws, ws.read_all(), AREA, "docx", results.DRAWS, results.SEED, dt.date.today())
        file = kept.path(ws, key, "docx")
    aside = file.with_name("aside")
    file.rename(aside)
    real_stage = kept.stage

    def finishing(ws: Workspace, key_: str, fmt: str) -> str | None:
        if aside.exists():
            aside.rename(file)  # the making thread keeps the paper now
        return real_stage(ws, key_, fmt)

    monkeypatch.setattr(kept, "stage", finishing)
    monkeypatch.setattr(web_report, "_start", lambda *args: None)
    status = client.get("/report/status", params={"area": AREA, "format": "docx"})
    assert "is ready" in status.text and "hx-trigger" not in status.text
    assert status.headers.get("HX-Redirect") == f"/report?area={AREA}&format=docx"
