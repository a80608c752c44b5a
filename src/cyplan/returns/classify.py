"""Records as dictionary codes, and what each distinct value means, worked out once per value.

Records (staged from a file, or read from the store) hold each coded field as ids into the field's
labels: the value as stored (a category under its code-list name, else the value trimmed; yes / no; an
age as written). A million records hold only a few hundred labels per field, so each label is matched
with `CodeList.code` (the one definition of matching) or parsed once, and the answer is gathered back
to the records with one array index: far quicker than matching a million values, and it cannot disagree
with the Python rule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from cyplan.reference.codelists import CodeList
from cyplan.returns import fields as F

EPOCH = np.datetime64("1970-01-01", "D")

_VALUES = threading.local()


KNOWN = 100_000  # distinct values remembered by each rule (see _sql) before it starts afresh


def _sql(expression: str) -> Callable[[list[str]], list]:
    """A DuckDB expression of `v` applied to each value: DuckDB's trim and casts, as the records were
    always checked with. (One row per value; several columns come back as a tuple.) Each value's answer is
    remembered: a file read in chunks meets the same few hundred values in every chunk, and asking DuckDB
    costs ~10 ms a time (more on a busy machine), so only values not met before are asked about."""
    known: dict[str, object] = {}
    lock = threading.Lock()  # one DuckDB connection per thread, but `known` is shared

    def apply(values: list[str]) -> list:
        with lock:
            new = [v for v in dict.fromkeys(values) if v not in known]
            if new:
                if len(known) + len(new) > KNOWN:  # bounded, for a long-running web app
                    known.clear()
                    new = list(dict.fromkeys(values))
                known.update(_asked(expression, new))
            return [known[v] for v in values]
    return apply


def _asked(expression: str, values: list[str]) -> dict[str, object]:
    """Each value → the expression's answer (a tuple if it has several columns), from DuckDB."""
    if not hasattr(_VALUES, "con"):  # a connection costs ~20 ms: one per thread, kept
        import duckdb  # imported when used: it is ~40 MB of memory that every other command would carry
        _VALUES.con = duckdb.connect()
    rows = _VALUES.con.execute(f"SELECT v, {expression} FROM unnest(?::VARCHAR[]) t(v)", [values]).fetchall()
    return {r[0]: (r[1] if len(r) == 2 else r[1:]) for r in rows}


AGE_LABEL = _sql("nullif(trim(v), '')")
MILESTONE_LABEL = _sql("CASE v WHEN 'yes' THEN 'yes' WHEN 'no' THEN 'no' ELSE CASE lower(trim(v)) WHEN 'yes' "
                       "THEN 'yes' WHEN 'no' THEN 'no' WHEN '' THEN NULL ELSE trim(v) END END")
DATES = _sql("coalesce(try_cast(v AS DATE), try_cast(trim(v) AS DATE)), trim(v)")
YES_NO = _sql("CASE v WHEN 'yes' THEN 1 WHEN 'no' THEN 0 ELSE CASE lower(trim(v)) WHEN 'yes' THEN 1 WHEN 'no' THEN 0 "
              "END END, trim(v)")
WHOLE_NUMBER = _sql("try_cast(v AS INTEGER)")


@dataclass
class Column:
    """A field as ids into its labels: record i holds labels[ids[i]]; labels[0] is None (blank)."""
    ids: np.ndarray  # int32
    labels: list[str | None]
    counts: np.ndarray | None = None  # by label: how many records hold it, where already known (staged)

    def count(self) -> np.ndarray:
        """By label: how many records hold it."""
        if self.counts is None:
            self.counts = np.bincount(self.ids, minlength=len(self.labels))
        return self.counts


@dataclass
class Records:
    row: np.ndarray  # int64: the spreadsheet row
    source: np.ndarray  # int32: index into sources
    sources: list[tuple[str, str | None]]  # (file, sheet)
    date: np.ndarray  # int32: days since 1970-01-01
    accepted: np.ndarray  # bool
    fields: dict[str, Column]  # age, every categorical field and every milestone

    def __len__(self) -> int:
        return len(self.row)


def category_codes(column: Column, codelist: CodeList) -> np.ndarray:
    """By label: 0 blank, -1 not on the list, k the k-th category."""
    return np.array([0, *(codelist.code(v) for v in column.labels[1:])], dtype=np.int16)


def milestone_codes(column: Column) -> np.ndarray:
    """By label: 1 yes, 2 no, 0 blank, -1 anything else."""
    return np.array([0, *({"yes": 1, "no": 2}.get(v or "", -1) for v in column.labels[1:])], dtype=np.int8)


def age_values(column: Column) -> np.ndarray:
    """By label: the age as a whole number (DuckDB's cast, as the age was always read), or None."""
    labels = column.labels[1:]
    if not labels:
        return np.array([None], dtype=object)
    # a label of plain digits is the number they write under any cast; DuckDB (a third of a second to load, in a
    # board paper made from nothing) is asked only about the others, with its own rules for spaces, signs, decimals
    others = [v for v in labels if not _digits(v)]
    cast = dict(zip(others, WHOLE_NUMBER(others), strict=True))
    return np.array([None, *(int(v) if _digits(v) else cast[v] for v in labels)], dtype=object)


def _digits(label: str | None) -> bool:
    """ASCII digits only, and few enough to fit DuckDB's INTEGER (32 bits): int() reads them as its cast does."""
    return label is not None and 0 < len(label) <= 9 and label.isascii() and label.isdigit()


def valid_ages(column: Column) -> np.ndarray:
    """By label: the age if it is a whole number from MIN_AGE to MAX_AGE, else -1."""
    return np.array([v if v is not None and F.MIN_AGE <= v <= F.MAX_AGE else -1 for v in age_values(column)],
                    dtype=np.int16)


def coded(records: Records, lists: dict[str, CodeList]) -> pl.DataFrame:
    """The records as the model takes them: date, accepted, age (null if blank or invalid), each category's
    code (0 blank, -1 invalid, k the k-th category) and each milestone's (1 yes, 2 no, 0 blank, -1 invalid)."""
    f = records.fields
    age = valid_ages(f[F.AGE])[f[F.AGE].ids]
    return pl.DataFrame({
        F.DATE: pl.Series(F.DATE, records.date, dtype=pl.Int32).cast(pl.Date),
        F.ACCEPTED: records.accepted,
        F.AGE: pl.Series(F.AGE, age, dtype=pl.Int16).replace(-1, None),
        # small codes: the tables filter these columns many times
        **{c: category_codes(f[c], lists[c]).astype(np.int8 if len(lists[c].categories) < 127 else np.int16)[f[c].ids]
           for c in F.CATEGORICAL},
        **{m: milestone_codes(f[m])[f[m].ids] for m in F.MILESTONES},
    })
