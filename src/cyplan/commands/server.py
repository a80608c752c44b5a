"""`cyplan server`: the shared server's database and areas (issue 14, decision 0011).

`migrate` brings a shared PostgreSQL database up to date as its owner, and can make the role the server connects
as, which may read and write the tables but owns none (so row-level security holds it). `add-area` makes a server
area: a workspace folder `<data dir>/areas/<code>/` whose rows on a shared database are the tenant `<code>`, and,
the first time, the server's own workspace `<data dir>/server/` (users and roles: the tenant `server`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from cyplan import reference
from cyplan.auth.config import AREA_CODE, AREAS, SERVER, ConfigError, ServerConfig, load
from cyplan.store.workspace import URL_ENV, Workspace, WorkspaceError
from cyplan.terminal import fail, fail_workspace, machine_faults, say
from cyplan.transfer import Source, import_inputs

server_app = typer.Typer(help="The shared server: its database's migrations and its areas.", no_args_is_help=True)

CODE = AREA_CODE  # a code becomes a folder's name (nothing that could climb out of it) and the config's areas[].code
ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # a PostgreSQL role name that needs no quoting

DbOpt = Annotated[str | None, typer.Option("--db", envvar=URL_ENV, show_envvar=True,
                                           help="The shared database's URL, e.g. postgresql+psycopg://owner@host/"
                                                "cyplan (default: a SQLite file in each area's folder).")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="The server's settings file (server.toml).")]


@server_app.command("migrate")
def migrate(
    db: DbOpt = None,
    config: ConfigOpt = None,
    app_role: Annotated[str | None, typer.Option(
        "--app-role", help="Also make (or bring up to date) this role, which the server connects as: it may read "
        "and write every table but owns none, so row-level security holds it. Set its password yourself.")] = None,
) -> None:
    """Bring the shared database's tables up to date (Alembic's migrations), connected as the tables' owner."""
    url = _url(db, config)
    if app_role is not None and not ROLE.fullmatch(app_role):
        fail(f"--app-role '{app_role}' is not a role name cyplan makes: lower-case letters, digits and '_', "
             "starting with a letter or '_', at most 63 characters", 2)
    with machine_faults(Path(".")):
        try:
            before, after = Workspace.upgrade_database(url)
        except WorkspaceError as e:
            fail_workspace(e)
        say(f"The database is up to date (revision {', '.join(sorted(after))})" +
            ("." if before == after else f"; it was at {', '.join(sorted(before)) or 'nothing: a new database'}."))
        if app_role is not None:
            grant_app_role(url, app_role)
            say(f"The role {app_role} may read and write every table and owns none. Give it a password "
                f"(ALTER ROLE {app_role} PASSWORD '...') and put it in the server's database URL.")


@server_app.command("add-area")
def add_area(
    code: Annotated[str, typer.Argument(help="The area's code (letters, digits, '-' and '_'), e.g. E10000014.")],
    name: Annotated[str | None, typer.Option("--name", help="The area's name as people know it (default: its name "
                                             "in the --config file).")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="The server's data folder (default: the "
                                                  "--config file's data_dir).")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Make a new server area: a workspace of its own in <data dir>/areas/CODE, with the default age bands and
    groups (as `cyplan init`), and the server's own workspace in <data dir>/server the first time."""
    if not CODE.fullmatch(code):
        fail(f"'{code}' is not an area code cyplan can use: letters, digits, '-' and '_' only, starting with a letter "
             "or digit, at most 40 (it becomes the name of the area's folder and its code in server.toml)", 2)
    if code == SERVER:
        fail(f"'{SERVER}' is the server's own workspace, not an area: choose another code", 2)
    if config is not None:
        settings = _settings(config)
        db = db or settings.database_url
        name = name or next((a.name for a in settings.areas if a.code == code), None)
    data_dir = data_folder(data_dir, config)
    if not name:
        listed = "" if config is None else f" (or list {code} in {config}'s areas)"
        fail(f"give the area's name with --name{listed}", 2)
    folder = data_dir / AREAS / code
    with machine_faults(data_dir):
        if not (data_dir / SERVER).exists():
            _new_workspace(data_dir / SERVER, db, SERVER, {"server": "yes"})
            say(f"Made the server's own workspace in {data_dir / SERVER}.")
        _new_workspace(folder, db, code, {"area_code": code, "area_name": name})
    say(f"Made the area {name} ({code}) in {folder}. Next: import its inputs with 'cyplan import KIND FILE -w "
        f"{folder}', and grant its first admin a role.")


def _new_workspace(folder: Path, db: str | None, tenant: str, info: dict[str, str]) -> None:
    try:
        ws = Workspace.create(folder, db, info=info, tenant=tenant)
    except WorkspaceError as e:
        fail_workspace(e)
    try:
        defaults = sorted(reference.DEFAULTS.glob("*.csv"))
        import_inputs(ws, [Source(p.stem, p, shown=f"cyplan defaults: {p.name}") for p in defaults], "replace")
    finally:
        ws.close()


def _settings(config: Path) -> ServerConfig:
    try:
        return load(config, signing_in=False)  # setting up signs nobody in: no client secret needed
    except ConfigError as e:
        fail(str(e), 2)


def data_folder(data_dir: Path | None, config: Path | None) -> Path:
    """The server's data folder: --data-dir, else the --config file's; exit 2 without either."""
    if data_dir is not None:
        return data_dir
    if config is None:
        fail("give the server's data folder with --data-dir (or --config server.toml)", 2)
    return _settings(config).data_dir


def _url(db: str | None, config: Path | None) -> str:
    if not db and config is not None:  # the owner's URL given with --db wins over the server's own (the app role's)
        db = _settings(config).database_url
        if not db:
            fail(f"{config} names no database_url: the server keeps each area in a SQLite file, which is brought up "
                 "to date whenever it is opened; 'cyplan server migrate' is for a shared PostgreSQL database", 2)
    if not db:
        fail(f"give the shared database with --db URL (or set {URL_ENV})", 2)
    if not db.startswith("postgresql"):
        fail(f"'cyplan server migrate' is for a shared PostgreSQL database (postgresql+psycopg://...), not {db!r}: "
             "a SQLite workspace is brought up to date whenever it is opened", 2)
    return db


def grant_app_role(url: str, role: str) -> None:
    """Make `role` (if need be) able to log in, read and write every table and use every sequence, now and as later
    migrations add them, owning nothing; refused if it owns a table or is beyond row-level security."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            found = conn.execute(sa.text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :r"),
                                 {"r": role}).first()
            if found is None:
                _create_role(conn, role)
            elif found[0]:
                fail(f"the role {role} is a superuser or bypasses row-level security: every area's rows would be open "
                     "to it. Use a role of its own for the server.", 2)
            owned = conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE tableowner = :r"), {"r": role}).scalar()
            if owned:
                fail(f"the role {role} owns {owned} table(s): row-level security would not hold it. Use a role of its "
                     "own for the server, or give the tables to the owner that runs migrations.", 2)
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
            for statement in _grants(f'"{schema}"', f'"{role}"'):
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def _create_role(conn: sa.Connection, role: str) -> None:
    try:
        with conn.begin_nested():
            conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
    except sa.exc.ProgrammingError as e:
        reason = " ".join(str(getattr(e, "orig", None) or e).split())
        fail(f"cannot make the role {role}: {reason}. The tables are up to date. Make the role as a database "
             f"administrator (CREATE ROLE {role} LOGIN PASSWORD '...'), then run this command again to grant it "
             "what it needs.", 1)


def _grants(schema: str, role: str) -> list[str]:
    # no TRUNCATE: it ignores row-level security and would empty every area's table
    rights = "SELECT, INSERT, UPDATE, DELETE"
    return [f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            f"GRANT {rights} ON ALL TABLES IN SCHEMA {schema} TO {role}",
            f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",  # the schema's version is the owner's
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {rights} ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}"]
