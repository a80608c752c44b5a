"""The inputs' history: each import or restore of an input is a version holding all its rows (issue 18 part 6).

Versions are written in the same transaction as the input they record, so an input and its history never
disagree; a refused import writes neither. A version's rows are kept as one zstd-compressed Arrow file in the
input's column order and types, which gives back exactly the values stored (integers, floats to the last bit,
blanks as they were) and costs a fraction of the input's own table.
"""

from __future__ import annotations

import getpass
import io
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from cyplan.schema import KINDS
from cyplan.store.tables import INPUT_TABLES, import_log, input_version_rows, input_versions

BEFORE = "before history"  # the action of a version made of the rows held before history was kept


@dataclass(frozen=True)
class Diff:
    """Rows of `new` whose key is not in `old` (added), of `old` not in `new` (removed), and rows in both whose
    other values differ (changed: the key's values, then for each differing column its value before and after)."""

    added: pl.DataFrame
    removed: pl.DataFrame
    changed: list[tuple[dict[str, object], dict[str, tuple[object, object]]]]


def who() -> str:
    """The OS user making the change: the `by` of a version until the web app has signed-in users."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a container run as a bare uid)
        return "unknown"


def diff(kind: str, old: pl.DataFrame, new: pl.DataFrame) -> Diff:
    """What changed from `old` to `new`, rows matched by the input's key columns."""
    key = list(KINDS[kind].key)
    others = [c for c in KINDS[kind].column_names if c not in key]
    added = new.join(old.select(key), on=key, how="anti")
    removed = old.join(new.select(key), on=key, how="anti")
    both = old.join(new, on=key, how="inner", suffix="\x00after")
    if others:
        differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c + "\x00after")) for c in others)
        both = both.filter(differs)
    else:
        both = both.clear()
    changed = []
    for r in both.iter_rows(named=True):
        cols = {c: (r[c], r[c + "\x00after"]) for c in others if r[c] != r[c + "\x00after"]}
        changed.append(({k: r[k] for k in key}, cols))
    return Diff(added, removed, changed)


def frame(kind: str, rows: list[list[object]]) -> pl.DataFrame:
    """An input's rows as the workspace reads them: its columns, with their types."""
    from cyplan.store.workspace import polars_type

    schema = {c.name: polars_type(c.type) for c in KINDS[kind].columns}
    return pl.DataFrame(rows, schema=schema, orient="row")


def versions(conn: sa.Connection, kind: str | None = None) -> pl.DataFrame:
    """The versions (of one input, or of all), oldest first."""
    query = sa.select(input_versions).order_by(input_versions.c.kind, input_versions.c.version)
    if kind is not None:
        query = query.where(input_versions.c.kind == kind)
    rows = conn.execute(query).all()
    schema = {c.name: pl.Int64 if isinstance(c.type, sa.Integer) else pl.String for c in input_versions.columns}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def rows_of(conn: sa.Connection, kind: str, version: int) -> pl.DataFrame:
    t = input_version_rows
    data = conn.execute(sa.select(t.c.data).where(t.c.kind == kind, t.c.version == version)).scalar()
    if data is None:
        return frame(kind, [])
    kept = pl.read_ipc(io.BytesIO(data))
    # a column the input gained after this version was kept reads as blank, as it would from an older file
    return kept.select([pl.col(c) if c in kept.columns else pl.lit(None, dtype).alias(c)
                        for c, dtype in frame(kind, []).schema.items()])


def latest(conn: sa.Connection, kind: str) -> int:
    """The number of the input's current version (0 when it has none)."""
    t = input_versions
    return conn.execute(sa.select(sa.func.max(t.c.version)).where(t.c.kind == kind)).scalar() or 0


def record(conn: sa.Connection, kind: str, new: pl.DataFrame, entry: dict[str, object], stamp: str) -> None:
    """Keep `new` as the input's next version, counted against the rows held now (call before replacing them).
    `entry` gives action, restored_from, by, file and sheet."""
    # a CSV's text columns arrive as dictionary codes (io/read.py); a version holds them as the workspace does
    new = new.cast({c: pl.String for c, t in new.schema.items() if isinstance(t, pl.Categorical | pl.Enum)})
    n = latest(conn, kind)
    held = _held(conn, kind)
    if n == 0 and held.height:  # rows imported before history was kept: kept as version 1, so nothing is lost
        _insert(conn, kind, 1, held, {**_last_import(conn, kind), "action": BEFORE, "restored_from": None,
                                      "by": "", "rows": held.height, "added": held.height, "removed": 0,
                                      "changed": 0})
        n = 1
    previous = rows_of(conn, kind, n) if n else held
    change = diff(kind, previous, new)
    _insert(conn, kind, n + 1, new, {**entry, "at": stamp, "rows": new.height, "added": change.added.height,
                                     "removed": change.removed.height, "changed": len(change.changed)})


def _held(conn: sa.Connection, kind: str) -> pl.DataFrame:
    table = INPUT_TABLES[kind]
    rows = conn.execute(sa.select(table).order_by(*(table.c[k] for k in KINDS[kind].order_by))).all()
    return frame(kind, [list(r) for r in rows])


def _last_import(conn: sa.Connection, kind: str) -> dict[str, object]:
    log = import_log
    last = conn.execute(sa.select(log.c.file, log.c.sheet, log.c.imported_at).where(log.c.kind == kind)
                        .order_by(log.c.id.desc()).limit(1)).first()
    return {"file": last.file, "sheet": last.sheet, "at": last.imported_at} if last else \
        {"file": "", "sheet": None, "at": ""}


def _insert(conn: sa.Connection, kind: str, version: int, rows: pl.DataFrame, values: dict[str, object]) -> None:
    conn.execute(input_versions.insert(), [{**values, "kind": kind, "version": version}])
    empty = frame(kind, [])
    typed = rows.select([pl.col(c).cast(t) for c, t in empty.schema.items()])  # the types the workspace reads
    buf = io.BytesIO()
    typed.write_ipc(buf, compression="zstd")
    conn.execute(input_version_rows.insert(), [{"kind": kind, "version": version, "data": buf.getvalue()}])
