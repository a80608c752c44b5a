"""The web app in a real browser: `cyplan serve` on a fresh demo workspace, driven by Playwright through Debian's
Chromium, with axe-core from npm on every page.

One server for the module and one browser for the session. The tests that change the data run last and put it
back as it was. Every test also checks that the page logged no console error and that no request left loopback.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import browser_support
from browser_support import Server, Watch, axe_violations, is_local, launch_chromium, wait_for_charts
from cyplan.web.app import NAV
from shared_demo import MadeDemo

PAGES = [href for _, _, href in NAV] + ["/report?format=html"]
# The board-paper format (seed 004), in order; the findings are the paper's four sections between the background and
# the financial implications.
FINDINGS = ["Need", "Services: the rating and the gaps", "Workforce: the gap and the options", "Who services reach"]
SECTIONS = ["Purpose of report", "Summary", "Recommendations", "Background", *FINDINGS, "Financial implications",
            "Equalities implications", "Next steps"]
TRACE = re.compile(r"Traceback|File \"|line \d+, in |sqlalchemy\.|polars\.", re.IGNORECASE)
SMALL_LIMIT = 20_000  # bytes, for the upload-limit server



@pytest.fixture(scope="module")
def demo(_cyplan_demo: MadeDemo) -> Path:
    """The demo workspace as `cyplan demo` makes it (made once for the files that use it, tests/shared_demo.py);
    each server gets its own copy."""
    return _cyplan_demo.path


def _serve(demo: Path, folder: Path, upload_limit: int | None = None) -> Server:
    workspace = Path(shutil.copytree(demo, folder / "workspace"))
    return Server(workspace, folder / "server.log", upload_limit).start()


@pytest.fixture(scope="module")
def server(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = _serve(demo, tmp_path_factory.mktemp("served"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def small_limit_server(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = _serve(demo, tmp_path_factory.mktemp("served-small-limit"), SMALL_LIMIT)
    yield s
    s.stop()


@dataclass
class Tab:
    """A page in a fresh browser context (its own cookies), watched for console errors and requests."""
    page: Any
    watch: Watch
    server: Server

    def open(self, path: str, status: int = 200) -> int:
        """Goes to `path`, checks the status and waits for every chart; returns the number of charts."""
        if status != 200:
            self.watch.expected_statuses.add(status)
        response = self.page.goto(path)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        self.page.wait_for_load_state("load")
        return wait_for_charts(self.page)

    def accessible(self) -> None:
        violations = axe_violations(self.page)
        assert not violations, f"{self.page.url}: axe found serious or critical violations:\n" + "\n".join(violations)

    def no_stack_trace(self) -> None:
        text = self.page.content()
        assert not TRACE.search(text), f"{self.page.url} shows what looks like a stack trace"

    def download(self, selector: str, folder: Path) -> Path:
        with self.page.expect_download() as info:
            self.page.click(selector)
        path = folder / info.value.suggested_filename
        info.value.save_as(path)
        return path

    def rows_held(self, kind: str) -> int:
        return int(self.page.get_attribute(f"#input-{kind} [data-rows]", "data-rows"))

    def upload(self, file: Path, kind: str = "auto") -> Any:
        """Uploads through the Data page's form as a user would; returns the response to the form's POST."""
        self.page.set_input_files("#file", str(file))
        self.page.select_option("#kind", kind)
        with self.page.expect_navigation() as nav:
            self.page.get_by_role("button", name="Check and save").click()
        self.page.wait_for_load_state("load")
        return nav.value


def _tab(browser: Any, server: Server) -> Iterator[Tab]:
    context = browser.new_context(base_url=server.url, accept_downloads=True)
    page = context.new_page()
    watch = Watch()
    watch.attach(context, page)
    yield Tab(page, watch, server)
    context.close()


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    yield from _tab(browser, server)


@pytest.fixture
def small_limit_tab(browser: Any, small_limit_server: Server) -> Iterator[Tab]:
    yield from _tab(browser, small_limit_server)


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


# -- the harness itself ----------------------------------------------------------------------------------------


def test_missing_chromium_fails_and_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Debian's Chromium the browser tests fail (a skip would hide a broken CI) and say to run make test."""
    monkeypatch.setattr(browser_support, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(pytest.fail.Exception, match="run `make test`"):
        launch_chromium(None)


def test_the_accessibility_check_finds_a_serious_violation_and_passes_a_page_without_one(browser: Any) -> None:
    """axe_violations reads axe-core's violations only: a page with an unlabelled image (image-alt, critical) and a
    button with no name (button-name, critical) is reported with both, the same page with text for each is not.
    Wrong answer caught: a check that passes every page (the violations read from the wrong part of the result)."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button></main></body></html>')
        found = axe_violations(page)
        assert any(" image-alt " in line for line in found) and any(" button-name " in line for line in found)
        page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><img alt="a dot" '
                         'src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button>Go</button></main></body></html>')
        assert axe_violations(page) == []
    finally:
        context.close()


def test_only_loopback_and_inline_data_count_as_local() -> None:
    assert is_local("http://127.0.0.1:8000/static/vendor/vega.min.js")
    assert is_local("data:image/svg+xml,<svg/>") and is_local("blob:http://127.0.0.1:8000/1")
    assert is_local("about:blank")
    assert not is_local("https://cdn.jsdelivr.net/npm/vega@5")
    assert not is_local("http://localhost.example.com/") and not is_local("http://10.0.0.1/")


# -- every page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_draws_its_charts_and_is_accessible(tab: Tab, path: str) -> None:
    """Each page answers, draws every chart (an <svg> in each .cyplan-chart), has no serious or critical axe
    violation, logs no console error and asks for nothing beyond loopback."""
    tab.open(path)
    assert tab.page.locator("h1").count() >= 1, f"{path} has no heading"
    tab.accessible()
    tab.no_stack_trace()
    tab.watch.check()


def test_api_docs_work_under_the_csp_from_local_files(tab: Tab) -> None:
    """Swagger UI draws the API's routes with its files served by cyplan (nothing from a CDN) and its one inline
    start-up script allowed by hash: a CSP that blocked it would leave the page blank, with a console error."""
    tab.open("/api/docs")
    tab.page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=30_000)
    paths = tab.page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert any("/api/overview" in p for p in paths)
    tab.watch.check()


def test_dashboard_pages_have_charts(tab: Tab) -> None:
    """The dashboard pages show their figures as charts as well as tables."""
    assert tab.open("/") >= 1, "the overview has no chart"
    assert tab.open("/workforce") >= 1, "the workforce page has no chart"
    assert tab.open("/returns") >= 1, "the returns page has no chart"
    tab.watch.check()


def _swap(tab: Tab, button: str, page: str, results: str, address: str) -> None:
    """Clicks a chooser's button and checks htmx swapped in the results: one request marked HX-Request, the choice
    in the address, still one page (one h1), every chart drawn, axe and the console clean."""
    with tab.page.expect_response(lambda r: r.url.startswith(f"{tab.server.url}{page}?")
                                  and r.request.headers.get("hx-request") == "true") as swapped:
        tab.page.get_by_role("button", name=button).click()
    assert swapped.value.status == 200
    tab.page.wait_for_url(re.compile(address))
    # a function, not an expression string: Playwright evals a string in the page, which the CSP refuses
    tab.page.wait_for_function(f"() => !document.querySelector('{results}').classList.contains('htmx-settling')")
    wait_for_charts(tab.page)
    assert tab.page.locator("h1").count() == 1, "the whole page was swapped into itself"
    tab.accessible()
    tab.watch.check()


def test_workforce_chooser_updates_in_place(tab: Tab) -> None:
    """Choosing a year and a scenario on the workforce page swaps in the results (htmx, no reload), puts the
    choice in the address, and draws the new charts."""
    tab.open("/workforce")
    years = tab.page.eval_on_selector_all("#year option", "os => os.map(o => o.value)")
    scenarios = tab.page.eval_on_selector_all("#scenario option", "os => os.map(o => o.value)")
    assert len(years) > 1 and len(scenarios) > 1
    tab.page.select_option("#year", years[0])
    tab.page.select_option("#scenario", scenarios[1])
    _swap(tab, "Show the year and scenario", "/workforce", "#workforce-results",
          rf"year={years[0]}.*scenario={re.escape(scenarios[1])}")
    assert tab.page.locator(".cyplan-chart").count() >= 1
    assert years[0] in tab.page.locator("#workforce-results").inner_text()


def test_returns_choosers_update_in_place(tab: Tab) -> None:
    """On the returns page, exact counts and then another field for the equality view swap in place, each
    with its charts drawn."""
    tab.open("/returns")
    tab.page.check("#counts-unpublished")
    _swap(tab, "Show these counts", "/returns", "#returns-results", r"counts=unpublished")
    assert "not for publication" in tab.page.locator("#returns-results").inner_text()
    fields = tab.page.eval_on_selector_all("#by option", "os => os.map(o => o.value)")
    chosen = tab.page.eval_on_selector("#by", "s => s.value")
    other = next(f for f in fields if f != chosen)
    tab.page.select_option("#by", other)
    _swap(tab, "Compare", "/returns", "#returns-results", rf"by={re.escape(other)}")
    assert tab.page.eval_on_selector("#by", "s => s.value") == other


def test_evidence_filters_update_in_place(tab: Tab) -> None:
    """On the evidence page, choosing a level swaps in the library's rows (htmx, no reload) with the choice in the
    address, every row left at that level; then a search narrows them and marks the words it found."""
    tab.open("/evidence")
    every = tab.page.locator("#library tbody tr").count()
    assert every >= 5, "the demo's starter library is not on the evidence page"
    tab.page.select_option("#level", "universal")
    _swap(tab, "Show these interventions", "/evidence", "#evidence-results", r"level=universal")
    levels = tab.page.locator("#library tbody tr td:nth-child(2)").all_inner_texts()
    assert levels and set(levels) == {"Universal"} and len(levels) < every
    tab.page.select_option("#level", "")
    tab.page.fill("#q", "parents")
    _swap(tab, "Show these interventions", "/evidence", "#evidence-results", r"q=parents")
    assert tab.page.locator("#found mark").count() >= 1
    assert tab.page.locator("#library tbody tr").count() < every


def test_evidence_pages_of_an_intervention_and_a_topic_are_accessible(tab: Tab) -> None:
    """The library's first intervention opened from its link, and the starter library's topic with its brief:
    each a page with one h1, the statement about ratings, no axe violation and nothing asked of the internet
    (a brief's links are only links)."""
    tab.open("/evidence")
    with tab.page.expect_navigation():
        tab.page.locator("#library tbody tr th a").first.click()
    assert tab.page.locator("h1").count() == 1 and tab.page.locator("#statement").is_visible()
    tab.accessible()
    tab.open("/evidence/topics/parenting_up_to_12")
    assert tab.page.locator("#brief h3").count() >= 1 and tab.page.locator("h1").count() == 1
    tab.accessible()
    tab.open("/evidence/no-such-intervention", status=404)
    assert tab.page.locator("h1").inner_text() == "Page not found"
    tab.no_stack_trace()
    tab.watch.check()


def test_services_page_shows_the_action_list_with_evidence(tab: Tab) -> None:
    """The demo's gaps with the starter library's interventions that fit them, each with the staff and cost it
    would take, and the statement about ratings; axe clean."""
    tab.open("/services")
    assert tab.page.locator("#action-evidence table").count() >= 1
    first = tab.page.locator("#action-evidence tbody tr").first.inner_text()
    assert "£" in first and re.search(r": [\d,]+\.\d \([\d,]+\.\d – [\d,]+\.\d\)", first), first  # role: FTE (90%)
    assert "not a recommendation" in tab.page.locator("#evidence-statement").inner_text()
    tab.accessible()
    tab.watch.check()


def test_not_found_is_a_proper_page(tab: Tab) -> None:
    """A wrong address gets the site's own 404 page: the layout and navigation, a plain message, a way back."""
    tab.open("/no-such-page", status=404)
    assert tab.page.locator("h1").inner_text() == "Page not found"
    assert tab.page.locator("nav[aria-label='Menu'] a").count() == len(NAV) + 1  # the one user is admin too
    assert tab.page.get_by_role("link", name="Go to the overview").count() == 1
    assert "Page not found" in tab.page.title()
    tab.accessible()
    tab.no_stack_trace()
    tab.watch.check()


# -- CSRF and the upload limit ------------------------------------------------------------------------------


def test_post_without_the_csrf_token_is_refused(tab: Tab, tmp_path: Path) -> None:
    """The upload form with its token taken out, and a script's POST with a wrong token, are refused with a
    403 page that says what to do and shows no stack trace; nothing is saved."""
    tab.open("/data")
    before = tab.rows_held("workforce")
    tab.page.eval_on_selector("input[name='csrf_token']", "e => e.remove()")
    tab.watch.expected_statuses.add(403)
    assert tab.upload(_write_csv(tmp_path / "workforce.csv", [["area"], ["E10999999"]])).status == 403
    assert tab.page.locator("h1").inner_text() == "Not allowed"
    assert "reload the page and try again" in tab.page.locator("main").inner_text()
    tab.no_stack_trace()
    tab.accessible()

    status, text = tab.page.evaluate("""async () => {
        const body = new FormData();
        body.append('file', new Blob(['area\\nE10999999\\n'], {type: 'text/csv'}), 'areas.csv');
        const r = await fetch('/data/upload', {method: 'POST', body, headers: {'X-CSRF-Token': 'not-the-token'}});
        return [r.status, await r.text()];
    }""")
    assert status == 403 and "Not allowed" in text and not TRACE.search(text)

    tab.open("/data")
    assert tab.rows_held("workforce") == before
    tab.watch.check()


def test_upload_over_the_limit_gets_a_clear_message(small_limit_tab: Tab, tmp_path: Path) -> None:
    """A file over the upload limit (here 20 kB, on a server started with that limit) is refused with a page
    that says so and what to do, not a broken connection; nothing is saved."""
    tab = small_limit_tab
    tab.open("/data")
    before = tab.rows_held("population")
    big = tmp_path / "population.csv"
    big.write_text("area,year,age,sex,count,source\n" + "E10999999,2025,1,F,100,x\n" * 5_000, encoding="utf-8")
    assert big.stat().st_size > SMALL_LIMIT
    tab.watch.expected_statuses.add(413)
    response = tab.upload(big)
    assert response.status == 413
    assert tab.page.locator("h1").inner_text() == "The file is too large"
    message = tab.page.locator("main").inner_text()
    assert "the limit is" in message and "Split it into smaller files" in message
    tab.no_stack_trace()
    tab.accessible()
    tab.open("/data")
    assert tab.rows_held("population") == before
    tab.watch.check()


# -- downloads, uploads and the board paper (these change the data last, and put it back) --------------------


def test_download_a_results_table_as_csv(tab: Tab, tmp_path: Path) -> None:
    """The gap table downloads from the Data page as a CSV with a header row and a row per area, year and role."""
    tab.open("/data")
    path = tab.download("#result-downloads a[href='/data/results/gap.csv']", tmp_path)
    assert path.name == "gap.csv"
    rows = _read_csv(path)
    assert {"area", "year", "role", "gap_fte"} <= set(rows[0]), rows[0]
    assert len(rows) > 10 and all(len(r) == len(rows[0]) for r in rows)
    tab.watch.check()


def test_board_paper_pdf_holds_every_section(tab: Tab, tmp_path: Path) -> None:
    """The overview's button downloads the board paper as a PDF whose text (pdftotext) holds every section of the
    board-paper format as a heading, in order, and names the area."""
    tab.open("/")
    with tab.page.expect_download() as info:
        tab.page.get_by_role("button", name=re.compile(r"board paper \(PDF\)")).click()
    pdf = tmp_path / "paper.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines()]
    at, missing = 0, []
    for heading in SECTIONS:  # each heading on a line of its own, after the one before it
        try:
            at = lines.index(heading, at) + 1
        except ValueError:
            missing.append(heading)
    assert not missing, f"the PDF lacks these headings, or has them out of order: {missing}"
    assert "Exampleshire" in text
    tab.watch.check()


def test_board_paper_word_holds_every_section(tab: Tab, tmp_path: Path) -> None:
    """The overview's Word button downloads a .docx (not the PDF under another name) whose headings, read back
    by python-docx, are every section of the board-paper format in order."""
    import docx  # only here: the other browser tests do not need it

    tab.open("/")
    with tab.page.expect_download() as info:
        tab.page.get_by_role("button", name=re.compile(r"board paper \(Word\)")).click()
    assert info.value.suggested_filename.endswith(".docx")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    headings = [p.text for p in docx.Document(str(path)).paragraphs if p.style.name == "Heading 1"]
    assert [h for h in headings if h in SECTIONS] == list(SECTIONS)
    tab.watch.check()


def test_broken_upload_shows_the_error_summary(tab: Tab, tmp_path: Path) -> None:
    """The workforce census downloaded from the Data page, with a number spoiled, is refused whole: the GOV.UK
    error summary (focused, so a screen reader reads it) names the row and column, and nothing is saved."""
    tab.open("/data")
    before = tab.rows_held("workforce")
    rows = _read_csv(tab.download("a[href='/data/inputs/workforce.csv']", tmp_path))
    column = rows[0].index("fte_in_post")
    rows[2][column] = "lots"
    tab.watch.expected_statuses.add(422)
    (tmp_path / "broken").mkdir()
    response = tab.upload(_write_csv(tmp_path / "broken" / "workforce.csv", rows))
    assert response.status == 422
    summary = tab.page.locator(".govuk-error-summary")
    assert summary.is_visible()
    text = summary.inner_text()
    assert "workforce.csv" in text and "nothing was saved" in text
    assert "fte_in_post" in text and re.search(r"\brow 3\b", text), text
    assert tab.page.evaluate("!!document.activeElement.closest('.govuk-error-summary')"), "the summary is not focused"
    assert tab.rows_held("workforce") == before
    tab.accessible()
    tab.no_stack_trace()
    tab.watch.check()


def test_good_upload_changes_the_tables(tab: Tab, tmp_path: Path) -> None:
    """The workforce census without its administrators' row (which no training pipeline or skills census row
    uses) is saved: the Data page's row count and the overview's gap table change. The original file uploaded
    again puts them back."""
    tab.open("/")
    gap_before = tab.page.locator("#gap-table").inner_text()
    tab.open("/data")
    before = tab.rows_held("workforce")
    original = tab.download("a[href='/data/inputs/workforce.csv']", tmp_path)
    rows = _read_csv(original)
    (tmp_path / "fewer").mkdir()
    role = rows[0].index("role")
    response = tab.upload(_write_csv(tmp_path / "fewer" / "workforce.csv",
                                     [r for r in rows if r[role] != "administrator"]))
    assert response.status == 200
    banner = tab.page.locator(".govuk-notification-banner--success")
    assert banner.is_visible() and f"Imported {len(rows) - 2} rows" in banner.inner_text()
    assert tab.rows_held("workforce") == before - 1
    tab.accessible()
    tab.open("/")
    assert tab.page.locator("#gap-table").inner_text() != gap_before, "the overview's gap table did not change"

    tab.open("/data")
    assert tab.upload(original).status == 200
    assert tab.rows_held("workforce") == before
    tab.open("/")
    assert tab.page.locator("#gap-table").inner_text() == gap_before
    tab.watch.check()
