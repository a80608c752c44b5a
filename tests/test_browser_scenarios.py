"""The scenario builder in a real browser (issue 17 part 1, "done when"): a new user goes from the Workforce page to
the builder, makes a scenario, sees its gap change in the preview (htmx, as they type) before saving, saves it, and
sees it side by side with the others. Playwright through Debian's Chromium, axe-core on the builder with its
preview, no console error and nothing asked beyond loopback. A server of its own: this test changes the data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browser_support import Server, Watch, axe_violations
from shared_demo import MadeDemo, copy_demo

NAME = "more_practitioners"


@pytest.fixture(scope="module")
def server(_cyplan_demo: MadeDemo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a copy of the workspace `cyplan demo` made (once for the files that use it: tests/shared_demo.py)."""
    folder = tmp_path_factory.mktemp("builder-served")
    s = Server(copy_demo(_cyplan_demo, folder / "workspace"), folder / "server.log").start()
    yield s
    s.stop()


def _preview(page: Any, server: Server, value: str) -> str:
    """Types `value` as the first change's value and waits for the preview of it (an htmx POST carrying it, not
    one set off earlier) to be swapped in; the preview's text."""
    def of_it(r: Any) -> bool:
        return (r.url == f"{server.url}/scenarios/preview" and r.request.headers.get("hx-request") == "true"
                and f"c0-value={value}&" in (r.request.post_data or "") + "&")
    before = page.locator("#preview").inner_html()
    with page.expect_response(of_it) as answered:
        page.fill("#c0-value", value)
    assert answered.value.status == 200
    page.wait_for_function("b => document.querySelector('#preview').innerHTML !== b", arg=before)
    page.wait_for_function("() => !document.querySelector('#preview').classList.contains('htmx-settling')")
    return str(page.locator("#preview").inner_text())


def _change(page: Any, role: str) -> float:
    """The preview's change in the gap for a role (the row's last cell)."""
    cell = page.locator(f"#preview-table tr:has(th:text-is('{role}')) td").last.inner_text()
    return float(cell.replace(",", ""))


def test_a_new_user_builds_a_scenario_sees_its_gap_before_saving_and_then_side_by_side(browser: Any,
                                                                                       server: Server) -> None:
    """Catches a builder a user cannot reach from the Workforce page, a preview that does not follow the values
    typed (or needs a save first), a save that does not land, a saved scenario missing from the comparison, and
    the difference between two scenarios' changes not shown; axe on the builder and the scenarios page."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    watch = Watch()
    watch.attach(context, page)
    page.goto("/workforce")
    with page.expect_navigation():
        page.get_by_role("link", name="Build, change or compare scenarios").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Build a new scenario").click()
    assert page.locator("h1").inner_text() == "Build a scenario"
    page.fill("#name", NAME)
    page.select_option("#c0-column", "fte_in_post")
    page.select_option("#c0-where-role", "mh_practitioner")
    page.select_option("#c0-where-sector", "NHS")
    waiting = _preview(page, server, "x")
    assert "Change 1: 'x' is not a number" in waiting
    first = _preview(page, server, "20")
    assert "Mental health practitioner" in first
    fewer = _change(page, "Mental health practitioner")
    assert fewer < 0 and _change(page, "Clinical psychologist") == 0
    more = _preview(page, server, "60")
    assert _change(page, "Mental health practitioner") < fewer
    assert "200 Monte Carlo draws" in more
    violations = axe_violations(page)
    assert not violations, "axe found serious or critical violations on the builder:\n" + "\n".join(violations)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the scenario").click()
    assert f"The scenario ‘{NAME}’ was made by" in page.locator("#scenario-done").inner_text()
    assert NAME in page.locator("#scenario-list").inner_text()
    page.select_option("#compare-a", "training")
    page.select_option("#compare-b", NAME)
    with page.expect_navigation():
        page.get_by_role("button", name="Show the difference").click()
    assert "fte_in_post" in page.locator("#only-b").inner_text()
    assert "joiners_per_year" in page.locator("#only-a").inner_text()
    violations = axe_violations(page)
    assert not violations, "axe found serious or critical violations on the scenarios page:\n" + "\n".join(violations)
    page.goto("/workforce")
    assert NAME in page.locator("#scenarios").inner_text()  # the comparison of every scenario, side by side
    watch.check()
    context.close()
