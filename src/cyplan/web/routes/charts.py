"""The dashboard pages' charts one at a time, as the figure a page shows: what the overview and the workforce page
load after their tables when a chart is not kept yet — the first page after a change shows its figures first and
its charts after (issue 17 part 4). A chart is drawn by JavaScript, so without it a page loses nothing."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.model.scenarios import ScenarioError
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area, templates
from cyplan.web.htmx import missing
from cyplan.web.routes import overview, workforce

router = APIRouter()


@router.get("/charts/{name}", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def chart_figure(request: Request, st: State, name: str, area: str | None = None, year: int | None = None,
                 scenario: str | None = None) -> HTMLResponse:
    """One chart of the overview (by area) or of the workforce page (by area, year and scenario, the page's
    defaults when not given) as its figure. 404 for a chart, area, year or scenario the workspace has not."""
    if name not in overview.CHARTS and name not in workforce.CHARTS:
        raise HTTPException(404, f"There is no chart ‘{name}’. The charts are: "
                                 f"{', '.join([*overview.CHARTS, *workforce.CHARTS])}.")
    code = chosen_area(st, area)
    if code is None:
        return HTMLResponse(missing("The workspace has no areas yet: upload them on the Data page."))
    try:
        if name in overview.CHARTS:
            spec = overview.CHARTS[name](st, code)
        else:
            _, year, scenario = workforce.choose(st, year, scenario)  # 404 for a year or scenario not there
            spec = workforce.chart(st, name, code, year, scenario)
    except results.NotReady as e:
        return HTMLResponse(missing(f"No chart can be drawn: {e}."))
    except ScenarioError as e:
        return HTMLResponse(missing(f"The scenario cannot be run: {e}. Correct the scenarios input on the Data page."))
    figure = templates.get_template("macros.html").module.chart(name, spec, spec["description"])  # type: ignore[attr-defined]
    return HTMLResponse(Markup(figure))
