"""The two databases the data layer is tested on (issue 14 part 7): the folder's own SQLite file, and PostgreSQL.

`server` is one throwaway PostgreSQL server per test session (per xdist worker): Debian's postgresql package's
initdb and pg_ctl, on a unix socket in a temporary folder, never on a port. `backend` is parametrized over
"sqlite" and "postgresql": on PostgreSQL each workspace a test makes gets a database of its own, copied
(CREATE DATABASE ... TEMPLATE) from one migrated once per session, owned by and connected to as a role that is
not a superuser, so that row-level security (migration 0023_tenants) holds every query as it holds the app's.

A test that looks at the SQLite file itself (its bytes, a damaged file, sqlite3 on cyplan.db) does not take
`backend`: it stays SQLite-only, and says so in its name or docstring.

Without the server or psycopg the PostgreSQL tests fail, saying how to install them: they never skip.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

try:
    import psycopg
    from psycopg.rows import dict_row
except ImportError:
    pytest.fail("psycopg is missing: install the dev dependencies with `pip install -e '.[dev]'` (make test does)",
                pytrace=False)

from cyplan.store.workspace import CONFIG_FILE, DB_FILE, LOCAL, Workspace

MISSING = ("PostgreSQL's server programs (initdb, pg_ctl) are not installed: run `make test`, which installs "
           "Debian's postgresql package (scripts/system_deps.sh --test), or `sudo apt-get install postgresql`")
OWNER = "cyplan_tests"  # owns the tests' databases; not a superuser, so FORCE ROW LEVEL SECURITY holds it
MIGRATED = "cyplan_migrated"  # the template every test's database is copied from: migrated, no workspace yet
BACKENDS = ("sqlite", "postgresql")


# -- a throwaway server -----------------------------------------------------------------------------


def server_programs() -> Path:
    """The folder holding initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<version>/bin, off the PATH."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                    key=lambda p: int(p.parents[1].name) if p.parents[1].name.isdigit() else 0)
    if debian:
        return debian[-1].parent
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    pytest.fail(MISSING, pytrace=False)


def server_user() -> str | None:
    """PostgreSQL refuses to run as root, and CI runs as root: there the server runs as the postgres user that
    Debian's package makes (or nobody). Anyone else runs it as themselves."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        return "nobody"


@dataclass
class Server:
    folder: Path  # the data folder's parent, which also holds the server's socket and log
    bin: Path
    user: str | None
    names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.folder / "log"
            pytest.fail(f"{program} failed: {done.stderr}{log.read_text() if log.exists() else ''}", pytrace=False)

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """As the superuser the server was made with: beyond row-level security, so it sees every row there is."""
        return psycopg.connect(host=str(self.folder), user="cyplan", dbname=database, autocommit=True)

    def new_database(self, template: str | None = None, owner: str | None = None) -> str:
        name = f"workspace_{next(self.names)}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
                         + (f' OWNER "{owner}"' if owner else ""))
        return name

    def drop(self, database: str) -> None:
        with self.connect() as conn:  # FORCE: a test that left a connection open must not leave its database
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def url(self, database: str, user: str = "cyplan") -> str:
        return f"postgresql+psycopg://{user}@/{database}?host={self.folder}"

    def rows(self, database: str, sql: str) -> list[tuple]:
        with self.connect(database) as conn:
            return conn.execute(sql).fetchall()

    def contents(self, database: str) -> dict[str, list[str]]:
        """Every table of the database and its rows, in a stable order: equal contents, nothing written."""
        tables = [t for (t,) in self.rows(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {t: sorted(map(repr, self.rows(database, f'SELECT * FROM "{t}"'))) for t in sorted(tables)}

    def fingerprint(self, database: str) -> dict[str, tuple[int, str]]:
        """Every table's row count and a hash of its rows (as a multiset: in no order), worked out on the server in
        one query: as exact as `contents` for telling whether anything changed, without reading the rows out."""
        tables = [t for (t,) in self.rows(database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                                    "ORDER BY tablename")]
        if not tables:
            return {}
        each = [f"""SELECT '{t}', count(*), md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), ''))
                    FROM "{t}" r""" for t in tables]
        return {t: (n, h) for t, n, h in self.rows(database, " UNION ALL ".join(each))}


@contextlib.contextmanager
def started_server() -> Iterator[Server]:
    programs, user = server_programs(), server_user()
    folder = Path(tempfile.mkdtemp(prefix="cyplan-pg-"))  # short: a unix socket's path has at most 107 bytes
    if user:
        shutil.chown(folder, user)
    pg, data = Server(folder, programs, user), folder / "data"
    # a throwaway server: nothing need survive a crash, so nothing waits for the disk
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        pg.run("initdb", "-D", str(data), "-U", "cyplan", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync")
        pg.run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "-o", options, "start")
        yield pg
    finally:
        try:
            if (data / "postmaster.pid").exists():  # started: stopped whatever happened, or it would outlive the run
                pg.run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """One PostgreSQL server for the whole session (with xdist, one per worker), started the first time a test
    asks for it: a run of SQLite-only tests starts none."""
    with started_server() as pg:
        yield pg


@pytest.fixture(scope="session")
def _migrated(server: Server) -> str:
    """The template database: made and migrated once, as the tests' owner, under the area a workspace made by
    Workspace.create gets (so rows a migration inserts carry it). Copying it takes a fraction of migrating."""
    with server.connect() as conn:
        conn.execute(f"CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOBYPASSRLS")
        conn.execute(f'CREATE DATABASE "{MIGRATED}" OWNER {OWNER}')
    ws = Workspace(Path("."), server.url(MIGRATED, OWNER), LOCAL)
    try:
        ws.migrate()
    finally:
        ws.close()
    return MIGRATED


# -- a workspace on either ------------------------------------------------------------------------------


@dataclass
class Backend:
    """How a test makes and inspects workspaces on one of the two databases."""

    name: str  # "sqlite" or "postgresql"
    request: pytest.FixtureRequest | None = None  # for the demo templates, made the first time a test asks
    server: Server | None = None
    template: str | None = None
    made: list[str] = field(default_factory=list)  # this test's databases, dropped after it

    @property
    def postgresql(self) -> bool:
        return self.name == "postgresql"

    def url(self) -> str | None:
        """A database for one new workspace: a fresh copy of the migrated template on PostgreSQL; None on SQLite
        (the folder's own file)."""
        if not self.postgresql:
            return None
        assert self.server and self.template
        self.made.append(self.server.new_database(self.template, OWNER))
        return self.server.url(self.made[-1], OWNER)

    def create(self, path: Path, **kwargs: object) -> Workspace:
        """Workspace.create on this backend."""
        return Workspace.create(path, self.url(), **kwargs)  # type: ignore[arg-type]

    def demo(self, path: Path) -> Path:
        """A workspace in `path` holding the demo's inputs, as `cyplan demo` builds it: built once per session
        and copied (the folder on SQLite; the database, by CREATE DATABASE ... TEMPLATE, on PostgreSQL)."""
        assert self.request
        if not self.postgresql:
            return Path(shutil.copytree(self.request.getfixturevalue("_demo_template"), path))
        assert self.server
        self.made.append(self.server.new_database(self.request.getfixturevalue("_demo_database"), OWNER))
        path.mkdir(parents=True)
        config = {"database_url": self.server.url(self.made[-1], OWNER), "tenant": LOCAL}
        (path / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")  # as Workspace.create writes it
        return path

    def init_args(self) -> list[str]:
        """What `cyplan init FOLDER` needs to make the workspace on this backend: `--db URL` or nothing."""
        url = self.url()
        return ["--db", url] if url else []

    def database(self, path: Path) -> str | None:
        """The name of the PostgreSQL database the workspace in `path` uses (None: its SQLite file)."""
        config = path / CONFIG_FILE
        if not config.exists():
            return None
        return json.loads(config.read_text())["database_url"].split("@/")[1].split("?")[0]

    def state(self, path: Path) -> dict[str, object]:
        """Everything a workspace is: its folder's files and bytes (as conftest's folder_bytes) and, on PostgreSQL,
        every row of its database (the folder alone cannot show a write that reached the server). Equal states:
        nothing was changed."""
        state: dict[str, object] = {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
        database = self.database(path)
        if database and self.server:  # under a key no file can have, so that a file count stays a file count
            state["/database rows"] = self.server.fingerprint(database)
        return state

    def query(self, path: Path, sql: str, *params: object) -> list[dict[str, object]]:
        """Rows of the workspace's database as dicts, read with sqlite3 or psycopg, never through cyplan (as the
        superuser on PostgreSQL: the check is of what is there, not of what row-level security lets cyplan see).
        Parameters are written %s on either."""
        database = self.database(path)
        if database is None:
            with contextlib.closing(sqlite3.connect(path / DB_FILE)) as db:
                db.row_factory = sqlite3.Row
                return [dict(r) for r in db.execute(sql.replace("%s", "?"), params)]
        assert self.server
        with self.server.connect(database) as conn, conn.cursor(row_factory=dict_row) as cur:
            return [{k: v for k, v in r.items() if k != "tenant"} for r in cur.execute(sql, params or None)]


@pytest.fixture(scope="session")
def _demo_database(server: Server, _migrated: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database holding the demo's inputs, made once per session as `cyplan demo` makes it, for copying."""
    from conftest import demo_sources
    from cyplan.transfer import import_inputs

    name = server.new_database(_migrated, OWNER)
    ws = Workspace.create(tmp_path_factory.mktemp("demo-database") / "workspace", server.url(name, OWNER))
    try:
        import_inputs(ws, demo_sources())
    finally:
        ws.close()  # a template may have no connection open while it is copied
    return name


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each test that takes it runs twice: on SQLite, and on PostgreSQL (the session's server, a fresh database
    for each workspace the test makes, dropped after it)."""
    if request.param == "sqlite":
        yield Backend("sqlite", request)
        return
    made = Backend("postgresql", request, request.getfixturevalue("server"), request.getfixturevalue("_migrated"))
    try:
        yield made
    finally:
        for database in made.made:
            made.server.drop(database)  # type: ignore[union-attr]
