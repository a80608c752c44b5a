"""The workspace: migrations, creating and opening, another database by URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cyplan.store.tables import metadata
from cyplan.store.workspace import CONFIG_FILE, DB_FILE, URL_ENV, Workspace, WorkspaceError, _heads


def test_migrations_make_exactly_the_tables_the_code_expects(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "w")
    with ws.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert ws.revisions() == _heads()


def test_create_then_open(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "w", info={"note": "x"}).close()
    ws = Workspace.open(tmp_path / "w")
    assert ws.info()["note"] == "x"
    assert ws.read("areas").is_empty()
    assert (tmp_path / "w" / DB_FILE).exists()
    assert not (tmp_path / "w" / CONFIG_FILE).exists()


def test_create_refuses_an_existing_workspace(tmp_path: Path) -> None:
    Workspace.create(tmp_path / "w").close()
    with pytest.raises(WorkspaceError, match="already a cyplan workspace"):
        Workspace.create(tmp_path / "w")


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


def test_database_url_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv(URL_ENV, url)
    Workspace.create(tmp_path / "w").close()
    assert Workspace.open(tmp_path / "w").url == url
    assert (tmp_path / "env.db").exists()
