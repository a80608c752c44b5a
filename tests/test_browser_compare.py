"""The comparison page in a real browser (Playwright, Debian's Chromium, axe-core), on a workspace of several areas
with each area's referral counts: every chart drawn, no serious or critical axe violation, the area marked in
words, the area kept when the year is chosen, no console error and nothing fetched beyond loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from browser_support import Server, Watch, axe_violations, wait_for_charts
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from several_areas import DEMO, several_areas

AREA = "E10999998"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser-compare")
    path = several_areas(folder / "workspace")
    counts = folder / "referral_counts.csv"
    pl.DataFrame({"area": [DEMO, AREA, "E10999997", "E06999999"], "year": [2025] * 4,
                  "referrals": [2100, 900, 600, 400], "source": ["made up for a test"] * 4}).write_csv(counts)
    ws = Workspace.open(path)
    try:
        import_inputs(ws, [Source("referral_counts", counts)])
    finally:
        ws.close()
    s = Server(path, folder / "server.log").start()
    yield s
    s.stop()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(base_url=server.url)
    tab = context.new_page()
    watch = Watch()
    watch.attach(context, tab)
    yield tab, watch
    context.close()


def test_compare_page_draws_every_chart_and_is_accessible(page: tuple[Any, Watch]) -> None:
    """Two groups with areas (region, all): a dot plot and a funnel plot each; the neighbours' group says why it
    has none. Catches a chart that does not draw, an axe violation in the tables or charts, or the area marked by
    colour alone."""
    tab, watch = page
    response = tab.goto(f"/compare?area={AREA}")
    assert response is not None and response.status == 200
    tab.wait_for_load_state("load")
    assert wait_for_charts(tab) == 4
    violations = axe_violations(tab)
    assert not violations, "axe found serious or critical violations:\n" + "\n".join(violations)
    first = tab.locator("#compare-region tbody tr").first.locator("th").inner_text()
    assert first.strip() == "Sampleton (▶ this area)"
    # the funnel is drawn, and its description names the area beyond the 99.8% limits
    assert tab.locator("#chart-funnel-region svg").count() >= 1
    assert "Outside the 99.8% limits: Testbury" in tab.locator("#chart-funnel-region").locator("xpath=..").inner_text()
    watch.check()


def test_choosing_a_year_keeps_the_area(page: tuple[Any, Watch]) -> None:
    """Catches the year's form dropping the area (the page would fall back to the first area)."""
    tab, watch = page
    tab.goto(f"/compare?area={AREA}")
    tab.select_option("#year", "2030")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Show the year").click()
    assert "area=E10999998" in tab.url and "year=2030" in tab.url
    assert tab.locator("h1").inner_text().startswith("Sampleton")
    wait_for_charts(tab)
    watch.check()
