"""The board paper from the overview's buttons: the same paper as `cyplan report`, as HTML, PDF or Word."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.reports.paper import build_paper, render_docx, render_html, render_pdf
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area, page

router = APIRouter()

DOWNLOADS = {"pdf": (render_pdf, "application/pdf"),
             "docx": (render_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}


@router.get("/report", dependencies=[needs(Permission.VIEW_PUBLISHED)], include_in_schema=False)
def report(request: Request, st: State, area: str | None = None,
           format: Literal["pdf", "html", "docx"] = "pdf") -> Response:
    code = chosen_area(st, area)
    if code is None:
        raise HTTPException(409, "The workspace has no areas yet: upload them on the Data page.")
    try:
        paper = st.cached(("paper", code), lambda: build_paper(st.ws, code))
    except results.NotReady as e:
        return page(request, "error.html", {"title": "The board paper is not ready", "message": str(e)}, 409)
    if format == "html":
        page_ = HTMLResponse(st.cached(("paper-html", code), lambda: render_html(paper)))
        st.audit("report", {"format": "html"}, code)
        return page_
    render, media_type = DOWNLOADS[format]
    content = st.cached((f"paper-{format}", code), lambda: render(paper))
    st.audit("report", {"format": format}, code)
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="board-paper-{code}.{format}"'})
