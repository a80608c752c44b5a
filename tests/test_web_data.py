"""The Data page through the app (TestClient): uploads checked whole and saved only when clean, problems named
by the user's own file name, row and column; referral returns uploaded the same way; every input and results
table downloadable as CSV and Excel, published referral tables never showing 1–7; and the safety basics —
CSRF, the upload limit, no stack traces."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from conftest import folder_bytes, write_workbook
from cyplan import reference
from cyplan.io.problems import InputError
from cyplan.schema import KINDS
from cyplan.web import security
from cyplan.web.app import create_app
from cyplan.web.routes.data import RESULT_TABLES

DEMO_RETURNS = Path(__file__).parents[1] / "src" / "cyplan" / "reference" / "demo" / "returns" / "referrals.csv"
TRACE = re.compile(r"Traceback|File \".*\.py\"")
LOCAL = "http://localhost"  # the server answers only to its own host names (TestClient's default is 'testserver')


def page_token(client: TestClient, path: str = "/data") -> str:
    """The signed token in a page's form, as a browser posts it."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)  # type: ignore[union-attr]


def _client(path: Path, **kwargs: int) -> Iterator[TestClient]:
    app = create_app(path, **kwargs)
    with TestClient(app, base_url=LOCAL) as client:
        client.get("/data")  # the token cookie, as a browser gets it from the page
        yield client
    app.state.workspace.close()


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    yield from _client(demo_workspace)


def _upload(client: TestClient, name: str, body: bytes, kind: str = "auto", mode: str = "replace",
            token: str | None = None) -> tuple[int, str]:
    token = page_token(client) if token is None else token
    r = client.post("/data/upload", data={"kind": kind, "mode": mode, security.CSRF_FIELD: token},
                    files={"file": (name, body)})
    return r.status_code, r.text


def _rows(html: str, kind: str) -> int:
    return int(re.search(rf'id="input-{kind}".*?data-rows="(\d+)"', html, re.S).group(1))  # type: ignore[union-attr]


def _problems(html: str) -> list[str]:
    block = re.search(r'id="upload-problems">(.*?)</ul>', html, re.S)
    return [re.sub(r"<[^>]+>", "", li).strip().replace("&#39;", "'") for li in
            re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)] if block else []


def test_a_broken_file_is_refused_whole_naming_file_row_and_column(client: TestClient, demo_workspace: Path) -> None:
    before = folder_bytes(demo_workspace)
    body = b"code,name,kind,parent,source\nE10999999,Exampleshire,planet,,x\nE1,,council,,x\n"
    status, html = _upload(client, "my areas.csv", body, kind="areas")
    assert status == 422
    problems = _problems(html)
    assert "my areas.csv, row 2, column 'kind': 'planet' is not one of: council, ICB, place, region, custom" in problems
    assert any(p.startswith("my areas.csv, row 3, column 'name'") for p in problems)
    assert "nothing was saved" in html and "govuk-error-summary" in html and not TRACE.search(html)
    assert "/tmp" not in html  # the server's temporary copy is never named
    assert folder_bytes(demo_workspace) == before


def test_a_clean_file_is_saved_and_every_page_shows_it(client: TestClient) -> None:
    page = client.get("/data").text
    assert _rows(page, "areas") == 1
    body = b"code,name,kind,parent,source\nE10999999,Exampleshire Borough,council,,renamed\n"
    status, html = _upload(client, "areas.csv", body)
    assert status == 200 and "Imported 1 row of areas." in html
    assert "cyplan: Exampleshire Borough" in client.get("/").text  # the cache forgot the old name
    assert client.get("/api/inputs/areas").json()[0]["name"] == "Exampleshire Borough"


def test_what_the_file_holds_can_be_chosen_or_worked_out_from_a_workbook(client: TestClient, tmp_path: Path) -> None:
    roles = client.get("/data/inputs/roles.csv").content
    status, html = _upload(client, "anything.csv", roles, kind="roles")
    assert status == 200 and "Imported 8 rows of roles." in html
    rows = list(csv.reader(io.StringIO(client.get("/data/inputs/areas.csv").text)))
    book = write_workbook(tmp_path / "book.xlsx", {"areas": rows})
    status, html = _upload(client, "book.xlsx", book.read_bytes())
    assert status == 200 and "Imported 1 row of areas (sheet areas)." in html
    status, html = _upload(client, "anything.csv", roles)  # worked out from the name: no input is called that
    assert status == 422 and "the file name does not name an input" in html


def test_merge_keeps_the_rows_held(client: TestClient) -> None:
    before = len(client.get("/api/inputs/roles").json())
    text = client.get("/data/inputs/roles.csv").text.splitlines()
    status, _ = _upload(client, "roles.csv", "\n".join(text[:2]).encode(), mode="merge")
    assert status == 200 and len(client.get("/api/inputs/roles").json()) == before


@pytest.mark.parametrize(("name", "body", "kind", "message"), [
    ("areas.pdf", b"%PDF", "auto", "upload a .csv file or an Excel workbook"),
    ("areas.csv", b"", "auto", "the file is empty"),
    ("areas.csv", b"code\n", "nonsense", "choose what the file holds"),
    ("", b"x", "auto", "choose a file to upload"),
])
def test_unusable_uploads_get_a_plain_message(client: TestClient, demo_workspace: Path, name: str, body: bytes,
                                              kind: str, message: str) -> None:
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, name, body, kind=kind)
    assert status in (422, 400) and (message in html or status == 400)
    assert folder_bytes(demo_workspace) == before


def test_a_referral_upload_with_uk_dates_and_y_n_says_how_the_dates_were_read(client: TestClient) -> None:
    """Catches an NHS extract (dd/mm/yyyy, Y/N) refused on the Data page while the CLI takes it, and the
    day-first reading taken silently there (a US-style file would go unnoticed)."""
    westshire = Path(__file__).parent / "data" / "westshire" / "referrals-2025.csv"
    status, html = _upload(client, "referrals.csv", westshire.read_bytes(), kind="referral_returns")
    assert status == 200 and "Imported 120 referral records (76 accepted)" in html
    assert "referrals.csv: column &#39;received_date&#39;: dates such as 05/04/2025 were read as day/month/year" in html


def test_referral_returns_upload_and_their_errors(client: TestClient, demo_workspace: Path) -> None:
    status, html = _upload(client, "referrals.csv", DEMO_RETURNS.read_bytes(), kind="referral_returns")
    assert status == 200 and "Imported 2,400 referral records" in html
    assert 'id="returns-log"' in client.get("/data").text
    before = folder_bytes(demo_workspace)
    lines = DEMO_RETURNS.read_text().splitlines()
    broken = "\n".join([lines[0], lines[1], lines[1].replace("2025-04-01", "yesterday")]).encode()
    status, html = _upload(client, "returns.csv", broken, kind="referral_returns")
    problems = _problems(html)
    assert status == 422 and any(p.startswith("returns.csv, row 3") and "referral_id" in p for p in problems)
    assert folder_bytes(demo_workspace) == before


def _source_rows(kind: str) -> list[tuple[Cell, ...]]:
    """The rows of the file the demo imported for a kind (the workspace holds them as they were given), in the
    input's column order, an optional column the file leaves out blank."""
    for folder in (reference.DEMO, reference.DEFAULTS):
        if (folder / f"{kind}.csv").exists():
            header, *rows = _csv_rows((folder / f"{kind}.csv").read_text(encoding="utf-8"))
            at = {name: i for i, name in enumerate(header)}
            return [tuple(row[at[c]] if c in at else "" for c in KINDS[kind].column_names) for row in rows]
    return []


Cell = float | str


def _number(cell: object) -> Cell:
    """A cell as a value that compares equal however it was written: a number as a float (37.5, 37.50;
    5 and 5.0), true/false in lower case, a blank as ''."""
    if cell is None:
        return ""
    try:
        return float(str(cell))
    except ValueError:
        return str(cell).lower() if str(cell) in ("True", "False") else str(cell)


def _csv_rows(text: str) -> list[tuple[Cell, ...]]:
    return [tuple(_number(c) for c in row) for row in csv.reader(io.StringIO(text))]


def _sheet_rows(content: bytes, sheet: str) -> list[tuple[Cell, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(_number(c) for c in row) for row in book[sheet].iter_rows(values_only=True)]


def _same(a: list[tuple[Cell, ...]], b: list[tuple[Cell, ...]]) -> bool:
    """Row for row the same; numbers to 6 significant figures (the CLI's CSV rounds to 6 decimals)."""
    return len(a) == len(b) and all(
        len(x) == len(y) and all(math.isclose(u, v, rel_tol=1e-6, abs_tol=1e-6)
                                 if isinstance(u, float) and isinstance(v, float) else u == v
                                 for u, v in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True))


def test_every_input_downloads_as_csv_and_excel_holding_the_rows_imported(client: TestClient) -> None:
    """Catches a download with the right header but wrong, missing or reordered rows, and an Excel copy
    that differs from the CSV (checked against the demo's own input files, not the app's code)."""
    every = client.get("/data/inputs.xlsx").content
    sheets = set(openpyxl.load_workbook(io.BytesIO(every), read_only=True).sheetnames)
    for kind in KINDS:
        r = client.get(f"/data/inputs/{kind}.csv")
        assert r.status_code == 200 and r.text.splitlines()[0] == ",".join(KINDS[kind].column_names)
        assert f'filename="{kind}.csv"' in r.headers["content-disposition"]
        rows = _csv_rows(r.text)
        assert sorted(rows[1:]) == sorted(_source_rows(kind)), kind
        if len(rows) > 1:
            assert kind in sheets and _same(_sheet_rows(every, kind), rows), kind
    assert _same(_sheet_rows(client.get("/data/inputs/roles.xlsx").content, "roles"),
                 _csv_rows(client.get("/data/inputs/roles.csv").text))


def test_every_results_table_downloads_with_the_same_rows_as_csv_and_excel(client: TestClient) -> None:
    """Catches an Excel download that is not the table the CSV holds (or is empty)."""
    for name in RESULT_TABLES:
        r = client.get(f"/data/results/{name}.csv")
        assert r.status_code == 200 and len(r.text.splitlines()) > 1, name
        book = client.get(f"/data/results/{name}.xlsx")
        assert book.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(book.content), read_only=True).sheetnames[0]
        assert _same(_sheet_rows(book.content, sheet), _csv_rows(r.text)), name
    assert client.get("/data/results/nothing.csv").status_code == 404


def test_the_gap_download_is_what_the_cli_gives_for_the_same_workspace(client: TestClient, demo_workspace: Path,
                                                                        run_cli: Callable, tmp_path: Path) -> None:
    """The web download and `cyplan gap --format csv` (1,000 draws, seed 1 both) agree row for row: catches
    a download made with other draws, another seed, a scenario, or the wrong breakdown."""
    web = client.get("/data/results/gap.csv").text
    code, _, err = run_cli(["gap", "-w", demo_workspace, "--format", "csv", "--out", tmp_path / "gap.csv"])
    assert code == 0, err
    assert _same(_csv_rows(web), _csv_rows((tmp_path / "gap.csv").read_text(encoding="utf-8")))
    gap = list(csv.DictReader(io.StringIO(web)))
    assert {"demand_fte", "demand_fte_p5", "demand_fte_p95", "cost_to_close"} <= set(gap[0])
    for row in gap:
        assert float(row["demand_fte_p5"]) <= float(row["demand_fte"]) <= float(row["demand_fte_p95"])
        assert float(row["cost_to_close"]) >= 0


def test_published_referral_tables_never_show_one_to_seven(client: TestClient) -> None:
    status, _ = _upload(client, "referrals.csv", DEMO_RETURNS.read_bytes(), kind="referral_returns")
    assert status == 200
    page = client.get("/data").text
    names = re.findall(r"/data/results/returns-published-(\w+)\.csv", page)
    assert "ethnicity" in names and "summary" in names
    for name in names:
        for row in csv.reader(io.StringIO(client.get(f"/data/results/returns-published-{name}.csv").text)):
            for cell in row[1:]:
                assert not re.fullmatch(r"[1-7]", cell), (name, row)
    unpublished = client.get("/data/results/returns-unpublished.xlsx")
    assert unpublished.status_code == 200


def test_a_post_without_the_token_is_refused(client: TestClient, demo_workspace: Path) -> None:
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "areas.csv", b"code,name,kind,parent,source\n", token="")
    assert status == 403 and "reload the page and try again" in html
    status, _ = _upload(client, "areas.csv", b"code,name,kind,parent,source\n", token="someone-elses")
    assert status == 403 and folder_bytes(demo_workspace) == before


def test_a_file_over_the_limit_is_refused_with_the_limit(demo_workspace: Path) -> None:
    for client in _client(demo_workspace, upload_limit=1000):
        status, html = _upload(client, "areas.csv", b"x" * 5000)
        assert status == 413 and "the limit is 0.001 MB" in html and not TRACE.search(html)


def test_an_error_is_logged_and_shown_plainly(client: TestClient, demo_workspace: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from cyplan.web.routes import overview

    def broken(*_: object) -> None:
        raise RuntimeError("the model broke")

    monkeypatch.setattr(overview, "overview_data", broken)
    r = TestClient(client.app, raise_server_exceptions=False, base_url=LOCAL).get("/")
    assert r.status_code == 500 and "Sorry, something went wrong" in r.text
    assert "the model broke" not in r.text and not TRACE.search(r.text)
    assert "RuntimeError: the model broke" in (demo_workspace / "cyplan-web.log").read_text()


def test_pages_set_safe_headers_and_no_page_is_a_stack_trace(client: TestClient) -> None:
    r = client.get("/nowhere")
    assert r.status_code == 404 and "There is no page at this address" in r.text
    r = client.get("/data")
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    cookie = r.headers.get("set-cookie", "") or ""
    fresh = TestClient(client.app, base_url=LOCAL).get("/data").headers["set-cookie"]
    assert "httponly" in fresh.lower() and "samesite=strict" in fresh.lower() and cookie is not None


def test_the_token_cookie_is_set_only_by_pages(demo_workspace: Path) -> None:
    app = create_app(demo_workspace)
    fresh: Callable[[], TestClient] = lambda: TestClient(app, base_url=LOCAL)  # noqa: E731 - a client with no cookie
    assert "set-cookie" not in fresh().get("/static/charts.js").headers
    assert "set-cookie" in fresh().get("/data").headers
    app.state.workspace.close()


def test_a_long_upload_name_keeps_its_extension(client: TestClient) -> None:
    """Catches a name over 120 characters cut before '.csv', and so refused as not a CSV file."""
    roles = client.get("/data/inputs/roles.csv").content
    status, html = _upload(client, "r" * 150 + ".csv", roles, kind="roles")
    assert status == 200 and "Imported 8 rows of roles." in html
    status, html = _upload(client, "r" * 150 + ".csv", b"role,label\n,x\n", kind="roles")
    assert status == 422 and any(p.startswith("r" * 116 + ".csv, row 2") for p in _problems(html))


def test_an_upload_full_of_repeated_keys_is_counted_by_kind_not_made_problem_by_problem(
        client: TestClient, demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the page building every problem of a huge bad upload as a list (InputError.problems makes them all)
    and a page that lists them one by one instead of the CLI's counted group: 52 keys, then 200 rows repeating
    them (rows 54 to 253), so one group of 200 problems, its first five rows shown and 195 counted."""
    monkeypatch.setattr(InputError, "problems", property(lambda e: pytest.fail("every problem was made")))
    rows = [f"E10999999,2025,{i % 26},{('female', 'male')[i // 26 % 2]},{1000 + i},x" for i in range(252)]
    body = ("area,year,age,sex,count,source\n" + "\n".join(rows) + "\n").encode()
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "pop.csv", body, kind="population")
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert "200 problems in pop.csv: nothing was saved" in html
    assert _problems(html) == [
        "pop.csv, column 'area': 200 rows: duplicate: area 'E10999999', year '2025', age '0', sex 'female' is "
        "already on row 2 (and 51 other values like it)rows 54, 55, 56, 57, 58 and 195 more"]
