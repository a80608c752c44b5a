"""The returns store (format 3: under returns-records/, each import's records in an Arrow IPC file of their
own and the counts the tables are made from, counted at import, in another, named by manifest.json with
every coded field's labels; the manifest is replaced whole, by a rename) and the reading paths added for
speed: labels matched again with the workspace's code lists, the quality report over several files,
labels shared across imports, replacing across imports (only the older import's files that held replaced
records are written again, and an import left with no records leaves the manifest), the counts adding up
to the records, a failed write (first or later) leaving the workspace as it was, a reader racing an import,
a format 2 store (returns.duckdb) moved to format 3 when opened, a store from an earlier cyplan refused,
`cyplan demo` rebuilt over itself, and CSV files with blank lines (read by record, as before).

The store is checked through what it is on disk: the manifest (store.Manifest.read, and its JSON) and
the Arrow files it names (pl.read_ipc), never through the functions under test alone. The workspace (`ws`) is made
on SQLite and on PostgreSQL (the `backend` fixture, tests/backends.py): the records live in the folder on both, the
import log in the workspace's database; 'as it was' covers both."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlalchemy as sa

from backends import Backend
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
def ws(backend: Backend, tmp_path: Path):
    w = backend.create(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def snapshot(backend: Backend) -> Callable[[Path], dict[str, object]]:
    """A folder's files and bytes and, for a workspace on PostgreSQL, its database's rows (conftest's snapshot sees
    only the folder, where a PostgreSQL workspace holds nothing but workspace.json)."""
    return backend.state


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
    manifest = _manifest(ws.path)
    assert manifest.labels["service"] == [None, "Affinity", "Surrey"]  # 0 is blank; no second Affinity
    assert json.loads(store.path(ws.path).read_text())["labels"]["service"] == ["Affinity", "Surrey"]
    (_, kept), (_, new) = sorted((i.import_id, i) for i in manifest.imports)
    assert pl.read_ipc(store.folder(ws.path) / new.records)["service"].to_list() == [1]  # Affinity's id
    assert sorted(pl.read_ipc(store.folder(ws.path) / kept.records)[F.ID].to_list()) == [
        "R003", "R004", "R005", "R006", "R007", "R008"]


def test_a_store_from_an_earlier_cyplan_asks_for_a_new_import(ws: Workspace,
                                                              snapshot: Callable[[Path], dict[str, object]]) -> None:
    """Format 1: returns.duckdb with a `referrals` table and no meta format '2'. It is neither read nor moved,
    and an import into it changes nothing (no returns-records/ is made)."""
    con = duckdb.connect(str(ws.path / store.FILE))
    con.execute("CREATE TABLE referrals (import_id INTEGER, row INTEGER, referral_id VARCHAR, service VARCHAR)")
    con.close()
    before = snapshot(ws.path)
    with pytest.raises(service.NoReturns, match=r"earlier version of cyplan.*import the returns again"):
        service.tables(ws)
    with pytest.raises(service.NoReturns, match=r"earlier version of cyplan.*import the returns again"):
        service.quality_report(ws, TODAY)
    assert snapshot(ws.path) == before
    with pytest.raises(InputError) as e:
        service.import_returns(ws, SMALL, today=TODAY)
    assert "delete that file and import the returns again" in e.value.problems[0].message
    assert snapshot(ws.path) == before
    assert not store.folder(ws.path).exists()
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(returns_imports)).fetchall() == []  # the import was not logged


def test_blank_lines_are_not_records(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([HEADER, GOOD, "", GOOD.replace("R1,", "R2,").replace("2022-05-01", "someday"), "", ""]))
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY)
    assert [(p.row, p.column, p.message) for p in e.value.problems] == [
        (3, "received_date", "'someday' is not a date written as YYYY-MM-DD or dd/mm/yyyy")]
    path.write_text("\n".join([HEADER, GOOD, "", GOOD.replace("R1,", "R2,")]) + "\n\n")
    assert service.import_returns(ws, path, today=TODAY).records == 2


def test_a_workspace_database_made_anew_beside_a_kept_store(tmp_path: Path) -> None:
    """The workspace database made anew (cyplan.db deleted) beside a kept store: the kept import keeps its id
    and gets its log row back from the manifest (its records and accepted records from its counts), and the
    next import takes the next id, never one the store holds (catches a log out of step with the records,
    and an id given twice). SQLite only: it deletes the database file."""
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
        assert [(i.import_id, Path(i.file).name) for i in _manifest(folder).imports] == [
            (1, SMALL.name), (2, "other.csv")]
        with ws.engine.connect() as conn:
            log = conn.execute(sa.select(returns_imports.c.id, returns_imports.c.file, returns_imports.c.records,
                                         returns_imports.c.accepted)).all()
        assert [(i, Path(f).name, n, a) for i, f, n, a in log] == [(1, SMALL.name, 8, 6), (2, "other.csv", 1, 1)]
        assert service.import_returns(ws, SMALL, today=TODAY).replaced == 8  # the same file again
        assert [(i.import_id, Path(i.file).name) for i in _one_file_each(folder).values()] == [
            (2, "other.csv"), (3, SMALL.name)]
        assert _row(service.tables(ws)["summary"], "Received")["Total"] == 9
    finally:
        ws.close()


def test_tables_counted_in_the_store_match_the_model_over_every_record(ws: Workspace, tmp_path: Path) -> None:
    """service.tables sums the counts made at import (no record is read) and makes the tables from them; the
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


def _manifest(workspace: Path) -> store.Manifest:
    manifest = store.Manifest.read(workspace)
    assert manifest is not None
    return manifest


def _files(workspace: Path) -> set[str]:
    """The files on disk in returns-records/."""
    return {p.name for p in store.folder(workspace).iterdir()}


def _one_file_each(workspace: Path) -> dict[int, store.Import]:
    """The manifest's imports by id, having checked that each has one records file and one counts file of its
    own, and that those and the manifest are exactly the files in returns-records/ (none twice, none left
    over, none missing, no temporary manifest)."""
    imports = _manifest(workspace).imports
    by_id = {i.import_id: i for i in imports}
    assert len(by_id) == len(imports)
    for i in imports:
        assert i.records.endswith(".records.arrow") and i.counts.endswith(".counts.arrow")
    named = [name for i in imports for name in (i.records, i.counts)]
    assert sorted([store.MANIFEST, *named]) == sorted(_files(workspace))
    return by_id


def _ids(workspace: Path, name: str) -> list[str]:
    """The referral ids in a records file, in its order."""
    return pl.read_ipc(store.folder(workspace) / name)[F.ID].to_list()


def _counted(workspace: Path, name: str) -> int:
    """The records a counts file counts (under one field: each record is counted once under each)."""
    return int(pl.read_ipc(store.folder(workspace) / name).filter(pl.col("field") == F.AGE)["n"].sum())


def _queried(ws: Workspace) -> list[tuple[str, int, str]]:
    found, _ = service.quality_report(ws, TODAY)
    return [(Path(r["file"]).name, r["row"], r["column"]) for r in found.iter_rows(named=True)]


def test_demo_built_again_in_its_folder_keeps_one_records_file_and_one_counts_file_per_import(
        run_cli: Callable[[list[str]], tuple[int, str, str]], cyplan_demo: Path) -> None:
    folder = cyplan_demo  # built by `cyplan demo` (once for the files that use it: tests/shared_demo.py), copied
    first = _one_file_each(folder)
    assert len(first) == 1
    code, _, err = run_cli(["demo", folder])
    assert code == 0, err
    again = _one_file_each(folder)  # the first build's files went with the first build's store
    assert len(again) == 1
    (old,), (new,) = first.values(), again.values()
    assert {old.records, old.counts}.isdisjoint({new.records, new.counts})
    assert _counted(folder, new.counts) == pl.read_ipc(store.folder(folder) / new.records).height == 2400


def test_replacing_across_imports_writes_again_only_the_older_files_that_held_replaced_records(
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
    c_id, a_id = sorted(before)
    assert _ids(ws.path, before[a_id].records) == ["A1", "A2", "A3", "A4", "A5"]
    assert _counted(ws.path, before[a_id].counts) == 5
    assert _queried(ws) == [("a.csv", 4, "ethnicity"), ("a.csv", 5, "ethnicity"), ("a.csv", 6, "ethnicity")]

    result = service.import_returns(ws, b, today=TODAY)
    assert result.replaced == 3  # A1, A2 and A3: Affinity's 2022/23 Q1 in a.csv
    after = _one_file_each(ws.path)
    assert len(after) == 3
    assert after[c_id] == before[c_id]  # Surrey's import, files and all, was not touched
    old, new = before[a_id], after[a_id]
    assert (new.file, new.sha256, new.imported_at) == (old.file, old.sha256, old.imported_at)
    assert new.records != old.records and new.counts != old.counts  # a.csv's files written again...
    assert {old.records, old.counts}.isdisjoint(_files(ws.path))  # ...and the old ones gone
    assert _ids(ws.path, new.records) == ["A4", "A5"]
    assert pl.read_ipc(store.folder(ws.path) / new.records)["row"].to_list() == [5, 6]
    assert _counted(ws.path, new.counts) == 2
    (b_id,) = set(after) - {c_id, a_id}
    assert _ids(ws.path, after[b_id].records) == ["B1"] and _counted(ws.path, after[b_id].counts) == 1

    t = service.tables(ws)
    assert _row(t["summary"], "Received") == {"2022/23 Q1": 2, "2022/23 Q2": 2, "Total": 4}
    assert _row(t["service"], "Affinity") == {"2022/23 Q1": 1, "2022/23 Q2": 2, "Total": 3}
    assert _row(t["service"], "Surrey") == {"2022/23 Q1": 1, "2022/23 Q2": 0, "Total": 1}
    assert _row(t["ethnicity"], INVALID)["Total"] == 2  # the Martians kept, the Venusian replaced
    # a.csv keeps its other quarter's records, under their own rows
    assert _queried(ws) == [("a.csv", 5, "ethnicity"), ("a.csv", 6, "ethnicity")]


def test_an_import_whose_records_are_all_replaced_is_gone_with_its_files(ws: Workspace, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-06-01")])
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-05-01"), _line("B2", "Kent", "2022-05-01")])
    service.import_returns(ws, a, today=TODAY)
    (a_id, old), = _one_file_each(ws.path).items()
    assert service.import_returns(ws, b, today=TODAY).replaced == 2
    after = _one_file_each(ws.path)
    assert list(after) == [a_id + 1]  # only b.csv's import: a.csv's left the manifest...
    assert {old.records, old.counts}.isdisjoint(_files(ws.path))  # ...and its files were deleted
    assert _ids(ws.path, after[a_id + 1].records) == ["B1", "B2"]
    assert _row(service.tables(ws)["summary"], "Received") == {"2022/23 Q1": 2, "Total": 2}
    assert {f for f, _, _ in _queried(ws)} == {"b.csv"}  # Kent is not a service on the list


def test_the_same_file_imported_twice_in_a_row_leaves_one_import(ws: Workspace) -> None:
    first = service.import_returns(ws, SMALL, today=TODAY)
    assert (first.records, first.replaced) == (8, 0)
    (old,) = _one_file_each(ws.path).values()
    second = service.import_returns(ws, SMALL, today=TODAY)
    assert second.replaced == second.records == 8  # every record of the first import
    (new,) = _one_file_each(ws.path).values()
    assert (old.import_id, new.import_id) == (1, 2)
    assert {old.records, old.counts}.isdisjoint(_files(ws.path))
    assert _ids(ws.path, new.records) == [f"R00{i}" for i in range(1, 9)] and _counted(ws.path, new.counts) == 8
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 8


def test_the_counts_of_every_field_add_up_to_the_stored_records(ws: Workspace, tmp_path: Path) -> None:
    """Every import's counts, after replacements wrote some imports again, match its records: by field,
    value, service, quarter and accepted, and in total under each field and the age by gender pair."""
    from cyplan.model.activity import fy_quarter
    from cyplan.reference import DEMO

    service.import_returns(ws, DEMO / "returns" / "referrals.csv", today=TODAY)
    service.import_returns(ws, SMALL, today=TODAY)
    replaced = service.import_returns(ws, _write(tmp_path / "odd.csv", [
        GOOD, "R2,Not a service,2023-01-31,no,99,Male,,Nope,,,,,maybe,yes,,",
        "R3,Affinity,2023-04-01,yes,,female,White British,,,,,,no,,yes,"]), today=TODAY).replaced
    assert replaced > 0
    imports = _one_file_each(ws.path)
    assert len(imports) == 3
    where = store.folder(ws.path)
    records = {i: pl.read_ipc(where / m.records) for i, m in imports.items()}
    counts = {i: pl.read_ipc(where / m.counts) for i, m in imports.items()}
    held = {i: r.height for i, r in records.items()}
    total = sum(held.values())
    assert total == _row(service.tables(ws)["summary"], "Received")["Total"] > 0
    fields = [*store.CODED, "age,gender"]
    every = pl.concat(counts.values())
    by_field = dict(every.group_by("field").agg(pl.col("n").sum()).iter_rows())
    assert by_field == dict.fromkeys(fields, total)
    for i, c in counts.items():
        assert dict(c.group_by("field").agg(pl.col("n").sum()).iter_rows()) == dict.fromkeys(fields, held[i])
        r = records[i].with_columns(fy_quarter(pl.col(F.DATE)).alias(store.QUARTER))
        keys = ["service", store.QUARTER, F.ACCEPTED, "value", "value2"]
        for f in fields:
            values = [pl.col(n).cast(pl.Int32).alias(v) for n, v in zip(f.split(","), ("value", "value2"),
                                                                       strict=False)]
            expected = (r.group_by(pl.col("service").cast(pl.Int32), store.QUARTER, F.ACCEPTED, *values).len("n")
                        .with_columns(value2=pl.col("value2") if "," in f else pl.lit(0, pl.Int32)))
            found = c.filter(pl.col("field") == f).select(*keys, "n")
            assert found.sort(keys).rows() == expected.select(*keys, "n").sort(keys).rows(), (i, f)


WAYS = ["new file", "counts", "queries", "manifest"]


def _break(broken: str, last: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the next import fail this way; the files it writes are listed as they are written. 'new file': the
    `last`th file fails to be written (the new import's counts, written last); 'counts': counting the records,
    in the writing thread; 'queries': listing a chunk's queries, in the chunk loop, while the thread writes the
    chunk's records (it is let finish, then undone); 'manifest': renaming the new manifest over the old one (every
    file written)."""
    written: list[str] = []
    write = store._Files.write

    def spy(self: store._Files, frame: pl.DataFrame, kind: str = "records", sync: bool = True) -> str:
        if broken == "new file" and len(written) == last - 1:
            raise RuntimeError("broken")
        written.append(write(self, frame, kind, sync))
        return written[-1]

    def fail(*args: object) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr(store._Files, "write", spy)
    if broken == "counts":
        monkeypatch.setattr(store, "count", fail)
    elif broken == "queries":
        monkeypatch.setattr(quality, "queries", fail)
    elif broken == "manifest":
        monkeypatch.setattr(store.os, "replace", fail)
    return written


@pytest.mark.parametrize("broken", WAYS)
def test_a_failed_write_leaves_the_workspace_as_it_was(ws: Workspace, tmp_path: Path, broken: str,
                                                       snapshot: Callable[[Path], dict[str, object]],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The new import replaces one of the stored import's records, so that import's files are written again
    (under new names) before the failure: the failed import leaves every file as it was."""
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-07-01")])
    service.import_returns(ws, a, today=TODAY)
    before = snapshot(ws.path), snapshot(store.folder(ws.path))
    assert len(before[1]) == 3  # the manifest, a.csv's records and its counts
    # b.csv's records, a.csv's records written again without A1 and their counts, then b.csv's counts
    written = _break(broken, 4, monkeypatch)
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-05-01"), _line("B2", "Surrey", "2022-05-01")])
    with pytest.raises(RuntimeError, match="broken"):
        service.import_returns(ws, b, today=TODAY)
    assert len(written) == {"new file": 3, "counts": 1, "queries": 1, "manifest": 4}[broken]
    assert (snapshot(ws.path), snapshot(store.folder(ws.path))) == before
    monkeypatch.undo()
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 2
    assert service.import_returns(ws, b, today=TODAY).replaced == 1
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 3
    assert len(_one_file_each(ws.path)) == 2


@pytest.mark.parametrize("broken", WAYS)
def test_a_failed_first_import_leaves_no_store(ws: Workspace, broken: str,
                                               snapshot: Callable[[Path], dict[str, object]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The first import makes returns-records/: if it fails, the folder goes too (and nothing is logged)."""
    before = snapshot(ws.path)
    written = _break(broken, 2, monkeypatch)  # its records, then its counts
    with pytest.raises(RuntimeError, match="broken"):
        service.import_returns(ws, SMALL, today=TODAY)
    assert len(written) == {"new file": 1, "counts": 1, "queries": 1, "manifest": 2}[broken]
    assert not store.folder(ws.path).exists()
    assert snapshot(ws.path) == before
    with pytest.raises(service.NoReturns):
        service.tables(ws)
    monkeypatch.undo()
    assert service.import_returns(ws, SMALL, today=TODAY).replaced == 0
    assert [i.import_id for i in _one_file_each(ws.path).values()] == [1]  # the failed import's id was not kept


def _read(workspace: Path, reader: str) -> list[tuple[str, int, str]]:
    """The store as a reader sees it: (service, quarter key, records) from the counts (the tables' path), or
    (file, row, service) of every record (the quality report's path)."""
    if reader == "counts":
        labels, (found,) = store.counted(workspace, [(store.QUARTER, "service")])
        return sorted((labels["service"][s], int(q), int(n))
                      for s, q, n in zip(found["service"], found[store.QUARTER], found["n"], strict=True))
    records = store.load(workspace)
    services = records.fields["service"]
    return sorted((Path(records.sources[s][0]).name, int(r), services.labels[services.ids[k]])
                  for k, (s, r) in enumerate(zip(records.source, records.row, strict=True)))


@pytest.mark.parametrize("reader", ["counts", "records"])
def test_a_reader_sees_the_store_as_an_import_that_replaced_its_files_left_it(
        ws: Workspace, tmp_path: Path, reader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader reads the manifest, then the files it names; an import in between deletes the files whose
    records it replaced. The reader finds a file gone, reads the manifest again and reads the store as the
    import left it (never a mix of the two). It tries again once only: if the files go again, it fails."""
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-06-01"),
                                    _line("A3", "Surrey", "2022-06-01")])
    b = _write(tmp_path / "b.csv", [_line("B1", "Affinity", "2022-05-01")])
    service.import_returns(ws, a, today=TODAY)
    q1 = 4 * 2022 + 0  # 2022/23 Q1's key
    assert _read(ws.path, reader) == ([("Affinity", q1, 2), ("Surrey", q1, 1)] if reader == "counts" else [
        ("a.csv", 2, "Affinity"), ("a.csv", 3, "Affinity"), ("a.csv", 4, "Surrey")])

    read = store.Manifest.read
    races: list[Path] = []  # files to import, one each time the reader has just read the manifest
    importing = False

    def racing(workspace: Path) -> store.Manifest | None:
        nonlocal importing
        manifest = read(workspace)
        if races and not importing:  # the import's own reading of the manifest does not race
            importing = True
            try:
                service.import_returns(ws, races.pop(0), today=TODAY)
            finally:
                importing = False
        return manifest

    monkeypatch.setattr(store.Manifest, "read", staticmethod(racing))
    races.append(b)  # replaces A1 and A2: a.csv's files are written again, the ones the reader saw deleted
    assert _read(ws.path, reader) == ([("Affinity", q1, 1), ("Surrey", q1, 1)] if reader == "counts" else [
        ("a.csv", 4, "Surrey"), ("b.csv", 2, "Affinity")])
    assert not races

    races.extend([b, a])  # b.csv again (its files replaced), then a.csv again (every file replaced)
    with pytest.raises(FileNotFoundError):
        _read(ws.path, reader)
    assert not races
    monkeypatch.undo()
    assert _read(ws.path, reader) == ([("Affinity", q1, 2), ("Surrey", q1, 1)] if reader == "counts" else [
        ("a.csv", 2, "Affinity"), ("a.csv", 3, "Affinity"), ("a.csv", 4, "Surrey")])


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
    con = duckdb.connect(str(ws.path / store.FILE))
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


def test_a_format_2_store_is_moved_to_format_3_when_first_opened(ws: Workspace, tmp_path: Path,
                                                                 snapshot: Callable[[Path], dict[str, object]]) -> None:
    _format_2_store(ws)
    with ws.engine.connect() as conn:
        log = conn.execute(sa.select(returns_imports)).fetchall()
    assert len(log) == 2
    assert (ws.path / store.FILE).exists() and not store.folder(ws.path).exists()  # not moved until opened

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

    assert not (ws.path / store.FILE).exists() and not (ws.path / (store.FILE + ".wal")).exists()
    assert json.loads(store.path(ws.path).read_text(encoding="utf-8"))["format"] == "4"
    imports = _one_file_each(ws.path)
    assert [(i.import_id, i.file, i.sheet, i.sha256, i.imported_at) for i in imports.values()] == [
        (1, "/old/a.csv", None, "aa", "2024-01-01T00:00:00+00:00"),
        (2, "/old/b.xlsx", "Q3", "bb", "2024-01-02T00:00:00+00:00")]
    labels = _manifest(ws.path).labels
    assert labels["service"] == [None, "Affinity", "Surrey"]
    assert labels["ethnicity"] == [None, "White British", "Martian"]
    assert labels["religion"] == [None]
    first = pl.read_ipc(store.folder(ws.path) / imports[1].records)
    assert first["row"].to_list() == [2, 3, 4] and first[F.ID].to_list() == ["R1", "R2", "R3"]
    assert first[F.DATE].to_list() == [dt.date(2022, 5, 1), dt.date(2022, 8, 1), dt.date(2022, 8, 2)]
    assert first[F.ACCEPTED].to_list() == [True, True, False]
    assert first["service"].to_list() == [1, 1, 1] and first["gender"].to_list() == [1, 2, 1]
    assert (_counted(ws.path, imports[1].counts), _counted(ws.path, imports[2].counts)) == (3, 1)
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(returns_imports)).fetchall() == log  # the log is not the store's to change

    moved = snapshot(ws.path), snapshot(store.folder(ws.path))
    service.tables(ws)  # opened again: nothing more to move
    assert (snapshot(ws.path), snapshot(store.folder(ws.path))) == moved

    # the moved records are replaced as any others: Affinity's 2022/23 Q2 in /old/a.csv
    again = service.import_returns(ws, _write(tmp_path / "new.csv", [_line("N1", "Affinity", "2022-09-01")]),
                                   today=TODAY)
    assert again.replaced == 2
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 3
    after = _one_file_each(ws.path)
    assert sorted(after) == [1, 2, 3]
    assert _ids(ws.path, after[1].records) == ["R1"] and after[2] == imports[2]


def test_a_format_2_store_holding_no_record_is_deleted_and_reads_as_no_returns(ws: Workspace) -> None:
    """A format 2 store whose referrals table is empty (or missing) holds nothing to move: it is deleted,
    and the workspace reads as holding no returns (not a crash, not empty tables)."""
    _format_2_store(ws)
    con = duckdb.connect(str(ws.path / store.FILE))
    con.execute("DELETE FROM referrals")
    con.close()
    assert not store.exists(ws.path)
    assert not (ws.path / store.FILE).exists() and not store.folder(ws.path).exists()
    with pytest.raises(service.NoReturns, match="holds no referral returns yet"):
        service.tables(ws)


def test_a_format_2_store_moves_records_whose_import_lost_its_log_row(ws: Workspace) -> None:
    """Every stored record is moved, even one whose import has no row in the store's own log."""
    _format_2_store(ws)
    con = duckdb.connect(str(ws.path / store.FILE))
    con.execute("DELETE FROM imports WHERE import_id = 2")
    con.close()
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 4
    assert [(i.import_id, i.file) for i in store.Manifest.read(ws.path).imports] == [(1, "/old/a.csv"),
                                                                                     (2, "import 2")]


def test_an_import_waits_while_another_writer_holds_the_store(ws: Workspace) -> None:
    """Writers are kept apart: an import cannot store anything while another holds the lock, and goes on
    once it is let go."""
    import threading

    done = threading.Event()

    def importing() -> None:
        service.import_returns(ws, SMALL, today=TODAY)
        done.set()

    with store._lock(ws.path):
        worker = threading.Thread(target=importing)
        worker.start()
        assert not done.wait(0.5)
        assert store.Manifest.read(ws.path) is None
    worker.join(30)
    assert done.is_set() and len(store.Manifest.read(ws.path).imports) == 1


def test_a_format_3_manifest_is_read_and_the_next_import_writes_format_4(ws: Workspace, tmp_path: Path) -> None:
    """A manifest from before the log rows were kept in it (format 3) reads as it is, its import keeps its log
    row and id, and the next import writes format 4 with a log row for each import it adds (catches a
    format 3 store refused, or taken for damaged)."""
    a = _write(tmp_path / "a.csv", [_line("A1", "Affinity", "2022-04-01")])
    service.import_returns(ws, a, today=TODAY)
    data = json.loads(store.path(ws.path).read_text(encoding="utf-8"))
    data["format"] = "3"
    for i in data["imports"]:
        del i["log"]
    store.path(ws.path).write_text(json.dumps(data), encoding="utf-8")
    assert _row(service.tables(ws)["summary"], "Received")["Total"] == 1
    b = _write(tmp_path / "b.csv", [_line("B1", "Surrey", "2022-04-01")])
    service.import_returns(ws, b, today=TODAY)
    written = json.loads(store.path(ws.path).read_text(encoding="utf-8"))
    assert written["format"] == "4"
    assert [(i["import_id"], (i["log"] or {}).get("records")) for i in written["imports"]] == [(1, None), (2, 1)]
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(returns_imports.c.id)).scalars().all() == [1, 2]
