"""The referral records, kept in a DuckDB file in the workspace folder (returns.duckdb).

DuckDB rather than the workspace database because a million records are written and scanned in well
under a second there (DESIGN: DuckDB for record-level data); the import log lives in the workspace
database (store/returns_tables.py). An import replaces the stored records of the same service and
quarter in one DuckDB transaction, committed inside the workspace database's transaction that logs it.

Format 2 (cyplan's format since issue 5's speed work): each coded field (age, the categorical fields,
the milestones) is stored as an integer id into `labels` (field, id, label), 0 for blank; a label is
the value as cleaned at import (a category under its code-list name, else the value trimmed). Labels,
not code-list positions, are kept, so a workspace that changes a code list later sees its records
matched against the new list, as before. Format 1 (text in every column) is not read: importing the
returns again makes the store anew (see OldStore).

The tables need only counts: `counted` has DuckDB count the stored records by quarter and value in one
scan (grouping sets), and the records themselves are read back (`load`) only for the quality report and
the equality view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cyplan.model.activity import FY_START_MONTH
from cyplan.returns import fields as F
from cyplan.returns.classify import Column, Records

FILE = "returns.duckdb"
FORMAT = "2"
CODED = (F.AGE, *F.CATEGORICAL, *F.MILESTONES)
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS imports (import_id INTEGER PRIMARY KEY, file VARCHAR, sheet VARCHAR,
    sha256 VARCHAR, imported_at VARCHAR);
CREATE TABLE IF NOT EXISTS labels (field VARCHAR NOT NULL, id INTEGER NOT NULL, label VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS referrals (import_id INTEGER NOT NULL, row INTEGER NOT NULL,
    {F.ID} VARCHAR NOT NULL, {F.DATE} DATE NOT NULL, {F.ACCEPTED} BOOLEAN NOT NULL,
    {", ".join(f"{c} INTEGER NOT NULL" for c in CODED)});
INSERT INTO meta SELECT 'format', '{FORMAT}' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'format');
"""


class OldStore(Exception):
    """returns.duckdb is in a format this cyplan does not read."""


def path(workspace: Path) -> Path:
    return workspace / FILE


def exists(workspace: Path) -> bool:
    return path(workspace).exists()


def _check_format(con: duckdb.DuckDBPyConnection, workspace: Path) -> None:
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "referrals" not in tables:
        return
    found = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if "meta" in tables else None
    if found is None or found[0] != FORMAT:
        raise OldStore(f"{path(workspace)} holds referral returns stored by an earlier version of cyplan, which this "
                       "version does not read: delete that file and import the returns again")


def _labels(con: duckdb.DuckDBPyConnection) -> dict[str, list[str | None]]:
    """Each field's stored labels by id (index 0: blank)."""
    found: dict[str, list[str | None]] = {c: [None] for c in CODED}
    for field, label in con.execute("SELECT field, label FROM labels ORDER BY field, id").fetchall():
        found[field].append(label)
    return found


class _Stream:
    """A Polars frame as an Arrow stream: DuckDB reads it without pyarrow (PyCapsule interface)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


@contextmanager
def replacing(workspace: Path, records: Records, referral_id: pl.Series, import_id: int,
              log: tuple[str, str | None, str, str],
              periods: Sequence[tuple[str | None, dt.date, dt.date]]) -> Iterator[Future[int]]:
    """In one DuckDB transaction: delete stored records of these (service, first day, last day) periods and
    insert `records` (staged, checked). The writing runs in a thread while the caller's block runs (DuckDB
    works outside the GIL, so the quality report is made meanwhile); the future gives how many stored
    records were replaced. Committed when the block ends without an error, else rolled back."""
    con = duckdb.connect(str(path(workspace)))
    try:
        _check_format(con, workspace)
        # written uncompressed: compressing a million records costs ~0.15 s of the import (measured), for a
        # file of ~80 MB a million records instead of ~22 MB; the coded ids are small integers either way
        con.execute("PRAGMA force_compression = 'uncompressed'")
        con.execute("BEGIN")
        with ThreadPoolExecutor(1) as pool:
            writing = pool.submit(_replace, con, records, referral_id, import_id, log, periods)
            try:
                yield writing
                writing.result()
            except BaseException:
                wait([writing])
                con.execute("ROLLBACK")
                raise
        con.execute("COMMIT")
    finally:
        con.close()


def _replace(con: duckdb.DuckDBPyConnection, records: Records, referral_id: pl.Series, import_id: int,
             log: tuple[str, str | None, str, str], periods: Sequence[tuple[str | None, dt.date, dt.date]]) -> int:
    con.execute(SCHEMA)
    stored = _labels(con)
    ids: dict[str, np.ndarray] = {}
    added: tuple[list[str], list[int], list[str | None]] = ([], [], [])  # the labels new to the store
    for field in CODED:
        labels = records.fields[field].labels
        known = {label: i for i, label in enumerate(stored[field])}
        for label in labels:
            if label not in known:
                added[0].append(field)
                added[1].append(len(known))
                added[2].append(label)
                known[label] = len(known)
        remap = np.array([known[label] for label in labels], dtype=np.int32)
        # a new store (or labels met in the same order) keeps the records' own ids: nothing to gather
        same = bool((remap == np.arange(len(labels))).all())
        ids[field] = records.fields[field].ids if same else remap[records.fields[field].ids]
    if added[0]:
        con.execute("INSERT INTO labels SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
                    list(added))
    replaced = 0
    services = {label: i for i, label in enumerate(stored["service"])}
    for service, first, last in periods:
        if service in services:
            replaced += con.execute(f"DELETE FROM referrals WHERE service = ? AND {F.DATE} BETWEEN ? AND ?",
                                    [services[service], first, last]).fetchone()[0]  # type: ignore[index]
    con.execute("DELETE FROM imports WHERE import_id NOT IN (SELECT DISTINCT import_id FROM referrals)")
    if con.execute("SELECT count(*) FROM imports WHERE import_id = ?", [import_id]).fetchone()[0]:  # type: ignore[index]
        # the workspace database was made anew (its log starts again at 1) and this file kept: the stored
        # import keeps its records, under an id the log will not give again
        spare = con.execute("SELECT least(min(import_id), 0) - 1 FROM imports").fetchone()[0]  # type: ignore[index]
        con.execute("UPDATE referrals SET import_id = ? WHERE import_id = ?", [spare, import_id])
        con.execute("UPDATE imports SET import_id = ? WHERE import_id = ?", [spare, import_id])
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?)", [import_id, *log])
    con.register("staged", _Stream(pl.DataFrame({
        "import_id": pl.Series(np.full(len(records), import_id, dtype=np.int32)),
        "row": pl.Series(records.row.astype(np.int32)),
        F.ID: referral_id,
        F.DATE: pl.Series(records.date, dtype=pl.Int32).cast(pl.Date),
        F.ACCEPTED: records.accepted,
        **ids,
    })))
    con.execute("INSERT INTO referrals SELECT * FROM staged")
    con.unregister("staged")
    return replaced


def load(workspace: Path, rows: bool = True) -> Records:
    """Every stored record (rows=False: without file and row, for the equality view)."""
    con = duckdb.connect(str(path(workspace)), read_only=True)
    try:
        _check_format(con, workspace)
        labels = _labels(con)
        where = ", import_id, row" if rows else ""
        # ids as small as their labels allow: fewer bytes to hand over and to gather through
        narrow = [f"{c}::{_narrow(len(labels[c]))} AS {c}" for c in CODED]
        data = con.execute(f"SELECT {F.DATE}, {F.ACCEPTED}, {', '.join(narrow)}{where} FROM referrals").fetchnumpy()
        sources: list[tuple[str, str | None]] = []
        source = np.zeros(len(data[F.DATE]), dtype=np.int32)
        row = np.zeros(len(data[F.DATE]), dtype=np.int64)
        if rows:
            imports = con.execute("SELECT import_id, file, sheet FROM imports ORDER BY import_id").fetchall()
            sources = [(file, sheet) for _, file, sheet in imports]
            source = np.searchsorted(np.array([i for i, _, _ in imports], dtype=np.int64),
                                     np.asarray(data["import_id"])).astype(np.int32)
            row = np.asarray(data["row"]).astype(np.int64)
    finally:
        con.close()
    date = np.asarray(data[F.DATE]).astype("datetime64[D]").astype(np.int32)
    return Records(row, source, sources, date, np.asarray(data[F.ACCEPTED]).astype(bool),
                   {c: Column(np.asarray(data[c]), labels[c]) for c in CODED})


QUARTER = "quarter"  # in `counted`: the record's financial-year quarter key (model/activity.fy_quarter's rule)


def counted(workspace: Path, sets: Sequence[tuple[str, ...]]) -> tuple[dict[str, list[str | None]],
                                                                         list[dict[str, np.ndarray]]]:
    """(each coded field's labels by id, and for each set of columns: every combination of their values held
    by stored records, with how many records (`n`) and accepted records (`n_accepted`) hold it). One scan of
    the stored records, in DuckDB: the tables need only these counts, not the records themselves."""
    con = duckdb.connect(str(path(workspace)), read_only=True)
    try:
        _check_format(con, workspace)
        labels = _labels(con)
        columns = list(dict.fromkeys(c for s in sets for c in s))
        quarter = (f"(year({F.DATE}) * 12 + month({F.DATE}) - {FY_START_MONTH}) // 3"  # fy_quarter, in SQL
                   if QUARTER in columns else "NULL")
        listed = ", ".join(columns)
        grouping = ", ".join(f"({', '.join(s)})" for s in sets)
        found = con.execute(f"SELECT {listed}, count(*) AS n, count(*) FILTER (WHERE {F.ACCEPTED}) AS n_accepted, "
                            f"grouping_id({listed}) AS g FROM (SELECT {quarter} AS {QUARTER}, * FROM referrals) "
                            f"GROUP BY GROUPING SETS ({grouping})").fetchnumpy()
    finally:
        con.close()
    g = np.asarray(found["g"])
    out = []
    for s in sets:
        # grouping_id: a bit per column, the first column the highest, set where the column is not grouped
        gid = sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in s)
        at = g == gid
        out.append({c: np.asarray(found[c])[at] for c in (*s, "n", "n_accepted")})
    return labels, out


def _narrow(n: int) -> str:
    return "UTINYINT" if n < 1 << 8 else "USMALLINT" if n < 1 << 16 else "UINTEGER"
