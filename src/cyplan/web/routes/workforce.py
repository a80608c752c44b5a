"""The workforce page: the gap by role in a chosen year under a chosen scenario, the supply by role, demand and
supply by year, and every scenario side by side — medians with their 90% intervals, each with its source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from cyplan import results, sweep
from cyplan.auth.roles import Permission
from cyplan.display import (
    BACKTEST_FORMATS,
    BACKTEST_HEADINGS,
    ERROR_SUFFIX,
    SENSITIVITY_HEADINGS,
    SKILLS_FORMATS,
    SKILLS_HEADINGS,
    backtest_headline,
    figure,
    sensitivity_formats,
    workforce_headline,
)
from cyplan.model.flows import establishment_table, flows_table, pipeline_table
from cyplan.model.gap import gap_table
from cyplan.model.scenarios import ScenarioError
from cyplan.model.skills import training_summary
from cyplan.reports import charts
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area
from cyplan.web.htmx import Chart, chart_now_or_later, fragment, missing, page_or_fragment
from cyplan.web.routes.overview import gap_by_year, simulation
from cyplan.web.state import WorkspaceState
from cyplan.web.tables import table

router = APIRouter()
SUPPLY_HEADINGS = {"now": "In post, {first}", "supply_fte": "Projected, {year}", "change": "Change"}
SUPPLY_FORMATS = {"now": "{:,.1f}", "change": "{:+,.1f}"}


def _gap_by_role(st: WorkspaceState, area: str, scenario: str) -> pl.DataFrame:
    """The gap by role for every year of one area, under a scenario."""
    return st.cached(("gap-role", area, scenario),
                     lambda: gap_table(simulation(st, scenario), ["role"], [area], errors=True).drop("area"))


def _compare(st: WorkspaceState, area: str, year: int) -> tuple[pl.DataFrame, list[str]]:
    """The baseline and every scenario that can run in one year, from the same cached simulations the page
    shows, and the scenarios left out with why."""
    def compute() -> tuple[pl.DataFrame, list[str]]:
        skipped: list[str] = []
        frame = results.compare_scenarios(st.frames(), None, year, [area], run=lambda name: simulation(st, name),
                                          errors=True, skipped=skipped)[0].drop("area")
        return frame, skipped
    return st.cached(("compare", area, year), compute)


def _descriptions(frames: results.Frames) -> dict[str, str]:
    scenarios = frames["scenarios"]
    if scenarios.is_empty():
        return {}
    first = scenarios.group_by("scenario", maintain_order=True).agg(pl.col("description").first())
    return {r["scenario"]: r["description"] or "" for r in first.iter_rows(named=True)}


def _supply(by_role: pl.DataFrame, first: int, year: int) -> pl.DataFrame:
    """Supply by role: in post in the first year against projected in the chosen year (medians, 90% intervals)."""
    cols = ["role", "supply_fte", "supply_fte_p5", "supply_fte_p95"]
    errors = [c for c in by_role.columns if c.startswith("supply_fte") and c.endswith(ERROR_SUFFIX)]
    now = by_role.filter(pl.col("year") == first).select(cols).rename(
        {"supply_fte": "now", "supply_fte_p5": "now_p5", "supply_fte_p95": "now_p95"})
    if (now["now_p5"] == now["now_p95"]).all():  # the census as given: no interval to show
        now = now.drop("now_p5", "now_p95")
    cols += errors
    then = by_role.filter(pl.col("year") == year).select(cols)
    return now.join(then, on="role", maintain_order="left").with_columns(
        (pl.col("supply_fte") - pl.col("now")).alias("change"))


def _shown_change(supply: pl.DataFrame) -> pl.DataFrame:
    """The change from the census to the projection as text, rounded as the projection is (to its Monte Carlo
    error): a change shown to 0.1 FTE beside a projection shown to 5 would claim digits the draws lack."""
    error = "supply_fte" + ERROR_SUFFIX
    if error not in supply.columns:
        return supply
    return supply.with_columns(pl.struct("change", error).map_elements(
        lambda r: ("+" if r["change"] > 0 else "") + figure("supply_fte", r["change"], r[error]),
        return_dtype=pl.String).alias("change"))


def _stock_and_flow(st: WorkspaceState, area: str, scenario: str) -> dict[str, pl.DataFrame]:
    """The census's flows, establishment and training pipeline for one area under a scenario (every year)."""
    def compute() -> dict[str, pl.DataFrame]:
        sim = simulation(st, scenario)
        return {"flows": flows_table(sim, [area], together=True).drop("area", "role"),
                "flows_by_role": flows_table(sim, [area]).drop("area"),
                "establishment": establishment_table(sim, [area], together=True).drop("area", "role"),
                "establishment_by_role": establishment_table(sim, [area]).drop("area"),
                "pipeline": pipeline_table(sim, [area]).drop("area")}
    return st.cached(("stock-and-flow", area, scenario), compute)


def choose(st: WorkspaceState, year: int | None, scenario: str | None) -> tuple[list[int], int, str]:
    """(the years, the year shown, the scenario shown); HTTP 404 for a year or scenario the workspace has not."""
    names = results.scenario_names(st.frames())
    chosen = scenario or results.BASELINE
    if chosen not in names:
        raise HTTPException(404, f"There is no scenario ‘{chosen}’. The scenarios are: {', '.join(names)}.")
    years = simulation(st, chosen).dims.years
    if year is not None and year not in years:
        raise HTTPException(404, f"There is no year {year}: the years are {years[0]} to {years[-1]}.")
    return list(years), year if year is not None else years[-1], chosen


def _shown(st: WorkspaceState, area: str | None, year: int | None, scenario: str | None) -> dict[str, Any]:
    """The frames for the chosen scenario and year: all the page shows but the scenarios side by side, which take
    a simulation of every scenario (_compared); `not_ready` when an input is missing."""
    if area is None:
        return {"area": None, "not_ready": "The workspace has no areas yet: upload them on the Data page."}
    try:
        years, year, scenario = choose(st, year, scenario)
        by_role = _gap_by_role(st, area, scenario)
        out: dict[str, Any] = {
            "area": area, "year": year, "scenario": scenario, "years": years,
            "scenarios": results.scenario_names(st.frames()), "warnings": list(simulation(st, scenario).warnings),
            "by_year": gap_by_year(st, area, scenario),
            "by_role": by_role.filter(pl.col("year") == year).drop("year").sort("gap_fte", descending=True),
            "supply": _supply(by_role, years[0], year)}
        parts = _stock_and_flow(st, area, scenario)
        out |= {"flows": parts["flows"], "pipeline": parts["pipeline"], "establishment": parts["establishment"],
                "flows_by_role": parts["flows_by_role"].filter(pl.col("year") == year).drop("year"),
                "establishment_by_role": parts["establishment_by_role"].filter(pl.col("year") == year).drop("year"),
                "pipeline_by_role": parts["pipeline"].filter(pl.col("year") == year).drop("year")}
    except results.NotReady as e:
        return {"area": area, "not_ready": str(e)}
    except ScenarioError as e:
        return {"area": area, "not_ready": f"The scenario cannot be run: {e}. Correct the scenarios input on the "
                                           "Data page."}
    return out


def _compared(st: WorkspaceState, area: str, year: int) -> dict[str, Any]:
    """The baseline and every scenario that runs side by side in one year (`compare`) with a warning for each left
    out (`compare_warnings`), or why there is no comparison (`compare_missing`)."""
    try:
        frame, skipped = _compare(st, area, year)
    except results.NotReady as e:
        return {"compare_missing": str(e)}
    except ScenarioError as e:
        return {"compare_missing": f"A scenario cannot be run: {e}. Correct the scenarios input on the Data page."}
    return {"compare": frame, "compare_warnings": [f"Left out of the comparison, as it cannot be run: the scenario "
                                                   f"{why}. Correct the scenarios input on the Data page."
                                                   for why in skipped]}


def workforce_data(st: WorkspaceState, area: str | None, year: int | None, scenario: str | None) -> dict[str, Any]:
    """The frames /api/workforce shows: the chosen scenario's and every scenario side by side; `not_ready` when an
    input is missing."""
    out = _shown(st, area, year, scenario)
    if out.get("not_ready"):
        return out
    compared = _compared(st, out["area"], out["year"])
    return {**out, "warnings": out["warnings"] + compared.pop("compare_warnings", []), **compared}


def _view(st: WorkspaceState, area: str | None, year: int | None, scenario: str | None) -> dict[str, Any]:
    """The page's tables and charts but the scenarios side by side (_compare_view), made once per choice and version
    of the data: templates only format."""
    def compute() -> dict[str, Any]:
        d = _shown(st, area, year, scenario)
        if d.get("not_ready"):
            return d
        frames = st.frames()
        labels = results.labels(frames)
        names = labels["area"]
        where = names.get(d["area"], d["area"])
        under = "" if d["scenario"] == results.BASELINE else f" under the scenario '{d['scenario']}'"
        first = d["years"][0]
        total = d["by_year"].filter(pl.col("year") == d["year"]).row(0, named=True)
        view = {**d, "total": total, "headline": workforce_headline(total, d["year"], results.DRAWS),
                "gap_table": table(d["by_role"], f"Workforce gap by role in {d['year']}{under} — median ± "
                                                 "Monte Carlo error (90% interval)", labels),
                "supply_table": table(_shown_change(d["supply"]), f"Workforce supply by role{under}: in post in "
                                      f"{first} and projected for {d['year']}, FTE — median ± Monte Carlo error "
                                      "(90% interval)", labels, {k: v.format(first=first, year=d["year"])
                                                                 for k, v in SUPPLY_HEADINGS.items()},
                                      SUPPLY_FORMATS, numeric=("change",)),
                "year_table": table(d["by_year"], f"Workforce demand, supply and gap by year, every role together"
                                                  f"{under} — median ± Monte Carlo error (90% interval)",
                                      labels),
                "flows_table": table(d["flows_by_role"], f"Who joins and who leaves in {d['year']}{under}, FTE for "
                                     "this population — means over the draws; the end with its 90% interval",
                                     labels),
                "establishment_table": table(d["establishment_by_role"], f"Funded establishment, staff in post "
                                             f"and need in {d['year']}{under} — median (90% interval)", labels)}
        if d["pipeline"].height:
            view["pipeline_table"] = table(d["pipeline_by_role"], f"Training places starting and staff qualifying "
                                           f"in {d['year']}{under} — joining here as median (90% interval)", labels)
        view.update(_skills(frames, d["area"], where, labels))
        view.update(_backtest(frames, d["area"], where, labels))
        return view
    return st.cached(("workforce-view", area, year, scenario), compute)


def _drivers(frames: results.Frames, area: str, year: int, where: str,
             labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Which inputs drive the baseline's gap in the year: the tornado chart, the sentence and the widest swings
    (one input at a time: a few hundred model runs, once per version of the data, as the page is cached)."""
    try:
        swings, _ = results.drivers(frames, [area], year)
    except results.NotReady as e:
        return {"drivers_missing": str(e)}
    if swings.is_empty():
        return {"drivers_missing": "No input has a range (a low below its high), so no input moves the gap."}
    shown = swings.head(charts.TORNADO_INPUTS).drop("rank", "at_central")
    return {"drivers_sentence": sweep.depends_most(swings, year, "gap"),
            "drivers_chart": ("chart-drivers", charts.to_spec(charts.tornado(swings, year, "gap", where))),
            "drivers_table": table(shown, f"What drives the {year} gap, {where}, every role together: the gap (FTE) "
                                   "with each input at its low and at its high, the rest central", labels,
                                   SENSITIVITY_HEADINGS, sensitivity_formats("gap"))}


# The page's charts but the scenarios' (made apart from the page's tables and loaded after them on the first page
# after a change, issue 17 part 4): each from the shown scenario's frames (_shown), the place's name and the labels.
CHARTS: dict[str, Callable[[dict[str, Any], str, dict[str, dict[str, str]]], Any]] = {
    "chart-gap-role": lambda d, where, labels: charts.gap_by_role(d["by_role"], labels["role"], d["year"]),
    "chart-flows": lambda d, where, labels: charts.flows_waterfall(d["flows"], d["year"], where),
    "chart-establishment": lambda d, where, labels: charts.establishment_by_year(d["establishment"], where),
    "chart-pipeline": lambda d, where, labels: charts.pipeline_by_year(d["pipeline"], where),
    "chart-by-year": lambda d, where, labels: charts.workforce_by_year(d["by_year"], where)}


def chart(st: WorkspaceState, name: str, area: str, year: int, scenario: str) -> dict[str, Any]:
    """One of the page's charts (CHARTS) for the area, year and scenario shown, as a Vega-Lite spec."""
    def compute() -> dict[str, Any]:
        d = _shown(st, area, year, scenario)
        if d.get("not_ready"):
            raise results.NotReady(d["not_ready"])
        labels = results.labels(st.frames())
        return charts.to_spec(CHARTS[name](d, labels["area"].get(area, area), labels))
    return st.cached(("chart", name, area, year, scenario), compute)


def _charts(st: WorkspaceState, view: dict[str, Any]) -> dict[str, Chart]:
    """The charts the page shows, by name: in it when kept, else loaded after it."""
    area, year, scenario = view["area"], view["year"], view["scenario"]
    shown = [n for n in CHARTS if n != "chart-pipeline" or view.get("pipeline_table")]
    return {n: chart_now_or_later(st, ("chart", n, area, year, scenario),
                                  lambda n=n: chart(st, n, area, year, scenario), n,
                                  {"area": area, "year": year, "scenario": scenario}) for n in shown}


def _compare_view(st: WorkspaceState, area: str, year: int) -> dict[str, Any]:
    """The scenarios side by side in one year as the page shows them: the table, the chart, each scenario's
    description and the warnings for any left out; and which inputs drive the baseline's gap (_drivers). Every
    scenario's simulation is run for it, so the page shows it at once only when it is kept, and otherwise loads it
    after (workforce_scenarios)."""
    def compute() -> dict[str, Any]:
        d = _compared(st, area, year)
        frames = st.frames()
        labels = results.labels(frames)
        where = labels["area"].get(area, area)
        d = {**d, **_drivers(frames, area, year, where, labels)}  # the baseline's, one input at a time: seconds
        if d.get("compare") is None:
            return d
        descriptions = _descriptions(frames)
        return {**d, "compare_table": table(d["compare"].drop("year"), f"The baseline and each scenario in {year}, "
                                            f"{where}, every role together — median ± Monte Carlo error (90% "
                                            "interval)", labels),
                "scenario_list": [(n, descriptions.get(n, "")) for n in results.scenario_names(frames)
                                  if n != results.BASELINE],
                "compare_chart": ("chart-scenarios", charts.to_spec(charts.scenarios(d["compare"], "cost_to_close",
                                                                                     year)))}
    return st.cached(("compare-view", area, year), compute)


def _skills(frames: results.Frames, area: str, where: str, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The training needs for the Common Core's six areas (model/skills.py), or why there are none."""
    try:
        summary = training_summary(results.skills(frames, [area]))
    except results.NotReady as e:
        return {"skills_missing": f"No training needs can be shown: {e}."}
    if summary.is_empty():
        return {"skills_missing": f"The skills census has no rows for {where}: import it with 'cyplan import skills "
                                  "FILE' or on the Data page."}
    return {"skills_table": table(summary.drop("area"), f"Training needs in the Common Core's six areas, {where}: "
                                  "staff (headcount) to train a year to reach each target, and the cost",
                                  labels, SKILLS_HEADINGS, SKILLS_FORMATS)}


def _backtest(frames: results.Frames, area: str, where: str, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The back-test (model/backtest.py): projected against counted FTE in post by role and year, each role's
    mean absolute percentage error, and a sentence; or why there is none."""
    try:
        bt = results.backtest(frames, [area])
    except results.NotReady as e:
        return {"backtest_missing": f"No back-test can be shown: {e}."}
    if bt.by_year.is_empty():
        return {"backtest_missing": f"The past census snapshots have no rows for {where}: import them with 'cyplan "
                                    "import workforce_history FILE' or on the Data page."}
    return {"backtest_headline": backtest_headline(bt.by_year, bt.from_year, labels["role"]),
            "backtest_table": table(bt.by_year.drop("area"), f"Back-test, {where}: FTE in post projected from the "
                                    f"{bt.from_year} census against the later censuses (error = projected − actual)",
                                    labels, BACKTEST_HEADINGS, BACKTEST_FORMATS),
            "backtest_summary": table(bt.summary.drop("area"), f"Back-test, {where}: each role's mean absolute "
                                      "percentage error over the years compared", labels, BACKTEST_HEADINGS,
                                      BACKTEST_FORMATS)}


def _json(frame: pl.DataFrame | None) -> list[dict[str, Any]] | None:
    return None if frame is None else frame.to_dicts()


@router.get("/api/workforce", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["workforce"])
def workforce_json(st: State, area: str | None = None, year: int | None = None,
                   scenario: str | None = None) -> dict[str, Any]:
    """For one area (default: the first), year (default: the last) and scenario (default: the baseline): the gap
    by role, supply by role (in post in the first year, projected in the year), demand and supply by year, and
    every scenario side by side in the year; the workforce's flows (start + joiners from training + other joiners
    + recruited − leavers − retirements = end, means over the draws), funded establishment against staff in
    post against need, and the training pipeline, by year and by role in the year. Each measure is a median
    with `_p5` and `_p95` (the 90% interval) from 1,000 Monte Carlo draws, seed 1. 404 for an area, year or
    scenario the workspace has not. And the training needs in the Common Core's six areas (`skills`: staff to
    train a year to each target, the total and cost to it, then a year to hold it; central values), and the
    back-test (`backtest`: projected against counted FTE in post by role and year, as 'cyplan supply backtest
    --format json'; `backtest_summary`: each role's mean absolute percentage error)."""
    d = workforce_data(st, chosen_area(st, area), year, scenario)
    if d.get("not_ready"):
        return {"area": d["area"], "not_ready": d["not_ready"]}
    out = {k: d[k] for k in ("area", "year", "scenario", "years", "scenarios", "warnings")}
    out.update(draws=results.DRAWS, seed=results.SEED, gap_by_role=_json(d["by_role"]),
               supply_by_role=_json(d["supply"]), by_year=_json(d["by_year"]), scenarios_compared=_json(
                   d.get("compare")), flows_by_year=_json(d["flows"]), flows_by_role=_json(d["flows_by_role"]),
               establishment_by_year=_json(d["establishment"]),
               establishment_by_role=_json(d["establishment_by_role"]), pipeline=_json(d["pipeline"]))
    if d.get("compare_missing"):
        out["scenarios_compared_missing"] = d["compare_missing"]
    try:
        out["skills"] = _json(training_summary(results.skills(st.frames(), [d["area"]])))
    except results.NotReady as e:
        out["skills_missing"] = str(e)
    try:
        bt = results.backtest(st.frames(), [d["area"]])
        out["backtest"], out["backtest_summary"] = _json(bt.by_year), _json(bt.summary)
    except results.NotReady as e:
        out["backtest_missing"] = str(e)
    return out


@router.get("/workforce", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def workforce(request: Request, st: State, area: str | None = None, year: int | None = None,
              scenario: str | None = None) -> HTMLResponse:
    area = chosen_area(st, area)
    view = _view(st, area, year, scenario)
    context = {"title": "Workforce", "current": "workforce", "draws": results.DRAWS, "seed": results.SEED,
               "baseline": results.BASELINE, **view}
    if view.get("not_ready"):
        return page_or_fragment(request, "workforce.html", missing(view["not_ready"]), context, keep=True)
    # The first page after a change shows the chosen scenario at once and the scenarios side by side after: they
    # take every scenario's simulation (issue 17 part 4). Once kept they are shown in the page, as before.
    later = not st.holds(("compare-view", view["area"], view["year"]))
    if later:
        context["compare_later"] = "/workforce/scenarios?" + urlencode({"area": view["area"], "year": view["year"]})
    else:
        context.update(_compare_view(st, view["area"], view["year"]))
    context["charts"] = _charts(st, view)
    whole = not later and all(c.spec is not None for c in context["charts"].values())
    part = fragment(st, (area, year, scenario, later, *(c.spec is None for c in context["charts"].values())),
                    "workforce_results.html", context)
    # the dashboard: kept (app.page), but only whole: a page waiting for its comparison or a chart is not kept
    return page_or_fragment(request, "workforce.html", part, context, keep=whole)


@router.get("/workforce/scenarios", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def workforce_scenarios(request: Request, st: State, area: str | None = None,
                        year: int | None = None) -> HTMLResponse:
    """The baseline and every scenario side by side in a year: what the workforce page loads after its first
    showing (htmx), and, as a page of its own, where its link goes without JavaScript. 404 for an area or year the
    workforce has not."""
    area = chosen_area(st, area)
    context: dict[str, Any] = {"title": "Scenarios side by side", "current": "workforce"}
    if area is None:
        return page_or_fragment(request, "workforce_scenarios.html", missing("The workspace has no areas yet: "
                                                                              "upload them on the Data page."), context)
    try:
        year = choose(st, year, None)[1]
    except results.NotReady as e:
        return page_or_fragment(request, "workforce_scenarios.html", missing(str(e)), context)
    context.update(area=area, year=year, **_compare_view(st, area, year))
    part = fragment(st, (area, year), "workforce_compare.html", context)
    return page_or_fragment(request, "workforce_scenarios.html", part, context)
