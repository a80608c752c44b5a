"""htmx partial updates: a chooser's form asks for the same URL with `HX-Request`, and gets back just the
part of the page it replaces. A history restore (back button with htmx's cache empty) wants the whole page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from cyplan.web.app import page, templates


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def page_or_fragment(request: Request, template: str, fragment: str, context: dict[str, Any]) -> HTMLResponse:
    """The whole page, or for htmx only `fragment` (a template the page includes) with the same context."""
    if wants_fragment(request):
        response = templates.TemplateResponse(request, fragment, context)
    else:
        response = page(request, template, context)
    response.headers["Vary"] = "HX-Request"  # the same URL answers two ways: caches must keep them apart
    return response
