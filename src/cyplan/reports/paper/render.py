"""The paper rendered: one HTML file with its CSS and SVG charts inline, and an A4 PDF from the same HTML (printed by
Chromium, else WeasyPrint)."""

from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

import jinja2
import markupsafe

from cyplan.reports.paper.chromium import Chromium, ChromiumError
from cyplan.reports.paper.document import Figure, Heading, Paper, Paragraph, Ref, Table
from cyplan.reports.paper.words import long_date

TEMPLATES = Path(__file__).parent.parent / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.tests["ref"] = lambda x: isinstance(x, Ref)
    env.tests["paragraph"] = lambda x: isinstance(x, Paragraph)
    env.tests["table"] = lambda x: isinstance(x, Table)
    env.tests["figure"] = lambda x: isinstance(x, Figure)
    env.tests["heading"] = lambda x: isinstance(x, Heading)
    return env


def _svg(figure: Figure) -> str:
    """The chart's SVG, told to screen readers as one image named by its description (the marks inside
    carry their own labels for those who explore them)."""
    svg = figure.svg
    label = markupsafe.escape(figure.description)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def render_html(paper: Paper) -> str:
    """The paper as one HTML file: CSS and SVG charts inline, nothing fetched, so it works offline."""
    css = (TEMPLATES / "paper.css").read_text(encoding="utf-8")
    return _environment().get_template("paper.html").render(paper=paper, css=css, svg=_svg, version=_version(),
                                                            made=long_date(paper.made))


def _version() -> str:
    try:
        return metadata.version("cyplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "(source)"


def render_pdf(paper: Paper, printer: Chromium | None = None) -> bytes:
    """The paper as an A4 PDF, from the same HTML: printed by Chromium (docs/decisions/0020-pdf-renderer.md), the
    caller's if it started one while the paper was worked out, else one started here; by WeasyPrint where there is
    no Chromium, or the one there failed (the paper is made all the same, only slower)."""
    html = render_html(paper)
    own = printer is None
    printer = Chromium.start() if own else printer
    if printer is not None:
        try:
            return printer.pdf(html)
        except ChromiumError:
            pass
        finally:
            if own:
                printer.close()
    return weasyprint_pdf(html)


def weasyprint_pdf(html: str) -> bytes:
    """The HTML as a PDF by WeasyPrint: about ten times Chromium's processor time for the demo's paper (0020)."""
    import weasyprint  # slow to import: only when a PDF is asked for and there is no Chromium

    pdf = weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return pdf
