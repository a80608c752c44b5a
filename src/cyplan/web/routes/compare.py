"""The comparison page: the chosen area against its statistical neighbours, its region and every area held of its
kind — a table, dot plots with the area marked, and a funnel plot of the referral rates with their control limits
(model/comparison.py). Referral counts are always as published (disclosure-controlled), so every role that may
see the plan's results may see this page."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.display import COMPARE_FORMATS, COMPARE_HEADINGS, THIS_AREA
from cyplan.model.comparison import FLAG_WORDS, MEASURES, RATE, funnel_curve
from cyplan.reports import charts
from cyplan.returns import service
from cyplan.web.access import needs
from cyplan.web.app import State, chosen_area, page
from cyplan.web.routes.overview import simulation
from cyplan.web.state import WorkspaceState
from cyplan.web.tables import table

router = APIRouter()
SHOWN = ("name", "need_per_1000", "demand_fte_per_1000", "supply_fte_per_1000", "share_met", "cost_per_child",
         "referral_rate_per_1000", "funnel", "rating")
DOTTED = {c: COMPARE_HEADINGS[c] for c in SHOWN[1:] if c not in ("funnel", "rating")}


def _referrals(st: WorkspaceState) -> tuple[pl.DataFrame, str]:
    """Accepted referrals by area as published, and why there are none (service.referrals_by_area)."""
    return st.cached(("compare-referrals",), lambda: service.workspace_referrals(st.ws, st.area_codes()))


def _years(st: WorkspaceState) -> list[int]:
    return st.cached(("compare-years",), lambda: list(results.plan(st.frames()).dims.years))


def compare_data(st: WorkspaceState, area: str | None, year: int | None) -> dict[str, Any]:
    """Each comparator group's table for the area and year (default: the plan's first); `not_ready` when the need
    inputs are missing. 404 for a year the plan has not."""
    if area is None:
        return {"area": None, "not_ready": "The workspace has no areas yet: upload them on the Data page."}
    try:
        years = _years(st)
    except results.NotReady as e:
        return {"area": area, "not_ready": f"No comparison can be made: {e}."}
    if year is not None and year not in years:
        raise HTTPException(404, f"There is no year {year}: the years are {years[0]} to {years[-1]}.")
    target = year if year is not None else years[0]

    def compute() -> dict[str, Any]:
        referrals, why = _referrals(st)
        frames = st.frames()
        sim = simulation(st) if not frames["workforce"].is_empty() else None
        figures, _ = results.comparison_figures(frames, target, referrals, sim)
        groups = [results.compare_with(frames, figures, area, against)[::-1] for against in results.AGAINST]
        return {"area": area, "year": target, "years": years, "groups": groups,
                "referrals_missing": results.referrals_missing(frames, target, figures, why)}
    return st.cached(("compare-data", area, target), compute)


def _marked(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows as the page's table shows them: the chosen area's name marked in words, the flag in words."""
    return rows.with_columns(
        pl.when(pl.col("chosen")).then(pl.concat_str(pl.col("name"), pl.lit(f" ({THIS_AREA})")))
        .otherwise(pl.col("name")).alias("name"),
        pl.col("funnel").replace_strict(FLAG_WORDS, default=None, return_dtype=pl.String)).select(SHOWN)


def _section(group: results.Group, rows: pl.DataFrame, name: str, year: int) -> dict[str, Any]:
    """One comparator group's part of the page: its table and charts, or why it has none."""
    out: dict[str, Any] = {"key": group.against, "title": f"Against {group.words}", "note": group.note}
    if group.note:
        return out
    caption = (f"{name} against {group.words}, {year}: {rows.height} areas, {name} first and marked "
               f"‘{THIS_AREA}’")
    out["table"] = table(_marked(rows), caption, None, {**COMPARE_HEADINGS, "funnel": "Referral rate against "
                                                        "the funnel limits"}, COMPARE_FORMATS)
    out["charts"] = [(f"chart-dots-{group.against}", charts.to_spec(charts.comparison_dots(rows, DOTTED,
                                                                                          group.words)))]
    rated = rows.filter(pl.col(RATE).is_not_null())
    if rated.height and rows["pooled_rate_per_1000"][0] is not None:
        curve = funnel_curve(rows["pooled_rate_per_1000"][0], float(rated["person_years"].min()) / 2,
                             float(rated["person_years"].max()))
        out["charts"].append((f"chart-funnel-{group.against}", charts.to_spec(charts.funnel(rows, curve,
                                                                                          group.words))))
    return out


def _view(st: WorkspaceState, area: str | None, year: int | None) -> dict[str, Any]:
    d = compare_data(st, area, year)
    if d.get("not_ready"):
        return d

    def compute() -> dict[str, Any]:
        name = st.area_names().get(d["area"], d["area"])
        return {**d, "sections": [_section(g, rows, name, d["year"]) for g, rows in d["groups"]],
                "measures": [(COMPARE_HEADINGS[c], num, den) for c, num, den in MEASURES]}
    return st.cached(("comparison-page", d["area"], d["year"]), compute)  # not the workforce page's "compare-view"


@router.get("/api/compare", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["compare"])
def compare_json(st: State, area: str | None = None, year: int | None = None) -> dict[str, Any]:
    """For one area (default: the first) and year (default: the plan's first): the area against its statistical
    neighbours, its region and every area held of its kind (`groups`, each with `against`, `words`, `note` when it
    has no areas, and `rows`: one per area, the chosen one first with `chosen` true). Each row: need, demand and
    supply FTE per 1,000 children and young people (0–25), share of need met, cost per child, accepted referrals
    as published (disclosure-controlled) and their rate per 1,000 a year, the services rating, and for the rate
    the group's pooled rate, the 95% and 99.8% funnel limits at the area's person-years and where it falls
    (`funnel`). 404 for an area or year the workspace has not."""
    d = compare_data(st, chosen_area(st, area), year)
    if d.get("not_ready"):
        return {"area": d["area"], "not_ready": d["not_ready"]}
    return {"area": d["area"], "year": d["year"], "years": d["years"],
            "referrals_missing": d["referrals_missing"] or None,
            "groups": [{"against": g.against, "words": g.words, "note": g.note or None,
                        "rows": rows.drop("person_years").to_dicts()} for g, rows in d["groups"]]}


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def compare_page(request: Request, st: State, area: str | None = None, year: int | None = None) -> HTMLResponse:
    code = chosen_area(st, area)
    return page(request, "compare.html", {"title": "Compare areas", "current": "compare", **_view(st, code, year)})
