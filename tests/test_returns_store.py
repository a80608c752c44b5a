"""The returns store (format 3: each import's records in a Parquet file of their own under returns-records/,
coded fields as ids into labels, and the counts the tables are made from, counted at import) and the
reading paths added for speed: labels matched again with the workspace's code lists, the quality report
over several files, replacing across imports (only the older files that held replaced records are written
again), a failed write leaving the workspace as it was, a format 2 store moved to format 3 when opened, a
store from an earlier cyplan, `cyplan demo` rebuilt over itself, and CSV files with blank lines (read by
record, as before)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlalchemy as sa

from cyplan.io.problems import InputError
from cyplan.model.activity import INVALID
from cyplan.returns import fields as F
from cyplan.returns import quality, service, store
from cyplan.store.returns_tables import returns_imports
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


def _line(referral: str, svc: str, date: str, ethnicity: str = "White British") -> str:
    return GOOD.replace("R1,Affinity,2022-05-01", f"{referral},{svc},{date}").replace("White British", ethnicity)


def _query(sql: str, workspace: Path, args: list[object] | None = None) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(store.path(workspace)), read_only=True)
    try:
        return con.execute(sql, args or []).fetchall()
    finally:
        con.close()


def _parts(workspace: Path) -> dict[int, str]:
    """Which Parquet file holds each stored import's records, by the store."""
    return dict(_query("SELECT import_id, file FROM parts", workspace))  # type: ignore[arg-type]


def _files(workspace: Path) -> set[str]:
    """The Parquet files on disk."""
    return {p.name for p in store.folder(workspace).iterdir()}


def _one_file_each(workspace: Path) -> dict[int, str]:
    """The store's parts, having checked that they are exactly the files on disk, one for each import."""
    parts = _parts(workspace)
    imports = {i for (i,) in _query("SELECT import_id FROM imports", workspace)}
    assert set(parts) == imports
    assert sorted(parts.values()) == sorted(_files(workspace))  # no file twice, none left over, none missing
    return parts


def _queried(ws: Workspace) -> list[tuple[str, int, str]]:
    found, _ = service.quality_report(ws, TODAY)
    return [(Path(r["file"]).name, r["row"], r["column"]) for r in found.iter_rows(named=True)]


def test_demo_built_again_in_its_folder_keeps_one_parquet_file_per_import(
        run_cli: Callable[[list[str]], tuple[int, str, str]], tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    assert run_cli(["demo", folder])[0] == 0
    first = _one_file_each(folder)
    assert len(first) == 1
    code, _, err = run_cli(["demo", folder])
    assert code == 0, err
    again = _one_file_each(folder)  # the first build's file went with the first build's store
    assert len(again) == 1 and set(again.values()).isdisjoint(first.values())


def test_replacing_across_imports_writes_again_only_the_older_file_that_held_replaced_records(
        ws: Workspace, tmp_path: Path) -> None:
    surrey = _write(tmp_path / "c.csv", [_line("S1", "Surrey", "2022-05-01")])
    a = _write(tmp_path / "a.csv", [
        _line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-05-01"),
        _line("A3", "Affinity", "2022-06-30", "Venusian"),  # 2022/23 Q1: replaced by b.csv, and its query goes
        _line("A4", "Affinity", "2022-07-01", "Martian"), _line("A5", "Affinity", "2022-09-30", "Martian")])  # Q2
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-04-15")])
    service.import_returns(ws, surrey, today=TODAY)
    assert service.import_returns(ws, a, today=TODAY).replaced == 0
    before = _one_file_each(ws.path)
    assert len(before) == 2
    assert _queried(ws) == [("a.csv", 4, "ethnicity"), ("a.csv", 5, "ethnicity"), ("a.csv", 6, "ethnicity")]

    result = service.import_returns(ws, b, today=TODAY)
    assert result.replaced == 3  # A1, A2 and A3: Affinity's 2022/23 Q1 in a.csv
    after = _one_file_each(ws.path)
    assert len(after) == 3
    c_id, a_id = sorted(before)
    assert after[c_id] == before[c_id]  # Surrey's file was not written again
    assert after[a_id] != before[a_id] and before[a_id] not in _files(ws.path)  # a.csv's old file is gone
    assert pl.read_parquet(store.folder(ws.path) / after[a_id])[F.ID].to_list() == ["A4", "A5"]

    t = service.tables(ws)
    assert _row(t["summary"], "Received") == {"2022/23 Q1": 2, "2022/23 Q2": 2, "Total": 4}
    assert _row(t["service"], "Affinity") == {"2022/23 Q1": 1, "2022/23 Q2": 2, "Total": 3}
    assert _row(t["service"], "Surrey") == {"2022/23 Q1": 1, "2022/23 Q2": 0, "Total": 1}
    assert _row(t["ethnicity"], INVALID)["Total"] == 2  # the Martians kept, the Venusian replaced
    # a.csv keeps its other quarter's records, under their own rows
    assert _queried(ws) == [("a.csv", 5, "ethnicity"), ("a.csv", 6, "ethnicity")]


def test_an_import_whose_records_are_all_replaced_is_gone_with_its_file(ws: Workspace, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-06-01")])
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-05-01"), _line("B2", "Kent", "2022-05-01")])
    service.import_returns(ws, a, today=TODAY)
    (a_id, a_file), = _parts(ws.path).items()
    assert service.import_returns(ws, b, today=TODAY).replaced == 2
    parts = _one_file_each(ws.path)
    assert a_id not in parts and a_file not in _files(ws.path) and len(parts) == 1
    assert _query("SELECT count(*) FROM counts WHERE import_id = ?", ws.path, [a_id]) == [(0,)]
    assert _row(service.tables(ws)["summary"], "Received") == {"2022/23 Q1": 2, "Total": 2}
    assert {f for f, _, _ in _queried(ws)} == {"b.csv"}  # Kent is not a service on the list


def test_the_counts_of_every_field_add_up_to_the_stored_records(ws: Workspace, tmp_path: Path) -> None:
    from cyplan.reference import DEMO

    service.import_returns(ws, DEMO / "returns" / "referrals.csv", today=TODAY)
    service.import_returns(ws, SMALL, today=TODAY)
    replaced = service.import_returns(ws, _write(tmp_path / "odd.csv", [
        GOOD, "R2,Not a service,2023-01-31,no,99,Male,,Nope,,,,,maybe,yes,,",
        "R3,Affinity,2023-04-01,yes,,female,White British,,,,,,no,,yes,"]), today=TODAY).replaced
    assert replaced > 0
    held = {i: pl.read_parquet(store.folder(ws.path) / name).height for i, name in _one_file_each(ws.path).items()}
    total = sum(held.values())
    assert total == _row(service.tables(ws)["summary"], "Received")["Total"] > 0
    fields = [*store.CODED, "age,gender"]
    by_field = dict(_query("SELECT field, sum(n) FROM counts GROUP BY field", ws.path))
    assert by_field == dict.fromkeys(fields, total)
    by_import = _query("SELECT import_id, field, sum(n) FROM counts GROUP BY ALL", ws.path)
    assert sorted(by_import) == sorted((i, f, n) for i, n in held.items() for f in fields)


@pytest.mark.parametrize("broken", ["new file", "counts", "queries"])
def test_a_failed_write_leaves_the_workspace_as_it_was(ws: Workspace, tmp_path: Path, broken: str,
                                                       snapshot: Callable[[Path], dict[str, bytes]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The new import replaces one of the stored import's records, so that import's file is written again
    (under a new name) before the failure: the failed import leaves every file as it was."""
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-07-01")])
    service.import_returns(ws, a, today=TODAY)
    before = snapshot(ws.path), snapshot(store.folder(ws.path))
    written: list[str] = []
    write = store._Files.write

    def spy(self: store._Files, frame: pl.DataFrame) -> str:
        if broken == "new file" and written:  # a.csv's records were written again without A1; then b.csv's
            raise RuntimeError("broken")
        written.append(write(self, frame))
        return written[-1]

    def fail(*args: object) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr(store._Files, "write", spy)
    if broken == "counts":  # in the writing thread
        monkeypatch.setattr(store, "count", fail)
    elif broken == "queries":  # in the block, while the thread writes (it is let finish, then undone)
        monkeypatch.setattr(quality, "queries", fail)
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-05-01"), _line("B2", "Surrey", "2022-05-01")])
    with pytest.raises(RuntimeError, match="broken"):
        service.import_returns(ws, b, today=TODAY)
    if broken != "counts":
        assert len(written) == {"new file": 1, "queries": 2}[broken]  # a.csv written again (and b.csv)
    assert (snapshot(ws.path), snapshot(store.folder(ws.path))) == before
    monkeypatch.undo()
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 2
    assert service.import_returns(ws, b, today=TODAY).replaced == 1
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 3
    assert len(_one_file_each(ws.path)) == 2


def _format_2_store(ws: Workspace) -> None:
    """A store as cyplan wrote it in format 2 (cd26c0d's store.py): the records in a DuckDB table, with the
    workspace database's log of the two imports."""
    coded = ", ".join(f"{c} INTEGER NOT NULL" for c in store.CODED)
    labels = {"age": ["12", "40"], "service": ["Affinity", "Surrey"], "gender": ["Female", "Male"],
              "ethnicity": ["White British", "Martian"], "advocate_assigned": ["yes"]}
    blank = dict.fromkeys(store.CODED, 0)
    records = [  # import, row, referral, date, accepted, coded ids
        (1, 2, "R1", "2022-05-01", True, {"age": 1, "service": 1, "gender": 1, "ethnicity": 1, "advocate_assigned": 1}),
        (1, 3, "R2", "2022-08-01", True, {"age": 1, "service": 1, "gender": 2, "ethnicity": 2}),
        (1, 4, "R3", "2022-08-02", False, {"service": 1, "gender": 1, "advocate_assigned": 1}),
        (2, 5, "R9", "2022-12-01", True, {"age": 2, "service": 2, "gender": 2}),
    ]
    con = duckdb.connect(str(store.path(ws.path)))
    try:
        con.execute(f"""
            CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
            CREATE TABLE imports (import_id INTEGER PRIMARY KEY, file VARCHAR, sheet VARCHAR,
                sha256 VARCHAR, imported_at VARCHAR);
            CREATE TABLE labels (field VARCHAR NOT NULL, id INTEGER NOT NULL, label VARCHAR NOT NULL);
            CREATE TABLE referrals (import_id INTEGER NOT NULL, row INTEGER NOT NULL,
                referral_id VARCHAR NOT NULL, received_date DATE NOT NULL, accepted BOOLEAN NOT NULL, {coded});
            INSERT INTO meta VALUES ('format', '2');
            INSERT INTO imports VALUES (1, '/old/a.csv', NULL, 'aa', '2024-01-01T00:00:00+00:00'),
                (2, '/old/b.xlsx', 'Q3', 'bb', '2024-01-02T00:00:00+00:00');""")
        for field, names in labels.items():
            con.executemany("INSERT INTO labels VALUES (?, ?, ?)", [(field, i + 1, n) for i, n in enumerate(names)])
        con.executemany(f"INSERT INTO referrals VALUES ({', '.join('?' * (5 + len(store.CODED)))})",
                        [[*r[:4], r[4], *{**blank, **r[5]}.values()] for r in records])
    finally:
        con.close()
    with ws.engine.begin() as conn:
        for i, (file, sheet, n, accepted) in enumerate([("/old/a.csv", None, 3, 2), ("/old/b.xlsx", "Q3", 1, 1)]):
            conn.execute(returns_imports.insert().values(
                id=i + 1, file=file, sheet=sheet, sha256="ab"[i] * 2, imported_at=f"2024-01-0{i + 1}T00:00:00+00:00",
                records=n, accepted=accepted, queries=1, replaced=0, periods="[]"))


def test_a_format_2_store_is_moved_to_format_3_when_first_opened(ws: Workspace, tmp_path: Path) -> None:
    _format_2_store(ws)
    with ws.engine.connect() as conn:
        log = conn.execute(sa.select(returns_imports)).fetchall()
    assert len(log) == 2

    t = service.tables(ws)
    assert _row(t["summary"], "Received") == {"2022/23 Q1": 1, "2022/23 Q2": 2, "2022/23 Q3": 1, "Total": 4}
    assert _row(t["summary"], "Accepted") == {"2022/23 Q1": 1, "2022/23 Q2": 1, "2022/23 Q3": 1, "Total": 3}
    assert _row(t["service"], "Affinity")["Total"] == 2 and _row(t["service"], "Surrey")["Total"] == 1
    assert _row(t["ethnicity"], "White British")["Total"] == 1 and _row(t["ethnicity"], INVALID)["Total"] == 1
    assert _row(t["age_gender"], "12 to 15") == {"Female": 1, "Male": 1, "Other or unknown gender": 0, "Total": 2}
    assert _row(t["age_gender"], "Unknown age")["Male"] == 1  # 40
    found, _ = service.quality_report(ws, TODAY)
    assert [(r["file"], r["sheet"], r["row"], r["column"]) for r in found.iter_rows(named=True)] == [
        ("/old/a.csv", None, 3, "ethnicity"), ("/old/a.csv", None, 4, "advocate_assigned"),
        ("/old/b.xlsx", "Q3", 5, "age")]

    tables = {t for (t,) in _query("SELECT table_name FROM information_schema.tables", ws.path)}
    assert "referrals" not in tables
    assert _query("SELECT value FROM meta WHERE key = 'format'", ws.path) == [("3",)]
    parts = _one_file_each(ws.path)
    assert sorted(parts) == [1, 2]
    first = pl.read_parquet(store.folder(ws.path) / parts[1])
    assert first["row"].to_list() == [2, 3, 4] and first[F.ID].to_list() == ["R1", "R2", "R3"]
    assert first[F.DATE].to_list() == [dt.date(2022, 5, 1), dt.date(2022, 8, 1), dt.date(2022, 8, 2)]
    assert first[F.ACCEPTED].to_list() == [True, True, False]
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(returns_imports)).fetchall() == log  # the log is not the store's to change

    # the moved records are replaced as any others: Affinity's 2022/23 Q2 in /old/a.csv
    again = service.import_returns(ws, _write(tmp_path / "new.csv", [_line("N1", "Affinity", "2022-09-01")]),
                                   today=TODAY)
    assert again.replaced == 2
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 3
    assert len(_one_file_each(ws.path)) == 3
