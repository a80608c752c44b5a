"""Isolation between server areas on a real PostgreSQL (issue 14 part 4, decision 0011), and the data version every
process serving an area reads (part 1).

Two areas, A and B, are made with `cyplan server add-area` on one database migrated by a role that owns the tables
but is not a superuser (`cyplan server migrate --app-role`), and on SQLite beside it; the demo's inputs are imported
into both through the CLI, B with its population doubled. Every check asks the server itself, connected as the
app's role (which row-level security holds) or as the superuser (which it does not, to count what is really there).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from hypothesis import given
from hypothesis import strategies as st

from backends import Server
from cyplan.commands import server as server_app
from cyplan.store.migrations import tenancy
from cyplan.store.tables import metadata
from cyplan.store.workspace import Workspace, _alembic_config
from cyplan.web import security
from cyplan.web.state import DATA_VERSION, WorkspaceState, one_version_per_request
from test_postgres import (
    CYPLAN,
    DEMO,
    REFERRALS,
    TODAY,
    cyplan_here,
    data_rows,
    every_file,
    ok,
)

OWNER, APP = "cyplan_owner", "cyplan_app"  # the tables' owner (not a superuser) and the role the server runs as
DATABASE = "shared"
AREAS = ("A", "B")
OWN = "(tenant = current_setting('cyplan.tenant'::text, true))"  # the policy as PostgreSQL prints it back
DEFAULT = "current_setting('cyplan.tenant'::text)"


@dataclass
class Shared:
    server: Server
    home: Path
    b_before_returns: dict[str, bytes]  # B's folder before the referral returns were imported into A

    def url(self, role: str) -> str:
        return f"postgresql+psycopg://{role}@/{DATABASE}?host={self.server.folder}"

    def area(self, code: str, on: str = "pg") -> Path:
        return self.home / on / "areas" / code

    def connect(self, role: str = APP) -> psycopg.Connection:
        return psycopg.connect(host=str(self.server.folder), user=role, dbname=DATABASE)

    def superuser(self, sql: str) -> list[tuple]:
        """What is really there: the superuser is beyond row-level security."""
        return self.server.rows(DATABASE, sql)


@contextlib.contextmanager
def under(conn: psycopg.Connection, tenant: str | None) -> Iterator[psycopg.Connection]:
    """A transaction with `cyplan.tenant` set as the workspace sets it (SET LOCAL), or not at all; rolled back."""
    with conn.transaction(force_rollback=True):
        if tenant is not None:
            conn.execute("select set_config('cyplan.tenant', %s, true)", [tenant])
        yield conn


def tables(conn: psycopg.Connection) -> list[str]:
    names = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> "
                         "'alembic_version' ORDER BY tablename").fetchall()
    return [n for (n,) in names]


@pytest.fixture(scope="module")
def shared(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Shared:
    home = tmp_path_factory.mktemp("tenancy")
    with server.connect() as conn:
        # not a superuser, so FORCE ROW LEVEL SECURITY holds it too; CREATEROLE to make the app's role
        conn.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
    made = Shared(server, home, {})
    ok(["server", "migrate", "--db", made.url(OWNER), "--app-role", APP])
    doubled = home / "b" / "population.csv"
    doubled.parent.mkdir()
    with (DEMO / "population.csv").open(newline="", encoding="utf-8") as f, doubled.open("w", newline="") as out:
        rows = list(csv.DictReader(f))
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "count": str(2 * int(r["count"]))} for r in rows)
    for on, db in (("pg", ["--db", made.url(APP)]), ("lite", [])):  # the app's role makes the areas: no owner
        for code in AREAS:
            ok(["server", "add-area", code, "--name", f"Area {code}", "--data-dir", home / on, *db])
            ok(["import", "all", DEMO, "-w", made.area(code, on)])
        ok(["import", "population", doubled, "-w", made.area("B", on)])
    made.b_before_returns = every_file(home / "pg" / "areas" / "B")
    ok(["returns", "import", REFERRALS, "-w", made.area("A"), "--today", TODAY])
    return made


# -- every table is an area's own ---------------------------------------------------------------------------


def untenanted(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Each table lacking any part of tenancy, and what it lacks: the column (not null, its default the setting,
    never ''), first in the primary key and every unique constraint, row-level security enabled and forced, the one
    policy for reading and writing, and (but the audit's) the statement trigger that bumps data_version."""
    lacking: dict[str, list[str]] = {}
    for t in tables(conn):
        wrong = []
        column = conn.execute("SELECT is_nullable, column_default FROM information_schema.columns WHERE "
                              "table_schema = 'public' AND table_name = %s AND column_name = 'tenant'", [t]).fetchone()
        if column != ("NO", DEFAULT):
            wrong.append(f"tenant column {column}")
        keys = conn.execute("SELECT contype, (SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum "
                            "= conkey[1]) FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('p', 'u')",
                            [f'"{t}"']).fetchall()
        if not keys or any(first != "tenant" for _, first in keys):
            wrong.append(f"keys {keys}")
        if ("CHECK ((tenant <> ''::text))",) not in conn.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'",
                [f'"{t}"']).fetchall():
            wrong.append("no check that the tenant is named")
        if conn.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass",
                        [f'"{t}"']).fetchone() != (True, True):
            wrong.append("row-level security not enabled and forced")
        policies = conn.execute("SELECT cmd, permissive, qual, with_check FROM pg_policies WHERE tablename = %s",
                                [t]).fetchall()
        if policies != [("ALL", "PERMISSIVE", OWN, OWN)]:
            wrong.append(f"policies {policies}")
        bumps = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgfoid = "
                             "'bump_data_version'::regproc", [f'"{t}"']).fetchone()[0]
        if bumps != (0 if t in tenancy.NOT_VERSIONED else 1):
            wrong.append(f"{bumps} data_version triggers")
        if wrong:
            lacking[t] = wrong
    return lacking


def test_every_table_on_postgres_has_the_tenant_column_first_in_its_keys_forced_security_and_the_policy(
        shared: Shared) -> None:
    """Catches a table left open to every area: one a later migration adds without calling tenancy.tenant_table,
    a key without the tenant (two areas could not hold the same code), security not forced (the owner sees all),
    a policy that reads but does not check writes, or a table whose changes do not reach data_version."""
    with shared.connect(OWNER) as conn:
        present = set(tables(conn))
        assert {t.name for t in metadata.sorted_tables} | {"data_version"} <= present  # the loop is over them all
        assert untenanted(conn) == {}
        audit_keys = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                                  "'uq_audit_prev_hash'").fetchall()
        assert audit_keys == [("UNIQUE (tenant, prev_hash)",)]


def test_a_table_added_without_tenancy_is_caught_and_the_helper_a_migration_calls_makes_it_an_areas(
        shared: Shared) -> None:
    """Catches the check above passing whatever the database holds, and the helper a later migration calls not
    doing everything 0023_tenants did."""
    engine = sa.create_engine(shared.url(OWNER))
    try:
        with engine.begin() as conn:  # as a later migration would, forgetting
            conn.execute(sa.text("CREATE TABLE forgotten (code text PRIMARY KEY, name text UNIQUE)"))
        with shared.connect(OWNER) as look:
            lacking = untenanted(look)
        assert list(lacking) == ["forgotten"] and len(lacking["forgotten"]) == 6
        with engine.begin() as conn:  # as it should
            tenancy.tenant_table(conn, "forgotten")
        with shared.connect(OWNER) as look:
            assert untenanted(look) == {}
            keys = look.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                                "'forgotten'::regclass ORDER BY contype").fetchall()
        assert keys == [("CHECK ((tenant <> ''::text))",), ("PRIMARY KEY (tenant, code)",), ("UNIQUE (tenant, name)",)]
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS forgotten"))
        engine.dispose()


# -- what the app's role sees ---------------------------------------------------------------------------------


def test_under_a_setting_the_app_role_sees_only_that_areas_rows_in_every_table(shared: Shared) -> None:
    """Catches a row of B readable under A's setting in any table (a policy missing, or reading `tenant` wrongly),
    and A's own rows hidden from A; counted against what the superuser sees is really there."""
    really = {}
    with shared.connect() as conn:
        for t in tables(conn):
            really[t] = dict(shared.superuser(f'SELECT tenant, count(*) FROM "{t}" GROUP BY tenant'))
        for code in AREAS:
            with under(conn, code):
                for t in really:
                    seen = conn.execute(f'SELECT tenant, count(*) FROM "{t}" GROUP BY tenant').fetchall()
                    assert dict(seen) == ({code: really[t][code]} if code in really[t] else {}), t
    # both areas really hold rows in the same tables (so the check compared something), B none of the returns'
    both = [t for t, n in really.items() if set(n) >= {"A", "B"}]
    assert {"population", "areas", "audit", "import_log", "input_versions", "data_version"} <= set(both)
    assert really["population"]["A"] == really["population"]["B"] == len(data_rows(DEMO / "population.csv"))
    assert set(really["returns_imports"]) == {"A"}


def test_without_a_setting_the_app_role_sees_no_row_at_all(shared: Shared) -> None:
    """Catches a policy that lets a connection which named no area see every area (NULL treated as 'any')."""
    with shared.connect() as conn, under(conn, None):
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables(conn)}
    assert counts == dict.fromkeys(counts, 0)
    assert len(counts) > 40


@pytest.mark.parametrize("sql", [
    "INSERT INTO areas (tenant, code, name, kind, parent, source) VALUES ('B', 'X1', 'Claimed', 'custom', NULL, 'x')",
    "UPDATE areas SET tenant = 'B'",
    "INSERT INTO data_version (tenant, n) VALUES ('B', 99)",
])
def test_a_row_claiming_another_area_is_refused(shared: Shared, sql: str) -> None:
    """Catches a policy that filters reads only (USING without WITH CHECK): A's writer could plant rows in B or
    move its own there."""
    with shared.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                 match="row-level security"), under(conn, "A"):
        conn.execute(sql)
    assert shared.superuser("SELECT count(*) FROM areas WHERE code = 'X1'") == [(0,)]


def test_a_row_written_without_a_setting_is_refused(shared: Shared) -> None:
    """Catches a row stored with no area (the default read as '' or NULL) that no area would ever see again."""
    with shared.connect() as conn:
        with pytest.raises(psycopg.errors.UndefinedObject), under(conn, None):  # the setting was never made
            conn.execute("INSERT INTO localities (locality, label) VALUES ('L', 'L')")
        with under(conn, "A"):  # known to the session from now on, and '' after its transaction ends
            pass
        with pytest.raises(psycopg.errors.CheckViolation), under(conn, None):
            conn.execute("INSERT INTO localities (locality, label) VALUES ('L', 'L')")


def test_the_app_role_owns_nothing_cannot_truncate_and_is_held_by_the_audits_triggers(shared: Shared) -> None:
    """Catches the app's role owning a table (row-level security would not hold it, nor its policies bind it),
    TRUNCATE granted (it ignores row-level security: every area's rows gone), and the audit trail's refusals of
    UPDATE and DELETE lost when its keys were rebuilt."""
    owned = shared.superuser(f"SELECT tablename FROM pg_tables WHERE tableowner = '{APP}' UNION ALL SELECT "
                             f"relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE rolname = '{APP}'")
    assert owned == []
    assert shared.superuser(f"SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = '{APP}'") == [(False, False)]
    with shared.connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), under(conn, "A"):
            conn.execute("TRUNCATE population")
        for sql in ("UPDATE audit SET who = 'someone else'", "DELETE FROM audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"), under(conn, "A"):
                conn.execute(sql)
    for code in AREAS:  # each area's chain is whole on its own
        assert "chain intact" in ok(["audit", "verify", "-w", shared.area(code)])


# -- the figures and the files ----------------------------------------------------------------------------


def test_each_areas_figures_on_postgres_are_its_figures_on_sqlite(shared: Shared) -> None:
    """Catches one area's rows counted into another's figures (B's doubled population into A's need, say) and any
    figure that differs from SQLite's, where each area is a file of its own."""
    need = {}
    for code in AREAS:
        for args in (["need", "--by", "level"], ["demand"]):
            on_pg = ok([*args, "-w", shared.area(code), "--format", "csv"])
            assert on_pg == ok([*args, "-w", shared.area(code, "lite"), "--format", "csv"])
        need[code] = ok(["need", "-w", shared.area(code), "--format", "csv"])
    assert need["A"] != need["B"]  # B's population is doubled: the comparison above was of two different areas


def test_referral_records_are_kept_in_their_areas_folder(shared: Shared) -> None:
    """Catches the referral records' files written to a folder shared by the areas (or B's): returns imported into
    A write nothing under B's folder, and B's database rows know of no import."""
    assert (shared.area("A") / "returns-records" / "manifest.json").is_file()
    assert every_file(shared.area("B")) == shared.b_before_returns
    assert not (shared.area("B") / "returns-records").exists()
    assert json.loads((shared.area("B") / "workspace.json").read_text()) == {"database_url": shared.url(APP),
                                                                           "tenant": "B"}


def test_an_area_already_on_the_database_is_refused_and_the_database_left_as_it_was(shared: Shared,
                                                                                       tmp_path: Path) -> None:
    """Catches a second add-area (or init) for an area the database already holds, which would load the default
    age bands over its own and stamp it anew; and codes that would climb out of the areas folder."""
    before = shared.server.contents(DATABASE)
    shutil.copytree(shared.home / "pg" / "server", tmp_path / "server")  # another machine's data folder, say
    code, _, err = cyplan_here(["server", "add-area", "A", "--name", "Again", "--data-dir", tmp_path,
                                "--db", shared.url(APP)])
    assert code == 1 and "already holds a cyplan workspace for the area 'A'" in " ".join(err.split()), err
    assert shared.server.contents(DATABASE) == before
    for bad in ("..", "a/b", "a b", "server", "", "x" * 65):
        code, _, err = cyplan_here(["server", "add-area", bad, "--name", "Bad", "--data-dir", tmp_path / "bad"])
        assert code == 2 and "Traceback" not in err, (bad, err)
    assert not (tmp_path / "bad").exists()


def test_a_workspace_from_before_tenancy_keeps_its_rows_as_the_area_local(server: Server,
                                                                         tmp_path: Path) -> None:
    """Catches an upgrade that loses or hides a PostgreSQL workspace's rows: made at the revisions before 0023, with
    a workspace.json naming no tenant, it opens afterwards seeing all it had, each row the area 'local'."""
    database = server.new_database()
    url = server.url(database)
    old = Workspace(tmp_path / "old", url, tenant=None)
    cfg = _alembic_config()
    heads_before = ScriptDirectory.from_config(cfg).get_revision("0023_tenants").down_revision
    try:
        with old.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            for head in heads_before:
                command.upgrade(cfg, head)
            conn.execute(sa.text("INSERT INTO localities (locality, label) VALUES ('L1', 'Before')"))
    finally:
        old.close()
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "workspace.json").write_text(json.dumps({"database_url": url}))
    ok(["import", "areas", DEMO / "areas.csv", "-w", folder])  # opening it migrates it
    assert server.rows(database, "SELECT tenant, code FROM areas") == [("local", "E10999999")]
    assert server.rows(database, "SELECT DISTINCT tenant FROM workspace_info") == [("local",)]
    assert server.rows(database, "SELECT tenant, locality, label FROM localities") == [("local", "L1", "Before")]
    ws = Workspace.open(folder)  # as the area 'local', by its workspace.json naming none
    try:
        assert ws.read("localities")["label"].to_list() == ["Before"]
    finally:
        ws.close()
    assert "chain intact" in ok(["audit", "verify", "-w", folder])


def test_the_app_role_opening_tables_older_than_cyplan_is_told_to_run_server_migrate(shared: Shared,
                                                                                       tmp_path: Path) -> None:
    """Catches a traceback (or a half-made migration) when the server's account, which owns no table, opens a
    database that an upgrade of cyplan has not yet been migrated for."""
    with shared.server.connect() as conn:
        conn.execute(f"CREATE DATABASE older OWNER {OWNER}")
    owner = f"postgresql+psycopg://{OWNER}@/older?host={shared.server.folder}"
    ws = Workspace(tmp_path, owner, tenant=None)
    cfg = _alembic_config()
    try:
        with ws.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0022_user_roles")  # a version of cyplan before this one
    finally:
        ws.close()
    server_app.grant_app_role(owner, APP)
    folder = tmp_path / "area"
    folder.mkdir()
    (folder / "workspace.json").write_text(json.dumps({"database_url": owner.replace(OWNER, APP), "tenant": "A"}))
    code, _, err = cyplan_here(["status", "-w", folder])
    assert code == 1 and "cyplan server migrate" in " ".join(err.split()) and "Traceback" not in err, err
    assert shared.server.rows("older", "SELECT version_num FROM alembic_version") == [("0022_user_roles",)]


def test_a_superuser_opening_one_area_of_many_is_refused(shared: Shared, tmp_path: Path) -> None:
    """Catches a superuser's (or BYPASSRLS role's) session, which row-level security does not hold, summing every
    area's rows into one area's figures."""
    folder = tmp_path / "as-superuser"
    folder.mkdir()
    superuser = f"postgresql+psycopg://cyplan@/{DATABASE}?host={shared.server.folder}"
    (folder / "workspace.json").write_text(json.dumps({"database_url": superuser, "tenant": "A"}))
    code, out, err = cyplan_here(["need", "-w", folder, "--format", "csv"])
    assert code == 1 and "bypasses row-level security" in " ".join(err.split()) and not out, err


# -- two processes serving one area ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[httpx.Client]:
    """`cyplan serve` in a process of its own, as a worker of a shared server is; a client of it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}
    proc = subprocess.Popen([CYPLAN, "serve", "-w", str(folder), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(600):  # up to a minute to start, on a busy machine
                if proc.poll() is not None:
                    pytest.fail(f"cyplan serve stopped: {proc.stderr.read().decode() if proc.stderr else ''}")
                with contextlib.suppress(httpx.TransportError):
                    client.get("/data")
                    break
                time.sleep(0.1)
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _names(client: httpx.Client) -> list[str]:
    return [a["name"] for a in client.get("/api/inputs/areas").json()]


def test_two_server_processes_see_each_others_imports_but_keep_their_results_over_downloads(
        shared: Shared, tmp_path: Path) -> None:
    """Catches a worker serving stale results after another worker's upload (its cache keyed on its own writes or
    on the folder's files, which an import into PostgreSQL leaves alone) or after any other change of the area's
    rows (keyed on the import log), and a worker whose results are thrown
    away by another's download (its audit entry read as a change of data). The probe of the second: a change
    made behind cyplan's back with the triggers switched off shows only if a worker reads the database again."""
    folder = shared.area("A")
    renamed = tmp_path / "areas.csv"
    renamed.write_text((DEMO / "areas.csv").read_text(encoding="utf-8").replace("Exampleshire", "Renamedshire"),
                       encoding="utf-8")
    with serving(folder) as one, serving(folder) as two:
        assert _names(one) == _names(two) == ["Exampleshire"]
        with shared.server.connect(DATABASE) as conn:  # unseen by data_version: no trigger fires
            conn.execute("SET session_replication_role = replica")
            conn.execute("UPDATE areas SET name = 'Unseen' WHERE tenant = 'A'")
        assert _names(one) == ["Exampleshire"]  # a download through one (an audit entry)...
        assert one.get("/data/inputs/areas.csv").status_code == 200
        assert _names(two) == ["Exampleshire"]  # ...leaves two's kept inputs as they were
        page = one.get("/data").text
        token = page.split(f'name="{security.CSRF_FIELD}" value="', 1)[1].split('"', 1)[0]
        done = one.post("/data/upload", data={"kind": "areas", "mode": "replace", security.CSRF_FIELD: token},
                        files={"file": ("areas.csv", renamed.read_bytes())})
        assert done.status_code == 200, done.text[-2000:]
        assert _names(two) == ["Renamedshire"]  # the very next request to the other process
        assert _names(one) == ["Renamedshire"]
        with shared.connect() as conn, conn.transaction():  # any change, not only an import: a plain UPDATE
            conn.execute("select set_config('cyplan.tenant', 'A', true)")
            conn.execute("UPDATE areas SET name = 'Changedshire'")
        assert _names(one) == _names(two) == ["Changedshire"]
    assert "chain intact" in ok(["audit", "verify", "-w", folder])


def test_an_areas_version_read_in_the_gates_transaction_is_that_areas_own_and_follows_its_changes(
        shared: Shared) -> None:
    """The sign-in gate reads the working area's data version in its own transaction on the server's workspace
    (web/gate.py, Workspace.join). Catches that read made under the server's setting (the server's own version,
    bumped at every sign-in) or under none (no row: 0), so that an area's page would be kept over another process's
    change to the area, or thrown away at every sign-in; and a join onto a transaction of another database."""
    ok(["server", "grant", "someone@council.gov.uk", "--area", "A", "--role", "viewer", "--data-dir",
        shared.home / "pg"])  # the server's own version moves on, away from A's
    server = Workspace.open(shared.home / "pg" / "server")
    a, lite = WorkspaceState(shared.area("A")), WorkspaceState(shared.area("A", "lite"))

    def joined() -> tuple[object, ...]:
        with one_version_per_request(), server.engine.begin() as conn:
            server_version = conn.execute(DATA_VERSION).scalar()
            a.read_version_in(conn)
            lite.read_version_in(conn)  # SQLite: not this database, nothing done
            got = a.version()
            assert conn.execute(DATA_VERSION).scalar() == got[-1] != server_version  # the transaction is A's now
        return got

    try:
        first = joined()
        assert first == a._read_version()  # what A's own transaction reads
        ok(["import", "population", shared.home / "b" / "population.csv", "-w", shared.area("B")])  # as it was
        assert joined() == first  # B's change is not A's
        ok(["import", "population", DEMO / "population.csv", "-w", shared.area("A")])
        assert joined()[-1] > first[-1]  # A's is seen at once
        with one_version_per_request(), server.engine.begin() as conn:
            lite.read_version_in(conn)
            assert lite.version() == lite._read_version()  # read on its own, as before
    finally:
        a.close()
        lite.close()
        server.close()


@pytest.mark.parametrize(("args", "said"), [
    (["server", "migrate"], "give the shared database with --db"),
    (["server", "migrate", "--db", "sqlite:///x.db"], "is for a shared PostgreSQL database"),
    (["server", "migrate", "--config", "server.toml"], "server.toml: there is no such file"),
    (["server", "migrate", "--db", "postgresql+psycopg://u@/d", "--app-role", 'x"; DROP TABLE areas; --'],
     "is not a role name cyplan makes"),
])
def test_server_migrate_refuses_what_it_cannot_do_with_a_message(args: list[str], said: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a traceback, a SQLite file made where a server's database was meant, and a role name that would be
    spliced into SQL; each refused with exit code 2 before anything is touched."""
    monkeypatch.chdir(tmp_path)
    code, _, err = cyplan_here(args)
    assert code == 2 and said in " ".join(err.split()) and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


@given(st.text(max_size=70))
def test_every_area_code_accepted_names_a_folder_directly_under_areas(code: str) -> None:
    """Catches a code let through that climbs out of (or into a sub-folder of) the areas folder, or that a file
    system would read otherwise: '..', '/', '\\\\', a NUL, a drive letter, spaces."""
    if server_app.CODE.fullmatch(code):
        base = Path("/srv/cyplan/areas")
        assert (base / code).resolve().parent == base and code not in (".", "..") and 1 <= len(code) <= 40
        assert set(code) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
