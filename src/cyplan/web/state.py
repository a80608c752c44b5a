"""The workspace as the web app sees it: its inputs and results, worked out once per change of data.

Results (the simulation above all) take far longer than a page may, so each is kept until the workspace's
data changes. A change is seen from the files' sizes and times (SQLite) or, on a server database, the area's
data_version, which any process's change bumps; and the web app's own writes forget everything at once."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import sqlalchemy as sa

from cyplan.reports.kept import CACHE
from cyplan.store import audit, signoffs
from cyplan.store.migrations.tenancy import VERSIONS
from cyplan.store.workspace import Workspace

T = TypeVar("T")
log = logging.getLogger("cyplan.web")
# bumped in the same transaction by every statement that changes the area's data but its audit trail, whichever
# process made it (migration 0023_tenants); no row yet: no change since the area was made
DATA_VERSION = sa.text(f"SELECT coalesce(max(n), 0) FROM {VERSIONS}")
TRANSIENT = (".log", "-journal", "-wal", "-shm", ".wal", ".tmp")  # not data: logs and databases' scratch files
# Each area's version as first read in the current request. A page asks for several kept results, and reading the
# version for each was a walk of the folder and, on PostgreSQL, three round trips to the database (the area's
# setting, the query, the end of the transaction) each time: most of a page's time under load (issue 14 part 8).
# Within one request the data changes only by the request's own writes, and those call forget(), which drops it.
_REQUEST_VERSIONS: ContextVar[dict[WorkspaceState, tuple[Any, ...]] | None] = ContextVar("cyplan_versions",
                                                                                          default=None)


@contextmanager
def one_version_per_request() -> Iterator[None]:
    """Around a request: each area's data version is read once in it (the app's outermost middleware)."""
    token = _REQUEST_VERSIONS.set({})
    try:
        yield
    finally:
        _REQUEST_VERSIONS.reset(token)


class WorkspaceState:
    def __init__(self, path: Path):
        self.path = path
        self.ws = Workspace.open(path)  # raises WorkspaceError for a folder that is not a workspace
        self._lock = threading.RLock()
        self._version: tuple[Any, ...] | None = None
        self._cache: dict[tuple[Any, ...], Any] = {}

    def close(self) -> None:
        self.ws.close()

    def version(self) -> tuple[Any, ...]:
        """Changes whenever the workspace's data does; read once a request (see _REQUEST_VERSIONS)."""
        seen = _REQUEST_VERSIONS.get()
        if seen is None:
            return self._read_version()
        if self not in seen:
            seen[self] = self._read_version()
        return seen[self]

    def _unseen(self) -> None:
        """This request's writes changed the data: the version is read again."""
        seen = _REQUEST_VERSIONS.get()
        if seen is not None:
            seen.pop(self, None)

    def _files(self) -> tuple[tuple[str, int, int], ...]:
        """Every data file's path, time and size, in path order. The cache folder is not data: a paper or chart kept
        there (reports/kept.py) leaves the results valid. os.scandir, not Path.rglob: this is read at every request
        of the shared server, and rglob's walk took about 0.9 ms of a page's 4 ms of processor time (issue 14
        part 8); the same files as rglob would list (a folder reached through a link is not walked)."""
        found: list[tuple[tuple[str, ...], str, int, int]] = []
        _walk(str(self.path), (), found)
        return tuple((path, mtime, size) for _, path, mtime, size in sorted(found))

    def _read_version(self) -> tuple[Any, ...]:
        files = self._files()
        if self.ws.url.startswith("sqlite"):
            return files
        with self.ws.engine.connect() as conn:
            return (*files, conn.execute(DATA_VERSION).scalar())

    def read_version_in(self, conn: sa.Connection) -> None:
        """Read this request's data version in another workspace's transaction on the same database (the sign-in
        gate's, saving a connection and a transaction of its own a request): the transaction is this area's from
        here on (Workspace.join). Elsewhere (SQLite, another database) nothing: version() reads it when asked."""
        seen = _REQUEST_VERSIONS.get()
        if seen is None or self in seen or not self.ws.join(conn):
            return
        seen[self] = (*self._files(), conn.execute(DATA_VERSION).scalar())

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """compute() once per version of the data; pages asked for at once wait for the one computation."""
        with self._lock:
            version = self.version()
            if version != self._version:
                self._cache.clear()
                self._version = version
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]

    def holds(self, key: tuple[Any, ...]) -> bool:
        """Whether cached(key, …) would answer without computing: a result kept for this version of the data."""
        with self._lock:
            return self.version() == self._version and key in self._cache

    def version_read(self) -> bool:
        """Whether this request has read the data's version already (on PostgreSQL, the gate's transaction)."""
        seen = _REQUEST_VERSIONS.get()
        return seen is not None and self in seen

    def kept(self, key: tuple[Any, ...]) -> Any | None:
        """What cached() holds under `key` for the data's version this request has read already, else None. Never
        reads the version, computes or waits for a computation: the event loop's own thread asks (web/app.py's
        KeptPages), and anything not at hand is left to the route."""
        seen = _REQUEST_VERSIONS.get()
        if seen is None or self not in seen or not self._lock.acquire(blocking=False):
            return None
        try:
            return self._cache.get(key) if seen[self] == self._version else None
        finally:
            self._lock.release()

    def audit(self, action: str, what: dict[str, Any], area: str | None = None, who: str | None = None) -> None:
        """Add an audit entry for a download or a paper made here. An entry is not data: the results kept stay
        valid, though on SQLite the database file's time changes, which would otherwise read as new data."""
        with self._lock:
            current = self.version() == self._version
            audit.append(self.ws.engine, action, what, area, who)
            self._unseen()  # on SQLite the database file's time has changed
            if current:
                self._version = self.version()

    def forget(self) -> None:
        with self._lock:
            self._unseen()
            self._cache.clear()
            self._version = None

    def work_out_after(self, compute: Callable[[], object]) -> threading.Thread:
        """Start working out, in a thread of its own, a result the next page will want, after a change this process
        made: a person who imports a file then opens a page finds it worked out (issue 17 part 4). The thread reads
        the data's version as any call outside a request does, at each result; a result is kept under the version
        read before its data, so one worked out as the data change again is never shown for the newer data. It
        holds the state's lock as a request's computation does: a page asked for meanwhile waits for it, not for
        a second computation. A failure is left for the page, which says what is wrong."""
        def run() -> None:
            try:
                compute()
            except Exception:
                log.debug("working out after a change failed", exc_info=True)
        thread = threading.Thread(target=run, name="cyplan-after-change", daemon=True)
        thread.start()
        return thread

    def frames(self) -> dict[str, pl.DataFrame]:
        return self.cached(("frames",), self.ws.read_all)

    def area_codes(self) -> list[str]:
        return list(self.area_names())

    def area_names(self) -> dict[str, str]:
        """The areas input's codes and names, in its order: every page's header needs them, so they are kept with
        the results rather than taken out of the frame again (a Polars select costs more than the rest of a
        request's bookkeeping)."""
        return self.cached(("area-names",), lambda: dict(self.frames()["areas"].select("code", "name").iter_rows()))

    def area(self, given: str | None) -> str | None:
        """The area a page shows: the one asked for (if known), else the first."""
        codes = self.area_codes()
        if given in codes:
            return given
        return codes[0] if codes else None




def _walk(folder: str, parts: tuple[str, ...], found: list[tuple[tuple[str, ...], str, int, int]]) -> None:
    """The data files under `folder` (whose parts below the workspace are `parts`) into `found`, each with its parts
    (what Path sorts by), path, time and size. A file gone between the listing and its stat is left out."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        here = (*parts, entry.name)
        if here == (CACHE,):  # the workspace's cache folder, whatever it is
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, here, found)
        elif not entry.name.endswith(TRANSIENT):
            try:
                if entry.is_file():
                    s = entry.stat()
                    found.append((here, entry.path, s.st_mtime_ns, s.st_size))
            except FileNotFoundError:
                continue


def signed_off(st: WorkspaceState, what: str, area: str | None = None) -> signoffs.SignOff | None:
    """The latest sign-off, kept with the results: a sign-off is written to the workspace's data (its info), so
    signing changes the data's version and the next page reads it again."""
    return st.cached(("sign-off", what, area), lambda: signoffs.latest(st.ws.engine, what, area))
