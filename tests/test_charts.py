"""The charts: data inline in the spec, a text description, titles and axis labels, SVG made offline."""

from __future__ import annotations

import json

import altair as alt
import polars as pl
import pytest

from cyplan.reports import charts


def gap_frame() -> pl.DataFrame:
    rows = []
    for year, demand, supply in ((2025, 100.0, 40.0), (2026, 110.0, 42.0)):
        rows.append({"area": "A", "year": year, "demand_fte": demand, "demand_fte_p5": demand - 10,
                     "demand_fte_p95": demand + 10, "supply_fte": supply, "supply_fte_p5": supply - 2,
                     "supply_fte_p95": supply + 2})
    return pl.DataFrame(rows)


def values(spec: dict) -> list[dict]:
    """Every row of data in the spec, wherever it sits (top level, or in a layer)."""
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "values" in node and isinstance(node["values"], list):
                found.extend(node["values"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def test_need_by_year_has_its_data_band_and_description() -> None:
    central = pl.DataFrame({"area": ["A", "A"], "year": [2025, 2026], "cases": [1000.0, 1100.0]})
    low = central.with_columns(pl.col("cases") * 0.8)
    high = central.with_columns(pl.col("cases") * 1.2)
    spec = charts.to_spec(charts.need_by_year(central, low, high, "Smalltown"))
    assert spec["title"] == "Need by year in Smalltown"
    assert "1,000 cases in 2025, 1,100 in 2026" in spec["description"]
    assert "low to the high estimate" in spec["description"]
    rows = values(spec)
    assert {"year": 2025, "cases": 1000.0, "cases_low": 800.0, "cases_high": 1200.0} in rows
    assert "url" not in json.dumps(spec)  # data inline, never fetched


def test_workforce_by_year_shows_both_measures_with_intervals() -> None:
    spec = charts.to_spec(charts.workforce_by_year(gap_frame(), "A"))
    rows = values(spec)
    assert {"year": 2026, "measure": "Demand", "fte": 110.0, "low": 100.0, "high": 120.0} in rows
    assert {"year": 2025, "measure": "Supply", "fte": 40.0, "low": 38.0, "high": 42.0} in rows
    assert "In 2025 demand is 100.0 FTE and supply 40.0" in spec["description"]
    titles = json.dumps(spec)
    assert "Full-time equivalents (FTE)" in titles and '"Year"' in titles


def test_gap_by_role_labels_roles_and_names_the_largest() -> None:
    frame = pl.DataFrame({"area": ["A", "A"], "year": [2030, 2030], "role": ["a", "b"], "gap_fte": [5.0, 9.0],
                          "gap_fte_p5": [1.0, 2.0], "gap_fte_p95": [8.0, 12.0]})
    spec = charts.to_spec(charts.gap_by_role(frame, {"a": "Role A", "b": "Role B"}))
    assert spec["title"] == "Workforce gap by role in 2030"
    assert "Largest gaps: Role B 9.0, Role A 5.0" in spec["description"]
    assert {"label": "Role B", "gap_fte": 9.0, "gap_fte_p5": 2.0, "gap_fte_p95": 12.0} in values(spec)


def test_scenarios_in_money_or_fte() -> None:
    frame = pl.DataFrame({"scenario": ["baseline", "more"], "gap_fte": [10.0, 6.0], "gap_fte_p5": [8.0, 4.0],
                          "gap_fte_p95": [12.0, 8.0], "cost_to_close": [2e6, 1.5e6], "cost_to_close_p5": [1e6, 1e6],
                          "cost_to_close_p95": [3e6, 2e6]})
    cost = charts.to_spec(charts.scenarios(frame, year=2030))
    assert "baseline £2.0m; more £1.5m" in cost["description"]
    assert {"scenario": "more", "value": 1.5, "low": 1.0, "high": 2.0} in values(cost)
    fte = charts.to_spec(charts.scenarios(frame, "gap_fte"))
    assert "baseline 10.0; more 6.0" in fte["description"]
    with pytest.raises(ValueError):
        charts.scenarios(frame, "nonsense")


def test_referrals_by_quarter_leaves_out_suppressed_counts_and_says_so() -> None:
    summary = pl.DataFrame({"measure": ["Accepted", "Not accepted", "Received"], "2025/26 Q1": ["100", "*", "105"],
                            "2025/26 Q2": ["90", "10", "100"], "Total": ["190", "15", "205"]})
    spec = charts.to_spec(charts.referrals_by_quarter(summary))
    rows = values(spec)
    assert {"quarter": "2025/26 Q1", "measure": "Not accepted", "referrals": None} in rows
    assert {"quarter": "2025/26 Q2", "measure": "Accepted", "referrals": 90} in rows
    assert "205 received in all" in spec["description"] and "1 suppressed count(s)" in spec["description"]


def test_equality_ratios_plots_rated_categories_only() -> None:
    view = pl.DataFrame({"category": ["X", "Y", "(blank)", "Total"], "rate_ratio": [0.5, 1.6, None, 1.0],
                         "ratio_low": [0.3, 1.2, None, None], "ratio_high": [0.8, 2.0, None, None]})
    spec = charts.to_spec(charts.equality_ratios(view, "ethnicity"))
    categories = {r.get("category") for r in values(spec)} - {None}
    assert categories == {"X", "Y"}
    assert "Below the area's rate (whole interval under 1): X. Above it: Y." in spec["description"]


def test_svg_is_made_offline_with_the_title() -> None:
    svg = charts.to_svg(charts.workforce_by_year(gap_frame(), "A"))
    assert svg.startswith("<svg") and "Workforce demand and supply in A" in svg
    assert "http://" not in svg.replace("http://www.w3.org", "")


# -- layout: an axis title never reaches into the chart's title --------------------------------------------------

BOLD_WIDTH = 0.66  # a bold character's width as a share of its font size, on the long side for Helvetica/Arial


def _texts(node: dict, x: float = 0.0, y: float = 0.0, role: str | None = None) -> list[tuple[str, dict, float]]:
    """(role, item, group's absolute y) of every title and axis-title text in a Vega scenegraph."""
    role = node.get("role", role)
    if node.get("marktype") == "text" and role in ("title-text", "axis-title"):
        return [(role, item, y) for item in node["items"]]
    group = "marktype" not in node  # a group item carries the offset of what it holds
    return [t for item in node.get("items", [])
            for t in _texts(item, x + (node.get("x", 0) if group else 0), y + (node.get("y", 0) if group else 0), role)]


def _vertical_boxes(chart: alt.TopLevelMixin) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """The chart title's (top, bottom) and each rotated axis title's, in the chart's pixels."""
    import vl_convert as vlc

    found = _texts(vlc.vegalite_to_scenegraph(chart.to_dict(), vl_version=charts.VL_VERSION)["scenegraph"])
    (_, title, ty), = [t for t in found if t[0] == "title-text"]
    top = ty + (title.get("y") or 0)
    size = title["fontSize"] * (len(title["text"]) if isinstance(title["text"], list) else 1)
    title_box = (top, top + size) if title.get("baseline") == "top" else (top - size, top)
    boxes = []
    for _, item, gy in found:
        if _ != "axis-title" or item.get("angle") not in (-90, 90, 270):
            continue
        lines = item["text"] if isinstance(item["text"], list) else [item["text"]]
        half = max(len(line) for line in lines) * item["fontSize"] * BOLD_WIDTH / 2
        boxes.append((gy + item["y"] - half, gy + item["y"] + half))
    return title_box, boxes


def test_a_long_y_axis_title_does_not_overlap_the_chart_title(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a rotated y-axis title, centred on the plot and longer than it, drawn over the chart's title."""
    long = "Cost to close the gap a year, in millions of pounds at this year's prices (£m)"
    monkeypatch.setitem(charts.SCENARIO_MEASURES, "cost_to_close",
                        (long, "the cost to close the gap", 1e-6, "£{:,.1f}m"))
    frame = pl.DataFrame({"scenario": ["baseline", "more"], "cost_to_close": [2e6, 1e6],
                          "cost_to_close_p5": [1e6, 5e5], "cost_to_close_p95": [3e6, 2e6]})
    (top, bottom), boxes = _vertical_boxes(charts.scenarios(frame, "cost_to_close", 2030))
    assert boxes and all(box_top > bottom for box_top, _ in boxes), (top, bottom, boxes)
    assert charts.y_title(long) != long  # wrapped, every word kept
    assert " ".join(charts.y_title(long)) == long


def test_no_chart_has_an_axis_title_over_its_title() -> None:
    """Each chart builder with its own axis titles: no rotated axis title reaches the title's box."""
    central = pl.DataFrame({"area": ["A", "A"], "year": [2025, 2026], "cases": [1000.0, 1100.0]})
    gap = pl.DataFrame({"area": ["A"], "year": [2030], "role": ["a"], "gap_fte": [5.0], "gap_fte_p5": [1.0],
                        "gap_fte_p95": [8.0]})
    frame = pl.DataFrame({"scenario": ["baseline"], "gap_fte": [10.0], "gap_fte_p5": [8.0], "gap_fte_p95": [12.0],
                          "cost_to_close": [2e6], "cost_to_close_p5": [1e6], "cost_to_close_p95": [3e6]})
    summary = pl.DataFrame({"measure": ["Accepted", "Not accepted", "Received"], "2025/26 Q1": ["100", "9", "109"],
                            "Total": ["100", "9", "109"]})
    view = pl.DataFrame({"category": ["X", "Total"], "rate_ratio": [0.5, 1.0], "ratio_low": [0.3, None],
                         "ratio_high": [0.8, None]})
    made = [charts.need_by_year(central, central, central, "Smalltown"), charts.workforce_by_year(gap_frame(), "A"),
            charts.gap_by_role(gap, {"a": "Role A"}), charts.scenarios(frame, year=2030),
            charts.scenarios(frame, "gap_fte"), charts.referrals_by_quarter(summary),
            charts.equality_ratios(view, "trauma_category")]
    for chart in made:
        (_, bottom), boxes = _vertical_boxes(chart)
        assert boxes and all(box_top > bottom for box_top, _ in boxes), (chart.to_dict().get("title"), bottom, boxes)


def test_tornado_draws_each_inputs_low_and_high_from_the_central_result() -> None:
    """The ten widest swings, each as two bars from the central result (1,000 FTE) to the result with the input at
    its low and at its high, widest first; the description names them with their figures. Catches bars drawn from
    zero, the ends swapped, or more inputs than the chart has room for."""
    swings = pl.DataFrame({"input": [f"input {i}" for i in range(12)], "at_central": [1000.0] * 12,
                           "at_low": [1000.0 - 10 * (12 - i) for i in range(12)],
                           "at_high": [1000.0 + 5 * (12 - i) for i in range(12)]}).with_columns(
        (pl.col("at_high") - pl.col("at_low")).abs().alias("swing"))
    chart = charts.tornado(swings, 2035, "gap", "Smalltown")
    spec = charts.to_spec(chart)
    bars = [v for v in values(spec) if "end" in v]
    assert len(bars) == 20 and {v["start"] for v in bars} == {1000.0}
    assert {(v["input"], v["end"], v["value"]) for v in bars} >= {("input 0", "Input at its low", 880.0),
                                                                  ("input 0", "Input at its high", 1060.0)}
    assert "input 11" not in json.dumps(spec)
    assert spec["title"] == "What drives the 2035 gap in Smalltown"
    assert "Widest first: input 0, from 880.0 to 1,060.0; input 1" in spec["description"]
    assert "<svg" in charts.to_svg(chart)


@pytest.mark.parametrize("damage", [b"\xff\xfe<svg", b"<svg xmlns='http://www.w3.org/2000/svg'><rect", b""])
def test_a_damaged_kept_chart_is_drawn_again(tmp_path, damage: bytes) -> None:
    """Catches a kept chart that is not whole UTF-8 SVG (a damaged disk, a hand edit) stopping the board paper with
    a UnicodeDecodeError traceback, or going into it cut short or empty: it is drawn again and kept whole."""
    spec = {"width": 100, "height": 80, "title": "Kept", "mark": {"type": "bar"},
            "data": {"values": [{"role": "a", "fte": 2.0}]},
            "encoding": {"y": {"field": "role", "type": "nominal"}, "x": {"field": "fte", "type": "quantitative"}}}
    whole = charts.svg_of(spec, kept=tmp_path, own=True)
    (kept,) = tmp_path.glob("*.svg")
    kept.write_bytes(damage)
    assert charts.svg_of(spec, kept=tmp_path, own=True) == whole
    assert kept.read_text(encoding="utf-8") == whole
