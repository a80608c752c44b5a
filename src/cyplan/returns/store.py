"""The referral records, kept in the workspace folder under returns-records/: each import's records in an
Arrow IPC file of their own (`<id>.records.arrow`), each import's counts in another (`<id>.counts.arrow`),
and a manifest (manifest.json) naming the imports, their files and every field's labels.

Format 4 (issue 11): format 3 (issue 5's last speed work) with each import's log row in the manifest too
(see below). A format 3 manifest is read as it is (its imports carry no log row) and the next import
writes format 4; a cyplan that reads only format 3 refuses format 4 rather than taking it for damaged.
Each coded field (age, the categorical fields, the milestones)
is stored as an integer id into the field's labels (0 for blank); a label is the value as cleaned at
import (a category under its code-list name, else the value trimmed). Labels, not code-list positions,
are kept, so a workspace that changes a code list later sees its records matched against the new list.

Why files and a manifest rather than DuckDB tables (docs/decisions/0004): writing a million records into
a DuckDB table took ~0.25 s of a ~1.3 s import, ten times what Polars takes to write them as Arrow IPC;
every table is a sum of counts by quarter and value, so the counts are made once, at import, from arrays
already in memory, and making the tables reads a few thousand counts, never the records; and opening,
committing and closing a DuckDB file cost ~0.07 s an import, more than all the store's own bookkeeping.

One import, one step. Under a lock (one writer at a time), the new import's files are written, and the
older imports' files that held records of the replaced (service, quarter) pairs are written again
without them, all under new names and synced to disk; then the new manifest is written beside the old
one, synced, and renamed over it, which is atomic: readers see the store before or after, never between.
That rename is the import's one commit point (docs/decisions/0005): the manifest carries the import's
log row too, so a log that missed it (a kill between the rename and the workspace database's commit) is
brought up to date from the manifest the next time the workspace is opened (returns/recover.py). Files
the new manifest no longer names are deleted after the rename; if anything fails first, the new files
are deleted and the store is as it was; if the process is killed first, the files it left are named by
no manifest and are deleted the next time a writer takes the lock (tidy).

A store in format 2 (returns.duckdb: records in a DuckDB table) is moved to format 4 the first time it is
opened, in a step of its own; format 1 (text in every column) is not read (see OldStore).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from cyplan import faults
from cyplan.model.activity import FY_START_MONTH, fy_quarter
from cyplan.returns import fields as F
from cyplan.returns.classify import Column, Records

FOLDER = "returns-records"
MANIFEST = "manifest.json"
FILE = "returns.duckdb"  # format 2's store, moved to FOLDER when first opened
FORMAT = "4"
READS = ("3", "4")  # format 3: no log row in the manifest
CODED = (F.AGE, *F.CATEGORICAL, *F.MILESTONES)
PAIRS = ((F.AGE, "gender"),)  # fields also counted together (the age by gender table)
QUARTER = "quarter"  # the record's financial-year quarter key (model/activity.fy_quarter's rule)
COUNTS_SCHEMA = {"service": pl.Int32, QUARTER: pl.Int32, F.ACCEPTED: pl.Boolean, "field": pl.String,
                 "value": pl.Int32, "value2": pl.Int32, "n": pl.Int64}


class OldStore(Exception):
    """The workspace holds referral returns in a format this cyplan does not read."""


class Damaged(Exception):
    """A file the manifest names is missing or cannot be read: the message names it and says what to do."""


def _what_to_do(workspace: Path) -> str:
    where = folder(workspace)
    return (f"Restore the folder {where} from a backup; or, to go on without the stored records, delete the "
            f"folder {where} and import the returns files again.")


def stored_files(workspace: Path) -> list[str]:
    """The records and counts files in the store's folder, named by a manifest or not."""
    where = folder(workspace)
    if not where.is_dir():
        return []
    return sorted(p.name for p in where.iterdir() if p.name.endswith((".records.arrow", ".counts.arrow")))


def unnamed(workspace: Path, logged: bool) -> None:
    """Raise Damaged if the manifest is missing while records files it named are there: the log lists an
    import (`logged`), so those files are its records, not what a first import cut short left. Deleting them
    as orphans would lose the records (they are kept; the message says what to do)."""
    if logged and not path(workspace).exists() and (files := stored_files(workspace)):
        raise Damaged(f"{path(workspace)} is missing: it named the {len(files)} records and counts files in "
                      f"{folder(workspace)}, which the workspace's import log still lists. cyplan has not changed "
                      f"them. {_what_to_do(workspace)}")


def folder(workspace: Path) -> Path:
    return workspace / FOLDER


def at_rest(workspace: Path, logged: Callable[[], set[int]]) -> bool:
    """Whether settling the store (returns/recover.py, when a workspace is opened) would find nothing to do: its
    manifest read, every file of the store's in the folder named by it, and every import it names in the
    workspace's log (`logged()`: the log's ids). False for anything else (no manifest, a damaged or older one, a
    file it does not name): then settling decides (store/folder.py reads a workspace at rest without opening it)."""
    try:
        manifest = Manifest.read(workspace)
    except (Damaged, OldStore, OSError):
        return False
    if manifest is None:
        return False
    named = {n for i in manifest.imports for n in (i.records, i.counts)}
    if any(_ours(p.name) and p.name not in named for p in folder(workspace).iterdir()):
        return False
    return {i.import_id for i in manifest.imports} <= logged()


def path(workspace: Path) -> Path:
    """The manifest: the store is what it names."""
    return folder(workspace) / MANIFEST


def exists(workspace: Path) -> bool:
    """True if the workspace holds referral records (or a store this cyplan cannot read: reading it says why)."""
    if path(workspace).exists():
        return True
    if not (workspace / FILE).exists():
        return False
    try:
        return _opened(workspace) is not None  # a format 2 store, moved now (or an empty one, deleted)
    except OldStore:
        return True


@dataclass
class Import:
    import_id: int
    file: str
    sheet: str | None
    sha256: str
    imported_at: str
    records: str  # the file of its records
    counts: str  # the file of their counts
    # the import's row in the workspace database's log (records, accepted, queries, replaced, periods), so
    # that the log can be brought up to date from the manifest (None: stored before cyplan kept it here)
    log: dict[str, object] | None = None


@dataclass
class Manifest:
    imports: list[Import] = field(default_factory=list)
    labels: dict[str, list[str | None]] = field(default_factory=lambda: {c: [None] for c in CODED})

    @classmethod
    def read(cls, workspace: Path) -> Manifest | None:
        try:
            data = json.loads(path(workspace).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as e:  # cut short or overwritten: damaged, not a format of another version
            raise Damaged(f"{path(workspace)} is damaged and cannot be read ({e}). cyplan has not changed it. "
                          f"{_what_to_do(workspace)}") from None
        if not isinstance(data, dict) or data.get("format") not in READS:
            raise OldStore(f"{path(workspace)} is in a format this version of cyplan does not read")
        try:
            return cls([Import(**i) for i in data["imports"]], {c: [None, *data["labels"].get(c, [])] for c in CODED})
        except (KeyError, TypeError, AttributeError) as e:
            raise Damaged(f"{path(workspace)} is damaged ({e!r} is wrong or missing). cyplan has not changed it. "
                          f"{_what_to_do(workspace)}") from None

    def text(self) -> str:
        return json.dumps({"format": FORMAT, "imports": [asdict(i) for i in self.imports],
                           "labels": {c: labels[1:] for c, labels in self.labels.items()}}, indent=1)


def _opened(workspace: Path, locked: bool = False) -> Manifest | None:
    """The store as it is now (None: nothing stored yet); a format 2 store is moved to format 4 first
    (under the lock, unless the caller holds it)."""
    found = Manifest.read(workspace)
    if found is None and (workspace / FILE).exists():
        with nullcontext() if locked else _lock(workspace):
            found = Manifest.read(workspace)  # another process may have moved it meanwhile
            if found is None:
                _upgrade(workspace)
                found = Manifest.read(workspace)
    return found


@contextmanager
def _lock(workspace: Path, wait: bool = True) -> Iterator[bool]:
    """One writer at a time (readers need no lock: the manifest is replaced whole). The lock is held on
    the workspace folder itself, so taking it adds no file. Where there is no fcntl (Windows), writers are
    not kept apart: one person's workspace on one machine. wait=False: yields False at once if another
    process holds the lock."""
    try:
        import fcntl
    except ImportError:
        yield True
        return
    fd = os.open(workspace, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing lets the lock go


@contextmanager
def writer(workspace: Path, logged: bool, wait: bool = True) -> Iterator[Manifest | None]:
    """Hold the store's lock (one writer at a time) with the files an earlier write left behind deleted;
    yields the store as it is (None: nothing stored). `logged`: the workspace's log lists a returns import
    (then a missing manifest is damage, not a first import cut short: Damaged, nothing deleted). wait=False
    and another writer holds the lock: yields None at once without tidying (that writer tidies)."""
    with _lock(workspace, wait) as held:
        if not held:
            yield None
            return
        manifest = _opened(workspace, locked=True)
        if manifest is None:
            unnamed(workspace, logged)
        tidy(workspace, manifest)
        yield manifest


def _ours(name: str) -> bool:
    """A file the store writes (never delete anything else a user put in the folder)."""
    return name.endswith((".records.arrow", ".counts.arrow")) or (name.startswith(MANIFEST + ".")
                                                                   and name.endswith(".tmp"))


def tidy(workspace: Path, manifest: Manifest | None) -> list[str]:
    """Delete the files of the store that `manifest` does not name: those of a write that was killed before
    its manifest was in place, or that was killed after it but before the files it replaced were deleted.
    Call with the lock held (a writer's new files are named by no manifest yet). The files deleted."""
    where = folder(workspace)
    if not where.is_dir():
        return []
    named = {n for i in (manifest.imports if manifest else []) for n in (i.records, i.counts)}
    orphans = sorted(p.name for p in where.iterdir() if _ours(p.name) and p.name not in named)
    for name in orphans:
        (where / name).unlink(missing_ok=True)
    if manifest is None and not any(where.iterdir()):
        where.rmdir()  # a first import killed before its manifest: as if it had never started
    return orphans


def _sync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk, so that what the manifest names survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Files:
    """One write's files: those it adds (deleted if it fails), those it makes no longer current (deleted
    once it is committed), and the new manifest, put in place by commit."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.folder = folder(workspace)
        self.added: list[Path] = []
        self.superseded: list[Path] = []
        self.made = False  # the folder, by this write

    def write(self, frame: pl.DataFrame | pl.LazyFrame, kind: str = "records", sync: bool = True) -> str:
        """Write an Arrow file (a lazy frame is streamed to it), named by no manifest yet; its name.
        sync=False: a file of the write's own, not to be named by the manifest (a chunk's records)."""
        if not self.folder.exists():
            self.folder.mkdir()
            self.made = True
        name = f"{uuid.uuid4().hex}.{kind}.arrow"
        self.added.append(self.folder / name)
        # Arrow IPC, uncompressed: the columns as they are in memory, ~0.02 s a million records (Parquet
        # with lz4 ~0.09 s) for ~37 MB; the files are only ever read whole, by Polars
        if isinstance(frame, pl.LazyFrame):
            frame.sink_ipc(self.folder / name, compression="uncompressed")
        else:
            frame.write_ipc(self.folder / name, compression="uncompressed")
        if sync:
            _sync(self.folder / name)
        faults.point("returns-file-written")
        return name

    def retire(self, *names: str) -> None:
        self.superseded.extend(self.folder / n for n in names)

    def commit(self, manifest: Manifest) -> None:
        if not self.folder.exists():
            self.folder.mkdir()
            self.made = True
        staged = self.folder / f"{MANIFEST}.{uuid.uuid4().hex}.tmp"
        self.added.append(staged)
        with open(staged, "w", encoding="utf-8") as f:
            f.write(manifest.text())
            f.flush()
            os.fsync(f.fileno())
        faults.point("manifest-written")
        os.replace(staged, path(self.workspace))  # atomic: the store is the old one or the new one
        self.added.clear()
        faults.point("manifest-renamed")
        _sync(self.folder)  # the rename itself survives a power cut
        if self.made:
            _sync(self.workspace)
        self.remove(self.superseded)
        faults.point("returns-superseded-removed")

    def undo(self) -> None:
        self.remove(self.added)
        with suppress(OSError):  # as in remove: left for the next writer's tidy
            if self.made and not any(self.folder.iterdir()):
                self.folder.rmdir()

    @staticmethod
    def remove(paths: list[Path]) -> None:
        """Delete what can be deleted: a file that cannot be (a read-only or failing disk) is named by no
        manifest, so the next writer's tidy deletes it; the error that brought us here is the one to tell."""
        for p in paths:
            with suppress(OSError):
                p.unlink(missing_ok=True)


@dataclass(frozen=True)
class Written:
    replaced: int  # stored records taken out: those of the (service, quarter) pairs the import covers
    periods: list[tuple[str | None, int]]  # those pairs: (service label, quarter key)
    manifest: Manifest  # the store as it will be once committed
    new: Import  # the import, in that manifest (its log is set by the caller before the commit)


@contextmanager
def replacing(workspace: Path) -> Iterator[Writing]:
    """In one step: store an import's records, added chunk by chunk (Writing.add), in place of the stored
    records of the (service, quarter) pairs they cover (Writing.finish). The caller holds `writer(workspace)`.
    Committed when the block ends without an error, else undone (the new files deleted, nothing else changed)."""
    files = _Files(workspace)
    try:
        with ThreadPoolExecutor(1) as pool:
            writing = Writing(files, pool)
            try:
                yield writing
            finally:
                writing.wait()
                if writing.joining is not None:  # its error, if any, is finish's to raise: not on the way out
                    concurrent.futures.wait([writing.joining])
        if writing.written is None:
            raise AssertionError("an import's records were not finished before its commit")
        files.commit(writing.written.manifest)
    except BaseException:
        files.undo()
        raise


class Writing:
    """One import's records, written a chunk at a time to a file of its own (named by no manifest, so a kill
    leaves only what the next writer's tidy deletes) and counted, in a thread while the caller's next chunk is
    checked (Polars writes outside the GIL); then, in `finish`, joined into the import's one records file,
    their counts added up, and the pairs they cover taken out of the older imports."""

    def __init__(self, files: _Files, pool: ThreadPoolExecutor) -> None:
        self.files, self.pool = files, pool
        self.manifest = _opened(files.workspace, locked=True) or Manifest()
        _missing(files.workspace, self.manifest)  # an older import's files are read again: say which is gone
        self.parts: list[str] = []
        self.counts: list[pl.DataFrame] = []
        self.pending: Future[None] | None = None
        self.joining: Future[str] | None = None  # the chunks' files being joined (see close)
        self.written: Written | None = None

    def add(self, records: Records, referral_id: pl.Series) -> None:
        """Write and count these records (a chunk, staged and checked) in the thread, once the chunk before is
        written: one chunk written while the next is read, no more."""
        self.wait()
        self.pending = self.pool.submit(self._add, records, referral_id)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def _add(self, records: Records, referral_id: pl.Series) -> None:
        ids = _ids(self.manifest, records.fields)
        frame = pl.DataFrame({"row": pl.Series(records.row.astype(np.int32)), F.ID: referral_id,
                              F.DATE: pl.Series(records.date, dtype=pl.Int32).cast(pl.Date),
                              F.ACCEPTED: records.accepted, **ids})
        self.parts.append(self.files.write(frame, sync=False))  # synced once joined (finish)
        self.counts.append(count(frame))

    def close(self) -> None:
        """No more records: their chunks' files are joined from now on, in the thread, while the caller does what
        needs the whole file (the search for repeated ids, on Polars' threads) before it calls finish."""
        self.wait()
        if self.joining is None:
            self.joining = self.pool.submit(self._joined)

    def finish(self, import_id: int, log: tuple[str, str | None, Future[str], str]) -> Written:
        """The records added so far as one import with this id (above every stored one) and log details."""
        self.close()
        joined = self.joining.result()  # type: ignore[union-attr]  # before any other file: the same order each time
        counts = self.counts[0] if len(self.counts) == 1 else (
            pl.concat(self.counts).group_by(*(c for c in COUNTS_SCHEMA if c != "n"), maintain_order=True)
            .agg(pl.col("n").sum()))
        pairs = counts.filter(pl.col("field") == CODED[0]).select("service", QUARTER).unique().rows()
        replaced = _take_out(self.manifest, self.files, pairs)
        # the caller gives an id above every stored one (returns/recover.next_id): ids are never given twice
        assert all(i.import_id < import_id for i in self.manifest.imports), "import id given twice"
        file, sheet, digest, stamp = log  # the file's hash, worked out meanwhile at low priority
        new = Import(import_id, file, sheet, digest.result(), stamp, joined, self.files.write(counts, "counts"))
        self.manifest.imports.append(new)
        services = self.manifest.labels["service"]
        self.written = Written(replaced, [(services[s], q) for s, q in pairs], self.manifest, new)
        return self.written

    def _joined(self) -> str:
        """The chunks' records in one file, streamed (never all in memory), each coded field as the smallest
        integer its labels need; the chunks' files deleted. A single chunk's file is kept as it is, synced."""
        if len(self.parts) == 1:
            _sync(self.files.folder / self.parts[0])
            return self.parts[0]
        parts = [self.files.folder / p for p in self.parts]
        joined = self.files.write(pl.concat([pl.scan_ipc(p).with_columns(
            pl.col(c).cast(_narrow(len(self.manifest.labels[c]))) for c in CODED) for p in parts]))
        self.files.remove(parts)
        return joined


def _ids(manifest: Manifest, fields: dict[str, Column]) -> dict[str, np.ndarray]:
    """Each field's records as the store's label ids, labels new to the store added to the manifest."""
    ids: dict[str, np.ndarray] = {}
    for name in CODED:
        labels = fields[name].labels
        stored = manifest.labels[name]
        known = {label: i for i, label in enumerate(stored)}
        for label in labels:
            if label not in known:
                known[label] = len(stored)
                stored.append(label)
        remap = np.array([known[label] for label in labels], dtype=np.uint32)
        # a new store (or labels met in the same order) keeps the records' own ids: nothing to gather
        same = bool((remap == np.arange(len(labels))).all())
        ids[name] = fields[name].ids if same else remap[fields[name].ids]
    return ids


def _take_out(manifest: Manifest, files: _Files, pairs: list[tuple[int, int]]) -> int:
    """Take the stored records of these (service id, quarter key) pairs out of every import that holds some
    (its files written again without them, or the import gone if nothing is left); how many were taken."""
    if not pairs or not manifest.imports:
        return 0
    keys = [s * 1_000_000 + q for s, q in pairs]  # a quarter key is 4 × year + quarter: under a million
    wanted = (pl.col("service").cast(pl.Int64) * 1_000_000 + pl.col(QUARTER)).is_in(keys)
    taken = 0
    for stored in list(manifest.imports):
        counts = pl.read_ipc(files.folder / stored.counts)
        held = int(counts.filter(wanted & (pl.col("field") == CODED[0]))["n"].sum())
        if not held:
            continue
        taken += held
        files.retire(stored.records, stored.counts)
        kept = counts.filter(~wanted)
        if kept.height:
            records = pl.read_ipc(files.folder / stored.records)
            stored.records = files.write(records.filter(
                ~(pl.col("service").cast(pl.Int64) * 1_000_000 + fy_quarter(pl.col(F.DATE))).is_in(keys)))
            stored.counts = files.write(kept, "counts")
        else:
            manifest.imports.remove(stored)
    return taken


def _upgrade(workspace: Path) -> None:
    """Format 2 → 3: each import's records from the DuckDB table to a file of their own, counted;
    returns.duckdb is deleted once the manifest is in place (nothing is lost: the same records, labels
    and imports)."""
    import duckdb  # imported when used: it is ~40 MB of memory that every other command would carry

    old = workspace / FILE
    con = duckdb.connect(str(old), read_only=True)
    try:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        found = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if "meta" in tables else None
        if "referrals" in tables and (found is None or found[0] != "2"):
            raise OldStore(f"{old} holds referral returns stored by an earlier version of cyplan, which this "
                           "version does not read: delete that file and import the returns again")
        if "referrals" not in tables or not con.execute("SELECT count(*) FROM referrals").fetchone()[0]:  # type: ignore[index]
            # no record is stored in it (a first import that failed): nothing to move
            con.close()
            for name in (FILE, FILE + ".wal"):
                (workspace / name).unlink(missing_ok=True)
            return
        manifest = Manifest()
        for name, label in con.execute("SELECT field, label FROM labels ORDER BY field, id").fetchall():
            manifest.labels[name].append(label)
        files = _Files(workspace)
        try:
            columns = ", ".join(("row", F.ID, F.DATE, F.ACCEPTED, *CODED))
            # every import holding records, even one its log row has gone from (format 2 never did that)
            for import_id, file, sheet, sha, stamp in con.execute(
                    "SELECT r.import_id, coalesce(i.file, 'import ' || r.import_id), i.sheet, coalesce(i.sha256, ''), "
                    "coalesce(i.imported_at, '') FROM (SELECT DISTINCT import_id FROM referrals) r "
                    "LEFT JOIN imports i USING (import_id) ORDER BY 1").fetchall():
                data = con.execute(f"SELECT {columns} FROM referrals WHERE import_id = ? ORDER BY row",
                                   [import_id]).fetchnumpy()
                frame = pl.DataFrame({
                    "row": pl.Series(np.asarray(data["row"]), dtype=pl.Int32),
                    F.ID: pl.Series(np.asarray(data[F.ID]), dtype=pl.String),
                    F.DATE: pl.Series(np.asarray(data[F.DATE]).astype("datetime64[D]").astype(np.int32),
                                      dtype=pl.Int32).cast(pl.Date),
                    F.ACCEPTED: np.asarray(data[F.ACCEPTED]).astype(bool),
                    **{c: np.asarray(data[c]).astype(np.uint32) for c in CODED}})
                manifest.imports.append(Import(import_id, file, sheet, sha, stamp, files.write(frame),
                                               files.write(count(frame), "counts")))
            files.commit(manifest)
        except BaseException:
            files.undo()
            raise
    finally:
        con.close()
    for name in (FILE, FILE + ".wal"):
        (workspace / name).unlink(missing_ok=True)


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


def count(frame: pl.DataFrame) -> pl.DataFrame:
    """One import's records counted by service, quarter, accepted and each coded field's value (and each
    pair's two values). Every record is counted once for each field, so the counts of any one field add
    up to the records."""
    if frame.height == 0:
        return pl.DataFrame(schema=COUNTS_SCHEMA)
    ids = {c: frame[c].to_numpy() for c in CODED}
    sizes = {c: int(v.max()) + 1 for c, v in ids.items()}
    quarter = _quarters(frame[F.DATE].cast(pl.Int32).to_numpy())
    first = int(quarter.min())
    nq = int(quarter.max()) - first + 1
    # a group per (service, quarter, accepted); each field's values counted within the groups at once
    group = (ids["service"].astype(np.int64) * nq + (quarter - first)) * 2 + frame[F.ACCEPTED].to_numpy()
    groups = sizes["service"] * nq * 2
    named = [*((c,) for c in CODED), *PAIRS]
    keys, values, counts, names = [], [], [], []
    key = np.empty(len(group), dtype=np.int64)  # one buffer for every field's keys: new memory costs more than sums
    for fields in named:
        for i, f in enumerate(fields):
            np.multiply(key if i else group, sizes[f], out=key)
            np.add(key, ids[f], out=key, casting="unsafe")
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
    return pl.DataFrame({
        "service": pl.Series(group // (nq * 2), dtype=pl.Int32),
        QUARTER: pl.Series(group // 2 % nq + first, dtype=pl.Int32),
        F.ACCEPTED: (group % 2).astype(bool),
        "field": pl.Series([",".join(f) for f in named], dtype=pl.String).gather(np.concatenate(names)),
        "value": pl.Series(np.concatenate([v[0] for v in values]), dtype=pl.Int32),
        "value2": pl.Series(np.concatenate([v[1] for v in values]), dtype=pl.Int32),
        "n": pl.Series(np.concatenate(counts), dtype=pl.Int64)})


def _read(workspace: Path, read: Callable[[Manifest], pl.DataFrame]) -> tuple[Manifest, pl.DataFrame]:
    """read(manifest) on the store as it is; once more if an import replaced a file it names meanwhile.
    Every file the manifest names is checked first (a stat each), so that an answer made from some of them
    (the tables, from the counts alone) is never given while another is gone. A file still missing the second
    time is missing for good, and one Arrow cannot read is damaged: Damaged, naming it."""
    for attempt in (1, 2):
        manifest = _opened(workspace) or Manifest()
        try:
            _present(workspace, manifest)
            return manifest, read(manifest)
        except FileNotFoundError:
            if attempt == 2:
                _missing(workspace, _opened(workspace) or Manifest())  # gone for good, not replaced meanwhile
                raise
        except pl.exceptions.ComputeError:  # Arrow's 'out-of-spec': a file cut short or overwritten
            unreadable(workspace, manifest)
            raise
    raise AssertionError("unreachable")


def unreadable(workspace: Path, manifest: Manifest) -> None:
    """Raise Damaged naming the first file the manifest names that Arrow cannot read (if one cannot)."""
    where = folder(workspace)
    for i in manifest.imports:
        for name in (i.records, i.counts):
            try:
                pl.read_ipc_schema(where / name)
                pl.scan_ipc(where / name).head(1).collect()
            except (pl.exceptions.ComputeError, OSError) as e:
                raise Damaged(f"{where / name} is damaged and cannot be read ({e}): it held the referral records "
                              f"imported from {i.file}. cyplan has not changed it. {_what_to_do(workspace)}") from None


def _present(workspace: Path, manifest: Manifest) -> None:
    """Raise FileNotFoundError if a file the manifest names is not there (replaced meanwhile, or gone)."""
    where = folder(workspace)
    for i in manifest.imports:
        for name in (i.records, i.counts):
            if not (where / name).is_file():
                raise FileNotFoundError(2, "No such file or directory", str(where / name))


def _missing(workspace: Path, manifest: Manifest) -> None:
    """Raise Damaged naming the first file the manifest names that is not there (if one is not)."""
    where = folder(workspace)
    for i in manifest.imports:
        for name in (i.records, i.counts):
            if not (where / name).is_file():
                raise Damaged(f"{where / name} is missing: it held the referral records imported from {i.file}. "
                              f"Restore the folder {where} from a backup; or, to go on without the stored "
                              f"records, delete the folder {where} and import the returns files again")


def load(workspace: Path, rows: bool = True) -> Records:
    """Every stored record (rows=False: without file and row, for the equality view)."""
    where = folder(workspace)

    def read(m: Manifest) -> pl.DataFrame:
        # ids as small as their labels allow: fewer bytes to hand over and to gather through
        columns = [pl.col(F.DATE).cast(pl.Int32), F.ACCEPTED,
                   *(pl.col(c).cast(_narrow(len(m.labels[c]))) for c in CODED)]
        frames = [pl.scan_ipc(where / i.records).select(*columns, *(("row", pl.lit(k, pl.Int32).alias("source"))
                                                                        if rows else ()))
                  for k, i in enumerate(m.imports)]
        return pl.concat(frames).collect() if frames else pl.DataFrame(
            schema={F.DATE: pl.Int32, F.ACCEPTED: pl.Boolean, **{c: _narrow(len(m.labels[c])) for c in CODED},
                    "row": pl.Int32, "source": pl.Int32})

    manifest, data = _read(workspace, read)
    n = data.height
    return Records(data["row"].to_numpy().astype(np.int64) if rows else np.zeros(n, dtype=np.int64),
                   data["source"].to_numpy() if rows else np.zeros(n, dtype=np.int32),
                   [(i.file, i.sheet) for i in manifest.imports] if rows else [],
                   data[F.DATE].to_numpy(), data[F.ACCEPTED].to_numpy(),
                   {c: Column(data[c].to_numpy(), manifest.labels[c]) for c in CODED})


def counted(workspace: Path, sets: Sequence[tuple[str, ...]]) -> tuple[dict[str, list[str | None]],
                                                                         list[dict[str, np.ndarray]]]:
    """(each coded field's labels by id, and for each set of columns — QUARTER, ACCEPTED, one coded field or
    a pair in PAIRS — every combination of their values held by stored records, with how many records (`n`)
    and accepted records (`n_accepted`) hold it). Summed from the stored counts: no record is read."""
    where = folder(workspace)

    def read(m: Manifest) -> pl.DataFrame:
        if not m.imports:
            return pl.DataFrame(schema=COUNTS_SCHEMA)
        return pl.concat([pl.scan_ipc(where / i.counts) for i in m.imports]).collect()

    manifest, found = _read(workspace, read)
    # summed over imports and services once; then each set's counts from its field's few rows
    found = found.group_by("field", QUARTER, F.ACCEPTED, "value", "value2").agg(pl.col("n").sum())
    by_field = {name: part for (name,), part in found.partition_by("field", as_dict=True).items()}
    out = []
    for s in sets:
        fields = tuple(c for c in s if c not in (QUARTER, F.ACCEPTED))
        if len(fields) > 1 and fields not in PAIRS:
            raise ValueError(f"the store does not count {' and '.join(fields)} together")
        named = {QUARTER: QUARTER, F.ACCEPTED: F.ACCEPTED, **dict(zip(fields, ("value", "value2"), strict=False))}
        # every record is counted once under each field: any one field's counts give the records by quarter
        totals = (by_field.get(",".join(fields) or CODED[0], found.clear())
                  .group_by(*(pl.col(named[c]).alias(c) for c in s))
                  .agg(pl.col("n").sum(), n_accepted=pl.col("n").filter(F.ACCEPTED).sum()))
        out.append({c: totals[c].to_numpy() for c in (*s, "n", "n_accepted")})
    return manifest.labels, out


def _narrow(n: int) -> type[pl.DataType]:
    return pl.UInt8 if n < 1 << 8 else pl.UInt16 if n < 1 << 16 else pl.UInt32
