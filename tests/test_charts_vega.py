"""Every chart as Vega draws it (vl-convert runs the Vega-Lite and Vega the web page serves): drawn without an error,
its legend shown where it has one, money written with a £."""

from __future__ import annotations

import functools
import inspect
import re
from collections import Counter
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc

from cyplan.reports import charts, svg


def _gap() -> pl.DataFrame:
    return pl.DataFrame({"area": ["A", "A"], "year": [2025, 2026], "demand_fte": [100.0, 110.0],
                         "demand_fte_p5": [90.0, 100.0], "demand_fte_p95": [110.0, 120.0], "supply_fte": [40.0, 42.0],
                         "supply_fte_p5": [38.0, 40.0], "supply_fte_p95": [42.0, 44.0]})


def _establishment() -> pl.DataFrame:
    return pl.DataFrame({"area": ["A", "A"], "year": [2025, 2026], "establishment_fte": [80.0, 80.0],
                         "in_post_fte": [70.0, 72.0], "in_post_fte_p5": [65.0, 66.0], "in_post_fte_p95": [75.0, 78.0],
                         "demand_fte": [90.0, 95.0], "demand_fte_p5": [85.0, 88.0], "demand_fte_p95": [95.0, 102.0]})


def _pipeline() -> pl.DataFrame:
    return pl.DataFrame({"area": ["A", "A"], "role": ["sw", "sw"], "year": [2025, 2026],
                         "places_starting": [10.0, 12.0], "qualifying": [8.0, 9.0], "joining_here": [5.0, 6.0],
                         "joining_here_p5": [3.0, 4.0], "joining_here_p95": [7.0, 8.0]})


def _swings() -> pl.DataFrame:
    """The cost of closing the gap is £2,500,000 with every input central; 'Unit cost' at its low makes it
    £2,000,000 and at its high £3,100,000; 'Vacancy rate' £2,400,000 and £2,600,000."""
    return pl.DataFrame({"input": ["Unit cost", "Vacancy rate"], "at_central": [2_500_000.0] * 2,
                         "at_low": [2_000_000.0, 2_400_000.0], "at_high": [3_100_000.0, 2_600_000.0],
                         "swing": [1_100_000.0, 200_000.0]})


@functools.cache
def every_chart() -> dict[str, alt.TopLevelMixin]:
    """One chart of every kind charts.py makes, each measure of those that have several."""
    compare = pl.DataFrame({"scenario": ["baseline", "more"], "gap_fte": [10.0, 6.0], "gap_fte_p5": [8.0, 4.0],
                            "gap_fte_p95": [12.0, 8.0], "cost_to_close": [2e6, 1.5e6],
                            "cost_to_close_p5": [1e6, 1e6], "cost_to_close_p95": [3e6, 2e6]})
    summary = pl.DataFrame({"measure": ["Received", "Accepted", "Not accepted"], "2025/26 Q1": ["20", "12", "8"],
                            "Total": ["20", "12", "8"]})
    ratios = pl.DataFrame({"category": ["X", "Y", "Total"], "rate_ratio": [0.5, 1.5, 1.0],
                           "ratio_low": [0.3, 1.2, 1.0], "ratio_high": [0.8, 1.9, 1.0]})
    flows = pl.DataFrame({"year": [2026], "start_fte": [100.0], "from_training": [5.0], "other_joiners": [3.0],
                          "recruited": [10.0], "leavers": [12.0], "retirements": [2.0], "end_fte": [104.0]})
    areas = pl.DataFrame({"area": ["E1", "E2", "E3"], "name": ["One", "Two", "Three"], "chosen": [True, False, False],
                          "rate": [1.5, 2.0, 2.5], "person_years": [1000.0, 5000.0, 20000.0],
                          "referral_rate_per_1000": [30.0, 25.0, 20.0], "funnel": ["above 95%", "within", "within"],
                          "pooled_rate_per_1000": [22.0] * 3})
    curve = pl.DataFrame({"exposure": [1000.0, 20000.0], "low_95": [15.0, 20.0], "high_95": [30.0, 24.0],
                          "low_998": [12.0, 19.0], "high_998": [34.0, 25.0]})
    role = pl.DataFrame({"role": ["a"], "year": [2030], "gap_fte": [5.0], "gap_fte_p5": [1.0], "gap_fte_p95": [8.0]})
    central = pl.DataFrame({"year": [2025, 2026], "cases": [1000.0, 1100.0]})
    return {"need_by_year": charts.need_by_year(central, central, central, "A"),
            "workforce_by_year": charts.workforce_by_year(_gap(), "A"),
            "gap_by_role": charts.gap_by_role(role, {"a": "Role A"}),
            "scenarios cost_to_close": charts.scenarios(compare, year=2030),
            "scenarios gap_fte": charts.scenarios(compare, "gap_fte"),
            "referrals_by_quarter": charts.referrals_by_quarter(summary),
            "equality_ratios": charts.equality_ratios(ratios, "gender"),
            "flows_waterfall": charts.flows_waterfall(flows, 2026, "A"),
            "establishment_by_year": charts.establishment_by_year(_establishment(), "A"),
            "pipeline_by_year": charts.pipeline_by_year(_pipeline(), "A"),
            "tornado gap": charts.tornado(_swings(), 2030, "gap", "A"),
            "tornado cost": charts.tornado(_swings(), 2030, "cost", "A"),
            "comparison_dots": charts.comparison_dots(areas, {"rate": "Rate"}, "neighbours"),
            "funnel": charts.funnel(areas, curve, "neighbours")}


def vega_svg(spec: dict[str, Any], capfd: pytest.CaptureFixture[str]) -> str:
    """Vega's SVG of the spec; fails on anything Vega reports (vl-convert logs an error, such as d3-format's "invalid
    format", and draws the chart without the marks it failed on: it raises nothing)."""
    capfd.readouterr()
    drawn = vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION, allowed_base_urls=[])
    reported = capfd.readouterr()
    assert not re.search(r"error|warn", reported.err + reported.out, re.IGNORECASE), reported
    return drawn


def test_every_chart_builder_is_drawn_here() -> None:
    """Catches a chart kind added to charts.py that the Vega test below does not draw (its formats unchecked)."""
    builders = {name for name, f in vars(charts).items() if inspect.isfunction(f) and f.__module__ == charts.__name__
                and not name.startswith("_") and str(f.__annotations__.get("return", "")).startswith("alt.")}
    assert builders == {name.split()[0] for name in every_chart()}


def units(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The single views of a spec, however layered or faceted."""
    if "spec" in spec:
        return units(spec["spec"])
    return [u for layer in spec["layer"] for u in units(layer)] if "layer" in spec else [spec]


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_chart_is_drawn_by_vega_without_an_error(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    """Catches a format string d3-format rejects (a "£,.0f" made the cost tornado's bars vanish in the browser) or any
    other spec Vega fails on, in any chart: Vega reports nothing, and every mark with a tooltip is drawn (it carries
    the tooltip's words as its aria-label, so a mark Vega failed to encode is missing). The spec is made with
    Altair's checks on, so a chart Vega-Lite's schema refuses fails too (the web's to_spec does not check)."""
    spec = every_chart()[name].to_dict()
    drawn = vega_svg(spec, capfd)
    tooltips = [t["title"] for unit in units(spec) for t in unit.get("encoding", {}).get("tooltip", [])
                if t.get("title")]
    assert all(f"{title}: " in drawn for title in tooltips), (name, tooltips)


def test_the_cost_tornado_writes_pounds(capfd: pytest.CaptureFixture[str]) -> None:
    """Catches the cost tornado's money written without a £, with a $ (d3's own locale), or not at all (an invalid
    format): 'Unit cost' at its low is £2,000,000, at its high £3,100,000, every input central £2,500,000, as Vega
    writes them and as cyplan's own renderer (the paper) writes them."""
    spec = charts.to_spec(charts.tornado(_swings(), 2030, "cost", "A"))
    for drawn in (vega_svg(spec, capfd), svg.draw(spec)):
        words = " ".join(re.findall(r'aria-label="([^"]*)"', drawn))
        for pounds in ("The cost of closing the gap: £2,000,000", "The cost of closing the gap: £3,100,000",
                       "Every input central: £2,500,000", "The cost of closing the gap: £2,600,000"):
            assert pounds in words
        assert "$" not in words


def legend_labels(spec: dict[str, Any]) -> list[list[str]]:
    """The labels of each legend Vega draws (its scenegraph's legend groups), in order."""
    found: list[list[str]] = []

    def walk(node: dict[str, Any], legend: list[str] | None) -> None:
        role = node.get("role")
        if role == "legend":
            legend = []
            found.append(legend)
        if role == "legend-label" and legend is not None:
            legend += [item["text"] for item in node.get("items", [])]
            return
        for item in node.get("items", []):
            walk(item, legend)

    walk(vlc.vegalite_to_scenegraph(spec, vl_version=charts.VL_VERSION)["scenegraph"], None)
    return found


LINES = {"workforce_by_year": ["Demand", "Supply"],
         "establishment_by_year": ["Need", "Funded establishment", "Staff in post"],
         "pipeline_by_year": ["Places starting", "Joining here"]}
LEGENDS = {**LINES, "referrals_by_quarter": ["Accepted", "Not accepted"],
           "flows_waterfall": ["Staff in post", "Joining (up)", "Leaving (down)"],
           "tornado": ["Input at its low", "Input at its high"],
           "comparison_dots": ["this area", "other areas"], "funnel": ["this area", "other areas"]}


@pytest.mark.parametrize("name", list(every_chart()))
def test_every_chart_with_a_key_shows_its_legend(name: str) -> None:
    """Catches a legend dropped (a layer, or a channel of the same field, setting its legend to none makes Vega-Lite
    drop the merged legend: the line charts with bands, the dot and funnel plots' size), or one drawn where a chart
    has none: Vega draws the legends listed here, with these labels in the scale's order, and none on the others; the
    paper's drawing (cyplan's own, or Vega's where cyplan's does not draw the chart) has each label."""
    spec = charts.to_spec(every_chart()[name])
    labels = LEGENDS.get(name) or LEGENDS.get(name.split()[0])
    assert legend_labels(spec) == ([labels] if labels else [])
    paper = Counter(re.findall(r"<text[^>]*>([^<]*)</text>", charts.svg_of(spec, own=True)))
    assert all(paper[label] >= 1 for label in labels or [])


@pytest.mark.parametrize(("name", "labels"), list(LINES.items()))
def test_the_line_charts_with_bands_have_their_legend_in_the_paper(name: str, labels: list[str]) -> None:
    """Catches the paper's own renderer drawing no legend for a line chart with bands, or other labels than Vega."""
    spec = charts.to_spec(every_chart()[name])
    assert f'aria-label="Legend: {", ".join(labels)}"' in svg.draw(spec)
