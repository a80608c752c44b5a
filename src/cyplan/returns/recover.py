"""Keep the returns store and the workspace database's import log in step after an import cut short.

The manifest's rename is a referral-return import's one commit point (docs/decisions/0005): the log row is
committed just after it, and the manifest carries a copy of that row. So a kill between the two leaves an
import the manifest names and the log lacks; `settle` adds its row from the manifest. A kill before the
rename leaves only files no manifest names; `store.tidy` deletes them. Either way the workspace then reads
as wholly before or wholly after the import, and import ids are never given twice.
"""

from __future__ import annotations

import json
from contextlib import suppress

import polars as pl
import sqlalchemy as sa

from cyplan.returns import store
from cyplan.store.returns_tables import returns_imports
from cyplan.store.workspace import Workspace


def settle(ws: Workspace, wait: bool = False) -> None:
    """Finish or undo an import cut short, if one was: done when a workspace is opened. Needs the store's
    lock; wait=False and another process holds it: nothing is done (that process settles first). A
    workspace that cannot be written (a read-only folder, a full disk) is read as it is: the manifest is
    the store, and the next open that can write settles it."""
    if not store.folder(ws.path).is_dir():
        return
    # a damaged store (a missing or unreadable manifest) is left as it is: the commands that read it say so
    with suppress(OSError, sa.exc.OperationalError, store.Damaged, store.OldStore, pl.exceptions.ComputeError), \
            store.writer(ws.path, logged(ws), wait) as manifest:
        if manifest is not None:
            log_missing(ws, manifest)


def logged(ws: Workspace) -> bool:
    """True if the workspace's log lists a returns import."""
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(returns_imports.c.id).limit(1)).first() is not None


def log_missing(ws: Workspace, manifest: store.Manifest) -> int:
    """Add the log row of every import the manifest names and the log lacks (call with the store's lock
    held); the id the next import takes: above every id in the log and in the manifest."""
    with ws.engine.begin() as conn:
        logged = set(conn.execute(sa.select(returns_imports.c.id)).scalars())
        for i in manifest.imports:
            if i.import_id not in logged:
                conn.execute(returns_imports.insert().values(id=i.import_id, **_row(ws, i)))
    return max([0, *logged, *(i.import_id for i in manifest.imports)]) + 1


def _row(ws: Workspace, i: store.Import) -> dict[str, object]:
    """The import's log row, from the manifest (or, for an import stored before the manifest carried it,
    from its counts: its records and accepted records; no queries or replaced records are known)."""
    row: dict[str, object] = {"file": i.file, "sheet": i.sheet, "sha256": i.sha256, "imported_at": i.imported_at}
    if i.log is not None:
        return {**row, **i.log}
    counts = pl.read_ipc(store.folder(ws.path) / i.counts).filter(pl.col("field") == store.CODED[0])
    return {**row, "records": int(counts["n"].sum()), "accepted": int(counts.filter("accepted")["n"].sum()),
            "queries": 0, "replaced": 0, "periods": json.dumps([])}
