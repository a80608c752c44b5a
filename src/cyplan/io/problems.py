"""What is wrong with an input, located as the user sees it in their spreadsheet.

A `Problem` is one thing wrong in one place. A file full of errors can have millions of them (a file
that repeats every key), so a check that fails on many rows gives a `ProblemRun`: the failing rows as a
frame and how to word each one, turned into Problems only as they are shown or saved, a chunk at a time.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import polars as pl

ROW = "__row"  # the column holding each record's spreadsheet row number
FAILS = "__fails"  # in a ProblemRun's rows: true on the rows that have the problem
RUN_SHOWN = 20  # problems of one kind listed on screen before the rest are counted
_CHUNK = 50_000  # problems made at a time from a run: bounds the Python objects alive at once


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None  # numbered as in the spreadsheet: the header is row 1
    column: str | None
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


@dataclass(frozen=True)
class ProblemRun:
    """One check's problems on many rows: `rows` holds ROW (the spreadsheet row; 0 or null for a row that is
    not in the file) and whatever `message` needs to word each row's problem. If it has a FAILS column, only
    the rows where it is true have the problem: the check then need not copy the rows that fail out of the
    table (a file full of errors would be copied whole)."""

    file: str
    sheet: str | None
    column: str | None
    rows: pl.DataFrame
    message: Callable[[dict[str, object]], str] | pl.Expr  # a row's words, or an expression giving every row's
    summary: str = "rows have this problem"  # on screen: "1,234 rows have this problem; the first 20:"

    def __len__(self) -> int:
        return self._count

    @functools.cached_property
    def _count(self) -> int:
        return int(self.rows[FAILS].sum()) if FAILS in self.rows.columns else self.rows.height

    def __iter__(self) -> Iterator[Problem]:
        """The run's Problems in row order, made a chunk at a time."""
        for chunk in self._chunks():
            for row, message in zip(chunk["row"], chunk["message"], strict=True):
                yield Problem(self.file, row, self.column, message, self.sheet)

    def frames(self) -> Iterator[pl.DataFrame]:
        """The run's problems in row order, as frames of PROBLEM_SCHEMA, a chunk at a time."""
        for chunk in self._chunks():
            yield chunk.select(pl.lit(self.file).alias("file"), pl.lit(self.sheet, pl.String).alias("sheet"), "row",
                               pl.lit(self.column, pl.String).alias("column"), "message")

    def _chunks(self) -> Iterator[pl.DataFrame]:
        """row (null for a row not in the file) and message, _CHUNK rows at a time."""
        rows = self.rows if self.rows[ROW].is_sorted() else self.rows.sort(ROW, nulls_last=False)
        for chunk in rows.iter_slices(_CHUNK):
            if FAILS in chunk.columns:
                chunk = chunk.filter(FAILS)
            if isinstance(self.message, pl.Expr):
                words = chunk.select(self.message.cast(pl.String)).to_series()
            else:
                words = pl.Series([self.message(r) for r in chunk.iter_rows(named=True)], dtype=pl.String)
            row = chunk[ROW].cast(pl.Int64)
            yield pl.DataFrame({"row": pl.select(pl.when(row > 0).then(row)).to_series(), "message": words})

    def first(self, n: int) -> list[Problem]:
        return list(itertools.islice(self, n))

    def headline(self) -> str:
        where = [self.file] + ([f"sheet '{self.sheet}'"] if self.sheet else []) \
            + ([f"column '{self.column}'"] if self.column else [])
        return f"{', '.join(where)}: {len(self):,} {self.summary}; the first {min(RUN_SHOWN, len(self))}:"


def problem_run(file: str, sheet: str | None, column: str | None, rows: pl.DataFrame,
                message: Callable[[dict[str, object]], str] | pl.Expr, summary: str | None = None) -> list[Found]:
    """The problems of one check on `rows`: a run when there are many, else plain Problems (a short list reads
    best as it always has, each problem in row order among the file's others)."""
    run = ProblemRun(file, sheet, column, rows, message, summary or ProblemRun.summary)
    return [run] if len(run) > RUN_SHOWN else list(run)


Found = Problem | ProblemRun


class InputError(Exception):
    """Raised with every problem found in one or more input files; nothing has been written."""

    def __init__(self, problems: Iterable[Found]):
        found = list(problems)
        self.singles = sorted((p for p in found if isinstance(p, Problem)), key=_order)
        self.runs = [p for p in found if isinstance(p, ProblemRun) and len(p)]
        super().__init__(f"{len(self)} problem(s) in the input")

    def __len__(self) -> int:
        return len(self.singles) + sum(len(r) for r in self.runs)

    def __iter__(self) -> Iterator[Problem]:
        """Every problem, in order of file, sheet, row and column, made as it is reached."""
        return heapq.merge(self.singles, *self.runs, key=_order)

    @property
    def found(self) -> list[Found]:
        """What was found, as found: to gather into another InputError without making every problem."""
        return [*self.singles, *self.runs]

    def frames(self) -> Iterator[pl.DataFrame]:
        """Every problem as frames of PROBLEM_SCHEMA, to save as they come: the single problems in order of file,
        sheet, row and column, then each run's in row order (a run is never made whole)."""
        yield from problem_frames(self.singles)
        for run in self.runs:
            yield from run.frames()

    @property
    def problems(self) -> list[Problem]:
        """Every problem as a list (a file full of errors makes millions: show or save them from the
        iterator, or from `singles` and `runs`)."""
        return list(self)


def _order(p: Problem) -> tuple[str, str, int, str]:
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "")


PROBLEM_SCHEMA = {"file": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String, "message": pl.String}


def problem_frames(problems: Iterable[Problem]) -> Iterator[pl.DataFrame]:
    """The problems as frames of at most _CHUNK rows (the columns of Problem.as_dict), to save as they come."""
    it = iter(problems)
    while chunk := list(itertools.islice(it, _CHUNK)):
        yield pl.DataFrame({name: [getattr(p, name) for p in chunk] for name in PROBLEM_SCHEMA}, schema=PROBLEM_SCHEMA)
