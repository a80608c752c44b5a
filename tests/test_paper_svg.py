"""The board paper's charts drawn by cyplan's own SVG renderer (reports/svg.py; decision 0019)
say what Vega's drawing of the same spec says: the same title, axis titles, tick and category labels and legend, and a
mark for every row, where the numbers put it."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter
from contextlib import closing

import polars as pl
import pytest
import vl_convert as vlc
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cyplan.reports import charts, svg
from cyplan.reports.paper import build_paper
from cyplan.store.workspace import Workspace


def texts(drawn: str) -> Counter[str]:
    """Every piece of text drawn: titles, axis labels and titles, legend labels."""
    return Counter(html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", drawn))


def vega(spec: dict) -> str:
    return vlc.vegalite_to_svg(spec, vl_version=charts.VL_VERSION, allowed_base_urls=[])


@pytest.fixture(scope="module")
def demo_specs(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The Vega-Lite spec of each chart of the demo's paper, as `cyplan demo` makes it (referral returns too)."""
    from cyplan.cli import app

    path = tmp_path_factory.mktemp("paper-svg") / "exampleshire"
    assert CliRunner().invoke(app, ["demo", str(path)]).exit_code == 0
    with closing(Workspace.open(path)) as ws:
        paper = build_paper(ws, today=dt.date(2026, 12, 6))
    return [f.spec for f in paper.figures]


def test_every_chart_of_the_demo_paper_says_what_vegas_drawing_says(demo_specs: list[dict]) -> None:
    """Catches a chart drawn with a title, an axis title, a tick label (another nice domain or step, another number
    format), a category label (another order, a label cut elsewhere), or a legend entry Vega's drawing does not have,
    or without one it has: the text of each of the demo paper's 11 charts, as drawn by both, compared as multisets."""
    assert len(demo_specs) == 11
    for spec in demo_specs:
        assert texts(svg.draw(spec)) == texts(vega(spec)), spec["title"]


def test_every_row_of_the_demo_paper_is_a_mark_with_its_tooltips_words(demo_specs: list[dict]) -> None:
    """Catches a row left undrawn (a bar, a point, a year of a line): each row of every layer with a tooltip is a mark
    labelled with the tooltip's words, its numbers as the tooltip formats them."""
    for spec in demo_specs:
        drawn = html.unescape(svg.draw(spec))
        for layer in svg.layers(spec):
            if "tooltip" not in layer.enc or layer.kind == "area":
                continue
            for row in layer.rows:
                words = svg._tooltip(layer, row)
                assert words and f'aria-label="{words}"' in drawn, (spec["title"], words)


def bars(drawn: str) -> list[tuple[float, float, float, float]]:
    return [tuple(float(v) for v in m) for m in
            re.findall(r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.-]+)" height="([\d.-]+)"[^>]*aria-label', drawn)]


def test_bars_and_whiskers_are_where_the_numbers_put_them() -> None:
    """Catches a bar whose length is not its value on the axis, or a whisker not from the 5th to the 95th percentile,
    worked by hand: gaps of 100 and 40 FTE, whiskers 90–110 and 10–70. The axis runs from 0 to 110 (the largest
    value, 110, made nice with Vega's 10 ticks: steps of 10), 520 px wide, so 1 FTE is 520 / 110 = 4.727 px: bars
    472.7 and 189.1 px long, whiskers from 425.5 to 520 px and from 47.3 to 330.9 px; the larger gap in the top band,
    and ticks 0, 10, …, 110."""
    frame = pl.DataFrame({"role": ["a", "b"], "year": [2030, 2030], "gap_fte": [40.0, 100.0],
                          "gap_fte_p5": [10.0, 90.0], "gap_fte_p95": [70.0, 110.0]})
    spec = charts.to_spec(charts.gap_by_role(frame, {"a": "Role A", "b": "Role B"}))
    drawn = svg.draw(spec)
    assert texts(drawn) == texts(vega(spec))
    assert all(texts(drawn)[str(t)] == 1 for t in range(0, 120, 10)) and "120" not in texts(drawn)
    (x1, y1, w1, _), (x2, y2, w2, _) = bars(drawn)
    assert (x1, x2) == (0.0, 0.0) and y1 < y2  # Role B (100) first, at the top
    assert (w1, w2) == (pytest.approx(472.7, abs=0.1), pytest.approx(189.1, abs=0.1))
    whisker = r'<line x1="([\d.]+)" x2="([\d.]+)" y1="[\d.]+" y2="[\d.]+" stroke="#0b0c0c"'
    rules = [tuple(float(v) for v in m) for m in re.findall(whisker, drawn)]
    assert rules == [pytest.approx((425.5, 520.0), abs=0.1), pytest.approx((47.3, 330.9), abs=0.1)]


def test_a_chart_it_does_not_draw_is_drawn_by_vega() -> None:
    """Catches a chart the renderer cannot draw (a faceted chart) drawn wrong or failing the paper: it raises
    Unsupported, and svg_of draws it with vl-convert instead."""
    table = pl.DataFrame({"area": ["A", "B"], "name": ["Aa", "Bb"], "chosen": [True, False], "rate": [1.0, 2.0]})
    spec = charts.to_spec(charts.comparison_dots(table, {"rate": "Rate"}, "neighbours"))
    with pytest.raises(svg.Unsupported):
        svg.draw(spec)
    assert charts.svg_of(spec, own=True) == vega(spec)


@pytest.mark.parametrize(("value", "spec", "words"), [
    (-1234.5, ",.1f", "−1,234.5"), (1234.0, "$,.0f", "£1,234"), (-5.0, "$,.0f", "−£5"), (0.5, "~g", "0.5"),
    (2.0, "~g", "2"), (1500.0, ",", "1,500"), (12.0, ".2f", "12.00"), (0.125, ".1%", "12.5%"), (-0.0, ",", "0"),
    (-0.04, ",.1f", "0.0")])
def test_numbers_are_written_as_d3_format_writes_them(value: float, spec: str, words: str) -> None:
    """Catches a tooltip's or tick's number written otherwise than Vega writes it (grouping, decimals, the minus sign
    d3 uses, the locale's currency before the minus), in the charts' locale (charts.NUMBER_LOCALE: £)."""
    assert svg.number(value, spec, charts.NUMBER_LOCALE["currency"][0]) == words


def test_a_format_d3_rejects_is_not_drawn() -> None:
    """Catches the renderer writing a number in a format Vega fails on ("£,.0f" is no d3 format: the browser drew no
    bars): it raises Unsupported, and "$" with no locale is d3's own dollar."""
    with pytest.raises(svg.Unsupported):
        svg.number(1234.0, "£,.0f")
    assert svg.number(1234.0, "$,.0f") == "$1,234"


@settings(max_examples=20, deadline=None)
@given(values=st.lists(st.floats(min_value=-5e4, max_value=5e5, allow_nan=False).map(lambda v: round(v, 1)),
                       min_size=1, max_size=6))
def test_a_linear_axis_has_vegas_ticks_for_any_values(values: list[float]) -> None:
    """Catches a quantitative axis made nice, or ticked, otherwise than Vega does it (its labels and their number),
    for any values, negative ones too: a scenario chart of those values drawn by both."""
    compare = pl.DataFrame({"scenario": [f"s{i}" for i in range(len(values))], "gap_fte": values,
                            "gap_fte_p5": values, "gap_fte_p95": values})
    spec = charts.to_spec(charts.scenarios(compare, "gap_fte"))
    spec["description"] = ""  # the words are not drawn; only the axes and labels are compared
    assert texts(svg.draw(spec)) == texts(vega(spec))


def test_the_paper_html_holds_the_own_charts_named_by_their_descriptions(demo_specs: list[dict]) -> None:
    """Catches the paper's charts losing their accessible name: each SVG in the HTML is role="img" with the chart's
    description as its aria-label (paper/render.py), drawn by cyplan (no Vega class names), offline."""
    from cyplan.reports.paper.document import Figure
    from cyplan.reports.paper.render import _svg

    for i, spec in enumerate(demo_specs):
        figure = Figure(i + 1, spec["title"], None, ())  # type: ignore[arg-type]
        figure.__dict__["spec"] = spec
        drawn = _svg(figure)
        named = re.match(r'<svg role="img" aria-label="([^"]*)"', drawn)
        assert named and html.unescape(named[1]) == spec["description"]
        assert 'class="marks"' not in drawn and "http://" not in drawn.replace("http://www.w3.org", "")


def _edge_charts() -> dict[str, dict]:
    empty_gap = pl.DataFrame(schema={"area": pl.String, "year": pl.Int64, **{
        c: pl.Float64 for c in ("demand_fte", "demand_fte_p5", "demand_fte_p95", "supply_fte", "supply_fte_p5",
                                "supply_fte_p95")}})
    summary = pl.DataFrame({"measure": ["Received", "Accepted", "Not accepted"], "2025/26 Q1": ["20", "*", "15"],
                            "2025/26 Q2": ["30", "25", "*"], "Total": ["50", "35", "15"]})
    ratios = pl.DataFrame({"category": ["Male", "Female", "Total"], "rate_ratio": [0.0, 1.2, 1.0],
                           "ratio_low": [0.0, 1.1, 1.0], "ratio_high": [0.004, 1.3, 1.0]})
    surplus = pl.DataFrame({"role": ["a", "b"], "year": [2030, 2030], "gap_fte": [-40.0, 10.0],
                            "gap_fte_p5": [-60.0, 5.0], "gap_fte_p95": [-20.0, 15.0]})
    return {"no years": charts.to_spec(charts.workforce_by_year(empty_gap, "A")),
            "suppressed counts": charts.to_spec(charts.referrals_by_quarter(summary)),
            "ratios over five powers of ten": charts.to_spec(charts.equality_ratios(ratios, "gender")),
            "a surplus": charts.to_spec(charts.gap_by_role(surplus)),
            "no low and high": charts.to_spec(charts.need_by_year(pl.DataFrame({"year": [2025, 2026],
                                                                                "cases": [10.0, 12.0]})))}


@pytest.mark.parametrize("name", list(_edge_charts()))
def test_charts_of_other_workspaces_say_what_vegas_say(name: str) -> None:
    """Catches what the demo does not show drawn otherwise than Vega draws it: a workforce with no years (Vega's one
    tick at 0), referral counts withheld ('*', not drawn), a log axis over five powers of ten (only 1× and 2× each
    power labelled, as d3 labels it), a surplus (negative gaps), a need chart without its low and high."""
    spec = _edge_charts()[name]
    assert texts(svg.draw(spec)) == texts(vega(spec))


@pytest.mark.parametrize("values", [[float("nan"), 1.0], [float("inf"), 1.0], [1.0, -float("inf")],
                                    [1.7e308, -1.7e308], [1e308, -1e308]])
def test_numbers_it_cannot_place_are_left_to_vega_not_a_traceback(values: list[float]) -> None:
    """Catches NaN, infinity or numbers near float's limit reaching the paper's renderer ending the report in a
    ValueError or OverflowError (or drawing positions of NaN): it says Unsupported, and svg_of draws with Vega."""
    spec = {"width": 200, "height": 100, "mark": {"type": "bar"},
            "data": {"values": [{"role": f"r{i}", "fte": v} for i, v in enumerate(values)]},
            "encoding": {"y": {"field": "role", "type": "nominal"}, "x": {"field": "fte", "type": "quantitative"}}}
    with pytest.raises(svg.Unsupported):
        svg.draw(spec)
    assert charts.svg_of(spec, own=True).startswith("<svg")
