"""Who services reach: the quarterly tables of the referral returns in seed 004's format (as published by
default, disclosure-controlled; the exact counts only when asked for, marked not for publication), referrals
by quarter, the quality report, and the equality view by a chosen field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from cyplan.auth.roles import Permission
from cyplan.display import EQUALITY_FORMATS, EQUALITY_HEADINGS, SHOWN_QUERIES
from cyplan.model.disclosure import NHS_DIGITAL
from cyplan.reports import charts
from cyplan.reports.paper import published_view
from cyplan.returns import codelist_edit, service
from cyplan.returns.equality import BY_VALUES, UnknownField, available, period_of
from cyplan.web.access import allowed, needs, require
from cyplan.web.app import State, chosen_area
from cyplan.web.htmx import fragment, missing, page_or_fragment
from cyplan.web.state import WorkspaceState
from cyplan.web.tables import table

router = APIRouter()
Counts = Literal["published", "unpublished"]
RULE = NHS_DIGITAL
TITLES = {"summary": "Referrals received, accepted and not accepted, by quarter",
          "service": "Accepted referrals by service", "ethnicity": "Accepted referrals by ethnicity",
          "religion": "Accepted referrals by religion", "referral_source": "Accepted referrals by referral source",
          "education_status": "Accepted referrals by education status",
          "accommodation": "Accepted referrals by accommodation",
          "trauma_category": "Accepted referrals by experience of trauma",
          "age_gender": "Accepted referrals by age group and gender",
          "milestones": "Milestones reached by accepted referrals"}
FIRST_HEADINGS = {"summary": "Referrals", "service": "Service", "ethnicity": "Ethnicity", "religion": "Religion",
                  "referral_source": "Referral source", "education_status": "Education status",
                  "accommodation": "Accommodation", "trauma_category": "Experience of trauma",
                  "age_gender": "Age group", "milestones": "Milestone"}
SHARE_FORMATS = {"% yes": "{:.1f}", "% blank": "{:.1f}"}
NO_RETURNS = ("The workspace holds no referral returns yet. Upload a file of referral records on the Data page "
              "(choose ‘Referral returns’), or run ‘cyplan returns import FILE’.")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def rule_words() -> str:
    r = RULE
    return (f"counts from {r.suppress_from} to {r.suppress_to} are shown as {r.symbol}, every other count is rounded "
            f"to the nearest {r.round_to}, totals included, and further counts are withheld where one could be worked"
            f" back from a total ({r.name} rule)")


def tables(st: WorkspaceState, counts: Counts) -> dict[str, pl.DataFrame]:
    """Every quarterly table, as made or as published; raises service.NoReturns without referral returns. (The
    same cache keys as the Data page's downloads, so both show the same tables.)"""
    made = st.cached(("returns-tables",), lambda: service.tables(st.ws))
    if counts == "unpublished":
        return made
    return st.cached(("returns-published",), lambda: service.publishable(made))


def quality(st: WorkspaceState) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(queries, blank and invalid counts by field) of every stored record, as of today."""
    today = dt.date.today()
    return st.cached(("returns-quality", today), lambda: service.quality_report(st.ws, today))


def fields(st: WorkspaceState) -> list[str]:
    """The fields the equality view can answer now (gender and age with a population, and each field of the
    population by category)."""
    return st.cached(("equality-fields",), lambda: available(st.ws))


def equality(st: WorkspaceState, by: str, area: str | None, counts: Counts, year: int | None = None) -> pl.DataFrame:
    """The equality view for one area in a year (default: its population's first); as published, a withheld
    count's rates are withheld too. Raises service.NoReturns or UnknownField."""
    view = st.cached(("equality", by, area, year), lambda: service.equality(st.ws, by, area, year))
    if counts == "unpublished":
        return view
    return st.cached(("equality-published", by, area, year),
                     lambda: published_view(view, RULE, period(st).years))


def period(st: WorkspaceState) -> Any:
    """Over which quarters the referrals were counted (returns/equality.period), kept until the data change."""
    return st.cached(("returns-period",), lambda: period_of(st.ws))


def _check_year(st: WorkspaceState, area: str | None, year: int | None) -> None:
    """404 for a year the area has no population in, naming the years it has (never the first year's view
    under the year asked for)."""
    if year is None:
        return
    frames = st.frames()
    years = sorted({y for k in ("population", "population_groups") if frames[k].height
                    for y in frames[k].filter(pl.col("area") == area)["year"].unique().to_list()})
    if year not in years:
        raise HTTPException(404, f"There is no population for area {area} in {year}, so no equality view. Its years "
                                 f"are: {', '.join(map(str, years)) or 'none yet'}.")


def _fields_or_none(st: WorkspaceState) -> list[str]:
    try:
        return fields(st)
    except service.NoReturns:
        return []


def returns_data(st: WorkspaceState, area: str | None, counts: Counts, by: str | None,
                 with_equality: bool = True) -> dict[str, Any]:
    """The frames the page and /api/returns show; `not_ready` when there are no referral returns."""
    try:
        made = tables(st, counts)
    except service.NoReturns:
        return {"not_ready": NO_RETURNS, "counts": counts}
    queries, field_counts = quality(st)
    choices = _fields_or_none(st)
    chosen = by or (choices[0] if choices else "gender")
    out: dict[str, Any] = {"counts": counts, "tables": made, "queries": queries, "field_counts": field_counts,
                           "fields": choices, "by": chosen,
                           # a kept code list that is not valid is read without its faulty entries: said here
                           "list_faults": st.cached(("codelist-faults",), lambda: codelist_edit.faults(st.ws, None))}
    if not with_equality:
        return out
    try:
        out["equality"] = equality(st, chosen, area, counts)
    except (service.NoReturns, UnknownField) as e:
        out["equality_missing"] = _sentence(str(e))
    return out


def _check(by: str | None) -> None:
    if by is not None and by not in BY_VALUES:
        raise HTTPException(400, f"There is no field ‘{by}’ to compare referrals by. The fields are: "
                                 f"{', '.join(BY_VALUES)}.")


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def _asked(request: Request, counts: Counts) -> None:
    """403 for counts before disclosure control asked for by a user whose roles do not allow them: refused, not
    answered with the published counts instead, which a script or a bookmark would then take for exact ones."""
    if counts == "unpublished":
        require(request, Permission.VIEW_UNPUBLISHED)


def _taken(st: WorkspaceState, counts: Counts, what: dict[str, Any], area: str | None = None) -> None:
    """Counts before disclosure control served by the API: recorded at every call, as a file download is (issue 14
    part 5: "exports and downloads of unpublished data")."""
    if counts == "unpublished":
        st.audit("download", {**what, "published": False}, area)


def _seen(st: WorkspaceState, area: str | None, counts: Counts, by: str) -> None:
    """The Returns page showing counts before disclosure control: recorded once per area and field while the data
    stay as they are (kept like a result, so reloading the page or switching tabs does not flood the trail); a
    new import, or the server restarting, records the next view again."""
    if counts == "unpublished":
        st.cached(("audited-view", area, by), lambda: st.audit(
            "view", {"page": "/returns", "counts": counts, "by": by, "published": False}, area))


@router.get("/api/returns", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["returns"])
def returns_json(request: Request, st: State, counts: Counts = "published") -> dict[str, Any]:
    """Every quarterly table of the referral returns (as published unless `counts=unpublished`: not for
    publication), the quality report (blank and invalid values by field, and the number of queries), and the
    fields the equality view can be asked for (/api/returns/equality?by=). Unpublished counts, the quality report
    and the code lists' faults only for a role that may see unpublished counts (403 for counts=unpublished)."""
    _asked(request, counts)
    d = returns_data(st, None, counts, None, with_equality=False)
    if d.get("not_ready"):
        return {"not_ready": d["not_ready"], "counts": counts}
    _taken(st, counts, {"api": "/api/returns", "tables": list(d["tables"])})
    out = {"counts": counts, "for_publication": counts == "published",
           "rule": rule_words() if counts == "published" else None,
           "tables": {name: {"title": TITLES.get(name, name), "rows": _rows(t)} for name, t in d["tables"].items()},
           "equality_fields": d["fields"]}
    if allowed(request, Permission.VIEW_UNPUBLISHED):  # the quality report counts records exactly
        out |= {"quality": {"fields": _rows(d["field_counts"]), "queries": d["queries"].height},
                "code_list_faults": d["list_faults"]}
    return out


@router.get("/api/returns/tables/{name}", tags=["returns"], response_model=None,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def returns_table_json(request: Request, name: str, st: State,
                       counts: Counts = "published") -> dict[str, Any] | JSONResponse:
    """One quarterly table by its name (summary, service, ethnicity, religion, referral_source, education_status,
    accommodation, trauma_category, age_gender, milestones). 403 for counts=unpublished without the role for it."""
    _asked(request, counts)
    try:
        made = tables(st, counts)
    except service.NoReturns:
        return {"not_ready": NO_RETURNS, "counts": counts}
    if name not in made:  # answered here: the app's 404 page would not name the tables there are
        return JSONResponse({"detail": f"There is no table ‘{name}’. The tables are: {', '.join(made)}."}, 404)
    _taken(st, counts, {"api": "/api/returns/tables", "table": name})
    return {"name": name, "title": TITLES.get(name, name), "counts": counts, "for_publication": counts == "published",
            "rows": _rows(made[name])}


@router.get("/api/returns/quality", dependencies=[needs(Permission.VIEW_UNPUBLISHED)], tags=["returns"])
def returns_quality_json(st: State, limit: int = Query(SHOWN_QUERIES, ge=0, le=100_000)) -> dict[str, Any]:
    """The quality report of every stored record: blanks and invalid values by field, the number of queries
    and the first `limit` of them (file, sheet, row, column, message). Not for publication: it points at
    records."""
    try:
        queries, field_counts = quality(st)
    except service.NoReturns:
        return {"not_ready": NO_RETURNS}
    return {"fields": _rows(field_counts), "queries_total": queries.height, "queries": _rows(queries.head(limit))}


@router.get("/api/returns/equality", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["returns"])
def returns_equality_json(request: Request, st: State,
                          by: Annotated[str, Query(json_schema_extra={"enum": list(BY_VALUES)})] = "gender",
                          area: str | None = None, year: int | None = None,
                          counts: Counts = "published") -> dict[str, Any]:
    """Accepted referrals per 10,000 a year by `by` (gender, age or a coded field with a population by category)
    for one area (default: the first) in a year (default: its population's first), with 95% intervals and rate
    ratios against the area. The referrals are counted over `period` (the whole quarters the records span: its
    first and last day and months) and annualised, × 12 ÷ months. As published, a withheld count's rates are
    withheld too. 400 for an unknown `by`, 404 for an area or year the workspace has not, 403 for
    counts=unpublished without the role for it."""
    _asked(request, counts)
    _check(by)
    area = chosen_area(st, area)
    _check_year(st, area, year)
    try:
        view = equality(st, by, area, counts, year)
    except (service.NoReturns, UnknownField) as e:
        return {"not_ready": _sentence(str(e)), "by": by, "fields": _fields_or_none(st)}
    _taken(st, counts, {"api": "/api/returns/equality", "by": by, "year": view["year"][0]}, view["area"][0])
    when = period(st)
    return {"by": by, "area": view["area"][0], "year": view["year"][0], "counts": counts,
            "period": {"first": when.first.isoformat(), "last": when.last.isoformat(), "months": when.months,
                       "words": when.words()},
            "for_publication": counts == "published", "rows": _rows(view.drop("area", "year"))}


def _equality_table(view: pl.DataFrame, by: str, counts: Counts, period_words: str) -> Any:
    label = by.replace("_", " ")
    shown = view.drop("area", "year").rename({"rate_low": "rate_per_10000_p5", "rate_high": "rate_per_10000_p95",
                                              "ratio_low": "rate_ratio_p5", "ratio_high": "rate_ratio_p95"})
    when = "for publication" if counts == "published" else "not for publication"
    return table(shown, f"Accepted referrals per 10,000 a year by {label} ({period_words}; population "
                        f"{view['year'][0]}), {when} — rate and rate ratio (95% interval)", None,
                 {**EQUALITY_HEADINGS, "category": label.capitalize(), "rate_per_10000": "Rate per 10,000 a year",
                  "population": "Population"},
                 EQUALITY_FORMATS, ["referrals"] if counts == "published" else [])


def _headings(name: str, frame: pl.DataFrame) -> dict[str, str]:
    """The first column named for what it counts; the rest (quarters, genders, totals) as they are."""
    return {frame.columns[0]: FIRST_HEADINGS.get(name, frame.columns[0]), **{c: c for c in frame.columns[1:]}}


def _count_columns(frame: pl.DataFrame, counts: Counts) -> list[str]:
    """A published table's columns after the first hold counts as text ('*' or a rounded count)."""
    return frame.columns[1:] if counts == "published" else []


def _view(st: WorkspaceState, area: str | None, counts: Counts, by: str | None, quality_shown: bool) -> dict[str, Any]:
    """The page's tables and charts, made once per choice and version of the data: templates only format."""
    def compute() -> dict[str, Any]:
        d = returns_data(st, area, counts, by)
        if d.get("not_ready"):
            return d
        when = "for publication" if counts == "published" else "not for publication"
        view = {**d, "when": when, "quality_shown": quality_shown,
                "tables_shown": [(name, table(t, f"{TITLES.get(name, name)} — {when}", None, _headings(name, t),
                                              SHARE_FORMATS, _count_columns(t, counts)))
                                 for name, t in d["tables"].items()],
                "quarter_chart": charts.to_spec(charts.referrals_by_quarter(d["tables"]["summary"])),
                "field_table": table(d["field_counts"], "Blank and invalid values by field, every stored record",
                                     None, {"field": "Field", "records": "Records", "blank": "Blank",
                                            "invalid": "Invalid"}),
                "queries_total": d["queries"].height,
                "query_files": sorted({f for f in d["queries"]["file"].unique().to_list() if f}),
                "query_table": table(d["queries"].head(SHOWN_QUERIES).select(
                    *(["file"] if d["queries"]["file"].n_unique() > 1 else []),
                    *(["sheet"] if d["queries"]["sheet"].drop_nulls().len() else []), "row", "column", "message"),
                    f"The first {min(SHOWN_QUERIES, d['queries'].height)} queries", None,
                    {"file": "File", "sheet": "Sheet", "row": "Row", "column": "Field", "message": "Query"})}
        if d.get("equality") is not None:
            view["equality_period"] = period(st).words()
            view["equality_table"] = _equality_table(d["equality"], d["by"], counts, view["equality_period"])
            view["equality_year"] = d["equality"]["year"][0]
            rated = d["equality"].filter((pl.col("category") != "Total") & pl.col("rate_ratio").is_not_null()
                                         & pl.col("ratio_low").is_not_null())
            if rated.height:
                view["equality_chart"] = charts.to_spec(charts.equality_ratios(d["equality"], d["by"]))
        return view
    return st.cached(("returns-view", area, counts, by, quality_shown), compute)


@router.get("/returns", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def returns_page(request: Request, st: State, area: str | None = None, counts: Counts = "published",
                 by: str | None = None) -> HTMLResponse:
    _asked(request, counts)
    _check(by)
    area = chosen_area(st, area)
    quality_shown = allowed(request, Permission.VIEW_UNPUBLISHED)  # kept apart in the cache: not every user's page
    view = _view(st, area, counts, by, quality_shown)
    if not view.get("not_ready"):
        _seen(st, area, counts, view["by"])
    context = {"title": "Who services reach", "current": "returns", "rule": rule_words(), "shown": SHOWN_QUERIES,
               "area": area, **view}
    part = (missing(view["not_ready"]) if view.get("not_ready")
            else fragment(st, (area, counts, by, quality_shown), "returns_results.html", context))
    return page_or_fragment(request, "returns.html", part, context)
