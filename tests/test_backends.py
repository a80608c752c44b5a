"""The tests' own PostgreSQL backend (tests/backends.py) is what it claims to be: a workspace on the server, held by
row-level security as the shared server's app is, and a 'nothing changed' check that sees the server's rows."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from backends import OWNER, Backend, Server
from cyplan import reference
from cyplan.store.workspace import DB_FILE
from cyplan.transfer import Source, import_inputs


def test_a_postgresql_workspace_is_on_the_server_as_a_role_that_row_level_security_holds(
        server: Server, _migrated: str, tmp_path: Path) -> None:
    """Catches the PostgreSQL half of every dual test quietly running on SQLite, or as a superuser (beyond row-level
    security, so a query that forgot its area would pass): another area's row, put there by the superuser, is
    not seen by the workspace."""
    backend = Backend("postgresql", None, server, _migrated)
    ws = backend.create(tmp_path / "w")
    try:
        assert not (tmp_path / "w" / DB_FILE).exists() and ws.engine.dialect.name == "postgresql"
        with ws.engine.connect() as conn:
            role = conn.execute(sa.text("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                                        "WHERE rolname = current_user")).one()
        assert tuple(role) == (OWNER, False, False)
        database = backend.database(tmp_path / "w")
        with server.connect(database) as conn:  # the superuser, as another area's import would
            conn.execute("INSERT INTO areas (tenant, code, name, kind, parent, source) "
                         "VALUES ('elsewhere', 'E9', 'Another area', 'council', NULL, 'x')")
        assert ws.read("areas").is_empty()
        assert backend.query(tmp_path / "w", "SELECT code FROM areas") == [{"code": "E9"}]  # there, for the superuser
    finally:
        ws.close()
        for made in backend.made:
            server.drop(made)


def test_state_sees_a_write_that_reached_only_the_server(server: Server, _migrated: str, tmp_path: Path) -> None:
    """Catches a 'workspace left as it was' check that compares only the folder: on PostgreSQL an import changes
    no file in it."""
    backend = Backend("postgresql", None, server, _migrated)
    ws = backend.create(tmp_path / "w")
    try:
        before = backend.state(tmp_path / "w")
        import_inputs(ws, [Source("areas", reference.DEMO / "areas.csv")])
        after = backend.state(tmp_path / "w")
        assert {k: v for k, v in after.items() if not k.startswith("/")} == {
            k: v for k, v in before.items() if not k.startswith("/")}  # the folder: the same bytes
        assert after != before
    finally:
        ws.close()
        for made in backend.made:
            server.drop(made)
