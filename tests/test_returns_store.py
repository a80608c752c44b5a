"""The returns store (format 2: coded fields as ids into labels) and the reading paths added for speed:
labels matched again with the workspace's code lists, the quality report over several files, a store
from an earlier cyplan, and CSV files with blank lines (read by record, as before)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from cyplan.io.problems import InputError
from cyplan.model.activity import INVALID
from cyplan.returns import service, store
from cyplan.store.workspace import Workspace

SMALL = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"
TODAY = dt.date(2024, 1, 1)
HEADER = SMALL.read_text().splitlines()[0]
GOOD = "R1,Affinity,2022-05-01,yes,12,Female,White British,Christian,Other,Other,Other,Other,yes,no,,"


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def _row(table: pl.DataFrame, label: str) -> dict[str, int]:
    row = table.filter(pl.col(table.columns[0]) == label).row(0, named=True)
    return {k: v for k, v in row.items() if k != table.columns[0]}


def test_stored_values_are_matched_again_with_a_changed_code_list(ws: Workspace) -> None:
    service.import_returns(ws, SMALL, today=TODAY)
    assert _row(service.tables(ws)["ethnicity"], INVALID)["Total"] == 1  # Martian
    own = ws.path / "codelists"
    own.mkdir()
    default = (Path(__file__).parents[1] / "src" / "cyplan" / "reference" / "returns" / "ethnicity.csv").read_text()
    (own / "ethnicity.csv").write_text(default.rstrip("\n") + "\nMartian,,a test\n")
    t = service.tables(ws)
    assert _row(t["ethnicity"], "Martian")["Total"] == 1 and _row(t["ethnicity"], INVALID)["Total"] == 0
    found, _ = service.quality_report(ws, TODAY)
    assert not any("Martian" in m for m in found["message"])


def test_the_quality_report_lists_every_file_in_file_then_row_order(ws: Workspace, tmp_path: Path) -> None:
    second = _write(tmp_path / "a_first_by_name.csv",
                    [GOOD.replace("R1,Affinity,2022-05-01", "R9,Kent,2021-05-01").replace("White British", "Venusian")])
    small = tmp_path / "b_second_by_name.csv"  # beside the other, so the order by name does not hang on folders
    small.write_bytes(SMALL.read_bytes())
    service.import_returns(ws, small, today=TODAY)
    service.import_returns(ws, second, today=TODAY)
    found, counts = service.quality_report(ws, TODAY)
    files = found["file"].to_list()
    assert files == sorted(files) and files[0] == str(second)
    first = found.filter(pl.col("file") == str(second))
    assert {(r["row"], r["column"]) for r in first.iter_rows(named=True)} == {(2, "ethnicity"), (2, "service")}
    rest = found.filter(pl.col("file") == str(small))
    assert rest["row"].to_list() == sorted(rest["row"].to_list())
    assert counts.filter(pl.col("field") == "ethnicity")["invalid"].item() == 2  # Martian and Venusian


def test_labels_are_shared_across_imports_and_replacing_matches_the_stored_service(ws: Workspace,
                                                                                   tmp_path: Path) -> None:
    service.import_returns(ws, SMALL, today=TODAY)
    again = service.import_returns(ws, _write(tmp_path / "b.csv", [GOOD.replace("Affinity", " AFFINITY ")]),
                                   today=TODAY)
    assert again.replaced == 2  # R001 and R002, stored as Affinity
    con = duckdb.connect(str(store.path(ws.path)), read_only=True)
    try:
        services = con.execute("SELECT label FROM labels WHERE field = 'service' ORDER BY id").fetchall()
    finally:
        con.close()
    assert services == [("Affinity",), ("Surrey",)]


def test_a_store_from_an_earlier_cyplan_asks_for_a_new_import(ws: Workspace,
                                                              snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    con = duckdb.connect(str(store.path(ws.path)))
    con.execute("CREATE TABLE referrals (import_id INTEGER, row INTEGER, referral_id VARCHAR, service VARCHAR)")
    con.close()
    with pytest.raises(service.NoReturns, match=r"earlier version of cyplan.*import the returns again"):
        service.tables(ws)
    before = snapshot(ws.path)
    with pytest.raises(InputError) as e:
        service.import_returns(ws, SMALL, today=TODAY)
    assert "delete that file and import the returns again" in e.value.problems[0].message
    assert snapshot(ws.path) == before


def test_blank_lines_are_not_records(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([HEADER, GOOD, "", GOOD.replace("R1,", "R2,").replace("2022-05-01", "someday"), "", ""]))
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    assert [(p.row, p.column, p.message) for p in e.value.problems] == [
        (3, "received_date", "'someday' is not a date written as YYYY-MM-DD")]
    path.write_text("\n".join([HEADER, GOOD, "", GOOD.replace("R1,", "R2,")]) + "\n\n")
    assert service.import_returns(ws, path, today=TODAY).records == 2


def test_a_workspace_database_made_anew_beside_a_kept_store(tmp_path: Path) -> None:
    """`cyplan demo` makes its database anew but keeps returns.duckdb: the log's ids start again at 1."""
    folder = tmp_path / "ws"
    ws = Workspace.create(folder)
    service.import_returns(ws, SMALL, today=TODAY)
    ws.close()
    (folder / "cyplan.db").unlink()
    ws = Workspace.create(folder)
    try:
        other = _write(tmp_path / "other.csv", [GOOD.replace("2022-05-01", "2021-05-01")])  # a quarter not stored
        assert service.import_returns(ws, other, today=TODAY).replaced == 0
        assert _row(service.tables(ws)["summary"], "Received")["Total"] == 9
        found, _ = service.quality_report(ws, TODAY)
        assert str(SMALL) in set(found["file"])  # the earlier import keeps its file
        assert service.import_returns(ws, SMALL, today=TODAY).replaced == 8  # the same file again
        assert _row(service.tables(ws)["summary"], "Received")["Total"] == 9
    finally:
        ws.close()


def test_tables_counted_in_the_store_match_the_model_over_every_record(ws: Workspace, tmp_path: Path) -> None:
    """service.tables counts in DuckDB (one scan, grouping sets) and makes the tables from the counts; the
    model's own path over the coded records (activity.tables) must give the same tables, number for number,
    for a store holding several imports, invalid values, blanks, unknown ages and records not accepted."""
    from polars.testing import assert_frame_equal

    from cyplan.model import activity
    from cyplan.reference import DEMO

    service.import_returns(ws, DEMO / "returns" / "referrals.csv", today=TODAY)
    service.import_returns(ws, SMALL, today=TODAY)
    service.import_returns(ws, _write(tmp_path / "odd.csv", [
        GOOD, "R2,Not a service,2023-01-31,no,99,Male,,Nope,,,,,maybe,yes,,",
        "R3,Affinity,2023-04-01,yes,,female,White British,,,,,,no,,yes,"]), today=TODAY)
    frame, lists = service.records(ws)
    expected = activity.tables(frame, {f: cl.categories for f, cl in lists.items()})
    found = service.tables(ws)
    assert list(found) == list(expected)
    for name, table in expected.items():
        assert_frame_equal(found[name], table)
