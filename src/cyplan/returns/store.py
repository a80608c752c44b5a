"""The referral records, kept in the workspace folder: each import's records in a Parquet file of their
own (returns-records/), and what describes them in a DuckDB file (returns.duckdb): the imports, the
labels, which file holds each import's records, and the records' counts.

Format 3 (since issue 5's last speed work). Each coded field (age, the categorical fields, the milestones)
is stored as an integer id into `labels` (field, id, label), 0 for blank; a label is the value as cleaned
at import (a category under its code-list name, else the value trimmed). Labels, not code-list positions,
are kept, so a workspace that changes a code list later sees its records matched against the new list.

Why Parquet files and counts (docs/decisions/0004): writing a million records into a DuckDB table took
~0.25 s of a ~1.3 s import, four times what Polars takes to write them to Parquet; and every table is a
sum of counts by quarter and value, so the counts are made once, at import, from arrays already in
memory (~40 ms), and stored beside the records: making the tables reads a few thousand counts, never
the records. The records are read back (`load`) only for the quality report and the equality view.

One import, one step: the new file is written and the older imports' files that held records of the
replaced (service, quarter) pairs are written again without them, under new names; the tables that say
which file is current change in one DuckDB transaction, committed inside the workspace database's
transaction that logs the import. Files no longer current are deleted once that commits; if anything
fails, the new files are deleted and nothing else has changed. A store in format 2 (records in a DuckDB
table) is moved to format 3 the first time it is opened; format 1 (text in every column) is not read
(see OldStore).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cyplan.model.activity import FY_START_MONTH, fy_quarter
from cyplan.returns import fields as F
from cyplan.returns.classify import Column, Records

FILE = "returns.duckdb"
FOLDER = "returns-records"  # the Parquet files, one per import
FORMAT = "3"
CODED = (F.AGE, *F.CATEGORICAL, *F.MILESTONES)
PAIRS = ((F.AGE, "gender"),)  # fields also counted together (the age by gender table)
QUARTER = "quarter"  # the record's financial-year quarter key (model/activity.fy_quarter's rule)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS imports (import_id INTEGER PRIMARY KEY, file VARCHAR, sheet VARCHAR,
    sha256 VARCHAR, imported_at VARCHAR);
CREATE TABLE IF NOT EXISTS labels (field VARCHAR NOT NULL, id INTEGER NOT NULL, label VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS parts (import_id INTEGER PRIMARY KEY, file VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS counts (import_id INTEGER NOT NULL, service INTEGER NOT NULL, quarter INTEGER NOT NULL,
    accepted BOOLEAN NOT NULL, field VARCHAR NOT NULL, value INTEGER NOT NULL, value2 INTEGER NOT NULL,
    n BIGINT NOT NULL);
"""
NEW = f"INSERT INTO meta SELECT 'format', '{FORMAT}' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'format')"


class OldStore(Exception):
    """returns.duckdb is in a format this cyplan does not read."""


def path(workspace: Path) -> Path:
    return workspace / FILE


def folder(workspace: Path) -> Path:
    return workspace / FOLDER


def exists(workspace: Path) -> bool:
    return path(workspace).exists()


def _format(con: duckdb.DuckDBPyConnection, workspace: Path) -> str | None:
    """The store's format (None: a new store), or OldStore for one this cyplan cannot read."""
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not tables & {"referrals", "parts"}:
        return None
    found = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if "meta" in tables else None
    if found is None or found[0] not in (FORMAT, "2"):
        raise OldStore(f"{path(workspace)} holds referral returns stored by an earlier version of cyplan, which this "
                       "version does not read: delete that file and import the returns again")
    return str(found[0])


def _connect(workspace: Path, write: bool) -> duckdb.DuckDBPyConnection:
    """A connection to a store in this format: a format 2 store is moved to format 3 first (written)."""
    con = duckdb.connect(str(path(workspace)), read_only=not write)
    try:
        if _format(con, workspace) == "2":
            if not write:
                con.close()
                con = duckdb.connect(str(path(workspace)))
            _upgrade(con, workspace)
            if not write:
                con.close()
                con = duckdb.connect(str(path(workspace)), read_only=True)
    except BaseException:
        con.close()
        raise
    return con


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


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("staged", _Stream(frame))
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM staged")
    finally:
        con.unregister("staged")


class _Files:
    """The Parquet files one write adds (deleted if it fails) and those it makes no longer current (deleted
    once it is committed)."""

    def __init__(self, workspace: Path) -> None:
        self.folder = folder(workspace)
        self.added: list[Path] = []
        self.superseded: list[Path] = []

    def write(self, frame: pl.DataFrame) -> str:
        self.folder.mkdir(exist_ok=True)
        name = f"{uuid.uuid4().hex}.parquet"
        self.added.append(self.folder / name)
        # lz4 and no statistics: the quickest to write that is still small (~15 MB a million records);
        # the files are only ever read whole
        frame.write_parquet(self.folder / name, compression="lz4", statistics=False)
        return name

    @staticmethod
    def remove(paths: list[Path]) -> None:
        for p in paths:
            p.unlink(missing_ok=True)


@dataclass(frozen=True)
class Written:
    replaced: int  # stored records taken out: those of the (service, quarter) pairs the import covers
    periods: list[tuple[str | None, int]]  # those pairs: (service label, quarter key)


@contextmanager
def replacing(workspace: Path, records: Records, referral_id: pl.Series, import_id: int,
              log: tuple[str, str | None, Future[str], str]) -> Iterator[Future[Written]]:
    """In one step: store `records` (staged, checked) in place of the stored records of the (service,
    quarter) pairs they cover. The writing runs in a thread while the caller's block runs (Polars and
    DuckDB work outside the GIL, so the quality report is made meanwhile); committed when the block ends
    without an error, else undone (the new files deleted, nothing else changed)."""
    files = _Files(workspace)
    opened: list[duckdb.DuckDBPyConnection] = []

    def write() -> Written:
        con = _connect(workspace, write=True)
        opened.append(con)
        con.execute("BEGIN")
        return _replace(con, files, records, referral_id, import_id, log)

    committed = False
    try:
        with ThreadPoolExecutor(1) as pool:
            writing = pool.submit(write)
            try:
                yield writing
            finally:
                wait([writing])
        writing.result()
        opened[0].execute("COMMIT")
        committed = True
    finally:
        if opened:
            if not committed:
                with suppress(duckdb.Error):
                    opened[0].execute("ROLLBACK")
            opened[0].close()
        if not committed:
            files.remove(files.added)
    files.remove(files.superseded)


def _ids(con: duckdb.DuckDBPyConnection, fields: dict[str, Column]) -> dict[str, np.ndarray]:
    """Each field's records as the store's label ids, labels new to the store added."""
    stored = _labels(con)
    ids: dict[str, np.ndarray] = {}
    added: tuple[list[str], list[int], list[str | None]] = ([], [], [])
    for field in CODED:
        labels = fields[field].labels
        known = {label: i for i, label in enumerate(stored[field])}
        for label in labels:
            if label not in known:
                added[0].append(field)
                added[1].append(len(known))
                added[2].append(label)
                known[label] = len(known)
        remap = np.array([known[label] for label in labels], dtype=np.uint32)
        # a new store (or labels met in the same order) keeps the records' own ids: nothing to gather
        same = bool((remap == np.arange(len(labels))).all())
        ids[field] = fields[field].ids if same else remap[fields[field].ids]
    if added[0]:
        con.execute("INSERT INTO labels SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::VARCHAR[])",
                    list(added))
    return ids


def _replace(con: duckdb.DuckDBPyConnection, files: _Files, records: Records, referral_id: pl.Series,
             import_id: int, log: tuple[str, str | None, Future[str], str]) -> Written:
    con.execute(SCHEMA)
    con.execute(NEW)
    ids = _ids(con, records.fields)
    frame = pl.DataFrame({"row": pl.Series(records.row.astype(np.int32)), F.ID: referral_id,
                          F.DATE: pl.Series(records.date, dtype=pl.Int32).cast(pl.Date), F.ACCEPTED: records.accepted,
                          **ids})
    with ThreadPoolExecutor(1) as pool:  # Polars writes the file outside the GIL while the records are counted
        part = pool.submit(files.write, frame)
        try:
            counts = count(import_id, frame)
        finally:
            wait([part])
    pairs = counts.filter(pl.col("field") == CODED[0]).select("service", QUARTER).unique().rows()
    replaced = _take_out(con, files, pairs)
    if con.execute("SELECT count(*) FROM imports WHERE import_id = ?", [import_id]).fetchone()[0]:  # type: ignore[index]
        # the workspace database was made anew (its log starts again at 1) and this store kept: the stored
        # import keeps its records, under an id the log will not give again
        spare = con.execute("SELECT least(min(import_id), 0) - 1 FROM imports").fetchone()[0]  # type: ignore[index]
        for table in ("imports", "parts", "counts"):
            con.execute(f"UPDATE {table} SET import_id = ? WHERE import_id = ?", [spare, import_id])
    file, sheet, digest, stamp = log  # the file's hash, worked out meanwhile on the other core
    con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?)", [import_id, file, sheet, digest.result(), stamp])
    con.execute("INSERT INTO parts VALUES (?, ?)", [import_id, part.result()])
    _insert(con, "counts", counts)
    services = _labels(con)["service"]
    return Written(replaced, [(services[s], q) for s, q in pairs])


def _take_out(con: duckdb.DuckDBPyConnection, files: _Files, pairs: list[tuple[int, int]]) -> int:
    """Take the stored records of these (service id, quarter key) pairs out of every import that holds some
    (its file written again without them, or gone if nothing is left); how many records were taken out."""
    if not pairs:
        return 0
    wanted = "(SELECT unnest(?::INTEGER[]) AS service, unnest(?::INTEGER[]) AS quarter)"
    args = [[s for s, _ in pairs], [q for _, q in pairs]]
    held = con.execute(f"SELECT import_id, file, sum(n)::BIGINT FROM counts JOIN {wanted} USING (service, quarter) "
                       f"JOIN parts USING (import_id) WHERE field = '{CODED[0]}' GROUP BY ALL", args).fetchall()
    keys = [s * 1_000_000 + q for s, q in pairs]  # a quarter key is 4 × year + quarter: under a million
    for import_id, name, _ in held:
        frame = pl.read_parquet(files.folder / name)
        kept = frame.filter(~(pl.col("service").cast(pl.Int64) * 1_000_000 + fy_quarter(pl.col(F.DATE))).is_in(keys))
        files.superseded.append(files.folder / name)
        if kept.height:
            con.execute("UPDATE parts SET file = ? WHERE import_id = ?", [files.write(kept), import_id])
        else:
            for table in ("parts", "imports"):
                con.execute(f"DELETE FROM {table} WHERE import_id = ?", [import_id])
    con.execute(f"DELETE FROM counts WHERE EXISTS (SELECT 1 FROM {wanted} w WHERE w.service = counts.service "
                "AND w.quarter = counts.quarter)", args)
    return sum(int(n) for _, _, n in held)


def _upgrade(con: duckdb.DuckDBPyConnection, workspace: Path) -> None:
    """Format 2 → 3: each import's records from the DuckDB table to a Parquet file of their own, counted."""
    files = _Files(workspace)
    con.execute("BEGIN")
    try:
        con.execute(SCHEMA)
        columns = ", ".join(("row", F.ID, F.DATE, F.ACCEPTED, *CODED))
        for (import_id,) in con.execute("SELECT DISTINCT import_id FROM referrals ORDER BY 1").fetchall():
            found = con.execute(f"SELECT {columns} FROM referrals WHERE import_id = ? ORDER BY row",
                                [import_id]).fetchnumpy()
            frame = pl.DataFrame({
                "row": pl.Series(np.asarray(found["row"]), dtype=pl.Int32),
                F.ID: pl.Series(np.asarray(found[F.ID]), dtype=pl.String),
                F.DATE: pl.Series(np.asarray(found[F.DATE]).astype("datetime64[D]").astype(np.int32),
                                  dtype=pl.Int32).cast(pl.Date),
                F.ACCEPTED: np.asarray(found[F.ACCEPTED]).astype(bool),
                **{c: np.asarray(found[c]).astype(np.uint32) for c in CODED}})
            con.execute("INSERT INTO parts VALUES (?, ?)", [import_id, files.write(frame)])
            _insert(con, "counts", count(import_id, frame))
        con.execute("DROP TABLE referrals")
        con.execute("UPDATE meta SET value = ? WHERE key = 'format'", [FORMAT])
        con.execute("COMMIT")
    except BaseException:
        with suppress(duckdb.Error):
            con.execute("ROLLBACK")
        files.remove(files.added)
        raise


def _quarters(date: np.ndarray) -> np.ndarray:
    """Each record's financial-year quarter key (activity.fy_quarter's rule), worked out once per day."""
    first = int(date.min())
    days = np.arange(first, int(date.max()) + 1).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12 + 1  # year × 12 + month (1–12)
    return ((months - FY_START_MONTH) // 3)[date - first]


def _tally(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(each key present, how many times): a count per possible key where there are few of them."""
    if size <= 4 * len(key) + 1_000_000:
        n = np.bincount(key, minlength=size)
        present = np.flatnonzero(n)
        return present, n[present]
    return np.unique(key, return_counts=True)


def count(import_id: int, frame: pl.DataFrame) -> pl.DataFrame:
    """One import's records counted by service, quarter, accepted and each coded field's value (and each
    pair's two values): the rows of the `counts` table. Every record is counted once for each field, so
    the counts of any one field add up to the records."""
    ids = {c: frame[c].to_numpy() for c in CODED}
    sizes = {c: int(v.max()) + 1 if len(v) else 1 for c, v in ids.items()}
    quarter = _quarters(frame[F.DATE].cast(pl.Int32).to_numpy()) if frame.height else np.zeros(0, np.int64)
    first = int(quarter.min()) if len(quarter) else 0
    nq = int(quarter.max()) - first + 1 if len(quarter) else 1
    # a group per (service, quarter, accepted); each field's values counted within the groups at once
    group = (ids["service"].astype(np.int64) * nq + (quarter - first)) * 2 + frame[F.ACCEPTED].to_numpy()
    groups = sizes["service"] * nq * 2
    keys, values, counts, names = [], [], [], []
    for fields in [*((c,) for c in CODED), *PAIRS]:
        key = group
        for f in fields:
            key = key * sizes[f] + ids[f]
        present, n = _tally(key, groups * int(np.prod([sizes[f] for f in fields])))
        found = []
        for f in reversed(fields):
            present, value = np.divmod(present, sizes[f])
            found.insert(0, value)
        keys.append(present)
        values.append(found if len(found) == 2 else [found[0], np.zeros(len(n), np.int64)])
        counts.append(n)
        names.append(np.full(len(n), len(names), dtype=np.uint32))
    group = np.concatenate(keys)
    field = pl.Series(np.concatenate(names)).cast(pl.String).replace_strict(
        [str(i) for i in range(len(names))], [",".join(f) for f in [*((c,) for c in CODED), *PAIRS]])
    return pl.DataFrame({
        "import_id": pl.Series(np.full(len(group), import_id, dtype=np.int32)),
        "service": pl.Series(group // (nq * 2), dtype=pl.Int32),
        QUARTER: pl.Series(group // 2 % nq + first, dtype=pl.Int32),
        F.ACCEPTED: (group % 2).astype(bool), "field": field,
        "value": pl.Series(np.concatenate([v[0] for v in values]), dtype=pl.Int32),
        "value2": pl.Series(np.concatenate([v[1] for v in values]), dtype=pl.Int32),
        "n": pl.Series(np.concatenate(counts), dtype=pl.Int64)})


def load(workspace: Path, rows: bool = True) -> Records:
    """Every stored record (rows=False: without file and row, for the equality view)."""
    con = _connect(workspace, write=False)
    try:
        if _format(con, workspace) is None:
            labels, parts = {c: [None] for c in CODED}, []
        else:
            labels = _labels(con)
            parts = con.execute("SELECT import_id, p.file, i.file, i.sheet FROM parts p JOIN imports i "
                                "USING (import_id) ORDER BY import_id").fetchall()
    finally:
        con.close()
    where = folder(workspace)
    # ids as small as their labels allow: fewer bytes to hand over and to gather through
    columns = [pl.col(F.DATE).cast(pl.Int32), F.ACCEPTED, *(pl.col(c).cast(_narrow(len(labels[c]))) for c in CODED)]
    frames = [pl.scan_parquet(where / name).select(*columns, *(("row", pl.lit(k, pl.Int32).alias("source"))
                                                               if rows else ()))
              for k, (_, name, _, _) in enumerate(parts)]
    data = pl.concat(frames).collect() if frames else pl.DataFrame(
        schema={F.DATE: pl.Int32, F.ACCEPTED: pl.Boolean, **{c: _narrow(len(labels[c])) for c in CODED},
                "row": pl.Int32, "source": pl.Int32})
    n = data.height
    return Records(data["row"].to_numpy().astype(np.int64) if rows else np.zeros(n, dtype=np.int64),
                   data["source"].to_numpy() if rows else np.zeros(n, dtype=np.int32),
                   [(file, sheet) for _, _, file, sheet in parts] if rows else [],
                   data[F.DATE].to_numpy(), data[F.ACCEPTED].to_numpy(),
                   {c: Column(data[c].to_numpy(), labels[c]) for c in CODED})


def counted(workspace: Path, sets: Sequence[tuple[str, ...]]) -> tuple[dict[str, list[str | None]],
                                                                         list[dict[str, np.ndarray]]]:
    """(each coded field's labels by id, and for each set of columns — QUARTER, ACCEPTED, one coded field or
    a pair in PAIRS — every combination of their values held by stored records, with how many records (`n`)
    and accepted records (`n_accepted`) hold it). Summed from the stored counts: no record is read."""
    con = _connect(workspace, write=False)
    try:
        if _format(con, workspace) is None:
            labels: dict[str, list[str | None]] = {c: [None] for c in CODED}
            found = pl.DataFrame(schema={"field": pl.String, QUARTER: pl.Int32, F.ACCEPTED: pl.Boolean,
                                         "value": pl.Int32, "value2": pl.Int32, "n": pl.Int64})
        else:
            labels = _labels(con)
            data = con.execute(f"SELECT field, {QUARTER}, {F.ACCEPTED}, value, value2, sum(n)::BIGINT AS n "
                               "FROM counts GROUP BY ALL").fetchnumpy()
            found = pl.DataFrame({k: np.asarray(v) for k, v in data.items()})
    finally:
        con.close()
    out = []
    for s in sets:
        fields = tuple(c for c in s if c not in (QUARTER, F.ACCEPTED))
        if len(fields) > 1 and fields not in PAIRS:
            raise ValueError(f"the store does not count {' and '.join(fields)} together")
        named = {QUARTER: QUARTER, F.ACCEPTED: F.ACCEPTED, **dict(zip(fields, ("value", "value2"), strict=False))}
        # every record is counted once under each field: any one field's counts give the records by quarter
        totals = (found.filter(pl.col("field") == (",".join(fields) or CODED[0]))
                  .group_by(*(pl.col(named[c]).alias(c) for c in s))
                  .agg(pl.col("n").sum(), n_accepted=pl.col("n").filter(F.ACCEPTED).sum()))
        out.append({c: totals[c].to_numpy() for c in (*s, "n", "n_accepted")})
    return labels, out


def _narrow(n: int) -> type[pl.DataType]:
    return pl.UInt8 if n < 1 << 8 else pl.UInt16 if n < 1 << 16 else pl.UInt32
