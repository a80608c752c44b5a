"""A paper rendered in one format and kept (reports/kept.py): one path for `cyplan report` and the web app, with
its stages reported as it goes (the web app's progress)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from cyplan.reports.kept import Made
from cyplan.reports.paper.chromium import Chromium
from cyplan.reports.paper.document import Paper
from cyplan.reports.paper.render import render_html, render_pdf
from cyplan.reports.paper.render_docx import render_docx

RENDER: dict[str, Callable[[Paper], bytes]] = {"html": lambda p: render_html(p).encode("utf-8"), "pdf": render_pdf,
                                               "docx": render_docx}
WRITING = {"html": "Writing the page", "pdf": "Writing the PDF", "docx": "Writing the Word document"}
DRAWING = "Drawing the charts"


def made(paper: Paper, fmt: str, progress: Callable[[str], None] = lambda stage: None,
         printer: Chromium | None = None) -> Made:
    """The paper in `fmt` (html, pdf or docx), its charts drawn first (kept, reports/charts.py); a PDF printed by
    `printer` if the caller started one (printing(), below) before working out the paper."""
    progress(DRAWING)
    for figure in paper.figures:
        figure.svg  # noqa: B018 - drawn (or read from the charts kept) once, before the format's own work
    progress(WRITING[fmt])
    missing = tuple((s.title, s.missing) for s in paper.sections if s.missing and s.key != "contact")
    content = render_pdf(paper, printer) if fmt == "pdf" else RENDER[fmt](paper)
    return Made(content, paper.area, paper.area_name, len(paper.figures), len(paper.footnotes), missing)


@contextlib.contextmanager
def printing(fmt: str) -> Iterator[Chromium | None]:
    """For a PDF, a Chromium starting now, so that it is up by the time the paper's figures are worked out (its
    start-up on the other core instead of after them: docs/decisions/0020-pdf-renderer.md); ended with the block.
    None for other formats, or where there is no Chromium."""
    browser = Chromium.start() if fmt == "pdf" else None
    try:
        yield browser
    finally:
        if browser is not None:
            browser.close()
