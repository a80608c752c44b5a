"""A workspace: a folder holding a SQLite database by default, or pointing at another database by URL.

Every write is one transaction. Callers validate everything before they write, so a failed import
never opens a write at all and the database file is left byte-for-byte as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa

from cyplan import faults
from cyplan.schema import KINDS
from cyplan.store import audit, codelists, history, returns_tables  # noqa: F401  (their tables join the metadata)
from cyplan.store.folder import (  # noqa: F401  (what this module gave before store/folder.py; importers use it)
    CONFIG_FILE,
    DB_FILE,
    MIGRATIONS,
    SQLITE_HEADER,
    URL_ENV,
    VERSION_TABLE,
    ServerUnreachable,
    WorkspaceDamaged,
    WorkspaceError,
    input_frame,
    polars_type,
    select_all,
)
from cyplan.store.folder import check_header as _check_header
from cyplan.store.folder import heads as _heads
from cyplan.store.migrations import tenancy
from cyplan.store.tables import INPUT_TABLES, import_log, workspace_info

if TYPE_CHECKING:
    from alembic.config import Config

LOCAL = "local"  # the tenant of a PostgreSQL workspace whose workspace.json names none (made before areas)
BEYOND_SECURITY = sa.text("SELECT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) "
                          "AND EXISTS (SELECT 1 FROM workspace_info WHERE tenant <> :tenant)")
TENANT_SET = sa.text(f"select set_config('{tenancy.SETTING}', :tenant, true)")  # SET LOCAL: this transaction only

# what psycopg says when nothing answers at the address (any other refusal, e.g. a wrong password, is the user's)
UNREACHABLE = ("connection refused", "no such file or directory", "failed to resolve host", "timeout expired",
               "could not translate host name", "network is unreachable", "no route to host")


@dataclass(frozen=True)
class ImportRecord:
    kind: str
    file: str
    sheet: str | None
    sha256: str
    rows: int
    mode: str


# Alembic is imported only to migrate. Importing it (its dialects, autogenerate, Mako) was a quarter of a second of
# every command's start, to learn whether the workspace is up to date (issue 17 part 3): that is read from the
# version table and the migration scripts' own revision lines (store/folder.py's heads; tests/test_store.py holds
# both to Alembic's answer).

def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _shown(url: str) -> str:
    """The URL as messages show it: without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{(path / DB_FILE).resolve()}"


def _tenant_per_transaction(engine: sa.Engine, tenant: str) -> None:
    """Every transaction on this engine starts by naming its area: row-level security shows and takes only that
    area's rows (migration 0023_tenants). Per transaction (SET LOCAL), not per connection: a setting left on a
    pooled connection would follow it wherever it went next, while a transaction that forgot sees no rows at all."""

    @sa.event.listens_for(engine, "begin")
    def name_the_area(conn: sa.Connection) -> None:
        conn.execute(TENANT_SET, {"tenant": tenant})


# One connection pool per PostgreSQL database in a process, shared by every area open on it, and how many are.
# A pool per area kept up to 5 connections each: a shared server of 10 areas with 2 workers held 110 or more,
# past PostgreSQL's default max_connections of 100, and requests failed (issue 14 part 8, benchmarks/web_load.py).
# Its size: 10 kept, 20 at once. With 5 kept, a busy worker opened and closed connections all the time, and each
# new one is a new PostgreSQL process (PostgreSQL used 0.44 of a core under the benchmark's load with 5 kept).
POOL_SIZE, POOL_OVERFLOW = 10, 10
_POOLS: dict[str, tuple[sa.Engine, int]] = {}
_POOLS_LOCK = threading.Lock()


def _pooled(url: str) -> sa.Engine:
    """An engine of its own (its own events: the area it names) on the database's shared pool."""
    with _POOLS_LOCK:
        engine, users = _POOLS.get(url) or (sa.create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW), 0)
        _POOLS[url] = (engine, users + 1)
    return engine.execution_options()


def _release(url: str) -> None:
    """One area fewer on the pool; the last closes its connections (as a workspace of its own did)."""
    with _POOLS_LOCK:
        engine, users = _POOLS[url]
        if users > 1:
            _POOLS[url] = (engine, users - 1)
            return
        del _POOLS[url]
    engine.dispose()


# A new SQLite workspace starts as a copy of the first one this process made, just migrated and not yet stamped:
# the same bytes the migrations would write, in a file copy instead of 28 migrations (a tenth of a second each
# time; most of what a test that makes a workspace spends). Keyed by the migrations' heads.
_MIGRATED: dict[frozenset[str], bytes] = {}


class Workspace:
    def __init__(self, path: Path, url: str, tenant: str | None = LOCAL):
        self.path = path
        self.url = url
        self.tenant = tenant  # the area whose rows this workspace sees on a shared PostgreSQL database
        # None: the database's owner migrating, on an engine of its own
        self._pool: str | None = url if tenant is not None and url.startswith("postgresql") else None
        self.engine = _pooled(url) if self._pool else sa.create_engine(url)
        if self.engine.dialect.name == "postgresql" and tenant is not None:
            _tenant_per_transaction(self.engine, tenant)

    # -- creating and opening -------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, url: str | None = None, info: dict[str, str] | None = None,
               tenant: str = LOCAL) -> Workspace:
        """A new workspace in `path`: its own SQLite file, or the area `tenant` of a database given by URL, which
        may already hold other areas (never this one)."""
        url = url or os.environ.get(URL_ENV)
        if (path / DB_FILE).exists() or (path / CONFIG_FILE).exists():
            raise WorkspaceError(f"{path} is already a cyplan workspace")
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"{path} is a file, not a folder")
        elsewhere = url if url and url != _sqlite_url(path) else None
        if elsewhere:  # reached, and not another workspace's, before the folder is touched
            ws = cls._connected(path, elsewhere, tenant)
            if ws.revisions() and ws._stamped():
                ws.close()
                area = f" for the area '{tenant}'" if tenant != LOCAL else ""
                raise WorkspaceError(f"the database {_shown(elsewhere)} already holds a cyplan workspace{area}: to "
                                     f"work on it from {path}, copy workspace.json from a folder that uses it (or set "
                                     f"{URL_ENV}); for a new workspace, give an empty database or another area")
        path.mkdir(parents=True, exist_ok=True)
        head = frozenset(_heads())
        if elsewhere:  # the area is named only where it means something: a shared PostgreSQL database
            config = {"database_url": elsewhere}
            if ws.engine.dialect.name == "postgresql":
                config["tenant"] = tenant
            (path / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
        else:
            copied = _MIGRATED.get(head)
            if copied is not None:
                (path / DB_FILE).write_bytes(copied)
            ws = cls(path, _sqlite_url(path))
        ws.migrate()  # on a copy of the migrated database, only the check that it is at the head
        if not elsewhere and head not in _MIGRATED:
            _MIGRATED[head] = (path / DB_FILE).read_bytes()
        stamp = {"created_at": _now(), **(info or {})}
        with ws.engine.begin() as conn:
            if elsewhere is None or audit.began(conn) is None:  # a new SQLite workspace's trail begins now (not
                # when its copy was migrated); a new area on a shared database: migration 0021 stamped the first only
                stamp[audit.BEGAN] = stamp["created_at"][:19]
            conn.execute(workspace_info.delete().where(workspace_info.c.key.in_(list(stamp))))
            conn.execute(workspace_info.insert(), [{"key": k, "value": v} for k, v in stamp.items()])
        return ws

    @classmethod
    def open(cls, path: Path) -> Workspace:
        url = os.environ.get(URL_ENV)
        config = json.loads((path / CONFIG_FILE).read_text()) if (path / CONFIG_FILE).exists() else {}
        url = url or config.get("database_url")
        if not url:
            if not (path / DB_FILE).exists():
                raise WorkspaceError(f"{path} is not a cyplan workspace: run 'cyplan init {path}' first, "
                                     "or 'cyplan demo' for the demo area")
            url = _sqlite_url(path)
            _check_header(path / DB_FILE)
            if (path / DB_FILE).stat().st_size == 0:
                # SQLite would take an empty file for a new database and cyplan would fill it with empty
                # tables: a workspace emptied by a fault must say so, not read as a new one
                raise WorkspaceDamaged(f"{path / DB_FILE} is empty (0 bytes): it has been cut short or wiped. "
                                       "cyplan has not changed it. Restore the workspace folder from a backup "
                                       "(or, if you have none, make a new workspace with 'cyplan init' and "
                                       "import your files again).")
        ws = cls._connected(path, url, config.get("tenant", LOCAL))
        if ws.revisions() != _heads():
            ws._migrate_or_say_who_can()
        ws._refuse_to_see_other_areas()
        # a referral-return import cut short (a kill, a power cut) is finished or undone before anything
        # is read: imported here, not above, as returns/ is built on this module
        from cyplan.returns.recover import settle

        settle(ws)
        return ws

    @classmethod
    def _connected(cls, path: Path, url: str, tenant: str | None = LOCAL) -> Workspace:
        """The workspace on this database, connected once: a malformed URL, a missing driver or a server that
        cannot be reached is a message saying so, not a traceback."""
        try:
            ws = cls(path, url, tenant)
            ws.revisions()
        except ImportError as e:
            raise WorkspaceError(f"cannot open the database {_shown(url)}: its driver is not installed ({e}); for "
                                 "PostgreSQL, install psycopg: pip install 'psycopg[binary]'") from e
        except sa.exc.ArgumentError as e:
            raise WorkspaceError(f"'{url}' is not a database URL ({e}); PostgreSQL's look like "
                                 "postgresql+psycopg://user:password@host:5432/database") from e
        except sa.exc.SQLAlchemyError as e:
            if url.startswith("sqlite"):  # the workspace's own file damaged or unwritable: a fault of the machine
                raise
            reason = " ".join(str(getattr(e, "orig", None) or e).split())
            if any(words in reason.lower() for words in UNREACHABLE):
                said = reason.rstrip(".") + ("" if reason.endswith("?") else ".")
                raise ServerUnreachable(f"cannot open the database {_shown(url)}: {said} Nothing was changed. Check "
                                        "that the database server is running and that its address is right, then "
                                        "run the command again.") from e
            raise WorkspaceError(f"cannot open the database {_shown(url)}: {reason}") from e
        return ws

    def migrate(self) -> None:
        from alembic import command

        cfg = _alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # each part of cyplan may add its own branch of migrations

    @classmethod
    def upgrade_database(cls, url: str) -> tuple[set[str], set[str]]:
        """Run the migrations on a shared database as its owner, under no area (`cyplan server migrate`): the
        revisions before and after. Rows already there before tenancy become the area 'local'."""
        ws = cls._connected(Path("."), url, tenant=None)
        try:
            before = ws.revisions()
            ws.migrate()
            return before, ws.revisions()
        finally:
            ws.close()

    def _migrate_or_say_who_can(self) -> None:
        """Bring the tables up to date on opening, as one person's workspace always has; on a shared server the
        app's account owns no table and may not: the message says who can."""
        try:
            self.migrate()
        except sa.exc.ProgrammingError as e:
            if self.engine.dialect.name != "postgresql":
                raise
            self.close()
            reason = " ".join(str(getattr(e, "orig", None) or e).split())
            raise WorkspaceError(f"the tables in {_shown(self.url)} are older than this version of cyplan, and this "
                                 f"account may not bring them up to date ({reason}). Nothing was changed. Run 'cyplan "
                                 "server migrate --db URL' with the tables' owner's URL, then try again.") from e

    def _refuse_to_see_other_areas(self) -> None:
        """A superuser (or a role with BYPASSRLS) is beyond row-level security: on a database holding other areas
        every query would read their rows too, summing their populations into this area's figures."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect() as conn:
            beyond = conn.execute(BEYOND_SECURITY, {"tenant": self.tenant}).scalar()
        if beyond:
            self.close()
            raise WorkspaceError(f"the account in {_shown(self.url)} is a superuser or bypasses row-level security, "
                                 f"and the database holds other areas than '{self.tenant}': it would read their "
                                 "rows too. Nothing was changed. Connect as the server's app role (see "
                                 "docs/deployment.md).")

    def revisions(self) -> set[str]:
        """The migrations this database has had, the last of each branch (none: a new, empty database)."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(VERSION_TABLE):
                return set()
            return set(conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())

    def _stamped(self) -> bool:
        """Whether this workspace's area already has one here (before tenancy: whether the database has any); a
        database migrated by `cyplan server migrate` before any area was added has none."""
        with self.engine.connect() as conn:
            made = sa.select(sa.func.count()).where(workspace_info.c.key == "created_at")
            return conn.execute(made).scalar() > 0

    def info(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {k: v for k, v in conn.execute(sa.select(workspace_info.c.key, workspace_info.c.value))}

    def close(self) -> None:
        if self._pool is None:
            self.engine.dispose()
            return
        pool, self._pool = self._pool, None  # closed twice: released once
        _release(pool)

    def join(self, conn: sa.Connection) -> bool:
        """Make the caller's transaction, begun on another area's engine of the same PostgreSQL database (the same
        shared pool, _pooled), this area's from here on: its setting, SET LOCAL as at the start of every transaction
        of this workspace's. A read of this area then rides on that transaction instead of taking a connection and
        a transaction of its own. False, and nothing done, for any other engine or database."""
        if self._pool is None or conn.engine.pool is not self.engine.pool:
            return False
        conn.execute(TENANT_SET, {"tenant": self.tenant})
        return True

    # -- reading ----------------------------------------------------------------------------------

    def read(self, kind: str) -> pl.DataFrame:
        with self.engine.connect() as conn:
            return input_frame(kind, conn.exec_driver_sql(select_all(kind)).all())

    def read_all(self) -> dict[str, pl.DataFrame]:
        return {kind: self.read(kind) for kind in KINDS}

    def imports(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(import_log).order_by(import_log.c.id)).all()
        return pl.DataFrame([tuple(r) for r in rows], schema=[c.name for c in import_log.columns], orient="row")

    # -- writing ----------------------------------------------------------------------------------

    def versions(self, kind: str | None = None) -> pl.DataFrame:
        """The inputs' versions (see store.history), oldest first."""
        with self.engine.connect() as conn:
            return history.versions(conn, kind)

    def version(self, kind: str, n: int) -> pl.DataFrame:
        """The rows of version `n` of an input, as they were stored."""
        with self.engine.connect() as conn:
            return history.rows_of(conn, kind, n)

    def write(self, frames: dict[str, pl.DataFrame], log: list[ImportRecord], by: str | None = None,
              restored: dict[str, int] | None = None) -> None:
        """Replace the named kinds' tables with these frames, in one transaction, each kept as a new version in the
        history by `by` (else the signed-in user, else the OS user); `restored` names the version each restored kind
        came from."""
        stamp = _now()
        sources = {r.kind: r for r in log}
        with self.engine.begin() as conn:
            faults.point("inputs-begun")
            for kind, frame in frames.items():
                src = sources.get(kind)
                history.record(conn, kind, frame, {
                    "action": "restore" if restored and kind in restored else (src.mode if src else "replace"),
                    "restored_from": (restored or {}).get(kind), "by": by or audit.WHO.get() or history.who(),
                    "file": src.file if src else "", "sheet": src.sheet if src else None}, stamp)
                table = INPUT_TABLES[kind]
                conn.execute(table.delete())
                if frame.height:
                    conn.execute(table.insert(), frame.select(KINDS[kind].column_names).to_dicts())
                faults.point("input-replaced")
            if log:
                conn.execute(import_log.insert(), [{**r.__dict__, "imported_at": stamp} for r in log])
            for r in log:  # in this transaction: an import and its audit entry land together or not at all
                audit.append(conn, "restore" if r.mode == "restore" else "import", r.__dict__, who=by)
            faults.point("inputs-logged")
        faults.point("inputs-committed")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
