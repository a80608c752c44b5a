"""The workspace: migrations, creating and opening, another database by URL. Each test taking `backend` runs on
SQLite and on PostgreSQL (tests/backends.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from backends import Backend
from cyplan.store.tables import metadata
from cyplan.store.workspace import CONFIG_FILE, DB_FILE, LOCAL, URL_ENV, Workspace, WorkspaceError, _heads


def tenancy_made(difference: tuple) -> bool:
    """A difference that migration 0023_tenants makes on PostgreSQL on purpose, and tables.py does not name: the hidden
    `tenant` column, the data_version table, and the audit's unique prev_hash per area rather than overall."""
    kind, *rest = difference
    if kind == "remove_column":
        return rest[2].name == "tenant"
    if kind == "remove_table":
        return rest[0].name == "data_version"
    if kind in ("remove_constraint", "add_constraint"):
        return rest[0].table.name == "audit" and [c.name for c in rest[0].columns] in (["tenant", "prev_hash"],
                                                                                      ["prev_hash"])
    return False


def test_migrations_make_exactly_the_tables_the_code_expects(backend: Backend, tmp_path: Path) -> None:
    """Catches a migration and tables.py that disagree (a column, type, index or table only in one), on either
    database; PostgreSQL's tables differ only by the hidden `tenant` column that tables.py never names."""
    ws = backend.create(tmp_path / "w")
    with ws.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if not backend.postgresql or not tenancy_made(d)] == []
    hidden = [d for d in diff if d[0] == "remove_column" and d[3].name == "tenant"]
    assert len(hidden) == (len(metadata.tables) if backend.postgresql else 0)  # tenancy reached every table
    assert ws.revisions() == _heads()
    ws.close()


def test_a_workspace_made_from_the_migrated_copy_is_the_one_the_migrations_make(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The first SQLite workspace of a process is migrated; later ones start as a copy of its database. The copy has
    the same tables, indexes and migration revisions as the migrated one, none of the first's stamps, and a trail
    that begins when it is made (12:00:05), not when the copy was migrated (12:00:00). Catches a copy taken after the
    first was stamped (its created_at and note carried over), or one whose audit trail began before it existed."""
    import cyplan.store.workspace as workspace

    monkeypatch.setattr(workspace, "_MIGRATED", {})
    times = iter(["2030-01-01T12:00:00+00:00", "2030-01-01T12:00:05+00:00"])
    monkeypatch.setattr(workspace, "_now", lambda: next(times))
    first = Workspace.create(tmp_path / "a", info={"note": "first"})
    assert workspace._MIGRATED  # the copy is kept
    second = Workspace.create(tmp_path / "b")

    def shape(ws: Workspace) -> tuple[list[tuple[str, ...]], set[str]]:
        with ws.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name")).all()
        return [tuple(r) for r in rows], ws.revisions()

    assert shape(second) == shape(first)
    assert second.info() == {"created_at": "2030-01-01T12:00:05+00:00", "audit_began": "2030-01-01T12:00:05"}
    assert first.info()["audit_began"] == "2030-01-01T12:00:00"
    first.close()
    second.close()


def test_create_then_open(backend: Backend, tmp_path: Path) -> None:
    """Catches what create stamps not read back by open, and a workspace on a server that writes a SQLite file (or a
    SQLite one that writes workspace.json)."""
    backend.create(tmp_path / "w", info={"note": "x"}).close()
    ws = Workspace.open(tmp_path / "w")
    assert ws.info()["note"] == "x"
    assert ws.read("areas").is_empty()
    ws.close()
    assert (tmp_path / "w" / DB_FILE).exists() is not backend.postgresql
    assert (tmp_path / "w" / CONFIG_FILE).exists() is backend.postgresql
    if backend.postgresql:
        assert json.loads((tmp_path / "w" / CONFIG_FILE).read_text())["tenant"] == LOCAL


def test_create_refuses_an_existing_workspace(backend: Backend, tmp_path: Path) -> None:
    backend.create(tmp_path / "w").close()
    with pytest.raises(WorkspaceError, match="already a cyplan workspace"):
        backend.create(tmp_path / "w")


def test_open_explains_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="cyplan init"):
        Workspace.open(tmp_path)


def test_database_by_url_is_remembered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    Workspace.create(tmp_path / "w", url).close()
    assert (tmp_path / "w" / CONFIG_FILE).exists()
    assert not (tmp_path / "w" / DB_FILE).exists()
    ws = Workspace.open(tmp_path / "w")
    assert ws.url == url
    assert sa.inspect(ws.engine).has_table("population")


def test_database_url_from_the_environment(backend: Backend, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches CYPLAN_DATABASE_URL ignored by create or by open, on a file elsewhere and on a server."""
    url = backend.url() or f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv(URL_ENV, url)
    Workspace.create(tmp_path / "w").close()
    ws = Workspace.open(tmp_path / "w")
    assert ws.url == url
    assert sa.inspect(ws.engine).has_table("population")
    ws.close()
    assert (tmp_path / "env.db").exists() is not backend.postgresql
    assert not (tmp_path / "w" / DB_FILE).exists()


def test_the_heads_read_from_the_scripts_are_alembics(tmp_path: Path) -> None:
    """Catches the scripts read wrongly for the up-to-date check (a merge's tuple of down revisions, a branch):
    a workspace taken for out of date would be migrated on every open, one taken for up to date never would be.
    The migrations here and a made-up graph with a merge and two branches."""
    from alembic.script import ScriptDirectory

    from cyplan.store import folder, workspace

    assert _heads() == set(ScriptDirectory.from_config(workspace._alembic_config()).get_heads()) != set()
    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "script.py.mako").write_text("")
    scripts = {"a": None, "b": "'a'", "c": "'a'", "d": "('b', 'c')", "e": "'d'", "f": "'a'"}  # heads: e and f
    for name, down in scripts.items():
        (versions / f"{name}.py").write_text(f'"""{name}."""\nrevision = "{name}"\ndown_revision = {down}\n'
                                             "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
                                             "    pass\n")
    (versions / "__init__.py").write_text("")  # as the real folder has: not a migration
    workspace._heads.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(workspace, "MIGRATIONS", tmp_path / "migrations")  # Alembic's, and folder.heads'
            mp.setattr(folder, "MIGRATIONS", tmp_path / "migrations")
            alembic = set(ScriptDirectory.from_config(workspace._alembic_config()).get_heads())
            assert workspace._heads() == alembic == {"e", "f"}
    finally:
        workspace._heads.cache_clear()


def test_the_revisions_read_are_alembics(backend: Backend, tmp_path: Path) -> None:
    """Catches the version table read wrongly: a database with no migrations (empty: a new workspace), one
    migrated to the first revision only (an old workspace, to be brought up to date on opening) and one up to
    date must each give what Alembic's MigrationContext gives."""
    from alembic import command

    from cyplan.store import workspace

    ws = backend.create(tmp_path / "w") if backend.postgresql else Workspace(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")

    def alembics() -> set[str]:
        with ws.engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())

    if not backend.postgresql:  # PostgreSQL's are made from a migrated template: there only the last step
        assert ws.revisions() == alembics() == set()
        cfg = workspace._alembic_config()
        with ws.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        assert ws.revisions() == alembics() == {"0001"}
        ws.migrate()
    assert ws.revisions() == alembics() == _heads()
    ws.close()


def test_reading_an_input_gives_what_selecting_its_table_gives(demo_on: Path) -> None:
    """Catches the SELECT that Workspace.read writes from the table's definition (not compiled by SQLAlchemy, issue
    17 part 3) reading otherwise than SQLAlchemy's select of the same table: a column left out or out of place, the
    rows in another order, a name quoted wrongly for PostgreSQL or SQLite, a value of another type."""
    from cyplan.schema import KINDS
    from cyplan.store.tables import INPUT_TABLES

    ws = Workspace.open(demo_on)
    try:
        read = 0
        for kind, table in INPUT_TABLES.items():
            with ws.engine.connect() as conn:
                rows = conn.execute(sa.select(table).order_by(*(table.c[k] for k in KINDS[kind].order_by))).all()
            got = ws.read(kind)
            assert got.columns == [c.name for c in table.columns], kind
            assert got.rows() == [tuple(r) for r in rows], kind
            read += len(rows)
        assert read > 500  # the demo's inputs, not empty tables compared with empty tables
    finally:
        ws.close()


# -- reading a workspace at rest without SQLAlchemy (store/folder.py; `cyplan need`, issue 17 part 3) --------------

@pytest.fixture
def demo_with_records(demo_workspace: Path) -> Path:
    """The demo workspace with its referral records imported, as `cyplan demo` makes it."""
    from cyplan import reference
    from cyplan.returns.service import import_returns

    ws = Workspace.open(demo_workspace)
    try:
        import_returns(ws, reference.DEMO / "returns" / "referrals.csv")
    finally:
        ws.close()
    assert (demo_workspace / "returns-records" / "manifest.json").exists()
    return demo_workspace


def _read_as_opened(path: Path) -> dict[str, object]:
    ws = Workspace.open(path)
    try:
        return ws.read_all()
    finally:
        ws.close()


def test_the_inputs_read_at_rest_are_what_the_opened_workspace_reads(demo_with_records: Path, snapshot,  # type: ignore[no-untyped-def]
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the read with Python's sqlite3 (what `cyplan need` does) giving other frames than Workspace.read_all:
    an input missing, a column out of place or of another type, the rows in another order; or touching the folder
    (a journal, a lock); or reading at rest a workspace whose database is elsewhere (a URL, workspace.json)."""
    from cyplan.store import folder

    demo_workspace = demo_with_records  # its referral records settled
    before = snapshot(demo_workspace)
    got = folder.read_at_rest(demo_workspace)
    assert got is not None and snapshot(demo_workspace) == before
    expected = _read_as_opened(demo_workspace)
    assert list(got) == list(expected)
    for kind, frame in expected.items():
        assert got[kind].schema == frame.schema and got[kind].rows() == frame.rows(), kind  # type: ignore[attr-defined]
    assert sum(f.height for f in got.values()) > 500
    monkeypatch.setenv(URL_ENV, f"sqlite:///{demo_workspace / DB_FILE}")
    assert folder.read_at_rest(demo_workspace) is None
    monkeypatch.delenv(URL_ENV)
    (demo_workspace / CONFIG_FILE).write_text(json.dumps({"database_url": f"sqlite:///{demo_workspace / DB_FILE}"}))
    assert folder.read_at_rest(demo_workspace) is None


def test_need_on_a_workspace_older_than_cyplan_brings_it_up_to_date_as_before(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Catches `cyplan need` reading at rest a workspace whose tables are older than this cyplan (only its first
    migration, as an old workspace): it must be opened as ever, which brings it up to date before anything is read,
    and then read at rest."""
    from alembic import command

    from cyplan.store import folder, workspace

    path = tmp_path / "old"
    path.mkdir()
    ws = Workspace(path, f"sqlite:///{path / DB_FILE}")
    cfg = workspace._alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert ws.revisions() == {"0001"}
    assert folder.read_at_rest(path) is None
    code, _, err = run_cli(["need", "-w", path])
    assert code == 1 and "the workspace has no areas" in err
    assert ws.revisions() == _heads()
    ws.close()
    assert folder.read_at_rest(path) is not None


def test_need_settles_a_referral_return_import_cut_short_as_before(demo_with_records: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """Catches `cyplan need` reading at rest a workspace whose referral-return import was cut short: opening the
    workspace settles it (a killed write's file deleted, the log row the manifest names added back) before anything
    is read, and must still. Each on its own keeps the workspace from being read at rest."""
    import sqlite3
    from contextlib import closing

    from cyplan.store import folder

    demo_workspace = demo_with_records
    assert folder.read_at_rest(demo_workspace) is not None
    orphan = demo_workspace / "returns-records" / "killed.records.arrow"
    orphan.write_bytes(b"a write killed before its manifest named it")
    assert folder.read_at_rest(demo_workspace) is None
    orphan.unlink()
    with closing(sqlite3.connect(demo_workspace / DB_FILE)) as conn, conn:
        logged = conn.execute("SELECT * FROM returns_imports ORDER BY id").fetchall()
        conn.execute("DELETE FROM returns_imports")
    assert logged
    assert folder.read_at_rest(demo_workspace) is None
    orphan.write_bytes(b"a write killed before its manifest named it")
    code, out, _ = run_cli(["need", "-w", demo_workspace])
    assert code == 0 and "Exampleshire" in out
    assert not orphan.exists()
    with closing(sqlite3.connect(demo_workspace / DB_FILE)) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM returns_imports ORDER BY id")] == [r[0] for r in logged]
    assert folder.read_at_rest(demo_workspace) is not None


def test_reading_at_rest_never_makes_a_database_file_that_went_missing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Catches the fast read making an empty cyplan.db when the file goes between its header check and the connect
    (sqlite3.connect makes a missing file): the folder must be left as it was and the caller told to open it."""
    from cyplan.store import folder

    monkeypatch.setattr(folder, "_whole", lambda db: True)  # the header was checked, then the file went
    assert folder.read_at_rest(tmp_path) is None
    assert not (tmp_path / DB_FILE).exists() and list(tmp_path.iterdir()) == []
