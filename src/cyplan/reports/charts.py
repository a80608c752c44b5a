"""Charts, one spec for the web page and the board paper: each builder takes a results frame (as
`cyplan.results`, `model.gap.gap_table` and `returns.service` make them) and returns an Altair chart.

The web app embeds `to_spec(chart)` with the Vega libraries it serves itself; the paper inlines
`to_svg(chart)`. Data always travel inside the spec (never a URL), and the SVG is made with no
network access at all, so a chart looks the same offline.

Accessibility: every chart has a title, labelled axes and a `description` that says in words what it
shows (screen readers read it; Vega puts it in the SVG's aria-label). Colours are GOV.UK palette
colours with a contrast of at least 3:1 against white (WCAG 1.4.11 for graphics), and intervals are
drawn as bands or whiskers around a line or point, never carried by colour alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import vl_convert as vlc

from cyplan.display import COMPARE_FORMATS, ERROR_SUFFIX, figure, shown
from cyplan.model.comparison import FLAG_WORDS
from cyplan.reports import svg

# GOV.UK Design System colours: blue 5.2:1, red 4.9:1, green 6.0:1, purple 10:1, dark grey 6.9:1,
# pink 6.9:1 against white
BLUE, RED, GREEN, PURPLE, GREY, PINK = "#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#505a5f", "#912b88"
PALETTE = (BLUE, RED, GREEN, PURPLE, GREY, PINK)
FONT = "Helvetica, Arial, sans-serif"
WIDTH, HEIGHT = 520, 260
VL_VERSION = "6.4"  # the Vega-Lite the web app serves (package.json); vl-convert renders with the same

Labels = Mapping[str, str]


# the tooltip of a line of FTE medians with their 90% interval (demand, supply, establishment)
_FTE_TOOLTIP = [alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("fte:Q", title="Median FTE", format=",.1f"),
                alt.Tooltip("low:Q", title="5th percentile", format=",.1f"),
                alt.Tooltip("high:Q", title="95th percentile", format=",.1f")]


def _config(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    """The chart with the house style. Set as one Config on a shallow copy: each `configure_…` call deep-copies the
    whole chart, its data included, which was most of the time a page took to make its charts (issue 17 part 4)."""
    out = chart.copy(deep=False)
    out.config = alt.Config(
        font=FONT, axis=alt.AxisConfig(labelFontSize=11, titleFontSize=AXIS_TITLE_SIZE, labelColor="#0b0c0c",
                                       titleColor="#0b0c0c", gridColor="#dddddd"),
        title=alt.TitleConfig(fontSize=14, anchor="start", color="#0b0c0c"),
        legend=alt.LegendConfig(labelFontSize=11, titleFontSize=12, orient="bottom"), view=alt.ViewConfig(stroke=None),
        locale=alt.Locale(number=alt.NumberLocale(**NUMBER_LOCALE)))
    return out


# Numbers as the UK writes them: d3-format's "$" (as in MONEY) writes this locale's currency, so "$,.0f" is £1,234 in
# Vega and in reports/svg.py alike; a "£" written into a format string is no d3 format at all, and Vega drops the marks
NUMBER_LOCALE = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}
MONEY = "$,.0f"


# A y-axis title is centred on the plot's height and drawn rotated; one longer than the plot reaches above it
# into the chart's title. Wrapped into lines no longer than the plot (at a bold character's width, generously
# estimated), it cannot.
AXIS_TITLE_SIZE = 12
CHAR_WIDTH = 0.65  # of the font size: wider than Helvetica Bold's average, so an estimate errs long
Y_TITLE_CHARS = int(HEIGHT / (AXIS_TITLE_SIZE * CHAR_WIDTH))


def y_title(text: str) -> str | list[str]:
    """A y-axis title in lines of at most Y_TITLE_CHARS characters (one line when it fits)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= Y_TITLE_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines[0] if len(lines) == 1 else lines


def _data(frame: pl.DataFrame) -> alt.Data:
    """Rows inline in the spec: JSON numbers and strings only, NaN as null."""
    rows = frame.with_columns(pl.col(pl.Float64).fill_nan(None)).to_dicts()
    return alt.Data(values=rows)


def _num(x: float | None, fmt: str = "{:,.0f}") -> str:
    return "no figure" if x is None else fmt.format(x)


def _bands(frame: pl.DataFrame, x: alt.X, domain: list[str], palette: list[str]) -> list[alt.Chart]:
    """The shaded 90% interval (low to high) of each measure of a long frame, one layer per measure in its colour.
    A layer of its own, not a colour field with `legend=None`: Vega-Lite merges the layers' legends on the same field,
    and one set to none drops the line's legend too."""
    return [alt.Chart(_data(frame.filter(pl.col("measure") == measure))).mark_area(opacity=0.18, color=colour)
            .encode(x, alt.Y("low:Q"), alt.Y2("high:Q")) for measure, colour in zip(domain, palette, strict=True)]


def _finish(chart: alt.Chart | alt.LayerChart, title: str, description: str) -> alt.Chart | alt.LayerChart:
    return _config(chart.properties(title=title, description=description, width=WIDTH, height=HEIGHT))


# -- the charts -------------------------------------------------------------------------------------------

def need_by_year(central: pl.DataFrame, low: pl.DataFrame | None = None, high: pl.DataFrame | None = None,
                 area_name: str = "") -> alt.LayerChart:
    """Cases of need by year (need_table(plan, [], [area]) for the central estimate), with the band between
    the low and high estimates' cases when they are given."""
    frame = central.group_by("year").agg(pl.col("cases").sum()).sort("year")
    band = low is not None and high is not None
    if band:
        assert low is not None and high is not None
        frame = (frame.join(low.group_by("year").agg(pl.col("cases").sum().alias("cases_low")), on="year")
                 .join(high.group_by("year").agg(pl.col("cases").sum().alias("cases_high")), on="year")
                 .sort("year"))
    data = _data(frame)
    x = alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0))
    line = alt.Chart(data).mark_line(point=True, color=BLUE).encode(
        x, alt.Y("cases:Q", title=y_title("Cases of need"), scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("cases:Q", title="Cases", format=",.0f")]
        + ([alt.Tooltip("cases_low:Q", title="Low estimate", format=",.0f"),
            alt.Tooltip("cases_high:Q", title="High estimate", format=",.0f")] if band else []))
    layers: list[alt.Chart] = [line]
    if band:
        layers.insert(0, alt.Chart(data).mark_area(opacity=0.2, color=BLUE).encode(
            x, alt.Y("cases_low:Q"), alt.Y2("cases_high:Q")))
    first, last = frame.row(0, named=True) if frame.height else {}, frame.row(-1, named=True) if frame.height else {}
    where = f" in {area_name}" if area_name else ""
    description = (f"Line chart of cases of need by year{where}, central estimate"
                   + (", with a shaded band from the low to the high estimate" if band else "") + ". "
                   + (f"{_num(first.get('cases'))} cases in {first.get('year')}, {_num(last.get('cases'))} in "
                      f"{last.get('year')}." if frame.height else "No years."))
    return _finish(alt.layer(*layers), f"Need by year{where}", description)  # type: ignore[return-value]


def workforce_by_year(gap: pl.DataFrame, area_name: str = "") -> alt.LayerChart:
    """Workforce demand and supply (FTE) by year, medians with their 90% intervals as bands
    (gap_table(sim, [], [area]))."""
    parts = []
    for measure, label in (("demand_fte", "Demand"), ("supply_fte", "Supply")):
        parts.append(gap.select("year", pl.lit(label).alias("measure"), pl.col(measure).alias("fte"),
                                pl.col(f"{measure}_p5").alias("low"), pl.col(f"{measure}_p95").alias("high")))
    frame = pl.concat(parts).sort("measure", "year")
    data = _data(frame)
    domain, palette = ["Demand", "Supply"], [BLUE, RED]
    colour = alt.Color("measure:N", title="", scale=alt.Scale(domain=domain, range=palette))
    x = alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0))
    line = alt.Chart(data).mark_line(point=True).encode(
        x, alt.Y("fte:Q", title=y_title("Full-time equivalents (FTE)"), scale=alt.Scale(zero=True)), colour,
        alt.StrokeDash("measure:N", title="", scale=alt.Scale(domain=["Demand", "Supply"], range=[[1, 0], [6, 3]])),
        tooltip=_FTE_TOOLTIP)
    where = f" in {area_name}" if area_name else ""
    g = gap.sort("year")
    text = "No years."
    if g.height:
        a, b = g.row(0, named=True), g.row(-1, named=True)
        text = (f"In {a['year']} demand is {shown(a, 'demand_fte')} FTE and supply {shown(a, 'supply_fte')}; in "
                f"{b['year']} demand is {shown(b, 'demand_fte')} and supply {shown(b, 'supply_fte')}.")
    description = (f"Line chart of workforce demand (solid) and supply (dashed) in FTE by year{where}, medians "
                   f"with shaded 90% intervals. {text}")
    return _finish(alt.layer(*_bands(frame, x, domain, palette), line),  # type: ignore[return-value]
                   f"Workforce demand and supply{where}", description)


def gap_by_role(gap: pl.DataFrame, roles: Labels | None = None, year: int | None = None) -> alt.LayerChart:
    """The gap (FTE) by role in one year: bars at the median, whiskers over the 90% interval
    (gap_table(sim, ['role'], [area], [year]))."""
    roles = roles or {}
    frame = gap.with_columns(pl.col("role").replace_strict(roles, default=pl.col("role"), return_dtype=pl.String)
                             .alias("label")).sort("gap_fte", descending=True)
    year = year if year is not None else (frame["year"][0] if frame.height and "year" in frame.columns else None)
    data = _data(frame.select("label", "gap_fte", "gap_fte_p5", "gap_fte_p95"))
    y = alt.Y("label:N", title=y_title("Role"), sort=frame["label"].to_list(), axis=alt.Axis(labelLimit=300))
    bars = alt.Chart(data).mark_bar(color=BLUE).encode(
        y, alt.X("gap_fte:Q", title="Gap: demand less supply (FTE)"),
        tooltip=[alt.Tooltip("label:N", title="Role"), alt.Tooltip("gap_fte:Q", title="Median gap", format=",.1f"),
                 alt.Tooltip("gap_fte_p5:Q", title="5th percentile", format=",.1f"),
                 alt.Tooltip("gap_fte_p95:Q", title="95th percentile", format=",.1f")])
    whiskers = alt.Chart(data).mark_rule(color="#0b0c0c", strokeWidth=1.5).encode(
        y, alt.X("gap_fte_p5:Q"), alt.X2("gap_fte_p95:Q"))
    when = f" in {year}" if year is not None else ""
    largest = ", ".join(f"{r['label']} {figure('gap_fte', r['gap_fte'], r.get('gap_fte' + ERROR_SUFFIX))}"
                        for r in frame.head(3).iter_rows(named=True))
    description = (f"Bar chart of the workforce gap in FTE by role{when}, medians with whiskers over the 90% "
                   f"interval. Largest gaps: {largest or 'none'}.")
    return _finish(alt.layer(bars, whiskers), f"Workforce gap by role{when}", description)  # type: ignore[return-value]


LOG_FLOOR = 0.0005  # the equality chart's least ratio: the view's values are rounded to 3 decimals

SCENARIO_MEASURES = {"cost_to_close": ("Cost to close a year (£m)", "cost to close a year", 1e-6, "£{:,.1f}m"),
                     "gap_fte": ("Gap (FTE)", "the gap in FTE", 1.0, "{:,.1f}")}


def scenarios(compare: pl.DataFrame, measure: str = "cost_to_close", year: int | None = None) -> alt.LayerChart:
    """The baseline and each scenario side by side in one year (results.compare_scenarios, one area): the
    median of `measure` (cost_to_close or gap_fte) as a bar, its 90% interval as a whisker."""
    if measure not in SCENARIO_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(SCENARIO_MEASURES)}")
    title, words, scale, _ = SCENARIO_MEASURES[measure]
    shown = {r["scenario"]: figure(measure, r[measure], r.get(measure + ERROR_SUFFIX))
             for r in compare.iter_rows(named=True) if r[measure] is not None}  # as the tables show them
    frame = compare.select("scenario", (pl.col(measure) * scale).alias("value"),
                           (pl.col(f"{measure}_p5") * scale).alias("low"),
                           (pl.col(f"{measure}_p95") * scale).alias("high"))
    order = frame["scenario"].to_list()
    data = _data(frame)
    x = alt.X("scenario:N", title="Scenario", sort=order, axis=alt.Axis(labelAngle=0, labelLimit=120))
    d3 = ",.1f"
    bars = alt.Chart(data).mark_bar(color=BLUE).encode(
        x, alt.Y("value:Q", title=y_title(title)),
        color=alt.condition(alt.datum.scenario == "baseline", alt.value(GREY), alt.value(BLUE)),
        tooltip=[alt.Tooltip("scenario:N", title="Scenario"), alt.Tooltip("value:Q", title="Median", format=d3),
                 alt.Tooltip("low:Q", title="5th percentile", format=d3),
                 alt.Tooltip("high:Q", title="95th percentile", format=d3)])
    whiskers = alt.Chart(data).mark_rule(color="#0b0c0c", strokeWidth=1.5).encode(x, alt.Y("low:Q"), alt.Y2("high:Q"))
    when = f" in {year}" if year is not None else ""
    values = "; ".join(f"{name} {value}" for name, value in shown.items())
    description = (f"Bar chart of {words} under the baseline (grey) and each scenario (blue){when}, "
                   f"medians with whiskers over the 90% interval: {values or 'no scenarios'}.")
    what = "Cost to close the gap" if measure == "cost_to_close" else "Workforce gap"
    return _finish(alt.layer(bars, whiskers), f"{what} by scenario{when}", description)  # type: ignore[return-value]


def _count(value: object) -> int | None:
    """A table cell as a count: published tables hold text ('*' for a suppressed count)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).replace(",", "").strip()
    return int(text) if text.isdigit() else None


def referrals_by_quarter(summary: pl.DataFrame) -> alt.Chart:
    """Referrals accepted and not accepted by financial-year quarter, stacked (the returns' summary table,
    as made or as published: a suppressed count '*' is left out and said so)."""
    quarters = [c for c in summary.columns if c not in ("measure", "Total")]
    rows, suppressed = [], 0
    for r in summary.filter(pl.col("measure").is_in(["Accepted", "Not accepted"])).iter_rows(named=True):
        for q in quarters:
            n = _count(r[q])
            suppressed += n is None and r[q] is not None
            rows.append({"quarter": q, "measure": r["measure"], "referrals": n})
    frame = pl.DataFrame(rows, schema={"quarter": pl.String, "measure": pl.String, "referrals": pl.Int64})
    data = _data(frame)
    chart = alt.Chart(data).mark_bar().encode(
        alt.X("quarter:N", title="Financial-year quarter", sort=quarters, axis=alt.Axis(labelAngle=-40)),
        alt.Y("referrals:Q", title=y_title("Referrals"), stack="zero"),
        alt.Color("measure:N", title="", scale=alt.Scale(domain=["Accepted", "Not accepted"], range=[BLUE, GREY])),
        alt.Order("measure:N", sort="ascending"),
        tooltip=[alt.Tooltip("quarter:N", title="Quarter"), alt.Tooltip("measure:N", title=""),
                 alt.Tooltip("referrals:Q", title="Referrals", format=",")])
    received = summary.filter(pl.col("measure") == "Received")
    total = _count(received["Total"][0]) if received.height and "Total" in received.columns else None
    description = (f"Stacked bar chart of referrals received in each financial-year quarter, {len(quarters)} "
                   f"quarters from {quarters[0] if quarters else '—'} to {quarters[-1] if quarters else '—'}, split "
                   f"into accepted (blue) and not accepted (grey); {_num(total)} received in all."
                   + (f" {suppressed} suppressed count(s) are not drawn." if suppressed else ""))
    return _finish(chart, "Referrals by quarter", description)  # type: ignore[return-value]


def equality_ratios(view: pl.DataFrame, field: str = "category") -> alt.LayerChart:
    """Each category's referral rate against the area's (returns equality view): the rate ratio as a point
    with its 95% interval as a whisker, on a log scale, and a line at 1 (the area's rate). Categories
    with no ratio (not rated, or withheld) are left out."""
    frame = view.filter((pl.col("category") != "Total") & pl.col("rate_ratio").is_not_null()
                        & pl.col("ratio_low").is_not_null()).select("category", "rate_ratio", "ratio_low",
                                                                     "ratio_high")
    # the view rounds to 3 decimals, so a very small ratio or bound can be 0, which a log scale cannot place:
    # it is drawn at LOG_FLOOR (under 0.0005 rounds to 0) and the tooltip still gives the view's own value
    frame = frame.with_columns(pl.max_horizontal(pl.col(c), pl.lit(LOG_FLOOR)).alias(f"{c}_drawn")
                               for c in ("rate_ratio", "ratio_low", "ratio_high"))
    data = _data(frame)
    y = alt.Y("category:N", title=y_title(field.replace("_", " ").capitalize()), sort=frame["category"].to_list(),
              axis=alt.Axis(labelLimit=300))
    x_scale = alt.Scale(type="log")
    whiskers = alt.Chart(data).mark_rule(color=BLUE, strokeWidth=2).encode(
        y, alt.X("ratio_low_drawn:Q", scale=x_scale), alt.X2("ratio_high_drawn:Q"))
    points = alt.Chart(data).mark_point(filled=True, size=70, color=BLUE).encode(
        y, alt.X("rate_ratio_drawn:Q", title="Rate ratio against the area (log scale; 1 = the area's rate)",
                 scale=x_scale),
        tooltip=[alt.Tooltip("category:N", title="Category"), alt.Tooltip("rate_ratio:Q", title="Rate ratio",
                                                                          format=".2f"),
                 alt.Tooltip("ratio_low:Q", title="95% low", format=".2f"),
                 alt.Tooltip("ratio_high:Q", title="95% high", format=".2f")])
    one = alt.Chart(alt.Data(values=[{"one": 1}])).mark_rule(color=GREY, strokeDash=[4, 3]).encode(
        alt.X("one:Q", scale=x_scale))
    below = [r["category"] for r in frame.iter_rows(named=True) if r["ratio_high"] is not None and r["ratio_high"] < 1]
    above = [r["category"] for r in frame.iter_rows(named=True) if r["ratio_low"] is not None and r["ratio_low"] > 1]
    label = field.replace("_", " ")
    description = (f"Dot chart of the accepted referral rate of each {label} category as a ratio of the area's "
                   f"rate, with 95% intervals, on a log scale; the dashed line at 1 is the area's rate. "
                   f"Below the area's rate (whole interval under 1): {', '.join(below) or 'none'}. Above it: "
                   f"{', '.join(above) or 'none'}.")
    return _finish(alt.layer(one, whiskers, points), f"Who services reach, by {label}", description)  # type: ignore[return-value]


# -- output -----------------------------------------------------------------------------------------------

def to_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec, data inline, for vega-embed on the web page. Not checked against Vega-Lite's schema here:
    that took longer than the rest of the chart, on every first page after a change, and the charts are built
    from fixed code, not data (tests/test_charts.py checks every chart's spec against the schema instead)."""
    return chart.to_dict(validate=False)


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as SVG text, rendered in-process by vl-convert with no network access."""
    return svg_of(chart.to_dict())


def svg_of(spec: dict[str, Any], kept: Path | None = None, own: bool = False) -> str:
    """A Vega-Lite spec as SVG text; with `kept` (a folder of the workspace's cache), drawn once for each spec and
    read from there after. The spec holds the chart's data, so its hash changes with the data: a chart kept is
    never one of other numbers. A folder that cannot be read or written only means the chart is drawn again.
    `own` (the board paper) draws it with cyplan's own renderer (reports/svg.py) where that draws everything the
    spec has, else with vl-convert (docs/decisions/0019-paper-from-nothing.md)."""
    if kept is None:
        return _drawn(spec, own)
    text = json.dumps(spec, sort_keys=True, default=str)
    drawer = f"cyplan-svg {svg.VERSION}" if own else f"{VL_VERSION} {vlc.__version__}"
    name = hashlib.sha256(f"{drawer} {text}".encode()).hexdigest()[:32]
    path = kept / f"{name}.svg"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        text = path.read_text(encoding="utf-8")
        # kept files are written whole (os.replace below); one that is not (a damaged disk, a hand edit) is drawn
        # again rather than put in the paper broken or stopping it with a traceback
        if text.startswith("<svg") and text.endswith("</svg>"):
            return text
    drawn = _drawn(spec, own)
    with contextlib.suppress(OSError):
        kept.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_text(drawn, encoding="utf-8")
        os.replace(part, path)  # whole or not at all: another process may be reading it
    return drawn


def _drawn(spec: dict[str, Any], own: bool) -> str:
    if own:
        with contextlib.suppress(svg.Unsupported):
            return svg.draw(spec)
    return vlc.vegalite_to_svg(spec, vl_version=VL_VERSION, allowed_base_urls=[])


# -- supply as stock and flow (model/flows.py) ----------------------------------------------------------------

FLOW_STEPS = (("start_fte", "Start", 1), ("from_training", "Trained", 1), ("other_joiners", "Other joiners", 1),
              ("recruited", "Recruited", 1), ("leavers", "Leavers", -1), ("retirements", "Retired", -1),
              ("end_fte", "End", 1))
# shown only when the flows have them (age bands, sector flows or a part-time trend): before the leavers
MOVE_STEPS = (("transfers_in", "Transfers in", 1), ("from_agency", "From agency", 1),
              ("working_pattern", "Hours per head", 1), ("transfers_out", "Transfers out", -1),
              ("to_agency", "To agency", -1))


def _flow_steps(flows: pl.DataFrame) -> tuple[tuple[str, str, int], ...]:
    moves = tuple(m for m in MOVE_STEPS if m[0] in flows.columns)
    return (*FLOW_STEPS[:4], *moves, *FLOW_STEPS[4:])


def flows_waterfall(flows: pl.DataFrame, year: int, area_name: str = "") -> alt.LayerChart:
    """One year's flows as a waterfall (flows_table(sim, [area], [year], together=True)): the start stock,
    each inflow up, each outflow down, and the end stock, which the steps reach exactly (means over draws)."""
    row = flows.filter(pl.col("year") == year).row(0, named=True) if flows.height else {}
    steps_ = _flow_steps(flows)
    levels, level = [], float(row.get("start_fte") or 0.0)
    for column, _, sign in steps_[1:-1]:
        level += sign * float(row.get(column) or 0.0)
        levels.append(level)
    # the axis starts below the lowest level, not at 0: flows of a few FTE would not show against hundreds
    floor = 0.9 * min([float(row.get("start_fte") or 0.0), *levels])
    steps, level = [], 0.0
    for column, label, sign in steps_:
        value = float(row.get(column) or 0.0)
        if column in ("start_fte", "end_fte"):
            low, high, level = floor, value, value
        else:
            low, high = sorted((level, level + sign * value))
            level += sign * value
        kind = "stock" if column in ("start_fte", "end_fte") else ("in" if sign * value >= 0 else "out")
        steps.append({"step": label, "low": low, "high": high, "fte": value, "kind": kind})
    frame = pl.DataFrame(steps, schema={"step": pl.String, "low": pl.Float64, "high": pl.Float64,
                                        "fte": pl.Float64, "kind": pl.String})
    data = _data(frame)
    x = alt.X("step:N", title="", sort=[s[1] for s in steps_], axis=alt.Axis(labelAngle=0, labelLimit=90))
    colour = alt.Color("kind:N", title="", scale=alt.Scale(domain=["stock", "in", "out"], range=[GREY, GREEN, RED]),
                       legend=alt.Legend(labelExpr="{'stock': 'Staff in post', 'in': 'Joining (up)', "
                                                   "'out': 'Leaving (down)'}[datum.label]"))
    bars = alt.Chart(data).mark_bar().encode(
        x, alt.Y("low:Q", title=y_title("Full-time equivalents (FTE)"), scale=alt.Scale(zero=False)),
        alt.Y2("high:Q"), colour,
        tooltip=[alt.Tooltip("step:N", title="Flow"), alt.Tooltip("fte:Q", title="FTE", format=",.1f")])
    where = f" in {area_name}" if area_name else ""
    moved = ", with staff moving between sectors, agency and working hours," if len(steps_) > len(FLOW_STEPS) else ""
    words = "; ".join(f"{s['step'].lower()} {_num(s['fte'], '{:,.1f}')}" for s in steps)
    description = (f"Waterfall chart of the workforce's flows in {year}{where}, FTE for this population, means "
                   f"over the draws: {words or 'no figures'}. The start plus joiners less leavers and "
                   f"retirements{moved} is the end. The axis starts at {_num(floor, '{:,.0f}')} FTE, not 0.")
    return _finish(bars, f"Who joins and who leaves in {year}{where}", description)  # type: ignore[return-value]


def establishment_by_year(est: pl.DataFrame, area_name: str = "") -> alt.LayerChart:
    """Funded establishment, staff in post and need (FTE) by year (establishment_table(sim, [area],
    together=True)), staff in post and need as medians with 90% bands."""
    parts = [est.select("year", pl.lit("Funded establishment").alias("measure"), pl.col("establishment_fte")
                        .alias("fte"), pl.col("establishment_fte").alias("low"), pl.col("establishment_fte")
                        .alias("high"))]
    for measure, label in (("in_post_fte", "Staff in post"), ("demand_fte", "Need")):
        parts.append(est.select("year", pl.lit(label).alias("measure"), pl.col(measure).alias("fte"),
                                pl.col(f"{measure}_p5").alias("low"), pl.col(f"{measure}_p95").alias("high")))
    frame = pl.concat(parts).sort("measure", "year")
    data = _data(frame)
    domain, palette = ["Need", "Funded establishment", "Staff in post"], [BLUE, PURPLE, RED]
    colour = alt.Color("measure:N", title="", scale=alt.Scale(domain=domain, range=palette))
    x = alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0))
    line = alt.Chart(data).mark_line(point=True).encode(
        x, alt.Y("fte:Q", title=y_title("Full-time equivalents (FTE)"), scale=alt.Scale(zero=True)), colour,
        alt.StrokeDash("measure:N", title="", scale=alt.Scale(domain=domain, range=[[1, 0], [2, 2], [6, 3]])),
        tooltip=_FTE_TOOLTIP)
    where = f" in {area_name}" if area_name else ""
    e = est.sort("year")
    text = "No years."
    if e.height:
        a, b = e.row(0, named=True), e.row(-1, named=True)
        text = (f"Funded establishment {shown(a, 'establishment_fte')} FTE; staff in post "
                f"{shown(a, 'in_post_fte')} in {a['year']} and {shown(b, 'in_post_fte')} in "
                f"{b['year']}; need {shown(a, 'demand_fte')} in {a['year']} and "
                f"{shown(b, 'demand_fte')} in {b['year']}.")
    description = (f"Line chart of need (solid), funded establishment (dotted) and staff in post (dashed) in FTE "
                   f"by year{where}, medians with shaded 90% intervals. {text}")
    return _finish(alt.layer(*_bands(frame, x, domain, palette), line),  # type: ignore[return-value]
                   f"Establishment, staff in post and need{where}", description)


def pipeline_by_year(pipeline: pl.DataFrame, area_name: str = "") -> alt.LayerChart:
    """Training places starting and staff joining from training by year, every role together
    (pipeline_table(sim, [area]) summed by year); joining as a median with its 90% band."""
    frame = pipeline.group_by("year").agg(pl.col("places_starting", "qualifying", "joining_here",
                                                 "joining_here_p5", "joining_here_p95").sum()).sort("year")
    parts = [frame.select("year", pl.lit("Places starting").alias("measure"), pl.col("places_starting").alias("n"),
                          pl.col("places_starting").alias("low"), pl.col("places_starting").alias("high")),
             frame.select("year", pl.lit("Joining here").alias("measure"), pl.col("joining_here").alias("n"),
                          pl.col("joining_here_p5").alias("low"), pl.col("joining_here_p95").alias("high"))]
    long = pl.concat(parts)
    data = _data(long)
    domain, palette = ["Places starting", "Joining here"], [PURPLE, GREEN]
    colour = alt.Color("measure:N", title="", scale=alt.Scale(domain=domain, range=palette))
    x = alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0))
    line = alt.Chart(data).mark_line(point=True).encode(
        x, alt.Y("n:Q", title=y_title("People a year"), scale=alt.Scale(zero=True)), colour,
        alt.StrokeDash("measure:N", title="", scale=alt.Scale(domain=domain, range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("measure:N", title="Measure"), alt.Tooltip("year:O", title="Year"),
                 alt.Tooltip("n:Q", title="Median", format=",.1f"),
                 alt.Tooltip("low:Q", title="5th percentile", format=",.1f"),
                 alt.Tooltip("high:Q", title="95th percentile", format=",.1f")])
    where = f" in {area_name}" if area_name else ""
    text = "; ".join(f"{r['year']}: {_num(r['places_starting'], '{:,.0f}')} start, "
                     f"{figure('joining_here', r['joining_here'], r.get('joining_here' + ERROR_SUFFIX))} join"
                     for r in frame.iter_rows(named=True))
    description = (f"Line chart of training places starting (solid) and qualified staff joining this area from "
                   f"training (dashed) by year{where}, every role together; joiners as medians with shaded 90% "
                   f"intervals. {text or 'No training pipelines.'}")
    return _finish(alt.layer(*_bands(long, x, domain, palette), line), f"Training pipeline{where}",  # type: ignore[return-value]
                   description)


TORNADO_INPUTS = 10  # the inputs a tornado shows: the widest swings; the rest are in the table and the CSV


def tornado(swings: pl.DataFrame, year: int, measure: str = "gap", area_name: str = "") -> alt.LayerChart:
    """Which inputs drive the measure (the one-at-a-time table of cyplan.sweep: at_low, at_central, at_high by
    input, widest swing first): for each input a bar from the measure with it at its central value to the measure
    with it at its low and one to it at its high, the rest central; a line at the central result."""
    top = swings.head(TORNADO_INPUTS)
    money = measure == "cost"
    fmt, unit = (MONEY, "£ a year") if money else (",.1f", "FTE")
    parts = [top.select("input", pl.lit(end).alias("end"), pl.col("at_central").alias("start"),
                        pl.col(column).alias("value"), "swing")
             for end, column in (("Input at its low", "at_low"), ("Input at its high", "at_high"))]
    data = _data(pl.concat(parts))
    what = "cost of closing the gap" if money else "gap"
    y = alt.Y("input:N", title=None, sort=top["input"].to_list(), axis=alt.Axis(labelLimit=320))  # names say it
    bars = alt.Chart(data).mark_bar(height={"band": 0.8}).encode(
        y, alt.X("start:Q", title=f"The {year} {what} ({unit})", scale=alt.Scale(zero=False)), alt.X2("value:Q"),
        alt.Color("end:N", title="", scale=alt.Scale(domain=["Input at its low", "Input at its high"],
                                                     range=[BLUE, RED])),
        alt.YOffset("end:N", sort=["Input at its low", "Input at its high"]),
        tooltip=[alt.Tooltip("input:N", title="Input"), alt.Tooltip("end:N", title="With"),
                 alt.Tooltip("value:Q", title=f"The {what}", format=fmt),
                 alt.Tooltip("start:Q", title="Every input central", format=fmt)])
    central = float(top["at_central"][0]) if top.height else 0.0
    line = alt.Chart(alt.Data(values=[{"central": central}])).mark_rule(color="#0b0c0c", strokeWidth=1.5).encode(
        x="central:Q")
    where = f" in {area_name}" if area_name else ""
    money_fmt = "£{:,.0f}" if money else "{:,.1f}"
    widest = "; ".join(f"{r['input']}, from {money_fmt.format(r['at_low'])} to {money_fmt.format(r['at_high'])}"
                       for r in top.head(3).iter_rows(named=True))
    description = (f"Tornado chart of what drives the {year} {what}{where}: for each input, the {what} with it at "
                   f"its low value (first bar) and at its high value (second bar), every other input central "
                   f"({money_fmt.format(central)} {unit}, the vertical line). Widest first: {widest or 'none'}.")
    chart = alt.layer(bars, line).properties(title=f"What drives the {year} {what}{where}", description=description,
                                             width=WIDTH, height=max(HEIGHT, 34 * top.height))
    return _config(chart)  # type: ignore[return-value]
# -- comparing areas (model/comparison.py) ------------------------------------------------------------------------

def comparison_dots(table: pl.DataFrame, measures: Mapping[str, str], group: str) -> alt.FacetChart:
    """One row of dots per measure (`measures`: column → heading), an area a dot, the chosen area (`chosen`) a
    larger red diamond labelled 'this area' — shape and words, not colour alone — each row on its own scale."""
    chosen = table.filter(pl.col("chosen"))
    name = chosen["name"][0] if chosen.height and chosen["name"][0] else ""
    long = pl.concat([table.select(pl.col("name").fill_null(pl.col("area")).alias("area_name"),
                                   pl.when(pl.col("chosen")).then(pl.lit("this area")).otherwise(pl.lit("other areas"))
                                   .alias("which"), pl.lit(heading).alias("measure"),
                                   pl.col(column).cast(pl.Float64).alias("value"), "chosen")
                      for column, heading in measures.items()]).filter(pl.col("value").is_not_null())
    long = long.sort("chosen").drop("chosen")  # the chosen area drawn last, over the others
    order = list(measures.values())
    points = alt.Chart().mark_point(filled=True, opacity=0.85).encode(
        alt.X("value:Q", title=None, scale=alt.Scale(zero=False)),
        alt.Shape("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"],
                                                         range=["diamond", "circle"])),
        alt.Color("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"], range=[RED, GREY])),
        # no legend=None here: Vega-Lite merges the size, shape and colour legends of one field, and would drop all
        alt.Size("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"], range=[160, 50])),
        tooltip=[alt.Tooltip("area_name:N", title="Area"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=",.3~f")])
    labels = [alt.Chart().mark_text(dy=-13, fontSize=11, fontWeight="bold", **halo).encode(
        alt.X("value:Q"), text=alt.value("this area")).transform_filter(alt.datum.which == "this area")
        for halo in ({"stroke": "white", "strokeWidth": 4}, {"color": "#0b0c0c"})]  # readable over the dots
    chart = alt.layer(points, *labels, data=_data(long)).properties(width=WIDTH, height=36).facet(
        row=alt.Row("measure:N", title=None, sort=order, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                           labelLimit=220)),
        title=f"{name} against {group}" if name else f"Against {group}").resolve_scale(x="independent")
    values = chosen.row(0, named=True) if chosen.height else {}
    said = "; ".join(f"{h}: {_num(values.get(c), COMPARE_FORMATS.get(c, '{:,.2f}'))}" for c, h in measures.items()
                     if values.get(c) is not None)
    description = (f"Dot plots, one row per measure, of {table.height} areas ({group}); {name or 'the chosen area'} is "
                   f"the large diamond labelled 'this area'. Its values: {said or 'none'}.")
    return _config(chart.properties(description=description))  # type: ignore[return-value]


def funnel(table: pl.DataFrame, curve: pl.DataFrame, group: str) -> alt.LayerChart:
    """The referral rate per 1,000 a year of each area of the group against its person-years, the group's pooled
    rate as a line and the 95% (dashed) and 99.8% (solid) control limits (model/comparison.funnel_curve); the
    chosen area a red diamond labelled 'this area'."""
    rated = table.filter(pl.col("referral_rate_per_1000").is_not_null()).select(
        pl.col("name").fill_null(pl.col("area")).alias("area_name"), "person_years", "referral_rate_per_1000",
        "funnel", pl.when(pl.col("chosen")).then(pl.lit("this area")).otherwise(pl.lit("other areas")).alias("which"),
        "chosen").sort("chosen").drop("chosen")  # the chosen area drawn last, over the others
    pooled = float(table["pooled_rate_per_1000"][0])
    lines = pl.concat([curve.select("exposure", pl.col(c).alias("limit"), pl.lit(words).alias("line"))
                       for c, words in (("low_95", "95% limits"), ("high_95", "95% limits "),
                                        ("low_998", "99.8% limits"), ("high_998", "99.8% limits "))])
    log = alt.Scale(type="log", nice=False, domain=[float(curve["exposure"].min()), float(curve["exposure"].max())])
    x = alt.X("exposure:Q", title="Children and young people × years counted (log scale)", scale=log,
              axis=alt.Axis(labelOverlap="greedy", format="~s"))
    limit_lines = alt.Chart(_data(lines)).mark_line(color=GREY).encode(
        x, alt.Y("limit:Q"), alt.Detail("line:N"),
        strokeDash=alt.StrokeDash("line:N", legend=None, scale=alt.Scale(
            domain=["95% limits", "95% limits ", "99.8% limits", "99.8% limits "],
            range=[[5, 3], [5, 3], [1, 0], [1, 0]])))
    centre = alt.Chart(alt.Data(values=[{"pooled": pooled}])).mark_rule(color=BLUE).encode(alt.Y("pooled:Q"))
    points = alt.Chart(_data(rated)).mark_point(filled=True, opacity=0.9).encode(
        alt.X("person_years:Q", scale=log),
        alt.Size("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"], range=[160, 50])),
        alt.Y("referral_rate_per_1000:Q", title=y_title("Accepted referrals per 1,000 a year")),
        alt.Shape("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"],
                                                         range=["diamond", "circle"])),
        alt.Color("which:N", title=None, scale=alt.Scale(domain=["this area", "other areas"], range=[RED, GREY])),
        tooltip=[alt.Tooltip("area_name:N", title="Area"),
                 alt.Tooltip("referral_rate_per_1000:Q", title="Rate per 1,000", format=",.2f"),
                 alt.Tooltip("person_years:Q", title="Person-years", format=",.0f"),
                 alt.Tooltip("funnel:N", title="Against the limits")])
    label = alt.layer(*(alt.Chart(_data(rated.filter(pl.col("which") == "this area"))).mark_text(
        dy=-14, fontSize=12, fontWeight="bold", **halo).encode(
        alt.X("person_years:Q", scale=log), alt.Y("referral_rate_per_1000:Q"), text=alt.value("this area"))
        for halo in ({"stroke": "white", "strokeWidth": 4}, {"color": "#0b0c0c"})))  # readable over the dots
    outside = rated.filter(pl.col("funnel").is_in(["above 99.8%", "below 99.8%"]))["area_name"].to_list()
    mine = rated.filter(pl.col("which") == "this area")
    where = f" The chosen area is {FLAG_WORDS.get(mine['funnel'][0], 'not placed')}." if mine.height else ""
    description = (f"Funnel plot of the accepted referral rate per 1,000 a year of {rated.height} areas ({group}) "
                   f"against their size, with the group's rate ({pooled:,.2f} per 1,000) as a line and the 95% "
                   f"(dashed) and 99.8% (solid) control limits.{where} Outside the 99.8% limits: "
                   f"{', '.join(outside) or 'none'}.")
    return _finish(alt.layer(limit_lines, centre, points, label), f"Referral rates against {group}",  # type: ignore[return-value]
                   description)
