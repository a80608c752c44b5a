"""The area at a glance: need, workforce demand, supply, gap and cost, the services' rating and the
referrals, each with its source."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.display import CENTRAL_PLAN, workforce_headline
from cyplan.model.gap import gap_table
from cyplan.model.plan import Plan, cost_table, demand_table, has_cost_lines, need_table
from cyplan.reference import starter
from cyplan.reports import charts
from cyplan.schema import KINDS
from cyplan.store import signoffs
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area, page
from cyplan.web.htmx import Chart, chart_now_or_later
from cyplan.web.state import WorkspaceState, signed_off
from cyplan.web.tables import table

router = APIRouter()


def plan(st: WorkspaceState, estimate: str = "central") -> Plan:
    """The need and demand model on the central (or low or high) inputs, kept until the data change: the need, the
    costs and the need chart all read it."""
    return st.cached(("plan", estimate), lambda: results.plan(st.frames(), estimate))


def _need(st: WorkspaceState, area: str) -> pl.DataFrame:
    def compute() -> pl.DataFrame:
        plan_ = plan(st)
        need = need_table(plan_, [], [area]).select("year", "population", "cases", "per_1000")
        demand = demand_table(plan_, [], [area]).select("year", "fte", "cost")
        return need.join(demand, on="year", maintain_order="left")
    return st.cached(("need", area), compute)


def _costs(st: WorkspaceState, area: str) -> pl.DataFrame | None:
    """The budget lines by year (pay, non-pay, overheads, per-case, total), or None when cost is pay alone."""
    def compute() -> pl.DataFrame | None:
        plan_ = plan(st)
        return cost_table(plan_, [area]).drop("area") if has_cost_lines(plan_) else None
    return st.cached(("costs", area), compute)


def simulation(st: WorkspaceState, scenario: str = results.BASELINE) -> Any:
    """The simulation under a scenario, with the default draws and seed, kept until the data changes."""
    return st.cached(("simulation", scenario), lambda: results.simulation(st.frames(), scenario))


def gap_by_year(st: WorkspaceState, area: str, scenario: str = results.BASELINE) -> pl.DataFrame:
    """Demand, supply, gap and cost by year for one area (every role together), medians and 90% intervals."""
    return st.cached(("gap-total", area, scenario),
                     lambda: gap_table(simulation(st, scenario), [], [area], errors=True).drop("area"))


def _try(compute: Any) -> tuple[Any, str | None]:
    try:
        return compute(), None
    except results.NotReady as e:
        return None, str(e)


def need_chart(st: WorkspaceState, area: str) -> dict[str, Any]:
    """Need by year (central, with the low–high band), as a Vega-Lite spec."""
    def compute() -> dict[str, Any]:
        name = results.labels(st.frames())["area"].get(area, area)
        low, high = (need_table(plan(st, e), [], [area]) for e in ("low", "high"))
        return charts.to_spec(charts.need_by_year(_need(st, area), low, high, name))
    return st.cached(("chart", "chart-need", area), compute)


def workforce_chart(st: WorkspaceState, area: str) -> dict[str, Any]:
    """Workforce demand and supply by year (medians, 90% intervals), as a Vega-Lite spec."""
    def compute() -> dict[str, Any]:
        name = results.labels(st.frames())["area"].get(area, area)
        return charts.to_spec(charts.workforce_by_year(gap_by_year(st, area), name))
    return st.cached(("chart", "chart-workforce", area), compute)


CHARTS = {"chart-need": need_chart, "chart-workforce": workforce_chart}  # the overview's, in the page's order


def overview_data(st: WorkspaceState, area: str | None) -> dict[str, Any]:
    if area is None:
        return {"area": None, "not_ready": "The workspace has no areas yet: upload them on the Data page."}
    need, need_missing = _try(lambda: _need(st, area))
    gap, gap_missing = _try(lambda: gap_by_year(st, area))
    rating, rating_missing = _try(lambda: st.cached(("rating",), lambda: results.rating(st.frames())))
    return {"area": area, "need": need, "need_missing": need_missing, "gap": gap, "gap_missing": gap_missing,
            "rating": rating, "rating_missing": rating_missing}


@router.get("/api/overview", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["overview"])
def overview_json(st: State, area: str | None = None) -> dict[str, Any]:
    """Need, demand, supply, gap and cost by year for one area (default: the first), and the services' rating.
    404 for an area the workspace has not."""
    d = overview_data(st, chosen_area(st, area))
    out: dict[str, Any] = {"area": d["area"]}
    for key in ("need", "gap"):
        out[key] = d[key].to_dicts() if d.get(key) is not None else None
        if d.get(f"{key}_missing"):
            out[f"{key}_missing"] = d[f"{key}_missing"]
    if d.get("rating") is not None:
        out["rating"] = {"rating": d["rating"].rating, "title": d["rating"].title}
    return out


def _view(st: WorkspaceState, area: str | None) -> dict[str, Any]:
    """The page's figures, tables and charts, formatted once per version of the data: requests only render."""
    def compute() -> dict[str, Any]:
        d = overview_data(st, area)
        labels = results.labels(st.frames())
        context: dict[str, Any] = {"title": "Overview", "current": "overview", **d,
                                   "checks": results.sanity_warnings(st.frames()),
                                   "national": [KINDS[k].title for k in results.national_inputs(st.frames())],
                                   "national_note": starter.NOTE}
        if d.get("need") is not None:
            first, last = d["need"].row(0, named=True), d["need"].row(-1, named=True)
            # with the draws run, the workforce is stated once, as medians (the gap table); the central plan's
            # FTE and cost beside them would read as a second answer (docs/decisions/0009-one-headline.md)
            need = d["need"].drop("fte", "cost") if d.get("gap") is not None else d["need"]
            what = "Need by year" if d.get("gap") is not None else "Need and the workforce it takes, by year"
            context.update(first=first, last=last, central_plan=CENTRAL_PLAN,
                           need_table=table(need, f"{what} — {CENTRAL_PLAN}", labels))
            costs = _costs(st, d["area"])
            if costs is not None:
                context["cost_table"] = table(costs, f"Cost of meeting need, by budget line and year — {CENTRAL_PLAN}",
                                              labels)
        if d.get("gap") is not None:
            gap_last = d["gap"].row(-1, named=True)
            context.update(gap_last=gap_last, headline=workforce_headline(gap_last, gap_last["year"], results.DRAWS),
                           gap_table=table(d["gap"], "Workforce demand, supply and gap, by year — median ± Monte "
                                                     "Carlo error (90% interval)", labels))
        # the charts the page has (their specs are made apart: _charts)
        context["chart_ids"] = [i for i, shown in (("chart-need", d.get("need")), ("chart-workforce", d.get("gap")))
                                if shown is not None and d.get("area") is not None]
        return context
    return st.cached(("overview-view", area), compute)


@router.get("/", dependencies=[needs(Permission.VIEW_PUBLISHED)], response_class=HTMLResponse, include_in_schema=False)
def overview(request: Request, st: State, area: str | None = None) -> HTMLResponse:
    code = chosen_area(st, area)
    view = _view(st, code)
    shown = _charts(st, code, view.get("chart_ids", []))
    # the dashboard, asked for most: kept (app.page), but only whole, its charts in it
    return page(request, "overview.html", {**view, "charts": shown, "sign_off": signed_off(st, signoffs.PAPER, code)},
                keep=all(c.spec is not None for c in shown))


def _charts(st: WorkspaceState, area: str | None, ids: list[str]) -> list[Chart]:
    """The page's charts: in it when kept, else loaded after it (the first page after a change shows its figures
    first, issue 17 part 4)."""
    assert area is not None or not ids
    return [chart_now_or_later(st, ("chart", i, area), lambda i=i: CHARTS[i](st, area), i, {"area": area})
            for i in ids]
