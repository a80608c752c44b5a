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
from dataclasses import dataclass, field

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
        # dict.fromkeys: a problem reached twice (two checks, or two passes, finding the same fault) is said once
        self.singles = sorted(dict.fromkeys(p for p in found if isinstance(p, Problem)), key=_order)
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

    def groups(self) -> list[ProblemGroup]:
        """Every problem in a group of its file, sheet, column and kind (see ProblemGroup), each made once."""
        return group_problems(self.frames())

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


# -- groups of problems ------------------------------------------------------------------------------
# A message is a template with values put in ("'Y' is not yes or no", "count -5 is negative"): its kind is the
# message with the values taken out, so every row with one fault lands in one group, whatever its value. Values
# are what the messages quote ('…') and the numbers standing on their own (a row, a count); a number inside a
# word (a code such as E10000003) is part of the word. A check's wording needs nothing from this: any message
# groups, quoting its value or not.
VALUE = r"'[^']*'|\b[0-9]+(?:[.,:/][0-9]+)*\b"
EXAMPLE_ROWS = 5  # row numbers shown for a group: "rows 2, 3, 4, 5, 6 and 507 more"
COUNTED_VALUES = 1000  # distinct messages counted in a group before it says "over 1,000"
GROUP_KEY = ("file", "sheet", "column", "kind")


def message_kind(message: pl.Expr) -> pl.Expr:
    """Each message with its values taken out: the key that groups its problems."""
    return message.str.replace_all(VALUE, "…")


@dataclass
class ProblemGroup:
    """Problems of one kind (the message without its values) in one column of one file's sheet: counted, with
    the first few row numbers and the first problem's message as the example."""

    file: str
    sheet: str | None
    column: str | None
    kind: str
    count: int = 0
    rows: list[int | None] = field(default_factory=list)  # the first EXAMPLE_ROWS distinct rows, in order
    message: str = ""  # the message of the group's first problem, by row
    messages: set[str] = field(default_factory=set)  # its distinct messages, up to COUNTED_VALUES + 1
    rows_seen: int = 0  # distinct rows among its problems (a row with two problems of one kind counts once)

    @property
    def values(self) -> int:
        """How many different messages (values) the group holds; COUNTED_VALUES + 1 means more than that."""
        return len(self.messages)

    @property
    def first_row(self) -> int:
        return self.rows[0] if self.rows and self.rows[0] is not None else -1

    def where(self) -> str:
        return ", ".join([self.file] + ([f"sheet '{self.sheet}'"] if self.sheet else [])
                         + ([f"column '{self.column}'"] if self.column else []))

    def headline(self) -> str:
        """"ret.csv, column 'accepted': 512 rows: 'Y' is not yes or no"; a group of one is its problem as ever."""
        if self.count == 1:
            return str(Problem(self.file, self.rows[0] if self.rows else None, self.column, self.message, self.sheet))
        counted = f"{self.rows_seen:,} rows" if self.rows and self.rows[0] is not None else f"{self.count:,} problems"
        if self.rows and self.rows[0] is not None and self.rows_seen != self.count:
            counted = f"{self.count:,} problems on {self.rows_seen:,} rows"
        others = self.values - 1
        like = "" if others <= 0 else (f" (and over {COUNTED_VALUES:,} other values like it)"
                                       if self.values > COUNTED_VALUES else
                                       f" (and {others:,} other value{'s' if others != 1 else ''} like it)")
        return f"{self.where()}: {counted}: {self.message}{like}"

    def examples(self) -> str:
        """"rows 2, 3, 4, 5, 6 and 507 more"; "" for a group of one, or of problems with no row in the file."""
        known = [r for r in self.rows if r is not None]
        if self.count == 1 or not known:
            return ""
        more = self.rows_seen - len(known)
        listed = ", ".join(str(r) for r in known)
        return f"row{'s' if len(known) > 1 else ''} {listed}" + (f" and {more:,} more" if more > 0 else "")

    def add(self, count: int, rows_seen: int, rows: list[int | None], messages: list[str], first: str) -> None:
        """Fold in a part's problems of this group: their count, distinct rows, first rows (in order), distinct
        messages and the message of the first of them."""
        if not self.rows or (rows and _row_key(rows[0]) < _row_key(self.rows[0])):
            self.message = first
        self.count += count
        self.rows_seen += rows_seen
        merged = sorted(set(self.rows) | set(rows), key=_row_key)
        self.rows = merged[:EXAMPLE_ROWS]
        for m in messages:
            if len(self.messages) > COUNTED_VALUES:
                break
            self.messages.add(m)


def _row_key(row: int | None) -> int:
    return -1 if row is None else row


class Grouping:
    """Problems folded into groups a frame at a time (of PROBLEM_SCHEMA), so that the millions of a file full of
    errors are never held at once: `add` each frame as it comes (while it is saved, say), then `groups()`."""

    def __init__(self) -> None:
        self._groups: dict[tuple[object, ...], ProblemGroup] = {}

    def add(self, frame: pl.DataFrame) -> None:
        """Fold in a frame's problems; a problem given twice in one frame is counted once."""
        if not frame.height:
            return
        parts = (frame.unique(maintain_order=True)
                 # problems with no row (about the file, or rows the workspace holds) are grouped by kind too: a
                 # roles file that drops every role gives one "role 'x' is still used by …" for each role and input
                 .with_columns(message_kind(pl.col("message")).alias("kind"),
                               pl.col("row").fill_null(-1).alias("at"))
                 .sort("at", maintain_order=True)
                 .group_by(GROUP_KEY, maintain_order=True)
                 .agg(pl.len().alias("n"), pl.col("at").n_unique().alias("rows_seen"),
                      pl.col("row").unique(maintain_order=True).head(EXAMPLE_ROWS).alias("rows"),
                      pl.col("message").unique(maintain_order=True).head(COUNTED_VALUES + 1).alias("messages"),
                      pl.col("message").first().alias("first")))
        for file, sheet, column, kind, n, seen, rows, messages, first in parts.iter_rows():
            key = (file, sheet, column, kind)
            if key not in self._groups:
                self._groups[key] = ProblemGroup(file, sheet, column, kind)
            self._groups[key].add(n, seen, rows, messages, first)

    def groups(self) -> list[ProblemGroup]:
        """The groups, ordered as the file is read: by file, sheet, first row and column."""
        # ties keep the order the groups were met in (the problems' own order)
        order = {id(g): i for i, g in enumerate(self._groups.values())}
        return sorted(self._groups.values(), key=lambda g: (g.file, g.sheet or "", g.first_row, g.column or "",
                                                            order[id(g)]))


def group_problems(frames: Iterable[pl.DataFrame]) -> list[ProblemGroup]:
    """The problems in `frames` (of PROBLEM_SCHEMA) in groups of file, sheet, column and kind: every problem is in
    exactly one group."""
    grouping = Grouping()
    for frame in frames:
        grouping.add(frame)
    return grouping.groups()
