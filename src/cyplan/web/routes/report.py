"""The board paper from the overview's buttons: the same paper as `cyplan report`, as HTML, PDF or Word.

The PDF and the Word document are made in the background (docs/decisions/0016-paper-speed.md): the first request
starts a thread and answers at once with a page that asks for the paper's status every second (htmx), saying how
far it has got; when it is made the page fetches it. Each is kept per version of the data in the area's cache
folder (reports/kept.py), so the next request for the same data is answered with the file at once, and a new import
makes a new one. The lock file there lets one worker of several make it while the others report its progress."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.reports import kept
from cyplan.reports.paper import build_paper
from cyplan.reports.paper.made import made, printing
from cyplan.store.workspace import Workspace
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area, page, templates

router = APIRouter()

MEDIA = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
NAMES = {"pdf": "PDF", "docx": "Word document", "html": "web page"}


@router.get("/report", dependencies=[needs(Permission.VIEW_PUBLISHED)], include_in_schema=False)
def report(request: Request, st: State, area: str | None = None,
           format: Literal["pdf", "html", "docx"] = "pdf", again: bool = False) -> Response:
    code = _area(st, area)
    key = _key(st, code, format)
    if format == "html":  # the page itself: made in the request, and kept as the others are
        done = kept.kept(st.ws, key, format)
        if done is None:
            try:
                done = made(build_paper(st.ws, code), format)
            except results.NotReady as e:
                return page(request, "error.html", {"title": "The board paper is not ready", "message": str(e)},
                            409)
            kept.keep(st.ws, key, format, done)
        st.audit("report", {"format": "html"}, code)
        return HTMLResponse(done.content)
    done = kept.kept(st.ws, key, format)
    if done is not None:  # made for this version of the data: at once
        st.audit("report", {"format": format}, code)
        return Response(done.content, media_type=MEDIA[format],
                        headers={"Content-Disposition": f'attachment; filename="board-paper-{code}.{format}"'})
    if again:  # the user asks for another try after a failure
        kept.failed(st.ws, key, format).unlink(missing_ok=True)
    if not kept.failed(st.ws, key, format).exists():
        _start(st.ws, code, format, key)
    return page(request, "report_making.html", {"title": f"Making the board paper ({NAMES[format]})",
                                                **_status(st, code, format, key)}, 202)


@router.get("/report/status", dependencies=[needs(Permission.VIEW_PUBLISHED)], include_in_schema=False)
def status(st: State, area: str | None = None, format: Literal["pdf", "html", "docx"] = "pdf") -> Response:
    """The paper's progress, for the making page's htmx poll: the stage reached, or when it is made an HX-Redirect
    to the file (which the browser downloads, the page staying where it is)."""
    code = _area(st, area)
    key = _key(st, code, format)
    if not kept.path(st.ws, key, format).exists() and kept.stage(st.ws, key, format) is None \
            and not kept.failed(st.ws, key, format).exists():
        _start(st.ws, code, format, key)  # its worker died, or the data changed under it: made again
    # One look at the paper's state for both the fragment and the header: the thread may finish between two looks,
    # and a fragment saying "ready" without the redirect would leave the browser waiting for nothing.
    context = _status(st, code, format, key)
    headers = {"HX-Redirect": _url(code, format)} if context["made"] else None
    return HTMLResponse(_fragment(context), headers=headers)


def _area(st: State, area: str | None) -> str:
    code = chosen_area(st, area)
    if code is None:
        raise HTTPException(409, "The workspace has no areas yet: upload them on the Data page.")
    return code


def _key(st: State, code: str, fmt: str) -> str:
    return kept.key(st.ws, st.frames(), code, fmt, results.DRAWS, results.SEED, dt.date.today())


def _url(code: str, fmt: str) -> str:
    return "/report?" + urlencode({"area": code, "format": fmt})


def _status(st: State, code: str, fmt: str, key: str) -> dict[str, object]:
    failed = kept.failed(st.ws, key, fmt)
    return {"area": code, "format": fmt, "name": NAMES[fmt], "url": _url(code, fmt),
            "status_url": "/report/status?" + urlencode({"area": code, "format": fmt}),
            "made": kept.path(st.ws, key, fmt).exists(), "stage": kept.stage(st.ws, key, fmt),
            "failed": failed.read_text(encoding="utf-8") if failed.exists() else None}


def _fragment(context: dict[str, object]) -> str:
    return templates.get_template("report_progress.html").module.progress(context)  # type: ignore[attr-defined]


def _start(ws: Workspace, code: str, fmt: str, key: str) -> None:
    """Make the paper in a thread of this worker, unless one (of any worker) is making it: the request answers
    at once."""
    if kept.stage(ws, key, fmt) is None:
        threading.Thread(target=_make, args=(ws, code, fmt), name=f"paper-{code}-{fmt}", daemon=True).start()


def _make(ws: Workspace, code: str, fmt: str) -> None:
    """Make and keep the paper, under the key of the data it was made from: read before and after, and kept only
    if they are the same (an import while it was being made would otherwise file a paper under the wrong data;
    the next poll then starts it again for the new data)."""
    key = _key_of(ws, code, fmt)
    with kept.making(ws, key, fmt) as progress:
        if progress is None or kept.path(ws, key, fmt).exists():  # another worker has it, or has made it
            return
        try:
            with printing(fmt) as printer:  # a PDF's browser starts now, while the figures are worked out
                progress("Working out the figures")
                paper = made(build_paper(ws, code), fmt, progress, printer)
            if _key_of(ws, code, fmt) == key:
                kept.keep(ws, key, fmt, paper)
        except Exception as e:  # said on the status page, for the user to try again, rather than lost in a thread
            why = str(e) if isinstance(e, results.NotReady) else f"the paper could not be made ({type(e).__name__})"
            with contextlib.suppress(OSError):
                kept.failed(ws, key, fmt).write_text(why, encoding="utf-8")


def _key_of(ws: Workspace, code: str, fmt: str) -> str:
    return kept.key(ws, ws.read_all(), code, fmt, results.DRAWS, results.SEED, dt.date.today())
