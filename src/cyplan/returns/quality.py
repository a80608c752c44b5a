"""The quality report: errors (they block an import), queries (reported, the record is kept) and the
blank and invalid values of each field. Queries and counts work on Records (a staged file, or the
store), so the same checks run at import and for `cyplan returns quality` later.

Every check is decided once per distinct value (see classify) and gathered to the records as arrays;
a message's text is made once per distinct value too, so ~400,000 queries cost a few array operations.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from cyplan.io.problems import Problem
from cyplan.io.validate import CONTROL_MESSAGE
from cyplan.reference.codelists import CodeList
from cyplan.returns import fields as F
from cyplan.returns.classify import EPOCH, Records, age_values, category_codes
from cyplan.returns.stage import Reading, Staged

PROBLEM_COLUMNS = ("file", "sheet", "row", "column", "message")


def errors(s: Staged) -> list[Problem]:
    """Blank referral_id (a repeated one needs the whole file: repeated_ids), a date that is blank or not
    YYYY-MM-DD, accepted not yes or no, and any value holding a control character (a cell with one is named,
    never echoed: see Staged.control)."""
    problems = []
    no_id = s.referral_id.is_null().to_numpy() if s.referral_id.null_count() else np.zeros(s.records, dtype=bool)
    bad_date = np.array([r is not None for r in s.date_raw])[s.date_ids]
    bad_accepted = s.accepted == -1
    bad_date[s.control.get(F.DATE, [])] = False  # said below, without the value
    bad_accepted[s.control.get(F.ACCEPTED, [])] = False
    for column, at in sorted(s.control.items()):
        problems += [s.problem(i + s.first_row, column, CONTROL_MESSAGE) for i in at.tolist()]
    for i in np.flatnonzero(no_id | bad_date | bad_accepted).tolist():
        row = i + s.first_row
        if no_id[i]:
            problems.append(s.problem(row, F.ID, "referral_id is blank"))
        if bad_date[i]:
            date = s.date_raw[s.date_ids[i]]
            problems.append(s.problem(row, F.DATE, "received_date is blank" if date == "" else
                                      f"'{date}' is not a date written as YYYY-MM-DD or dd/mm/yyyy"))
        if bad_accepted[i]:
            accepted = s.accepted_raw[s.accepted_ids[i]]
            problems.append(s.problem(row, F.ACCEPTED, "accepted is blank: it must be yes or no" if accepted == ""
                                      else f"'{accepted}' is not yes or no"))
    return problems


def repeated_ids(read: Reading) -> list[Problem]:
    """A referral_id given twice, on each row after its first (over the whole file: every chunk read)."""
    return [read.problem(row, F.ID, f"referral_id '{rid}' is also on row {rows[0]}")
            for rid, rows in read.repeated() for row in rows[1:]]


COLUMN_ORDER = {c: i for i, c in enumerate(sorted(F.COLUMNS))}  # queries are listed by row, then column name


class _Found:
    """Queries as arrays: for each column, the records queried (in record order) and each one's message id
    into `messages`. The text is only looked up (gathered, not made) once every query is known."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.parts: list[tuple[int, np.ndarray, np.ndarray]] = []  # (column rank, records, message ids)

    def add(self, column: str, at: np.ndarray, ids: np.ndarray, texts: list[str | None]) -> None:
        """The records `at`, queried in `column`, with the message texts[ids] (ids: one per record of `at`)."""
        lookup = np.zeros(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            if text is not None:
                lookup[i] = len(self.messages)
                self.messages.append(text)
        self.parts.append((COLUMN_ORDER[column], at, lookup[ids]))


def _holding(ids: np.ndarray, flagged: np.ndarray, also: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(the records whose label is flagged (and for which `also` holds), their label ids)."""
    hit = flagged[ids]
    if also is not None:
        hit &= also
    at = np.flatnonzero(hit)
    return at, ids[at]


def queries(records: Records, lists: dict[str, CodeList], today: dt.date) -> pl.DataFrame:
    """Every query, one row each (file, sheet, row, column, message), in file, row and column order."""
    # (column, message by label (None: no query), and where the message needs more than the label: a
    # condition per record), each label's message made once
    checks: list[tuple[str, list[str | None], np.ndarray | None]] = []
    for c in F.CATEGORICAL:
        labels = records.fields[c].labels
        bad = category_codes(records.fields[c], lists[c]) == -1
        what = c.replace("_", " ")
        checks.append((c, [f"'{v}' is not on the {what} code list" if b else None
                           for v, b in zip(labels, bad.tolist(), strict=True)], None))
    ages, labels = age_values(records.fields[F.AGE]), records.fields[F.AGE].labels
    checks.append((F.AGE, [
        None if v is None else f"'{v}' is not a whole number of years" if a is None else
        f"age {v} is outside {F.MIN_AGE} to {F.MAX_AGE}" if not F.MIN_AGE <= a <= F.MAX_AGE else None
        for v, a in zip(labels, ages.tolist(), strict=True)], None))
    not_accepted = ~records.accepted
    for m in F.MILESTONES:
        labels = records.fields[m].labels
        checks.append((m, [f"'{v}' is not yes, no or blank" if v is not None and v not in ("yes", "no") else None
                           for v in labels], None))
        checks.append((m, ["yes on a referral that was not accepted" if v == "yes" else None for v in labels],
                       not_accepted))
    checks = [(c, texts, also) for c, texts, also in checks if any(t is not None for t in texts)]
    # each check is a gather and a search over every record, outside the GIL: two at a time
    with ThreadPoolExecutor(2) as pool:
        held = pool.map(lambda check: _holding(records.fields[check[0]].ids,
                                               np.array([t is not None for t in check[1]]), check[2]), checks)
        found = _Found()
        for (c, texts, _), (at, ids) in zip(checks, held, strict=True):
            found.add(c, at, ids, texts)
    future = np.flatnonzero(records.date > (np.datetime64(today.isoformat(), "D") - EPOCH).astype(np.int32))
    days, which = np.unique(records.date[future], return_inverse=True)
    found.add(F.DATE, future, which, [f"received_date {(EPOCH + d).astype(dt.date).isoformat()} is in the future"
                                      for d in days.tolist()])
    return _listed(records, found)


def _listed(records: Records, found: _Found) -> pl.DataFrame:
    """The queries as a frame, in file, row and column order."""
    at = np.concatenate([p for _, p, _ in found.parts]) if found.parts else np.zeros(0, np.int64)
    message = np.concatenate([m for _, _, m in found.parts]) if found.parts else np.zeros(0, np.int64)
    column = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p, _ in found.parts]) if found.parts \
        else np.zeros(0, np.int64)
    width = len(COLUMN_ORDER)
    row = records.row
    in_order = len(records.sources) <= 1 and (len(row) < 2 or bool((row[1:] > row[:-1]).all()))
    if in_order:
        # records already in row order (a file as staged, or one file stored): by record, then column
        key = at * width + column
    else:
        files = pl.Series([f for f, _ in records.sources], dtype=pl.String)
        rank = files.rank("dense").cast(pl.Int64).to_numpy()
        key = (rank[records.source[at]] * (int(row.max()) + 1) + row[at]) * width + column
    order = np.argsort(key, kind="stable")
    at, message, column = at[order], message[order], column[order]
    files = pl.Series([f for f, _ in records.sources], dtype=pl.String)
    sheets = pl.Series([s for _, s in records.sources], dtype=pl.String)
    names = pl.Series(sorted(F.COLUMNS), dtype=pl.String)
    # every column looked up in one Polars query: each query waits for Polars' threads on a busy machine
    found_at = pl.DataFrame({"source": records.source[at], "row": pl.Series(row[at], dtype=pl.Int64),
                             "column": column, "message": message})
    return found_at.select(pl.lit(files).gather("source").alias("file"), pl.lit(sheets).gather("source").alias("sheet"),
                           "row", pl.lit(names).gather("column").alias("column"),
                           pl.lit(pl.Series(found.messages, dtype=pl.String)).gather("message").alias("message"))


def field_counts(records: Records, lists: dict[str, CodeList]) -> pl.DataFrame:
    """Per field: records, blank, invalid (not on the code list, not a valid age, not yes/no)."""
    names = [F.AGE, *F.CATEGORICAL, *F.MILESTONES]
    blank, invalid = [], []
    for c in names:
        column = records.fields[c]
        count = column.count()
        if c in F.CATEGORICAL:
            codes = category_codes(column, lists[c])
            is_blank, is_invalid = codes == 0, codes == -1
        elif c == F.AGE:
            ages = age_values(column)
            is_blank = np.array([v is None for v in column.labels])
            is_invalid = ~is_blank & np.array([a is None or not F.MIN_AGE <= a <= F.MAX_AGE for a in ages.tolist()])
        else:
            is_blank = np.array([v is None for v in column.labels])
            is_invalid = ~is_blank & np.array([v not in ("yes", "no") for v in column.labels])
        blank.append(int(count[is_blank].sum()))
        invalid.append(int(count[is_invalid].sum()))
    return pl.DataFrame({"field": names, "records": [len(records)] * len(names), "blank": blank, "invalid": invalid},
                        schema={"field": pl.String, "records": pl.Int64, "blank": pl.Int64, "invalid": pl.Int64})


def invalid_values(records: Records, lists: dict[str, CodeList]) -> pl.DataFrame:
    """Per coded field, each distinct value not on its code list, with how many records hold it (most first):
    the rows of a mapping template, whose map_to the user fills in."""
    rows: list[tuple[str, str, int]] = []
    for c in F.CATEGORICAL:
        column = records.fields[c]
        count = column.count()
        bad = np.flatnonzero(category_codes(column, lists[c]) == -1)
        found = sorted(((str(column.labels[i]), int(count[i])) for i in bad.tolist() if count[i]),
                       key=lambda vc: (-vc[1], vc[0]))
        rows += [(c, value, n) for value, n in found]
    return pl.DataFrame(rows, schema={"field": pl.String, "value_found": pl.String, "count": pl.Int64}, orient="row")


def summed_counts(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """field_counts of a file read in chunks, from each chunk's: added up, field by field."""
    if len(parts) == 1:
        return parts[0]
    return pl.concat(parts).group_by("field", maintain_order=True).agg(pl.col("records", "blank", "invalid").sum())


def summed_invalid(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """invalid_values of a file read in chunks, from each chunk's: each value's records added up, in the same
    order (field by field, most first, then by value)."""
    if len(parts) == 1:
        return parts[0]
    rank = {c: i for i, c in enumerate(F.CATEGORICAL)}
    return (pl.concat(parts).group_by("field", "value_found").agg(pl.col("count").sum())
            .sort(pl.col("field").replace_strict(rank, return_dtype=pl.Int32), -pl.col("count"), "value_found")
            .select("field", "value_found", "count"))


def mapping_template(invalid: pl.DataFrame) -> pl.DataFrame:
    """The invalid values as a template to fill in: map_to blank, for the category each value means."""
    return invalid.with_columns(pl.lit("", pl.String).alias("map_to"))
