"""A workspace on PostgreSQL, tested for real: a throwaway server (Debian's postgresql package, which `make test`
installs) is started on a unix socket in a temporary folder (tests/backends.py: one per session), and every check
asks the server itself where the rows went, rather than trusting cyplan's own output, which an SQLite database would
give just the same.

Without the server or psycopg these tests fail, saying how to install them: they never skip.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backends import Server
from cyplan import reference
from cyplan.cli import app

CYPLAN = str(Path(sys.executable).with_name("cyplan"))
DEMO = reference.DEMO
REFERRALS = DEMO / "returns" / "referrals.csv"
TODAY = "2026-03-31"  # the same 'today' on both databases, so the referrals' queries are the same


# -- running cyplan ---------------------------------------------------------------------------------


def cyplan(args: Sequence[str], cwd: Path, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `cyplan` program in a child process, as a user runs it; CYPLAN_DATABASE_URL set only if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}
    if url:
        env["CYPLAN_DATABASE_URL"] = url
    return subprocess.run([CYPLAN, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def cyplan_here(args: Sequence[str], url: str | None = None) -> tuple[int, str, str]:
    """`cyplan ARGS` in this process (quicker than a child, same commands); CYPLAN_DATABASE_URL unset unless given."""
    result = CliRunner().invoke(app, [str(a) for a in args], env={"CYPLAN_DATABASE_URL": url, "COLUMNS": "1000"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def ok(args: Sequence[str], url: str | None = None) -> str:
    code, out, err = cyplan_here(args, url)
    assert code == 0, f"cyplan {' '.join(map(str, args))}: {err}"
    return out


def data_rows(path: Path) -> list[list[str]]:
    """A CSV file's rows after its header, read with Python's csv module (not cyplan's reader)."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [row for row in list(csv.reader(f))[1:] if any(cell.strip() for cell in row)]


def every_file(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the demo's inputs and referrals, imported through the CLI into PostgreSQL and into SQLite ------


@dataclass
class Built:
    server: Server
    database: str
    url: str
    pg: Path  # the workspace folder whose database is on the server
    lite: Path  # the same imports into the folder's own SQLite file


@pytest.fixture(scope="module")
def built(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Built:
    home = tmp_path_factory.mktemp("postgres")
    database = server.new_database()
    url, pg, lite = server.url(database), home / "pg", home / "lite"
    for args in (["init", pg, "--db", url], ["import", "all", DEMO, "-w", pg],
                 ["returns", "import", REFERRALS, "-w", pg, "--today", TODAY]):
        done = cyplan(args, cwd=home)  # the program itself, as a user would run it
        assert done.returncode == 0, f"cyplan {' '.join(map(str, args))}: {done.stderr}"
    ok(["init", lite])
    ok(["import", "all", DEMO, "-w", lite])
    ok(["returns", "import", REFERRALS, "-w", lite, "--today", TODAY])
    return Built(server, database, url, pg, lite)


def test_every_imported_row_is_in_postgres_and_no_database_file_is_in_the_folder(built: Built) -> None:
    """Catches the PostgreSQL address ignored (rows written to a cyplan.db in the folder, or nowhere), and an
    input whose rows do not all reach the server."""
    inputs = sorted(reference.DEFAULTS.glob("*.csv")) + sorted(DEMO.glob("*.csv"))
    expected = {p.stem: len(data_rows(p)) for p in inputs}
    assert expected["population"] == 572 and expected["areas"] == 1  # the demo files, counted by csv
    on_server = {kind: built.server.rows(built.database, f'SELECT count(*) FROM "{kind}"')[0][0] for kind in expected}
    assert on_server == expected
    logged = built.server.rows(built.database, "SELECT kind, rows FROM import_log")
    assert sorted(logged) == sorted(expected.items())
    codes = {c for (c,) in built.server.rows(built.database, "SELECT code FROM areas")}
    assert codes == {r[0] for r in data_rows(DEMO / "areas.csv")}

    assert json.loads((built.pg / "workspace.json").read_text()) == {"database_url": built.url, "tenant": "local"}
    assert sorted(p.name for p in built.pg.iterdir()) == ["returns-records", "workspace.json"]
    assert not [p for p in built.pg.rglob("*") if p.suffix in (".db", ".sqlite", ".duckdb")]


def test_need_demand_and_gap_on_postgres_are_the_sqlite_figures(built: Built) -> None:
    """Catches a figure that changes with the database: a column type, an order or a rounding PostgreSQL does
    differently (numbers stored as text, rows read back in another order)."""
    for command in (["need", "--by", "level"], ["demand"], ["gap", "--year", "2030"]):
        on_pg = ok([*command, "-w", built.pg, "--format", "csv"])
        on_lite = ok([*command, "-w", built.lite, "--format", "csv"])
        assert on_pg == on_lite
        assert on_pg.count("\n") > 2, on_pg  # real figures, not two empty tables
    assert "E10999999,2025,clinical_psychologist," in ok(["demand", "-w", built.pg, "--format", "csv"])


def test_referral_returns_on_postgres_log_the_import_on_the_server_and_give_the_sqlite_tables(
        built: Built, tmp_path: Path) -> None:
    """Catches the returns import logged outside PostgreSQL, and tables that differ from SQLite's."""
    with REFERRALS.open(newline="", encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    accepted = sum(r["accepted"] == "yes" for r in records)
    assert (len(records), accepted) == (2400, 2101)  # the demo file, counted by csv
    logged = built.server.rows(built.database, "SELECT file, records, accepted, replaced FROM returns_imports")
    assert logged == [(str(REFERRALS), len(records), accepted, 0)]
    assert (built.pg / "returns-records" / "manifest.json").is_file()  # the records themselves stay in the folder

    for publish in ([], ["--publish"]):
        ok(["returns", "tables", "-w", built.pg, "--out", tmp_path / "pg", *publish])
        ok(["returns", "tables", "-w", built.lite, "--out", tmp_path / "lite", *publish])
        made = every_file(tmp_path / "pg")
        assert len(made) > 3 and made == every_file(tmp_path / "lite")


def test_a_refused_import_leaves_the_server_and_the_folder_as_they_were(built: Built, tmp_path: Path) -> None:
    """Catches a bad file that reaches PostgreSQL's tables (a delete before validation, or a transaction that is
    not rolled back), which the folder's bytes alone cannot show."""
    before = built.server.contents(built.database), every_file(built.pg)
    bad = tmp_path / "areas.csv"
    bad.write_text("code,name,kind\nE1,X,council\n")
    code, _, err = cyplan_here(["import", "areas", bad, "-w", built.pg])  # an exception here would be a traceback
    assert code == 2
    assert re.search(r"areas\.csv.*row 2, column 'code'", err), err
    assert (built.server.contents(built.database), every_file(built.pg)) == before


def test_cyplan_database_url_creates_and_opens_workspaces_on_the_server(server: Server, tmp_path: Path) -> None:
    """Catches CYPLAN_DATABASE_URL ignored by init or by the commands that open a workspace, and the promise
    'while it is set, every workspace opens that database, whatever its folder holds' broken."""
    database = server.new_database()
    url = server.url(database)
    ok(["init", tmp_path / "env"], url=url)
    assert json.loads((tmp_path / "env" / "workspace.json").read_text()) == {"database_url": url, "tenant": "local"}
    assert server.rows(database, "SELECT count(*) FROM age_bands") == [(len(data_rows(reference.DEFAULTS /
                                                                                      "age_bands.csv")),)]
    ok(["import", "areas", DEMO / "areas.csv", "-w", tmp_path / "env"], url=url)
    assert server.rows(database, "SELECT code, name FROM areas") == [tuple(r[:2]) for r in data_rows(DEMO /
                                                                                                   "areas.csv")]
    # a folder whose workspace.json names another database: while the variable is set, the variable wins
    elsewhere = server.new_database()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "workspace.json").write_text(json.dumps({"database_url": server.url(elsewhere)}))
    ok(["import", "population", DEMO / "population.csv", "-w", tmp_path / "other"], url=url)
    assert server.rows(database, "SELECT count(*) FROM population") == [(len(data_rows(DEMO / "population.csv")),)]
    assert server.contents(elsewhere) == {}
    assert not list(tmp_path.rglob("cyplan.db"))


def test_init_refuses_a_database_that_already_holds_a_workspace(built: Built, tmp_path: Path) -> None:
    """Catches a second `cyplan init --db` on a shared database that silently loads the default age bands and
    groups over the first workspace's own and stamps it anew."""
    before = built.server.contents(built.database)
    code, _, err = cyplan_here(["init", tmp_path / "second", "--db", built.url])
    assert code == 1 and "already holds a cyplan workspace" in err and "copy workspace.json" in err
    assert not (tmp_path / "second").exists()
    assert built.server.contents(built.database) == before


def test_a_database_that_cannot_be_opened_is_a_message_and_no_folder(server: Server, tmp_path: Path) -> None:
    """Catches a traceback (and a folder left holding a workspace.json, so that trying again says it is already a
    workspace) when the URL names no database, is malformed or needs a driver that is not installed; and a
    password shown in the message."""
    missing = f"postgresql+psycopg://cyplan:secret@/no_such_database?host={server.folder}"
    for url, said in ((missing, 'database "no_such_database" does not exist'),
                      ("no-url-at-all", "is not a database URL"),
                      ("mysql://user@localhost/cyplan", "its driver is not installed")):
        code, _, err = cyplan_here(["init", tmp_path / "w", "--db", url])
        err = " ".join(err.split())
        assert code == 1 and said in err, err
        assert "secret" not in err and "Traceback" not in err
        assert not (tmp_path / "w").exists()
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "workspace.json").write_text(json.dumps({"database_url": missing}))
    code, _, err = cyplan_here(["demand", "-w", tmp_path / "w"])
    assert code == 1 and "cannot open the database" in err and "secret" not in err


def test_the_web_app_on_postgres_sees_an_import_made_from_the_command_line(built: Built, tmp_path: Path) -> None:
    """Catches the web app showing stale figures on PostgreSQL: the folder's files do not change when the CLI
    imports into the server, so only the server's import log can tell the app its cached inputs are old. And
    catches the referral-returns view differing from SQLite's. (Last in the file: it renames the area and
    then puts it back.)"""
    from fastapi.testclient import TestClient

    from cyplan.web.app import create_app

    renamed = tmp_path / "areas.csv"
    renamed.write_text((DEMO / "areas.csv").read_text(encoding="utf-8").replace("Exampleshire", "Renamedshire"),
                       encoding="utf-8")
    on_pg, on_lite = create_app(built.pg), create_app(built.lite)
    try:
        with TestClient(on_pg, base_url="http://localhost") as pg, \
                TestClient(on_lite, base_url="http://localhost") as lite:
            assert pg.get("/api/returns").json() == lite.get("/api/returns").json()
            assert [a["name"] for a in pg.get("/api/inputs/areas").json()] == ["Exampleshire"]
            before = every_file(built.pg)
            ok(["import", "areas", renamed, "-w", built.pg])
            assert every_file(built.pg) == before  # nothing in the folder says the data changed
            assert [a["name"] for a in pg.get("/api/inputs/areas").json()] == ["Renamedshire"]
    finally:
        on_pg.state.workspace.close()
        on_lite.state.workspace.close()
        ok(["import", "areas", DEMO / "areas.csv", "-w", built.pg])


def test_history_on_postgres_keeps_versions_on_the_server_and_restores_them(server: Server, tmp_path: Path) -> None:
    """Catches the history written somewhere other than the workspace's database (or not in its transaction), and
    a restore that PostgreSQL's types give back differently: version 1 of the areas is restored exactly."""
    database = server.new_database()
    url = server.url(database)
    folder = tmp_path / "pg"
    ok(["init", folder, "--db", url])
    first = tmp_path / "areas.csv"
    first.write_text("code,name,kind,parent,source\nE1,One,custom,,a\n")
    ok(["import", "areas", first, "-w", folder])
    areas = "SELECT code, name, kind, parent, source FROM areas"
    imported = server.rows(database, areas)
    assert imported[0][:3] == ("E1", "One", "custom")
    second = tmp_path / "second" / "areas.csv"
    second.parent.mkdir()
    second.write_text("code,name,kind,parent,source\nE1,Renamed,custom,,a\nE2,Two,custom,,b\n")
    ok(["import", "areas", second, "-w", folder])
    ok(["history", "areas", "--restore", "1", "-w", folder])
    assert server.rows(database, areas) == imported
    # by hand: version 2 adds E2 and renames E1; the restore removes E2 and renames E1 back
    assert server.rows(database, "SELECT version, action, restored_from, rows, added, removed, changed FROM "
                       "input_versions WHERE kind = 'areas' ORDER BY version") == [
        (1, "replace", None, 1, 1, 0, 0), (2, "replace", None, 2, 1, 0, 1), (3, "restore", 1, 1, 0, 1, 1)]
