"""The first page after a change (issue 17 part 4): the overview and the workforce page work out what they show first
— the chosen scenario's simulation, the tables — and load the rest after (the scenarios side by side, which take
every scenario's simulation, and the charts), on the demo workspace. Each test names the wrong page it catches.

What "the same figures" means here: the page as a browser ends up with it, its later parts loaded from their own
addresses, against the page with everything worked out at once, as before the change (a fresh app whose results
were all worked out before the page was asked for, so that the page has them in it). benchmarks/web_load.py --cold
--before compares the figures with an earlier version's code itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import altair as alt
import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as hs

from conftest import LATER, CliResult
from cyplan import reference, results
from cyplan.model import flows
from cyplan.reports import charts
from cyplan.web import security
from cyplan.web.app import create_app
from cyplan.web.routes import overview, workforce
from cyplan.web.state import WorkspaceState

AREA = "E10999999"
HX = {"HX-Request": "true"}
TABLE = re.compile(r"<table.*?</table>", re.S)
SPEC = re.compile(r'data-vega-spec="([^"]*)"')
PAGES = ("/", "/workforce", "/workforce?year=2030&scenario=training")


@pytest.fixture
def app_on(demo_workspace: Path) -> Iterator[Callable[[], TestClient]]:
    """Apps on the demo workspace, each with results of its own (as two server processes have)."""
    made: list[Any] = []

    def make() -> TestClient:
        app = create_app(demo_workspace)
        made.append(app)
        return TestClient(app, base_url="http://localhost")
    yield make
    for app in made:
        app.state.workspace.close()


def _state(client: TestClient) -> WorkspaceState:
    return client.app.state.workspace  # type: ignore[attr-defined,no-any-return]


def _later(html: str) -> list[str]:
    return [u.replace("&amp;", "&") for u in LATER.findall(html)]


def _worked_out_at_once(client: TestClient) -> None:
    """Every result the pages show worked out before any page is asked for: the page then has all of it in it."""
    st = _state(client)
    for path in PAGES:
        query = dict(re.findall(r"(\w+)=(\w+)", path))
        if path == "/":
            view = overview._view(st, AREA)
            for name in view["chart_ids"]:
                overview.CHARTS[name](st, AREA)
            continue
        view = workforce._view(st, AREA, int(query["year"]) if "year" in query else None, query.get("scenario"))
        workforce._compare_view(st, AREA, view["year"])
        for name in workforce._charts(st, view):
            workforce.chart(st, name, AREA, view["year"], view["scenario"])


def _figures(html: str) -> tuple[list[str], list[str]]:
    return TABLE.findall(html), SPEC.findall(html)


def test_the_first_workforce_page_after_a_change_simulates_the_chosen_scenario_alone(
        app_on: Callable[[], TestClient]) -> None:
    """Catches the first page working out every scenario's 1,000 draws before it answers (the 748 ms of issue 17),
    and a page waiting for its later parts kept as the page (every later visitor would get the placeholders)."""
    client = app_on()
    html = client.get("/workforce").text
    kept = {key for key in _state(client)._cache if key[0] == "simulation"}
    assert kept == {("simulation", results.BASELINE)}
    assert not any(key[0] == "page" for key in _state(client)._cache)
    assert set(_later(html)) == {f"/workforce/scenarios?area={AREA}&year=2035", *(
        f"/charts/{name}?area={AREA}&year=2035&scenario=baseline" for name in workforce.CHARTS)}
    # the figures the page is for are in it at once
    words = re.sub(r"<[^>]+>", " ", html)
    for phrase in ("The gap by role in 2035", "Supply by role", "Demand and supply by year",
                   "Who joins and who leaves"):
        assert phrase in words
    assert len(TABLE.findall(html)) >= 6


@pytest.mark.parametrize("path", PAGES)
def test_the_page_loaded_whole_shows_the_figures_of_the_page_worked_out_at_once(
        app_on: Callable[[], TestClient], path: str) -> None:
    """Catches a later part asked for with the wrong area, year or scenario, or kept under the wrong one (another
    year's comparison, the baseline's chart under a scenario): each table and chart the page loads after it must be
    the one the page worked out at once shows, in the same place; and the page, once whole, is that page."""
    lazy, eager = app_on(), app_on()
    _worked_out_at_once(eager)
    whole = eager.get(path).text
    assert not LATER.search(whole)
    first = lazy.get(path).text
    later = _later(first)
    assert later
    for address in later:
        part = lazy.get(address, headers=HX).text
        tables, specs = _figures(part)
        assert tables or specs, address
        assert all(t in _figures(whole)[0] for t in tables), address
        assert all(s in _figures(whole)[1] for s in specs), address
    assert _figures(lazy.get(path).text) == _figures(whole)


def test_without_javascript_the_link_shows_the_scenarios_side_by_side(app_on: Callable[[], TestClient]) -> None:
    """Catches a page whose comparison only JavaScript can reach: the placeholder is a plain link, and the link is a
    whole page with the table the workforce page shows once it is worked out."""
    client = app_on()
    html = client.get("/workforce?year=2030").text
    link = re.search(r'<a class="govuk-link" href="(/workforce/scenarios\?[^"]+)">Show the scenarios side by side',
                     html)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200 and "<html" in page.text
    assert "Scenarios side by side in 2030, Exampleshire" in re.sub(r"\s+", " ", page.text)
    table = [t for t in TABLE.findall(page.text) if 'id="scenarios"' in t]  # beside it: what drives the gap
    assert len(table) == 1 and "The baseline and each scenario in 2030" in table[0]
    assert table[0] in client.get("/workforce?year=2030").text


def test_a_change_between_the_page_and_its_later_parts_shows_the_new_figures(
        app_on: Callable[[], TestClient], demo_workspace: Path, tmp_path: Path,
        run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """Catches a later part answered from results worked out for the data as it was when the page was shown: after
    the scenarios change, the comparison the page loads is the new data's."""
    client = app_on()
    assert f"/workforce/scenarios?area={AREA}&amp;year=2035" in client.get("/workforce").text
    before = client.get(f"/workforce/scenarios?area={AREA}&year=2035", headers=HX).text
    changed = tmp_path / "scenarios.csv"
    changed.write_text((reference.DEMO / "scenarios.csv").read_text().replace(",add,15,", ",add,150,"))
    assert run_cli(["import", "scenarios", changed, "-w", demo_workspace])[0] == 0
    after = client.get(f"/workforce/scenarios?area={AREA}&year=2035", headers=HX).text
    fresh = app_on().get(f"/workforce/scenarios?area={AREA}&year=2035", headers=HX).text
    assert TABLE.findall(after) == TABLE.findall(fresh) != TABLE.findall(before)


def test_an_upload_works_out_the_simulation_before_the_next_page_asks(
        app_on: Callable[[], TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the page after an import through the data page starting the simulation only when asked, and a
    simulation worked out after the upload that is not the uploaded data's (the new population's)."""
    threads = []
    work_out_after = WorkspaceState.work_out_after
    monkeypatch.setattr(WorkspaceState, "work_out_after",
                        lambda self, compute: threads.append(work_out_after(self, compute)) or threads[-1])
    client = app_on()
    client.get("/")
    population = (reference.DEMO / "population.csv").read_text().splitlines()
    header, rows = population[0], population[1:]
    count = header.split(",").index("count")
    doubled = [",".join(str(2 * float(v)) if i == count else v for i, v in enumerate(r.split(","))) for r in rows]
    token = re.search(rf'name="{security.CSRF_FIELD}" value="([^"]+)"', client.get("/data").text)
    assert token is not None
    done = client.post("/data/upload", data={"kind": "population", "mode": "replace",
                                             security.CSRF_FIELD: token.group(1)},
                       files={"file": ("population.csv", "\n".join([header, *doubled]).encode())})
    assert done.status_code == 200 and "Imported" in done.text
    assert len(threads) == 1
    threads[0].join()
    st = _state(client)
    assert st.holds(("simulation", results.BASELINE))
    kept = st.cached(("simulation", results.BASELINE), lambda: None)
    expected = results.simulation(st.ws.read_all())
    assert np.array_equal(kept.demand, expected.demand) and np.array_equal(kept.total_supply, expected.total_supply)


def _house_style_as_before(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The spec as charts.py made it before issue 17: the style by a chain of configure_… calls, then to_dict(),
    which checks it against Vega-Lite's schema."""
    bare = chart.copy(deep=True)
    bare.config = alt.Undefined
    return (bare.configure(font=charts.FONT,  # type: ignore[no-any-return]
                           locale=alt.Locale(number=alt.NumberLocale(**charts.NUMBER_LOCALE)))
            .configure_axis(labelFontSize=11, titleFontSize=charts.AXIS_TITLE_SIZE, labelColor="#0b0c0c",
                            titleColor="#0b0c0c", gridColor="#dddddd")
            .configure_title(fontSize=14, anchor="start", color="#0b0c0c")
            .configure_legend(labelFontSize=11, titleFontSize=12, orient="bottom")
            .configure_view(stroke=None)).to_dict()


def test_every_chart_of_the_two_pages_is_the_spec_made_and_checked_as_before(demo_workspace: Path) -> None:
    """Catches the quicker house style (one Config, no deep copies) or the unchecked web spec differing from the
    spec made as before in any key, and a chart the schema refuses (to_dict() checks each against it)."""
    st = WorkspaceState(demo_workspace)
    try:
        made = []
        for scenario in (results.BASELINE, "training"):
            d = workforce._shown(st, AREA, 2030, scenario)
            labels = results.labels(st.frames())
            made += [build(d, "Exampleshire", labels) for build in workforce.CHARTS.values()]
        made.append(charts.scenarios(workforce._compare(st, AREA, 2030)[0], "cost_to_close", 2030))
        made.append(charts.workforce_by_year(overview.gap_by_year(st, AREA), "Exampleshire"))
        low, high = (results.plan(st.frames(), e) for e in ("low", "high"))
        from cyplan.model.plan import need_table
        made.append(charts.need_by_year(overview._need(st, AREA), need_table(low, [], [AREA]),
                                        need_table(high, [], [AREA]), "Exampleshire"))
        for chart in made:
            assert charts.to_spec(chart) == _house_style_as_before(chart)
    finally:
        st.close()


@settings(max_examples=60, deadline=None)
@given(cells=hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=30),
                        elements=hs.integers(0, 5)),
       together=hs.booleans(), data=hs.data())
def test_the_stock_and_flow_sums_each_cell_as_np_add_at_did(cells: np.ndarray, together: bool,
                                                           data: hs.DataObject) -> None:
    """Catches the row-by-row sum of the census rows into (area, role) cells (flows._by_role, quicker than
    np.add.at) adding in another order, or to another cell, or losing a row: every double must be np.add.at's,
    -0.0, infinities and rows sharing a cell included, for the workforce page's flows and establishment."""
    area, role = cells // 3, cells % 3
    rows = data.draw(hnp.arrays(np.float64, (len(cells), 2, 4), elements=hs.floats(allow_nan=False, width=64)))
    sim = SimpleNamespace(census_cells=(area, role, None), dims=SimpleNamespace(areas=("a", "b"),
                                                                                roles=("x", "y", "z")))
    expected = np.zeros((2, 1 if together else 3, 2, 4))
    with np.errstate(invalid="ignore", over="ignore"):
        np.add.at(expected, (area, np.zeros_like(role) if together else role), rows)
        got = flows._by_role(sim, rows, together)  # type: ignore[arg-type]
    assert got.tobytes() == expected.tobytes()


def test_the_demand_worked_out_in_two_threads_is_the_demand_year_by_year(demo_workspace: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the demand's years shared between two threads (simulate._demand, issue 17 part 4) differing in any
    bit from the years worked out one after another in one thread: a year written over another's rows, a value
    carried from one year to the next, the two halves cut wrongly (a year left out or done twice)."""
    from cyplan.model import simulate
    from cyplan.store.folder import read_at_rest

    frames = read_at_rest(demo_workspace)
    assert frames is not None
    scenarios = results.scenario_names(frames)
    threaded = [results.simulation(frames, s).demand for s in scenarios]
    halves: list[int] = []
    monkeypatch.setattr(simulate, "in_parts", lambda work, n: halves.append(n) or work(slice(0, n)))
    alone = [results.simulation(frames, s).demand for s in scenarios]
    assert len(scenarios) > 1 and halves and all(n > 2 for n in halves)
    assert [d.tobytes() for d in threaded] == [d.tobytes() for d in alone]
