"""The workbook template (cyplan export --template, and the Data page's download): a README sheet, a sheet for every
input with notes, an example row and drop-down lists, which `cyplan import all` reads back once filled in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import WIDE, CliResult, folder_bytes
from cyplan.cli import app
from cyplan.io.read import ROW, RawTable
from cyplan.io.template import EXAMPLE_SOURCE, README, example_problems, example_row, fill_order
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace
from cyplan.web import security
from cyplan.web.app import create_app

Run = Callable[[list[object]], CliResult]

# every coded column and its list, written out by hand from the examples and docs/data-formats.md, not
# read from the schema: a drop-down offering the wrong values (or none) fails here
HAND_LISTS = {
    ("population", "sex"): ["female", "male"],
    ("prevalence", "sex"): ["female", "male", "all"],
    ("areas", "kind"): ["council", "ICB", "place", "region", "custom"],
    ("services", "joint"): ["yes", "no"],
    ("stakeholders", "engaged"): ["yes", "no"],
    ("caseloads", "in_population"): ["yes", "no"],
    ("service_cells", "level"): ["universal", "targeted"],
    ("workforce", "sector"): ["NHS", "council", "education", "voluntary", "private"],
    ("scenarios", "operation"): ["set", "add", "multiply", "move", "commission"],
    ("plans", "status"): ["none", "early stage", "in place"],
    ("services", "status"): ["planned", "being developed", "in place"],
}


@pytest.fixture
def fresh(tmp_path: Path, new_workspace: Callable[[Path], Workspace]) -> Path:
    """An empty workspace (made directly: the defaults `cyplan init` loads are not needed here)."""
    path = tmp_path / "fresh"
    new_workspace(path).close()
    return path


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cyplan export --template`, run once for the module: the tests read it, or save a filled-in copy elsewhere."""
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    done = CliRunner().invoke(app, ["export", "--template", str(path)], env=WIDE)
    assert done.exit_code == 0, done.stderr
    assert "cyplan import all" in done.stderr  # messages go to stderr
    return path


@pytest.fixture
def template(_template: Path) -> Iterator[Path]:
    """The module's template, checked after each test to be as it was: a test that changed it would change what
    every later test reads."""
    before = _template.read_bytes()
    yield _template
    assert _template.read_bytes() == before, "a test changed the shared template: save a copy instead"


def _validations(ws: object) -> dict[str, object]:
    """Column letter → the data validation covering that column from row 2 down."""
    found = {}
    for rule in ws.data_validations.dataValidation:  # type: ignore[attr-defined]
        for rng in str(rule.sqref).split():
            m = re.fullmatch(r"([A-Z]+)2:([A-Z]+)1048576", rng)
            assert m and m.group(1) == m.group(2), f"a drop-down must cover one column from row 2 down, not {rng}"
            found[m.group(1)] = rule
    return found


def _list(rule: object) -> list[str]:
    formula = rule.formula1  # type: ignore[attr-defined]
    assert formula.startswith('"') and formula.endswith('"'), formula
    return formula.strip('"').split(",")


def test_every_input_has_a_sheet_with_its_header_a_note_on_each_column_and_an_example(template: Path) -> None:
    """Catches an input left out (as the old blank workbook left out every empty input), a header that is not the
    schema's, a column without its note, or a sheet without its example row."""
    book = openpyxl.load_workbook(template)
    assert book.sheetnames[0] == README
    assert sorted(book.sheetnames[1:]) == sorted(KINDS) and len(book.sheetnames) == len(KINDS) + 1
    for name, kind in KINDS.items():
        ws = book[name]
        assert [c.value for c in ws[1]] == list(kind.column_names), name
        for cell, column in zip(ws[1], kind.columns, strict=True):
            assert cell.comment is not None, f"{name}.{column.name} has no note"
            assert column.description in cell.comment.text
            for value in column.allowed:
                assert value in cell.comment.text
        values = {c.name: ws.cell(2, i + 1).value for i, c in enumerate(kind.columns)}
        if "source" in values:
            assert values["source"] == EXAMPLE_SOURCE, name
        assert EXAMPLE_SOURCE in ws["A2"].comment.text, name
        assert ws.max_row == 2, f"{name}: a header and one example row"
    population = book["population"]
    assert [c.value for c in population[2]] == ["E10999999", 2025, 7, "female", 9412, EXAMPLE_SOURCE]
    note = population["E1"].comment.text  # count
    assert "Number of people" in note and "at least 0" in note and "Required in every row" in note


def test_each_coded_column_has_a_drop_down_with_its_list(template: Path) -> None:
    """Catches a coded column without a drop-down, a drop-down with the wrong values, and a drop-down on a column
    that is not coded (it would refuse the user's own values)."""
    book = openpyxl.load_workbook(template)
    coded = {(k.name, c.name) for k in KINDS.values() for c in k.columns if c.allowed}
    assert set(HAND_LISTS) <= coded
    for name, kind in KINDS.items():
        rules = _validations(book[name])
        for i, column in enumerate(kind.columns):
            letter = openpyxl.utils.get_column_letter(i + 1)
            rule = rules.get(letter)
            if column.allowed:
                assert rule is not None, f"{name}.{column.name} has no drop-down"
                assert _list(rule) == list(HAND_LISTS.get((name, column.name), column.allowed))
                assert rule.showErrorMessage and rule.allow_blank  # type: ignore[attr-defined]
            elif rule is not None:  # only a column naming a row of another sheet offers (not enforces) its values
                assert not rule.showErrorMessage, f"{name}.{column.name} refuses values it should not"  # type: ignore[attr-defined]
    workforce = _validations(book["workforce"])
    assert workforce["B"].formula1 == "roles!$A$2:$A$10000"  # role: the roles sheet's role column
    assert workforce["A"].formula1 == "areas!$A$2:$A$10000"  # area: the areas sheet's code column
    assert "D" not in workforce  # headcount: a number, no list


def test_the_readme_lists_every_input_in_an_order_to_fill_them(template: Path) -> None:
    """Catches a README missing, missing an input, or asking for a sheet before the sheet its names come from (in
    the schema's order role_mix comes before roles, which it names)."""
    ws = openpyxl.load_workbook(template)[README]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "cyplan import all" in text and "--starter england" in text and EXAMPLE_SOURCE in text
    rows = [r for r in ws.iter_rows(values_only=True) if isinstance(r[0], int)]
    listed = [r[1] for r in rows]
    assert [r[0] for r in rows] == list(range(1, len(KINDS) + 1))
    assert sorted(listed) == sorted(KINDS) and listed == fill_order()
    for before, after in (("areas", "population"), ("roles", "role_mix"), ("pathway_steps", "role_mix"),
                          ("workforce", "caseloads"), ("services", "service_staff"), ("levels", "prevalence")):
        assert listed.index(before) < listed.index(after)
    assert rows[listed.index("role_mix")][3] == "pathway_steps, roles"


def _fill(template: Path, frames: dict[str, pl.DataFrame], out: Path) -> Path:
    """The template with each frame's rows written over its sheet's example row, as a user would fill it in."""
    book = openpyxl.load_workbook(template)
    for name, frame in frames.items():
        ws = book[name]
        ws.delete_rows(2)
        for i, row in enumerate(frame.select(KINDS[name].column_names).iter_rows(), start=2):
            for j, value in enumerate(row, start=1):
                ws.cell(i, j, value)
    book.save(out)
    return out


def test_the_template_filled_in_with_the_demo_imports_to_the_same_inputs(template: Path, demo_workspace: Path,
                                                                        run_cli: Run, tmp_path: Path,
                                                                        fresh: Path) -> None:
    """The round trip: every demo input written into the template and imported with `cyplan import all` into a new
    workspace gives the demo's rows back, and the inputs the demo leaves empty stay empty (their example rows are
    not imported). Catches a template the reader cannot read (notes, drop-downs, README) or an example imported."""
    ws = Workspace.open(demo_workspace)
    try:
        demo = {k: ws.read(k) for k in KINDS}
    finally:
        ws.close()
    filled = _fill(template, {k: f for k, f in demo.items() if f.height}, tmp_path / "filled.xlsx")
    code, _out, err = run_cli(["import", "all", filled, "--workspace", fresh])
    assert code == 0, err
    ws = Workspace.open(fresh)
    try:
        for kind, rows in demo.items():
            got = ws.read(kind)
            assert got.height == rows.height, kind
            assert got.equals(rows), kind
    finally:
        ws.close()
    assert any(not f.height for f in demo.values())  # the demo leaves inputs empty: their sheets were passed over


def test_the_template_untouched_imports_nothing_and_says_so(template: Path, run_cli: Run, fresh: Path) -> None:
    """Catches example rows imported as data (E10999999, 'Exampleshire' in a plan)."""
    before = folder_bytes(fresh)
    code, _, err = run_cli(["import", "all", template, "--workspace", fresh])
    assert code == 2
    assert "nothing to import: every sheet holds only its header or the template's example row" in err
    assert "Traceback" not in err
    assert folder_bytes(fresh) == before


def _levels_sheet(template: Path, out: Path, rows: list[list[object]], keep_example: bool = True) -> Path:
    book = openpyxl.load_workbook(template)
    ws = book["levels"]
    if not keep_example:
        ws.delete_rows(2)
    for row in rows:
        ws.append(row)
    book.save(out)
    return out


def test_an_example_row_left_beside_real_rows_is_refused_naming_it(template: Path, run_cli: Run,
                                                                 tmp_path: Path, fresh: Path) -> None:
    """Catches the example row imported with the user's rows (a level 'tertiary' they never meant), or a refusal
    that does not say which row: the example is row 2 of the levels sheet."""
    path = _levels_sheet(template, tmp_path / "filled.xlsx", [["mild", "Mild need", 0.5, 0, "local"]])
    before = folder_bytes(fresh)
    code, _, err = run_cli(["import", "all", path, "--workspace", fresh])
    assert code == 2
    assert re.search(r"filled\.xlsx.*levels.*row 2.*this is the template's example row", err), err
    assert folder_bytes(fresh) == before
    # deleted, the same rows import
    path = _levels_sheet(template, tmp_path / "fixed.xlsx", [["mild", "Mild need", 0.5, 0, "local"]],
                         keep_example=False)
    code, _out, err = run_cli(["import", "all", path, "--workspace", fresh])
    assert code == 0, err
    assert "Imported 1 row of levels of need" in err


def test_an_example_row_written_over_but_still_marked_is_refused(template: Path, run_cli: Run,
                                                                 tmp_path: Path, fresh: Path) -> None:
    """Catches a row whose values the user wrote but whose source still reads as the example: imported, it would
    cite 'Example row: …' as its source in the paper."""
    book = openpyxl.load_workbook(template)
    book["levels"]["A2"] = "mild"
    book.save(tmp_path / "half.xlsx")
    code, _, err = run_cli(["import", "all", tmp_path / "half.xlsx", "--workspace", fresh])
    assert code == 2 and "row 2" in err and "template's example row" in err


def test_one_input_imported_from_the_template_alone_refuses_its_example(template: Path, run_cli: Run,
                                                                          tmp_path: Path, fresh: Path) -> None:
    """`cyplan import levels template.xlsx` (one sheet, not the whole workbook) must not import the example either."""
    code, _, err = run_cli(["import", "levels", template, "--workspace", fresh])
    assert code == 2 and "row 2" in err and "template's example row" in err


def test_a_file_of_ones_own_with_the_examples_values_is_not_taken_for_the_example(run_cli: Run,
                                                                                  tmp_path: Path, fresh: Path) -> None:
    """The example is known by its source: a levels file without that source but with the example's values (a
    real level called tertiary) imports. Catches a check so eager it refuses real data."""
    path = tmp_path / "levels.csv"
    path.write_text("level,label,coverage,non_pay_per_case\ntertiary,Tertiary-level need,1,0\n", encoding="utf-8")
    code, _out, err = run_cli(["import", "levels", path, "--workspace", fresh])
    assert code == 0, err


def test_paper_details_example_has_no_source_so_is_known_by_every_cell(template: Path, run_cli: Run,
                                                                      tmp_path: Path, fresh: Path) -> None:
    """paper_details has no source column: its example is the row as the template wrote it. Left beside a real
    row it is refused; written over, the row imports."""
    book = openpyxl.load_workbook(template)
    book["paper_details"].append(["meeting", 1, "Health and Wellbeing Board"])
    book.save(tmp_path / "kept.xlsx")
    code, _, err = run_cli(["import", "all", tmp_path / "kept.xlsx", "--workspace", fresh])
    assert code == 2 and "row 2" in err and "every cell as the template wrote it" in err
    book["paper_details"]["C2"] = "A. Officer"
    book.save(tmp_path / "over.xlsx")
    code, _out, err = run_cli(["import", "all", tmp_path / "over.xlsx", "--workspace", fresh])
    assert code == 0, err
    assert "Imported 2 rows of board paper details" in err


def test_template_options_are_checked(run_cli: Run, tmp_path: Path) -> None:
    """A template must be .xlsx, and KIND FILE beside --template is a mistake to name, not to guess at."""
    code, _, err = run_cli(["export", "--template", tmp_path / "t.csv"])
    assert code == 2 and "ending .xlsx" in err and not (tmp_path / "t.csv").exists()
    code, _, err = run_cli(["export", "levels", tmp_path / "l.csv", "--template", tmp_path / "t.xlsx"])
    assert code == 2 and "give no input or file besides it" in err and not (tmp_path / "t.xlsx").exists()
    code, _, err = run_cli(["export"])
    assert code == 2 and "cyplan export --template FILE.xlsx" in err
    code, _, err = run_cli(["export", "--template", tmp_path / "no such folder" / "t.xlsx"])
    assert code == 1 and "cannot write" in err and "Traceback" not in err  # a message, as for any export


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def test_the_data_page_offers_the_template(client: TestClient, template: Path, tmp_path: Path) -> None:
    """Catches the Data page without the download, or a download that is not the CLI's template."""
    assert 'href="/data/template.xlsx"' in client.get("/data").text
    r = client.get("/data/template.xlsx")
    assert r.status_code == 200 and 'filename="cyplan-template.xlsx"' in r.headers["content-disposition"]
    (tmp_path / "web.xlsx").write_bytes(r.content)
    web = openpyxl.load_workbook(tmp_path / "web.xlsx")
    cli = openpyxl.load_workbook(template)
    assert web.sheetnames == cli.sheetnames
    for name in web.sheetnames:
        assert [[c.value for c in r] for r in web[name].iter_rows()] == [[c.value for c in r]
                                                                          for r in cli[name].iter_rows()]


def test_the_untouched_template_uploaded_on_the_data_page_is_refused(client: TestClient, template: Path,
                                                                     demo_workspace: Path) -> None:
    """The web upload reads the template as `cyplan import all` does: nothing to import, nothing changed."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data").text).group(1)  # type: ignore[union-attr]
    before = folder_bytes(demo_workspace)
    r = client.post("/data/upload", data={"kind": "auto", "mode": "replace", security.CSRF_FIELD: token},
                    files={"file": ("my-area.xlsx", template.read_bytes())})
    assert r.status_code == 422
    assert "nothing to import" in r.text and "Traceback" not in r.text
    assert folder_bytes(demo_workspace) == before


def _raw(kind: str, rows: list[dict[str, str]]) -> RawTable:
    columns = KINDS[kind].column_names
    frame = pl.DataFrame({c: [r[c] for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String))
    return RawTable("f.xlsx", kind, columns, frame.with_columns(pl.Series(ROW, range(2, len(rows) + 2))), 1)


@given(kind=st.sampled_from([k for k in KINDS if "source" in KINDS[k].column_names]), source=st.text(max_size=60),
       pad=st.sampled_from(["", " ", "  "]), upper=st.booleans())
def test_a_row_is_the_example_exactly_when_its_source_is_the_examples(kind: str, source: str, pad: str,
                                                                      upper: bool) -> None:
    """Property: with the example's values, a row is refused as the example if and only if its source is the
    example's text (case and spaces at either end aside); any other source is a real row, never refused."""
    row = example_row(KINDS[kind])
    marker = EXAMPLE_SOURCE.upper() if upper else EXAMPLE_SOURCE
    only, found = example_problems(_raw(kind, [{**row, "source": pad + marker + pad}]), KINDS[kind])
    assert only and [p.row for p in found] == [2]
    assume(source.strip().lower() != EXAMPLE_SOURCE.lower())
    only, found = example_problems(_raw(kind, [{**row, "source": source}]), KINDS[kind])
    assert not only and not found


def test_a_sheet_with_only_its_header_is_passed_over_by_import_all(run_cli: Run, tmp_path: Path, fresh: Path) -> None:
    """A template's sheet with its example deleted and nothing filled in (header only) is left out, as is the
    README sheet: catches `import all` refusing the workbook ('a header but no rows of data', 'README does not
    name an input')."""
    from conftest import write_workbook

    path = write_workbook(tmp_path / "mine.xlsx", {
        README: [["notes of my own"]],
        "levels": [["level", "label", "coverage"], ["mild", "Mild need", 0.5]],
        "roles": [list(KINDS["roles"].column_names)],
        "groups": [],
    })
    code, _, err = run_cli(["import", "all", path, "--workspace", fresh])
    assert code == 0, err
    assert err.strip() == "Imported 1 row of levels of need from mine.xlsx [levels]."
