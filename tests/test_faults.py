"""Standing check (issue 11, fault injection): an import that fails or is killed at any step leaves the
workspace wholly as it was or wholly as the import would have left it, with the import log and the stored
records in step and no file left over once the workspace is next opened; and the next import works and
takes the next id.

Faults are made at the named points the import passes (cyplan.faults), never by timing a kill:
- "fail": an OSError raised at the point; the import's own error handling runs (as for a full disk).
- "kill": the workspace folder is copied at the point, byte for byte as a kill there would leave it on disk
  (the database file with its journal, every Arrow file, no cleanup run), and that copy is what is checked.
- a real kill: the `cyplan` program run with CYPLAN_FAULT=<point> exits at once at that point (os._exit).

Expected states are worked out from what each step has done, not from the code: before the manifest's
rename nothing of the import counts; from the rename on, all of it does."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CYPLAN
from cyplan import faults
from cyplan.io.write import write_csv
from cyplan.returns import service, store
from cyplan.store.returns_tables import returns_imports
from cyplan.store.tables import import_log
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs

SMALL = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"
HEADER = SMALL.read_text().splitlines()[0]
GOOD = "R1,Affinity,2022-05-01,yes,12,Female,White British,Christian,Other,Other,Other,Other,yes,no,,"


class Crash(Exception):
    """Stands for the process dying at a fault point (the test then looks at the copy made there)."""


def _line(referral: str, svc: str, date: str) -> str:
    return GOOD.replace("R1,Affinity,2022-05-01", f"{referral},{svc},{date}")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


@pytest.fixture(scope="module")
def returns_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """a.csv: 3 records (Affinity 2022/23 Q1 and Q2, Surrey Q1). b.csv: 2 records, Affinity Q1 (replacing A1,
    so a.csv's files are written again without it) and Affinity 2023/24 Q1. c.csv: 1 record, Surrey Q1
    (replacing A3)."""
    d = tmp_path_factory.mktemp("returns")
    return {"a": _write(d / "a.csv", [_line("A1", "Affinity", "2022-04-01"), _line("A2", "Affinity", "2022-07-01"),
                                      _line("A3", "Surrey", "2022-05-01")]),
            "b": _write(d / "b.csv", [_line("B1", "Affinity", "2022-05-01"), _line("B2", "Affinity", "2023-05-01")]),
            "c": _write(d / "c.csv", [_line("C1", "Surrey", "2022-06-01")])}


@pytest.fixture(scope="module")
def with_a(tmp_path_factory: pytest.TempPathFactory, returns_files: dict[str, Path]) -> Path:
    """A workspace holding a.csv's records (import 1), copied for each test."""
    path = tmp_path_factory.mktemp("template") / "ws"
    ws = Workspace.create(path)
    try:
        service.import_returns(ws, returns_files["a"])
    finally:
        ws.close()
    return path


# -- what a workspace holds, read straight from its files --------------------------------------------------

State = tuple[list[tuple[int, str, int, int]], list[tuple[int, str]], int]


def _returns_state(path: Path, journal_ok: bool = False) -> State:
    """(the log: id, file, records, replaced; the manifest's imports: id, file; records stored) once the
    workspace is opened, having checked that nothing is left over and that log and store are in step.
    journal_ok: a kill may leave SQLite's journal of a transaction never committed; SQLite ignores it (or
    rolls it back) and deletes it at the next write."""
    ws = Workspace.open(path)  # an import cut short is settled here
    try:
        with ws.engine.connect() as conn:
            log = [(r.id, Path(r.file).name, r.records, r.replaced)
                   for r in conn.execute(sa.select(returns_imports).order_by(returns_imports.c.id))]
    finally:
        ws.close()
    manifest = store.Manifest.read(path)
    imports = [(i.import_id, Path(i.file).name) for i in manifest.imports] if manifest else []
    where = store.folder(path)
    named = {store.MANIFEST, *(n for i in (manifest.imports if manifest else []) for n in (i.records, i.counts))}
    on_disk = {p.name for p in where.iterdir()} if where.exists() else set()
    assert on_disk == (named if manifest else set()), "files left over, or missing"
    assert journal_ok or not any(p.name.endswith("-journal") for p in path.iterdir())
    stored = 0
    for i in manifest.imports if manifest else []:
        n = int(pl.read_ipc(where / i.records).height)
        assert i.import_id in {row[0] for row in log}, f"import {i.import_id} is stored but not logged"
        stored += n
    return log, imports, stored


OLD: State = ([(1, "a.csv", 3, 0)], [(1, "a.csv")], 3)
NEW: State = ([(1, "a.csv", 3, 0), (2, "b.csv", 2, 1)], [(1, "a.csv"), (2, "b.csv")], 4)
AFTER_C_FROM_OLD: State = ([(1, "a.csv", 3, 0), (2, "c.csv", 1, 1)], [(1, "a.csv"), (2, "c.csv")], 3)
AFTER_C_FROM_NEW: State = ([(1, "a.csv", 3, 0), (2, "b.csv", 2, 1), (3, "c.csv", 1, 1)],
                           [(1, "a.csv"), (2, "b.csv"), (3, "c.csv")], 4)

# every step of b.csv's import, with which time it is passed: b.csv's records, a.csv's records written again
# without A1 and their counts, then b.csv's counts are the four files written
RETURNS_STEPS = [("returns-settled", 1), *(("returns-file-written", n) for n in (1, 2, 3, 4)),
                 ("returns-log-added", 1), ("manifest-written", 1), ("manifest-renamed", 1),
                 ("returns-superseded-removed", 1), ("returns-log-committed", 1)]
COMMITTED_FROM = "manifest-renamed"  # from this step on, the import has happened


def _expected(point: str) -> State:
    names = [p for p, _ in RETURNS_STEPS]
    return NEW if names.index(point) >= names.index(COMMITTED_FROM) else OLD


def _at(nth: int, then: Callable[[], None]) -> Callable[[str], None]:
    """A fault action that lets the step pass nth - 1 times, then runs `then`."""
    passed = 0

    def action(name: str) -> None:
        nonlocal passed
        passed += 1
        if passed == nth:
            then()

    return action


def _full_disk() -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _copy_then_crash(source: Path, image: Path) -> Callable[[], None]:
    def crash() -> None:
        shutil.copytree(source, image)  # the disk as a kill here leaves it
        raise Crash

    return crash


def test_the_reference_states_are_what_an_import_without_faults_gives(with_a: Path, tmp_path: Path,
                                                                      returns_files: dict[str, Path]) -> None:
    """OLD and NEW (the only states a fault may leave) are what a.csv alone, and a.csv then b.csv, give."""
    path = Path(shutil.copytree(with_a, tmp_path / "ws"))
    assert _returns_state(path) == OLD
    ws = Workspace.open(path)
    service.import_returns(ws, returns_files["b"])
    ws.close()
    assert _returns_state(path) == NEW


@pytest.mark.parametrize(("point", "nth"), RETURNS_STEPS)
@pytest.mark.parametrize("how", ["fail", "kill"])
def test_a_returns_import_cut_short_at_any_step_leaves_log_and_records_in_step(
        with_a: Path, tmp_path: Path, returns_files: dict[str, Path], point: str, nth: int, how: str) -> None:
    """Catches: records new but log old (a kill between the manifest's rename and the log's commit), ids
    given twice (the next import renumbering an unlogged one), replaced or half-written files left on disk
    for good, and a next import that fails or numbers wrongly."""
    path = Path(shutil.copytree(with_a, tmp_path / "ws"))
    image = tmp_path / "image"
    fault = _full_disk if how == "fail" else _copy_then_crash(path, image)
    ws = Workspace.open(path)
    try:
        with faults.inject(point, _at(nth, fault)), pytest.raises(OSError if how == "fail" else Crash):
            service.import_returns(ws, returns_files["b"])
    finally:
        ws.close()
    left = path if how == "fail" else image
    assert _returns_state(left, journal_ok=how == "kill") == _expected(point)
    ws = Workspace.open(left)
    try:
        service.import_returns(ws, returns_files["c"])  # the next import works, and takes the next id
    finally:
        ws.close()
    assert _returns_state(left) == (AFTER_C_FROM_NEW if _expected(point) == NEW else AFTER_C_FROM_OLD)


@pytest.mark.parametrize("how", ["fail", "kill"])
def test_a_first_returns_import_cut_short_leaves_no_store(tmp_path: Path, returns_files: dict[str, Path],
                                                          how: str) -> None:
    """A first import killed after writing its records file: the next open deletes the file and the folder
    it made (catches a records file no later import cleans)."""
    ws = Workspace.create(tmp_path / "ws")
    image = tmp_path / "image"
    fault = _full_disk if how == "fail" else _copy_then_crash(ws.path, image)
    try:
        with faults.inject("returns-file-written", _at(1, fault)), pytest.raises(OSError if how == "fail" else Crash):
            service.import_returns(ws, returns_files["a"])
    finally:
        ws.close()
    left = tmp_path / "ws" if how == "fail" else image
    if how == "kill":
        assert len(list(store.folder(left).iterdir())) == 1  # the kill left the records file
    assert _returns_state(left) == ([], [], 0)
    assert not store.folder(left).exists()


def test_a_real_kill_between_the_manifest_and_the_log(with_a: Path, tmp_path: Path,
                                                      returns_files: dict[str, Path]) -> None:
    """The `cyplan` program killed (os._exit, no cleanup) just after the manifest's rename, before the log's
    commit: the next command sees the import whole, logged as import 2, and the next import is import 3.
    Before the fix the log stayed without it and the next import renumbered it to -1."""
    path = Path(shutil.copytree(with_a, tmp_path / "ws"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}, faults.ENV: "manifest-renamed"}
    done = subprocess.run([CYPLAN, "returns", "import", str(returns_files["b"]), "-w", str(path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == faults.KILLED, done.stderr
    assert _returns_state(path, journal_ok=True) == NEW
    ws = Workspace.open(path)
    try:
        service.import_returns(ws, returns_files["c"])
    finally:
        ws.close()
    assert _returns_state(path) == AFTER_C_FROM_NEW


# -- input imports ----------------------------------------------------------------------------------------

INPUT_STEPS = [("inputs-begun", 1), ("input-replaced", 1), ("input-replaced", 2), ("inputs-logged", 1),
               ("inputs-committed", 1)]


def _changed_inputs(path: Path, folder: Path) -> list[Source]:
    """population.csv and levels.csv as the workspace holds them, with one value changed in each."""
    ws = Workspace.open(path)
    try:
        population, levels = ws.read("population"), ws.read("levels")
    finally:
        ws.close()
    folder.mkdir()
    write_csv(population.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(1)).otherwise("count")
                                      .alias("count")), folder / "population.csv")
    write_csv(levels.with_columns(pl.col("label") + " (changed)"), folder / "levels.csv")
    return [Source("levels", folder / "levels.csv"), Source("population", folder / "population.csv")]


def _inputs_state(path: Path, journal_ok: bool = False) -> tuple[int, str, int]:
    """(the first population count, the first level's label, import log rows), the database whole, and
    (unless journal_ok: a kill's journal, see _returns_state) no journal left."""
    ws = Workspace.open(path)
    try:
        population, levels, log = ws.read("population"), ws.read("levels"), ws.imports()
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.execute(sa.select(sa.func.count()).select_from(import_log)).scalar() == log.height
    finally:
        ws.close()
    assert journal_ok or not any(p.name.endswith("-journal") for p in path.iterdir())
    return int(population["count"][0]), str(levels["label"][0]), log.height


@pytest.mark.parametrize(("point", "nth"), INPUT_STEPS)
@pytest.mark.parametrize("how", ["fail", "kill"])
def test_an_input_import_cut_short_at_any_step_leaves_the_workspace_old_or_new(
        demo_workspace: Path, tmp_path: Path, point: str, nth: int, how: str) -> None:
    """Catches: one input replaced and not the other, inputs replaced but not logged (or logged but not
    replaced), a journal left behind, and a next import that fails."""
    sources = _changed_inputs(demo_workspace, tmp_path / "inputs")
    old = _inputs_state(demo_workspace)
    new = (1, old[1] + " (changed)", old[2] + 2)
    image = tmp_path / "image"
    fault = _full_disk if how == "fail" else _copy_then_crash(demo_workspace, image)
    ws = Workspace.open(demo_workspace)
    try:
        with faults.inject(point, _at(nth, fault)), pytest.raises(OSError if how == "fail" else Crash):
            import_inputs(ws, sources)
    finally:
        ws.close()
    left = demo_workspace if how == "fail" else image
    assert _inputs_state(left, journal_ok=how == "kill") == (new if point == "inputs-committed" else old)
    ws = Workspace.open(left)
    try:
        import_inputs(ws, sources)  # the next import works
    finally:
        ws.close()
    assert _inputs_state(left)[:2] == new[:2]


def test_a_real_kill_of_an_input_import_before_its_commit(demo_workspace: Path, tmp_path: Path) -> None:
    """The `cyplan` program killed (os._exit) with the inputs replaced and logged but not committed: the
    workspace reads as it was, with no journal left once opened."""
    _changed_inputs(demo_workspace, tmp_path / "inputs")
    old = _inputs_state(demo_workspace)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}, faults.ENV: "inputs-logged"}
    done = subprocess.run([CYPLAN, "import", "all", str(tmp_path / "inputs"), "-w", str(demo_workspace)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == faults.KILLED, done.stderr
    assert _inputs_state(demo_workspace, journal_ok=True) == old


def test_every_fault_point_is_passed_by_an_import(with_a: Path, tmp_path: Path, demo_workspace: Path,
                                                  returns_files: dict[str, Path]) -> None:
    """The points the tests above use are the points the code passes, each as many times as they assume
    (catches a renamed or moved point that the tests would then never reach)."""
    passed: list[str] = []
    path = Path(shutil.copytree(with_a, tmp_path / "ws"))
    ws = Workspace.open(path)
    try:
        with _recording(faults.RETURNS_POINTS, passed):
            service.import_returns(ws, returns_files["b"])
    finally:
        ws.close()
    assert [(p, passed[: i + 1].count(p)) for i, p in enumerate(passed)] == RETURNS_STEPS
    passed.clear()
    sources = _changed_inputs(demo_workspace, tmp_path / "inputs")
    ws = Workspace.open(demo_workspace)
    try:
        with _recording(faults.INPUT_POINTS, passed):
            import_inputs(ws, sources)
    finally:
        ws.close()
    assert [(p, passed[: i + 1].count(p)) for i, p in enumerate(passed)] == INPUT_STEPS


def _recording(points: tuple[str, ...], passed: list[str]):
    from contextlib import ExitStack

    stack = ExitStack()
    for p in points:
        stack.enter_context(faults.inject(p, passed.append))
    return stack


# -- any sequence of imports, each perhaps killed at any step ----------------------------------------------

QUARTERS = {"2022-04-01": 4 * 2022, "2022-07-01": 4 * 2022 + 1, "2023-01-01": 4 * 2022 + 3}  # 2022/23 Q1, Q2, Q4
RECORD = st.tuples(st.sampled_from(["Affinity", "Surrey"]), st.sampled_from(sorted(QUARTERS)))
KILL = st.one_of(st.none(), st.sampled_from([(p, 1) for p, _ in RETURNS_STEPS if _ == 1]))


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "ws"
    Workspace.create(path).close()
    return path


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(imports=st.lists(st.tuples(st.lists(RECORD, min_size=1, max_size=4), KILL), min_size=1, max_size=4))
def test_any_sequence_of_imports_each_perhaps_killed_keeps_log_and_records_in_step(
        empty: Path, tmp_path_factory: pytest.TempPathFactory,
        imports: list[tuple[list[tuple[str, str]], tuple[str, int] | None]]) -> None:
    """A model kept by hand: each import that reaches the manifest's rename replaces the stored records of
    the (service, quarter) pairs it covers and takes the next id; one killed before it changes nothing.
    After every import (the workspace then opened again from what the kill left): the records by service
    and quarter, the log (ids, files, records, replaced) and the manifest's ids are the model's, and no
    file is left over (catches ids given twice, a log out of step, records of a killed import kept or lost)."""
    base = tmp_path_factory.mktemp("sequence")
    path = Path(shutil.copytree(empty, base / "ws"))
    held: dict[tuple[str, int], tuple[int, int]] = {}  # (service, quarter) → (import id, records)
    log: list[tuple[int, str, int, int]] = []
    for k, (records, kill) in enumerate(imports):
        file = _write(base / f"import{k}.csv", [_line(f"R{k}-{j}", s, d) for j, (s, d) in enumerate(records)])
        image = base / f"image{k}"
        ws = Workspace.open(path)
        try:
            if kill is None:
                service.import_returns(ws, file)
            else:
                with faults.inject(kill[0], _at(kill[1], _copy_then_crash(path, image))), pytest.raises(Crash):
                    service.import_returns(ws, file)
        finally:
            ws.close()
        if kill is not None:
            path = image
        names = [p for p, _ in RETURNS_STEPS]
        if kill is None or names.index(kill[0]) >= names.index(COMMITTED_FROM):
            covered = {(s, QUARTERS[d]) for s, d in records}
            new_id = max([0, *(i for i, *_ in log)]) + 1
            log.append((new_id, file.name, len(records), sum(held[p][1] for p in covered if p in held)))
            for pair in covered:
                held[pair] = (new_id, sum(1 for s, d in records if (s, QUARTERS[d]) == pair))
        state_log, state_imports, stored = _returns_state(path, journal_ok=True)
        assert state_log == log
        assert [i for i, _ in state_imports] == sorted({i for i, _ in held.values()})
        assert stored == sum(n for _, n in held.values())
        if held:
            labels, (found,) = store.counted(path, [(store.QUARTER, "service")])
            by_pair = {(labels["service"][s], int(q)): int(n)
                       for s, q, n in zip(found["service"], found[store.QUARTER], found["n"], strict=True)}
            assert by_pair == {p: n for p, (_, n) in held.items()}
