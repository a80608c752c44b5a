"""History and undo of inputs (issue 18 part 6): every import is kept as a version with its counts of rows added,
removed and changed by key; `cyplan history` lists, diffs and restores; the Data page does the same. The counts
and diffs below are worked out by hand from the small files written here, not by the code under test. Every test
runs on SQLite and on PostgreSQL (the `backend` fixture, tests/backends.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import Backend
from conftest import CliResult, write_text
from cyplan import reference, results
from cyplan.io.problems import InputError
from cyplan.model.plan import need_table
from cyplan.store.workspace import Workspace
from cyplan.transfer import restore
from cyplan.web import security
from cyplan.web.app import create_app

Run = Callable[[list[object]], CliResult]
LOCAL = "http://localhost"

HEADER = "agency,label,engaged,representative,source\n"
FIRST = HEADER + "school,,yes,Head teacher,s1\nhousing,,no,,s1\nyouth_service,Youth work,yes,Manager,s1\n"
# against FIRST: school unchanged; housing changed (engaged no → yes, representative blank → Inspector);
# youth_service removed; gp and charity added → 2 added, 1 removed, 1 changed
SECOND = (HEADER + "school,,yes,Head teacher,s1\nhousing,,yes,Inspector,s1\ngp,GP practices,yes,,s2\n"
          "charity,Local charity,no,,s2\n")


def _sorted(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return sorted(frame.rows(), key=lambda r: str(r[0]))


@pytest.fixture
def twice(backend: Backend, tmp_path: Path, run_cli: Run) -> Path:
    """A new workspace with the stakeholders imported twice (FIRST, then SECOND), through the CLI."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws, *backend.init_args()])[0] == 0
    for i, text in enumerate((FIRST, SECOND), 1):
        code, _, err = run_cli(["import", "stakeholders", write_text(tmp_path / f"s{i}.csv", text), "-w", ws])
        assert code == 0, err
    return ws


def test_two_imports_make_two_versions_with_the_counts_worked_by_hand(twice: Path, run_cli: Run) -> None:
    """Catches a version not kept, counts made against the wrong version, a change counted as a remove and an add
    (rows not matched by key), and the file or who not recorded."""
    with closing(Workspace.open(twice)) as ws:
        v = ws.versions("stakeholders")
    assert v.select("version", "action", "rows", "added", "removed", "changed").rows() == [
        (1, "replace", 3, 3, 0, 0), (2, "replace", 4, 2, 1, 1)]
    assert [Path(f).name for f in v["file"]] == ["s1.csv", "s2.csv"]
    assert all(v["by"]) and all(v["at"])
    code, out, _ = run_cli(["history", "stakeholders", "-w", twice])
    assert code == 0
    assert re.search(r"\b2\s*│\s*replace.*s2\.csv\s*│\s*4\s*│\s*2\s*│\s*1\s*│\s*1\b", out), out


def test_diff_shows_the_rows_added_removed_and_changed_before_and_after(twice: Path, run_cli: Run) -> None:
    """Catches a diff the wrong way round, a changed value without its before value, and an unchanged row listed."""
    code, out, err = run_cli(["history", "stakeholders", "--diff", "1", "2", "-w", twice])
    assert code == 0, err
    assert "2 rows added, 1 removed, 1 changed" in err
    added = out.split("Added in version 2")[1].split("Removed since version 1")[0]
    assert "gp" in added and "charity" in added and "school" not in added
    removed = out.split("Removed since version 1")[1].split("Changed")[0]
    assert "youth_service" in removed and "housing" not in removed
    assert "agency housing" in out
    assert "engaged: no → yes" in out and "representative: (blank) → Inspector" in out
    assert "school" not in out.split("Changed")[1]


def test_restore_gives_back_exactly_the_old_rows_and_is_itself_a_version(twice: Path, run_cli: Run) -> None:
    """Catches a restore that loses the newer version, merges instead of replacing, or is not recorded."""
    code, _, err = run_cli(["history", "stakeholders", "--restore", "1", "-w", twice])
    assert code == 0, err
    assert "as version 3" in err
    with closing(Workspace.open(twice)) as ws:
        assert _sorted(ws.read("stakeholders")) == _sorted(ws.version("stakeholders", 1))
        assert _sorted(ws.read("stakeholders")) == [
            ("housing", "", "no", "", "s1"), ("school", "", "yes", "Head teacher", "s1"),
            ("youth_service", "Youth work", "yes", "Manager", "s1")]
        v = ws.versions("stakeholders")
        assert ws.version("stakeholders", 2).height == 4  # nothing lost
        log = ws.imports().filter(pl.col("kind") == "stakeholders")
    # against version 2: youth_service back (1 added), gp and charity gone (2 removed), housing back (1 changed)
    assert v.row(-1, named=True) | {"at": None, "by": None, "file": None} == {
        "kind": "stakeholders", "version": 3, "action": "restore", "restored_from": 1, "at": None, "by": None,
        "file": None, "sheet": None, "rows": 3, "added": 1, "removed": 2, "changed": 1}
    assert log["mode"][-1] == "restore"  # `cyplan status` names the restore as the last change, not the old file
    code, out, _ = run_cli(["history", "-w", twice])
    assert "restore of 1" in out


def test_a_refused_import_makes_no_version_and_changes_nothing(backend: Backend, twice: Path, tmp_path: Path,
                                                               run_cli: Run) -> None:
    """Catches a version written before validation (a history of a file that was never imported)."""
    before = backend.state(twice)
    bad = write_text(tmp_path / "bad.csv", HEADER + "school,,maybe,,s3\n")
    code, _, err = run_cli(["import", "stakeholders", bad, "-w", twice])
    assert code == 2 and "engaged" in err
    assert backend.state(twice) == before


def test_restore_that_would_break_references_is_refused_with_a_located_message(
        backend: Backend, demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches a restore that skips the references check: version 1 of the areas lacks an area the population
    now uses, so restoring it would leave population rows naming no area."""
    areas = (reference.DEMO / "areas.csv").read_text() + "E06000099,Newtown,council,,test\n"
    code, _, err = run_cli(["import", "areas", write_text(tmp_path / "areas.csv", areas), "-w", demo_on])
    assert code == 0, err
    pop = "area,year,age,sex,count,source\nE06000099,2025,3,female,100,test\n"
    code, _, err = run_cli(["import", "population", write_text(tmp_path / "population.csv", pop), "-w",
                            demo_on, "--mode", "merge"])
    assert code == 0, err
    before = backend.state(demo_on)
    code, _, err = run_cli(["history", "areas", "--restore", "1", "-w", demo_on])
    assert code == 2
    assert "history of areas, version 1" in err and "E06000099" in err and "population" in err
    assert "nothing was changed" in err and "Traceback" not in err
    assert backend.state(demo_on) == before


def test_restore_gives_back_the_models_figures(demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches a restore whose rows read back differently (types, order, a column lost): the need figures after
    restoring the demo's population equal the figures before it was changed."""
    with closing(Workspace.open(demo_on)) as ws:
        need = need_table(results.plan(ws.read_all()), ["level"])
    pop = pl.read_csv(reference.DEMO / "population.csv").with_columns(pl.col("count") * 2)
    pop.write_csv(tmp_path / "population.csv")
    assert run_cli(["import", "population", tmp_path / "population.csv", "-w", demo_on])[0] == 0
    with closing(Workspace.open(demo_on)) as ws:
        assert not need_table(results.plan(ws.read_all()), ["level"]).equals(need)  # the change shows
    code, _, err = run_cli(["history", "population", "--restore", "1", "-w", demo_on])
    assert code == 0, err
    with closing(Workspace.open(demo_on)) as ws:
        assert need_table(results.plan(ws.read_all()), ["level"]).equals(need)


def test_history_refuses_unknown_inputs_and_versions(backend: Backend, twice: Path, run_cli: Run) -> None:
    """Catches a traceback (or exit 0) for an input or version that does not exist, and restoring the current one."""
    before = backend.state(twice)
    for args, said in ((["history", "nonsense"], "'nonsense' is not an input"),
                       (["history", "stakeholders", "--restore", "7"], "there is no version 7 of stakeholders"),
                       (["history", "stakeholders", "--restore", "2"], "version 2 is already the current"),
                       (["history", "stakeholders", "--diff", "1", "9"], "there is no version 9"),
                       (["history", "--restore", "1"], "name the input")):
        code, _, err = run_cli([*args, "-w", twice])
        assert code == 2 and said in err, (args, err)
    assert backend.state(twice) == before


def test_restoring_a_version_equal_to_the_current_one_is_refused(backend: Backend, twice: Path, run_cli: Run) -> None:
    """Catches a restore that only adds a version changing nothing: after restoring version 1 (now version 3),
    restoring 1 again would make a fourth identical version; it is refused, naming both, and nothing is written."""
    assert run_cli(["history", "stakeholders", "--restore", "1", "-w", twice])[0] == 0
    before = backend.state(twice)
    code, _, err = run_cli(["history", "stakeholders", "--restore", "1", "-w", twice])
    assert code == 2 and "version 1 holds the same rows as the current version (3); nothing to restore" in err
    assert backend.state(twice) == before


# -- the Data page --------------------------------------------------------------------------------------


@pytest.fixture
def client(twice: Path) -> Iterator[TestClient]:
    app = create_app(twice)
    with TestClient(app, base_url=LOCAL) as c:
        c.get("/data")
        yield c
    app.state.workspace.close()


def _token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)  # type: ignore[union-attr]


def test_data_page_lists_versions_and_shows_a_diff(client: TestClient) -> None:
    """Catches the history not reachable from the Data page, and a web diff that differs from the one by hand."""
    assert re.search(r'href="/data/history/stakeholders">2 versions', client.get("/data").text)
    page = client.get("/data/history/stakeholders?a=1&b=2").text
    assert "2 rows added, 1 removed, 1 changed" in page
    assert re.search(r'id="diff-added".*gp.*charity', page, re.S)
    assert re.search(r'id="diff-removed".*youth_service', page, re.S)
    assert "engaged: no → yes" in page
    assert client.get("/data/history/nonsense").status_code == 404


def test_restore_on_the_data_page_needs_the_token_and_gives_back_the_old_rows(backend: Backend, client: TestClient,
                                                                              twice: Path) -> None:
    """Catches a restore by a forged POST (no CSRF token), and a web restore that differs from the CLI's."""
    before = backend.state(twice)
    r = client.post("/data/history/stakeholders/restore", data={"version": "1"})
    assert r.status_code == 403 and backend.state(twice) == before
    token = _token(client, "/data/history/stakeholders")
    r = client.post("/data/history/stakeholders/restore", data={"version": "1", security.CSRF_FIELD: token})
    assert r.status_code == 200 and 'id="restored"' in r.text and "kept as version 3" in r.text
    with closing(Workspace.open(twice)) as ws:
        assert _sorted(ws.read("stakeholders")) == _sorted(ws.version("stakeholders", 1))
    assert re.search(r'id="input-stakeholders".*?data-rows="3"', client.get("/data").text, re.S)


def test_a_refused_restore_on_the_data_page_lists_the_problem_and_changes_nothing(backend: Backend,
                                                                                client: TestClient,
                                                                                twice: Path) -> None:
    """Catches a refused web restore that writes anyway or answers 200."""
    before = backend.state(twice)
    token = _token(client, "/data/history/stakeholders")
    r = client.post("/data/history/stakeholders/restore", data={"version": "2", security.CSRF_FIELD: token})
    assert r.status_code == 422 and "already the current" in r.text and "Traceback" not in r.text
    assert backend.state(twice) == before


# -- any sequence of imports and restores ----------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)
LOCALITIES = st.dictionaries(TEXT, st.tuples(TEXT, st.one_of(st.none(), st.floats(0, 1)),
                                             st.one_of(st.none(), TEXT)), max_size=6)
STEP = st.one_of(st.tuples(st.just("import"), LOCALITIES), st.tuples(st.just("restore"), st.integers(1, 40)))


def test_any_sequence_of_imports_and_restores_keeps_every_version_exactly(backend: Backend, tmp_path: Path) -> None:
    """Catches a version overwritten or changed by a later import or restore, and values not kept exactly (a float
    rounded through text, a blank turned to '' or a number): every version reads back as the rows it was made of."""
    ws = backend.create(tmp_path / "ws")
    kept: dict[int, list[tuple[object, ...]]] = {}

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(STEP, max_size=5))
    def check(steps: list[tuple[str, object]]) -> None:
        for op, arg in steps:
            if op == "import":
                rows = [(k, *v) for k, v in arg.items()]  # type: ignore[union-attr]
                frame = pl.DataFrame(rows, schema={"locality": pl.String, "label": pl.String, "share": pl.Float64,
                                                   "source": pl.String}, orient="row")
                ws.write({"localities": frame}, [])
                kept[len(kept) + 1] = sorted(rows, key=lambda r: str(r[0]))
            else:
                n = int(arg)  # type: ignore[call-overload]
                try:
                    restore(ws, "localities", n)
                except InputError:
                    # refused only for no such version, the current one, or one with the current rows
                    assert n not in kept or n == len(kept) or kept[n] == kept[len(kept)]
                    continue
                kept[len(kept) + 1] = kept[n]
            assert ws.versions("localities")["version"].to_list() == list(kept)
            assert _sorted(ws.read("localities")) == kept[len(kept)]
        for n, rows in kept.items():
            assert _sorted(ws.version("localities", n)) == rows

    try:
        check()
    finally:
        ws.close()


def test_a_large_diff_on_the_data_page_is_counted_whole_and_shown_in_part(client: TestClient, twice: Path,
                                                                          tmp_path: Path, run_cli: Run) -> None:
    """Catches a page that lists tens of thousands of rows (or counts only those shown): 250 agencies added, the
    page says 250 and shows 200, and points to the command that lists them all."""
    many = HEADER + "".join(f"local_{i},Local {i},yes,,s3\n" for i in range(250))
    assert run_cli(["import", "stakeholders", write_text(tmp_path / "many.csv", many), "-w", twice,
                    "--mode", "merge"])[0] == 0
    page = client.get("/data/history/stakeholders?a=2&b=3").text
    assert "250 rows added, 0 removed, 0 changed" in page and "Added (250)" in page
    added = page.split('id="diff-added"')[1].split("</table>")[0]
    assert added.count("<tr") == 201  # the heading and 200 rows
    assert "cyplan history stakeholders --diff 2 3" in page


def test_rows_held_before_history_was_kept_become_version_1_at_the_next_import(twice: Path, tmp_path: Path,
                                                                              run_cli: Run) -> None:
    """Catches an upgraded workspace whose first import after the upgrade loses the rows it replaces: with the
    history emptied (as in a workspace made before it existed), importing FIRST over SECOND keeps SECOND as
    version 1, and counts against it by hand: youth_service added, gp and charity removed, housing changed."""
    from cyplan.store.tables import input_version_rows, input_versions

    with closing(Workspace.open(twice)) as ws, ws.engine.begin() as conn:
        conn.execute(input_version_rows.delete())
        conn.execute(input_versions.delete())
        held = _sorted(ws.read("stakeholders"))
    assert run_cli(["import", "stakeholders", write_text(tmp_path / "again.csv", FIRST), "-w", twice])[0] == 0
    with closing(Workspace.open(twice)) as ws:
        v = ws.versions("stakeholders")
        assert _sorted(ws.version("stakeholders", 1)) == held
    assert v.select("version", "action", "rows", "added", "removed", "changed").rows() == [
        (1, "before history", 4, 4, 0, 0), (2, "replace", 3, 1, 2, 1)]
    assert Path(v["file"][0]).name == "s2.csv"  # the file the held rows last came from, from the import log
