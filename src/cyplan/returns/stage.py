"""Read a referral file (CSV or Excel) a chunk of records at a time (see Reading): referral_id as text, every
other field as ids into its distinct values, each distinct value cleaned and parsed once.

A million records hold a few hundred distinct values per field (a few thousand dates), so Polars reads
each field straight into dictionary codes (Categorical) and only the distinct values are trimmed, parsed
and matched: the text of a million cells is never copied, and a value's meaning is worked out once.
The rules for a value are DuckDB's (its trim, its casts to DATE and INTEGER), applied to the distinct
values, so they are the same rules the records were checked with before.

Nothing is written anywhere here: the workspace is only touched once the file has passed its checks.
Row numbers are the spreadsheet's: the header is row 1 (or the row it is on in a sheet), and the
n-th record is on the row n below it. (Blank lines in a CSV are not records; a CSV with blank lines or
line breaks inside quoted cells is numbered by record, as a spreadsheet shows it.)
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from cyplan.io.files import require_file, sha256
from cyplan.io.problems import InputError, Problem
from cyplan.io.read import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    HIDDEN,
    check_workbook_size,
    first_bad_byte,
    hidden_sheets,
    is_panic,
    normalise_header,
    separator_problem,
    unclosed_quote,
)
from cyplan.io.spellings import UK_DATE, YES_NO_SPELLINGS, read_date
from cyplan.io.validate import CONTROL
from cyplan.reference.codelists import CodeList
from cyplan.returns import fields as F
from cyplan.returns.classify import AGE_LABEL, DATES, MILESTONE_LABEL, YES_NO, Column, Records

SHOWN_WIDE = 200  # rows with too many cells listed; the rest are counted
CODED = tuple(c for c in F.COLUMNS if c != F.ID)  # read as dictionary codes
CONTROL_RE = re.compile(CONTROL)  # matched on a field's distinct values, in Python: a few hundred strings


@dataclass
class Staged:
    """A file's records, read and cleaned, before any check."""
    file: str
    sheet: str | None
    digest: Future[str]  # SHA-256 of the file, being worked out (see stage)
    id_hashes: np.ndarray  # each record's referral_id hashed (uint64)
    first_row: int  # the spreadsheet row of the first record (of this chunk: see Reading)
    referral_id: pl.Series  # trimmed; null if blank
    date: np.ndarray  # days since 1970-01-01 (int32); meaningless where date_raw is given
    date_raw: list[str | None]  # by the date column's value id: the trimmed text if it is not a date, else None
    date_ids: np.ndarray
    accepted: np.ndarray  # int8: 1 yes, 0 no, -1 neither
    accepted_raw: list[str | None]
    accepted_ids: np.ndarray
    fields: dict[str, Column]  # age, the categorical fields and the milestones, as stored (see clean)
    control: dict[str, np.ndarray] = field(default_factory=dict)  # column → records (0-based) holding a control
    # character in it: refused, as in input files, since messages would echo it raw to the terminal
    uk_dates: list[tuple[dt.date, str]] = field(default_factory=list)  # distinct dates written day first

    @property
    def notes(self) -> list[str]:
        """How values were read (UK dates, day first): warnings."""
        return _day_first_note(self.uk_dates)

    @property
    def sha256(self) -> str:
        return self.digest.result()

    @property
    def records(self) -> int:
        return len(self.date)

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, row, column, message, self.sheet)

    def as_records(self) -> Records:
        return Records(np.arange(self.records, dtype=np.int64) + self.first_row, np.zeros(self.records, np.int32),
                       [(self.file, self.sheet)], self.date, self.accepted == 1, self.fields)


def _header_problems(label: str, sheet: str | None, names: list[str], header_row: int) -> tuple[dict[str, int],
                                                                                                  list[Problem]]:
    """Our column name → its position in the file, and the header's problems."""
    problems = []
    header: dict[str, int] = {}
    for i, name in enumerate(names):
        key = normalise_header(name)
        what = F.identifying(key)
        if what and key != F.ID:
            problems.append(Problem(label, header_row, name, f"this column looks like {what}: referral returns "
                                    "must be pseudonymised, so remove the column and import again", sheet))
        elif key in header:
            problems.append(Problem(label, header_row, name, f"the column '{key}' is given twice", sheet))
        elif key in F.COLUMNS:
            header[key] = i
    for missing in (c for c in F.COLUMNS if c not in header):
        problems.append(Problem(label, header_row, missing, _missing(missing), sheet))
    return header, problems


def _missing(column: str) -> str:
    """Says what to do: a system that does not record a coded field or milestone has no such column, and an
    analyst should not have to guess that a blank column is accepted."""
    if column in F.REQUIRED_CELLS:
        return "this column is missing"
    return "this column is missing: add it, with its cells left blank if your records do not hold it"


CHUNK = 1_000_000  # records read, checked and stored at a time: an import's memory is bounded by this, not the file


@dataclass
class _Csv:
    """The CSV the records are read from (the file itself, or a sheet written out as CSV), and its header."""
    path: Path
    names: list[str]  # the header's cells
    header: dict[str, int]  # our column → its position
    header_row: int  # the spreadsheet row the header is on


class Reading:
    """A file's records, chunk by chunk: iterate for each chunk's records, read and cleaned (a Staged, whose rows
    are numbered as in the whole file); then `repeated` and `notes`, which need every chunk. Made by `reading`.

    Chunks keep memory bounded by the chunk, not the file (20 million records are ~3.7 GB of CSV). What a check
    needs from the whole file is kept small meanwhile: each record's referral_id as a 64-bit hash (8 bytes), and
    the distinct dates written day first."""

    def __init__(self, label: str, sheet: str | None, digest: Future[str], source: _Csv, lists: dict[str, CodeList],
                 size: int, tmp: Path) -> None:
        self.file, self.sheet, self.digest, self.source = label, sheet, digest, source
        self.lists, self.size, self.tmp = lists, size, tmp
        self.records = 0
        self.hashes: list[np.ndarray] = []
        self.blank_ids: list[np.ndarray] = []  # records (0-based, in the file) with no referral_id
        self.uk_dates: dict[str, dt.date] = {}
        self.copied = False  # read on from a copy without blank lines (see _frames)

    def __iter__(self) -> Iterator[Staged]:
        for frame in self._frames():
            s = _clean(frame, self.lists, self.file, self.sheet, self.digest, self.source.header_row + 1 + self.records)
            self.hashes.append(s.id_hashes)
            if s.referral_id.null_count():
                self.blank_ids.append(np.flatnonzero(s.referral_id.is_null().to_numpy()) + self.records)
            self.uk_dates.update((text, day) for day, text in s.uk_dates if text not in self.uk_dates)
            self.records += s.records
            yield s

    def _frames(self) -> Iterator[pl.DataFrame]:
        """The records, a chunk at a time; PolarsError if the CSV cannot be read (InputError, located, then)."""
        try:
            for frame in _chunks(self.source, self.size):
                if frame[F.ID].null_count() and not self.copied:
                    # a blank line reads as a record of nulls in Polars but is no record to DuckDB (and never
                    # was here): such files, rare and failing anyway (a blank referral_id), are read on from a
                    # copy without blank lines. The chunks before had no blank line (no null): same records.
                    self.copied = True
                    self.source = _Csv(_without_blank_lines(self.source.path, self.tmp), self.source.names,
                                       self.source.header, self.source.header_row)
                    yield from _chunks(self.source, self.size, skip=self.records)
                    return
                yield frame
        except (pl.exceptions.PolarsError, _duckdb_error()) as e:
            raise InputError(_unreadable_rows(self.source.path, self.file, self.source.names, self.sheet,
                                              self.source.header_row)
                             or [Problem(self.file, None, None, f"cannot be read as CSV: {_first_line(e)}",
                                         self.sheet)]) from None

    @property
    def notes(self) -> list[str]:
        """How values were read (UK dates, day first), once for the file."""
        return _day_first_note([(day, text) for text, day in self.uk_dates.items()])

    def repeated(self) -> list[tuple[str, list[int]]]:
        """Each referral_id given more than once (one holding a control character is said as such, not here),
        with its rows in order. As many distinct hashes as ids proves there are none (the usual case, and quick);
        otherwise the ids whose hashes are shared are read again from the file and compared."""
        hashes = pl.concat([pl.Series(h) for h in self.hashes], rechunk=False)  # a chunk at least (_chunks)
        given = np.ones(len(hashes), dtype=bool)
        given[np.concatenate([np.zeros(0, np.int64), *self.blank_ids])] = False
        hashes = hashes.filter(given) if not given.all() else hashes
        if hashes.n_unique() == len(hashes):
            return []
        at = np.flatnonzero(given)[hashes.is_duplicated().to_numpy()]
        ids = _ids_at(self.source, at)
        frame = pl.DataFrame({"id": ids, "row": pl.Series(at + self.source.header_row + 1, dtype=pl.Int64)})
        return (frame.filter(pl.col("id").is_duplicated() & ~pl.col("id").str.contains(CONTROL))
                .group_by("id", maintain_order=True).agg(pl.col("row").sort()).rows())

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        return Problem(self.file, row, column, message, self.sheet)


def stage(path: Path, lists: dict[str, CodeList], sheet: str | None = None) -> Staged:
    """The file's records, read and cleaned in one piece (a file small enough to hold whole); InputError if the
    file cannot be read or its header is wrong (missing columns, identifying columns). An import reads in
    chunks: see `reading`."""
    with reading(path, lists, sheet, size=None) as found:
        return next(iter(found))


@contextmanager
def reading(path: Path, lists: dict[str, CodeList], sheet: str | None = None,
            size: int | None = CHUNK) -> Iterator[Reading]:
    """The file's records to read chunk by chunk (`size` records each; None: one chunk). InputError if the file
    cannot be read or its header is wrong (missing columns, identifying columns), raised here or, for a row
    Polars cannot read, while the chunks are read."""
    label = str(path)
    require_file(path)
    # the file's hash is wanted only when the import is logged, at its end: it is worked out meanwhile, in
    # a thread of the lowest priority, on whatever CPU the reading and the checks leave idle
    pool = ThreadPoolExecutor(1)
    digest = pool.submit(_idle, sha256, path)
    pool.shutdown(wait=False)
    with tempfile.TemporaryDirectory() as tmp:
        source, sheet = _opened(path, label, sheet, Path(tmp))
        yield Reading(label, sheet, digest, source, lists, size or 1 << 62, Path(tmp))


def _idle(work: Callable[[Path], str], path: Path) -> str:
    """work(path) in this thread at the lowest priority (Linux gives each thread its own)."""
    with suppress(OSError, AttributeError):  # where a thread cannot be given its own priority, it keeps ours
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    return work(path)


def _opened(path: Path, label: str, sheet: str | None, tmp: Path) -> tuple[_Csv, str | None]:
    """The CSV to read the records from (an Excel sheet is written out as one in tmp) and its header, checked."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        csv_path, header_row, sheet = _excel_as_csv(path, sheet, tmp)
    elif suffix in CSV_SUFFIXES:
        if sheet:
            raise InputError([Problem(label, None, None, "a sheet was named but a CSV file has no sheets")])
        csv_path, header_row = path, 1
    else:
        raise InputError([Problem(label, None, None, "referral returns are read from .csv or .xlsx files")])
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            names = next((r for r in csv.reader(f) if r), [])
    except UnicodeDecodeError:
        raise InputError([first_bad_byte(csv_path, label, None, sheet)]) from None
    except csv.Error as e:
        raise InputError([Problem(label, None, None, f"cannot be read as CSV: {_first_line(e)}", sheet)]) from None
    if not any(n.strip() for n in names):
        raise InputError([Problem(label, None, None, "the file is empty", sheet)])
    wrong = separator_problem(label, names, sheet)
    header, problems = _header_problems(label, sheet, names, header_row)
    if wrong or problems:
        raise InputError([wrong] if wrong else problems)
    return _Csv(csv_path, names, header, header_row), sheet


def _unreadable_rows(path: Path, label: str, names: list[str], sheet: str | None, header_row: int) -> list[Problem]:
    """Why Polars could not read the file, row by row: a byte that is not UTF-8, a quote never closed, or rows
    with more cells than the header has columns (its own words, "found more fields than defined in 'Schema'" or
    "CSV malformed: expected 0 rows…", name no row)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            records = (r for r in csv.reader(f) if r)  # blank lines are not records
            next(records, None)
            last: list[tuple[int, list[str]]] = []
            wide = []
            for n, r in enumerate(records, start=header_row + 1):
                last[:] = [(n, r)]
                if len(r) > len(names):
                    wide.append((n, len(r)))
    except UnicodeDecodeError:
        return [first_bad_byte(path, label, names, sheet)]
    except csv.Error:
        return []
    quote = unclosed_quote(label, last, sheet) if last else None
    listed = [Problem(label, n, None, f"this row has {cells} cells but the header has {len(names)} columns", sheet)
              for n, cells in wide[:SHOWN_WIDE]]
    if len(wide) > SHOWN_WIDE:
        listed.append(Problem(label, None, None, f"… and {len(wide) - SHOWN_WIDE:,} more rows with more cells than "
                              "the header", sheet))
    return ([quote] if quote else []) + listed


def _scan(source: _Csv, skip: int = 0) -> pl.LazyFrame:
    """Our columns of the file: referral_id as text, the others as dictionary codes (Categorical)."""
    header = source.header
    names = [f"c{i}" for i in range(len(source.names))]
    return (pl.scan_csv(source.path, has_header=True, new_columns=names, skip_rows_after_header=skip,
                        schema_overrides={f"c{header[c]}": pl.Categorical for c in CODED}, infer_schema=False,
                        separator=",", quote_char='"', encoding="utf8", raise_if_empty=False)
            .select(pl.col(f"c{header[c]}").alias(c) for c in F.COLUMNS))


def _chunks(source: _Csv, size: int, skip: int = 0) -> Iterator[pl.DataFrame]:
    """The records `size` at a time, in file order, from the `skip`-th; at least one frame (perhaps empty)."""
    empty = True
    for frame in _scan(source, skip).collect_batches(chunk_size=size):
        if frame.height or empty:
            empty = False
            yield frame
    if empty:
        yield _scan(source, skip).clear().collect()


def _ids_at(source: _Csv, at: np.ndarray) -> pl.Series:
    """The referral_id (trimmed) of the records `at` (0-based, in file order): read again from the file, with
    nothing else kept, when their hashes were found more than once."""
    wanted = pl.col("i").is_in(pl.Series(at, dtype=pl.UInt32).implode())
    found = _scan(source).select(F.ID).with_row_index("i").filter(wanted).collect(engine="streaming")
    return found.sort("i")[F.ID].str.strip_chars(" ")


def _without_blank_lines(path: Path, tmp: Path) -> Path:
    import duckdb  # imported when used: it is ~40 MB of memory that every other command would carry
    out = tmp / "records.csv"
    source = "read_csv(?, header=true, all_varchar=true, delim=',', quote='\"', encoding='utf-8')"
    duckdb.connect().execute(f"COPY (SELECT * FROM {source}) TO '{out}' (HEADER, DELIMITER ',')", [str(path)])
    return out


def _duckdb_error() -> type[Exception]:
    import duckdb  # imported when used: it is ~40 MB of memory that every other command would carry
    return duckdb.Error


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0]


def _index_dtype(n: int) -> type[np.unsignedinteger]:
    """The smallest ids that hold n values: ids are gathered through many times, so small ones are quicker
    (and on a VM, every new megabyte touched costs)."""
    return np.uint8 if n < 1 << 8 else np.uint16 if n < 1 << 16 else np.uint32


def dictionary(s: pl.Series) -> tuple[np.ndarray, list[str]]:
    """(ids, values): record i holds values[ids[i] - 1], or nothing (null) where ids[i] is 0."""
    if s.dtype != pl.Categorical:
        s = s.cast(pl.Categorical)
    names = s.dtype.categories.to_series()  # type: ignore[attr-defined]  # every category, by physical code
    # numpy indexes with intp: converted once here, not inside both the count and the gather
    codes = s.to_physical().fill_null(len(names)).to_numpy().astype(np.intp)
    present = np.flatnonzero(np.bincount(codes, minlength=len(names) + 1)[:-1])
    lookup = np.zeros(len(names) + 1, dtype=_index_dtype(len(present) + 1))
    lookup[present] = np.arange(1, len(present) + 1)
    return lookup[codes], names.gather(present).to_list()


def _labelled(values: list[str], clean: Callable[[list[str]], list[str | None]],
              dtype: type[np.unsignedinteger]) -> tuple[np.ndarray, list[str | None]]:
    """(remap, labels): each distinct value cleaned once (None: blank), values that clean to the same label
    sharing its id; value k (1-based; 0 is null) has the label labels[remap[k]]."""
    labels: list[str | None] = [None]
    index: dict[str | None, int] = {None: 0}
    remap = np.zeros(len(values) + 1, dtype=dtype)
    for k, label in enumerate(clean(values), start=1):
        if label not in index:
            index[label] = len(labels)
            labels.append(label)
        remap[k] = index[label]
    return remap, labels


def relabel(ids: np.ndarray, values: list[str], clean: Callable[[list[str]], list[str | None]]) -> Column:
    """Each distinct value cleaned once (None: blank); values that clean to the same label share its id."""
    remap, labels = _labelled(values, clean, ids.dtype.type)
    return Column(remap[ids], labels)


EPOCH = dt.date(1970, 1, 1)


def category_labels(codelist: CodeList) -> Callable[[list[str]], list[str | None]]:
    """A value's label: its category's own name if it is on the list, else the value trimmed."""
    def labels(values: list[str]) -> list[str | None]:
        return [codelist.categories[c - 1] if (c := codelist.code(v)) > 0 else v.strip() or None for v in values]
    return labels


class _Codes:
    """A Categorical field's physical codes (null as one more code, the last) and which of its categories are
    present, with how many records hold each (see _coded, which makes them for every field at once)."""

    def __init__(self, codes: pl.Series, present: np.ndarray, count: np.ndarray, nulls: int,
                 values: list[str]) -> None:
        self.codes = codes
        self.present = present  # the physical codes present, in order
        self.count = count  # records holding each present value
        self.nulls = nulls
        self.values = values
        self.size = (int(present[-1]) + 1 if len(present) else 0) + 1  # the last code: null

    def holding(self, pattern: re.Pattern[str]) -> np.ndarray:
        """The records (0-based, in order) whose value matches the regex: matched on the distinct values, and the
        records looked up only if one matches (so a clean file costs one match a distinct value)."""
        matches = np.array([pattern.search(v) is not None for v in self.values], dtype=bool)
        if not matches.any():
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.by_code(np.concatenate([[False], matches]))[self.codes.to_numpy()])

    def by_code(self, by_value: np.ndarray) -> np.ndarray:
        """An array by present value (index 0: null, k: the k-th present value) → the same by physical code."""
        out = np.zeros(self.size, dtype=by_value.dtype)
        out[self.present] = by_value[1:]
        out[-1] = by_value[0]
        return out


NO_CODE = (1 << 32) - 1  # a null's code in _coded's counts (physical codes are UInt32 and never reach it)


def _coded(frame: pl.DataFrame, ids: list[pl.Expr]) -> tuple[pl.DataFrame, dict[str, _Codes]]:
    """(`ids` worked out on the frame; each Categorical field's _Codes), from one Polars query for all of them.
    On a busy machine every query handed to Polars' threads waits for a core (~10-30 ms at load 10 on 2 cores,
    whatever its size): made field by field, with a count of the codes and the distinct values read back, a
    chunk cost ~80 such waits; now it costs one. Each field's values are counted by grouping on its codes (in
    Polars, on both cores); only the codes present are read back as text: Polars' global categories can hold
    slots freed since (other frames dropped), and reading one of those panics."""
    lazy = frame.lazy().select(pl.col(CODED).cast(pl.Categorical), *ids)

    def code(c: str) -> pl.Expr:
        return pl.col(c).to_physical()

    codes = lazy.select(code(c).fill_null((code(c).max() + 1).fill_null(0)) for c in CODED)
    counts = pl.concat([lazy.group_by(pl.col(c).alias("value")).agg(pl.len().alias("n")).select(
        pl.lit(k, pl.Int32).alias("field"), pl.col("value").to_physical().fill_null(NO_CODE).alias("code"),
        pl.col("value").cast(pl.String).alias("text"), "n") for k, c in enumerate(CODED)])
    worked, codes, counts = pl.collect_all([lazy.select(pl.exclude(CODED)), codes, counts])
    field, at, n = (counts[c].to_numpy() for c in ("field", "code", "n"))
    text = counts["text"].to_list()
    order = np.lexsort((at, field))  # by field, then code: the values in code order, the null (if any) last
    out = {}
    for k, c in enumerate(CODED):
        rows = order[field[order] == k]
        given = rows[at[rows] != NO_CODE]
        nulls = n[rows[at[rows] == NO_CODE]]
        out[c] = _Codes(codes[c], at[given].astype(np.int64), n[given].astype(np.int64),
                        int(nulls.sum()), [text[i] for i in given.tolist()])
    return worked, out


def _gathered(codes: dict[str, tuple[_Codes, np.ndarray]]) -> dict[str, np.ndarray]:
    """Each record's value of each lookup (name → (field's codes, array by physical code)): a NumPy take each, in
    this thread (a Polars gather, on both cores, took more CPU and, on a busy machine, a wait for Polars' threads)."""
    return {name: np.take(lookup, c.codes.to_numpy()) for name, (c, lookup) in codes.items()}


def _clean(frame: pl.DataFrame, lists: dict[str, CodeList], file: str, sheet: str | None, digest: Future[str],
           first_row: int) -> Staged:
    """Each field's distinct values cleaned as they are stored: categories under their code-list names
    (else the value trimmed), milestones as yes / no (else trimmed), ages trimmed; blanks as id 0."""
    trimmed = pl.col(F.ID).str.strip_chars(" ").replace("", None)
    # the ids' hashes, for repeated ids over every chunk (Reading.repeated); every id is distinct, so it is
    # matched for control characters record by record: all in the one query that counts the fields' codes
    worked, coded = _coded(frame, [trimmed.alias(F.ID), trimmed.hash().alias("hash"),
                                   trimmed.str.contains(CONTROL).fill_null(False).alias("control")])
    ids = worked[F.ID]
    control: dict[str, np.ndarray] = {F.ID: np.flatnonzero(worked["control"].to_numpy())}
    date = coded[F.DATE]
    control[F.DATE] = date.holding(CONTROL_RE)
    parsed = _uk_dates(DATES(date.values))
    days = np.array([0, *((d - EPOCH).days if d is not None else 0 for d, _ in parsed)], dtype=np.int32)
    date_raw: list[str | None] = ["", *((raw or "") if d is None else None for d, raw in parsed)]
    acc = coded[F.ACCEPTED]
    control[F.ACCEPTED] = acc.holding(CONTROL_RE)
    yes_no = _nhs_yes_no(YES_NO(acc.values))
    accepted = np.array([-1, *(-1 if y is None else y for y, _ in yes_no)], dtype=np.int8)
    accepted_raw: list[str | None] = ["", *((raw or "") if y is None else None for y, raw in yes_no)]
    cleaning = {F.AGE: AGE_LABEL, **{c: category_labels(lists[c]) for c in F.CATEGORICAL},
                **{m: MILESTONE_LABEL for m in F.MILESTONES}}
    lookups: dict[str, tuple[_Codes, np.ndarray]] = {
        "date": (date, date.by_code(days)),
        "date_ids": (date, date.by_code(np.arange(len(date.values) + 1, dtype=_index_dtype(len(date.values) + 1)))),
        "accepted": (acc, acc.by_code(accepted)),
        "accepted_ids": (acc, acc.by_code(np.arange(len(acc.values) + 1, dtype=_index_dtype(len(acc.values) + 1))))}
    labels: dict[str, tuple[list[str | None], np.ndarray]] = {}
    for name, clean in cleaning.items():
        codes = coded[name]
        control[name] = codes.holding(CONTROL_RE)
        remap, labelled = _labelled(codes.values, clean, _index_dtype(len(codes.values) + 1))
        count = np.bincount(remap[1:], weights=codes.count, minlength=len(labelled)).astype(np.int64)
        count[0] += codes.nulls
        labels[name] = labelled, count
        lookups[name] = codes, codes.by_code(remap)
    found = _gathered(lookups)
    fields = {f: Column(found[f], labelled, count) for f, (labelled, count) in labels.items()}
    return Staged(file, sheet, digest, worked["hash"].to_numpy(), first_row, ids, found["date"], date_raw,
                  found["date_ids"], found["accepted"], accepted_raw, found["accepted_ids"], fields,
                  {f: rows for f, rows in control.items() if len(rows)},
                  [(d, raw) for d, raw in parsed if d is not None and raw and UK_DATE.match(raw)])


YEAR_FIRST = re.compile(r"^\d{4}\D", re.ASCII)


def _uk_dates(parsed: list) -> list[tuple[dt.date | None, str | None]]:
    """(day, trimmed text) per distinct value: what DuckDB could not read as YYYY-MM-DD is read as the UK writes
    it, day first (03/04/2025 is 3 April), as input files are (cyplan.io.validate.read_date): NHS extracts
    write dates so. DuckDB's own reading is kept only for text that starts with a four-digit year: it reads
    '01/03/25' as 25 March in the year 1."""
    return [(d, raw) if not raw or (d is not None and YEAR_FIRST.match(raw)) else (read_date(raw), raw)
            for d, raw in parsed]


def _day_first_note(parsed: list[tuple[dt.date | None, str | None]]) -> list[str]:
    """Once for the file: that its dates were read day first, with an example (one that could be read either way,
    if there is one), so that a US-style file is noticed."""
    uk = [(d, raw) for d, raw in parsed if d is not None and raw and UK_DATE.match(raw)]
    if not uk:
        return []
    day, text = next(((d, r) for d, r in uk if int(UK_DATE.match(r)[1]) <= 12), uk[0])  # type: ignore[index]
    return [f"column '{F.DATE}': dates such as {text} were read as day/month/year (UK), so {text} is "
            f"{day.day} {day:%B %Y}"]


def _nhs_yes_no(read: list) -> list[tuple[int | None, str | None]]:
    """(1, 0 or None, trimmed text) per distinct value: Y/N, 1/0 and TRUE/FALSE (any case) as well as yes/no, as
    input files read them (cyplan.io.validate.YES_NO_SPELLINGS)."""
    flag = {"yes": 1, "no": 0}
    return [(y, raw) if y is not None or not raw else (flag.get(YES_NO_SPELLINGS.get(raw.lower(), "")), raw)
            for y, raw in read]


def _excel_as_csv(path: Path, sheet: str | None, tmp: Path) -> tuple[Path, int, str]:
    """fastexcel (quick for big sheets) → a CSV, with the sheet row the header was on: fastexcel starts at
    the first non-empty row, so that row is found with openpyxl first (read-only, first rows only) and the
    messages keep the sheet's numbering."""
    import fastexcel
    import openpyxl

    label = str(path)
    check_workbook_size(path, label)
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as e:  # fastexcel raises its own error types for damaged or non-Excel files
        raise InputError([Problem(label, None, None, f"cannot be read as an Excel workbook: {e}")]) from None
    names = reader.sheet_names
    if sheet is not None and sheet not in names:
        raise InputError([Problem(label, None, None, f"no sheet '{sheet}'; the sheets are {', '.join(names)}")])
    try:
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            if sheet is None:  # the first sheet, unless it is hidden: then it may be an old copy, not for import
                sheet = _first_sheet(label, names, hidden_sheets(book))
            header_row = next((i for i, row in enumerate(book[sheet].iter_rows(values_only=True), start=1)
                               if any(v is not None and str(v).strip() for v in row)), 1)
        finally:
            book.close()
        frame = reader.load_sheet(sheet, header_row=0, dtypes="string").to_polars()
    except InputError:
        raise
    except BaseException as e:  # a workbook fastexcel could open may still be damaged inside (a sheet's XML or
        if not (isinstance(e, Exception) or is_panic(e)):  # zip), or make its Rust code panic (out of memory)
            raise
        raise InputError([Problem(label, None, None, f"cannot be read as an Excel workbook: {e}")]) from None
    out = tmp / "sheet.csv"
    frame.write_csv(out)
    return out, header_row, sheet


def _first_sheet(label: str, names: list[str], hidden: dict[str, str]) -> str:
    """The workbook's first sheet; InputError if it is hidden (a hidden sheet is imported only when named)."""
    first = names[0]
    if first not in hidden:
        return first
    shown = [n for n in names if n not in hidden]
    which = ("or name the sheet to import with --sheet: " + ", ".join(f"'{n}'" for n in shown)) if shown else \
        "or name it with --sheet"
    raise InputError([Problem(label, None, None, f"the sheet '{first}' {HIDDEN[hidden[first]]} ({which})", first)])
