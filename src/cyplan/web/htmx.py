"""htmx partial updates: a chooser's form asks for the same URL with `HX-Request`, and gets back just the
part of the page it replaces. A history restore (back button with htmx's cache empty) wants the whole page.

The part is rendered once per choice and version of the data (it holds nothing of the request), so a busy
page only fills in the layout around it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from cyplan.web.app import page, templates
from cyplan.web.state import WorkspaceState


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def fragment(st: WorkspaceState, key: tuple[Hashable, ...], template: str, context: dict[str, Any]) -> Markup:
    """The template rendered with the context, kept under `key` until the data change."""
    return st.cached(("html", template, *key), lambda: Markup(templates.get_template(template).render(context)))


def missing(message: str) -> Markup:
    """The `missing` macro's text, as the part of a page whose inputs are not there."""
    return Markup(templates.get_template("macros.html").module.missing(message))  # type: ignore[attr-defined]


def page_or_fragment(request: Request, template: str, part: Markup, context: dict[str, Any],
                     keep: bool = False) -> HTMLResponse:
    """The whole page (`template`, which shows `part` as `results_html`; `keep` as app.page's), or for htmx only
    the part."""
    if wants_fragment(request):
        response = HTMLResponse(part)
    else:
        response = page(request, template, {**context, "results_html": part}, keep=keep)
    response.headers["Vary"] = "HX-Request"  # the same URL answers two ways: caches must keep them apart
    return response


@dataclass(frozen=True)
class Chart:
    """A chart of a page: its spec when kept, else the address its figure loads from after the page (htmx). A chart
    is drawn by JavaScript, so a page without it loses nothing by the chart coming after."""

    id: str
    spec: dict[str, Any] | None
    later: str


def chart_now_or_later(st: WorkspaceState, key: tuple[Hashable, ...], compute: Callable[[], dict[str, Any]],
                       chart_id: str, params: dict[str, Any]) -> Chart:
    """The chart in the page if its spec is kept (`key`), else its address under /charts to load it from: the first
    page after a change shows its figures first (issue 17 part 4)."""
    later = f"/charts/{chart_id}?" + urlencode({k: v for k, v in params.items() if v is not None})
    return Chart(chart_id, st.cached(key, compute) if st.holds(key) else None, later)
