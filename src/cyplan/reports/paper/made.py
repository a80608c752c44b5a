"""A paper rendered in one format and kept (reports/kept.py): one path for `cyplan report` and the web app, with
its stages reported as it goes (the web app's progress)."""

from __future__ import annotations

from collections.abc import Callable

from cyplan.reports.kept import Made
from cyplan.reports.paper.document import Paper
from cyplan.reports.paper.render import render_html, render_pdf
from cyplan.reports.paper.render_docx import render_docx

RENDER: dict[str, Callable[[Paper], bytes]] = {"html": lambda p: render_html(p).encode("utf-8"), "pdf": render_pdf,
                                               "docx": render_docx}
WRITING = {"html": "Writing the page", "pdf": "Writing the PDF", "docx": "Writing the Word document"}
DRAWING = "Drawing the charts"


def made(paper: Paper, fmt: str, progress: Callable[[str], None] = lambda stage: None) -> Made:
    """The paper in `fmt` (html, pdf or docx), its charts drawn first (kept, reports/charts.py)."""
    progress(DRAWING)
    for figure in paper.figures:
        figure.svg  # noqa: B018 - drawn (or read from the charts kept) once, before the format's own work
    progress(WRITING[fmt])
    missing = tuple((s.title, s.missing) for s in paper.sections if s.missing and s.key != "contact")
    return Made(RENDER[fmt](paper), paper.area, paper.area_name, len(paper.figures), len(paper.footnotes), missing)
