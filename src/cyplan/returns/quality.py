"""The quality report: errors (they block an import), queries (reported, the record is kept) and the
blank and invalid values of each field. Queries and counts work on Records (a staged file, or the
store), so the same checks run at import and for `cyplan returns quality` later.

Every check is decided once per distinct value (see classify) and gathered to the records as arrays;
a message's text is made once per distinct value too, so ~400,000 queries cost a few array operations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from cyplan.io.problems import Problem
from cyplan.returns import fields as F
from cyplan.returns.classify import EPOCH, Records, age_values, category_codes
from cyplan.returns.codelists import CodeList
from cyplan.returns.stage import Staged

PROBLEM_COLUMNS = ("file", "sheet", "row", "column", "message")


def errors(s: Staged) -> list[Problem]:
    """Blank or duplicate referral_id, a date that is blank or not YYYY-MM-DD, accepted not yes or no."""
    problems = []
    no_id = s.referral_id.is_null().to_numpy()
    bad_date = np.array([r is not None for r in s.date_raw])[s.date_ids]
    bad_accepted = s.accepted == -1
    for i in np.flatnonzero(no_id | bad_date | bad_accepted).tolist():
        row = i + s.first_row
        if no_id[i]:
            problems.append(s.problem(row, F.ID, "referral_id is blank"))
        if bad_date[i]:
            date = s.date_raw[s.date_ids[i]]
            problems.append(s.problem(row, F.DATE, "received_date is blank" if date == "" else
                                      f"'{date}' is not a date written as YYYY-MM-DD"))
        if bad_accepted[i]:
            accepted = s.accepted_raw[s.accepted_ids[i]]
            problems.append(s.problem(row, F.ACCEPTED, "accepted is blank: it must be yes or no" if accepted == ""
                                      else f"'{accepted}' is not yes or no"))
    given = s.referral_id.drop_nulls()
    # as many distinct 64-bit hashes as ids proves there are no repeats (the usual case, and quick);
    # otherwise the ids themselves are compared
    if given.hash().n_unique() < len(given) and given.n_unique() < len(given):
        frame = pl.DataFrame({"id": s.referral_id, "row": np.arange(s.records, dtype=np.int64) + s.first_row})
        repeats = (frame.filter(pl.col("id").is_not_null() & pl.col("id").is_duplicated())
                   .group_by("id").agg(pl.col("row").sort()))
        for rid, rows in repeats.iter_rows():
            for row in rows[1:]:
                problems.append(s.problem(row, F.ID, f"referral_id '{rid}' is also on row {rows[0]}"))
    return problems


COLUMN_ORDER = {c: i for i, c in enumerate(sorted(F.COLUMNS))}  # queries are listed by row, then column name


def _part(records: Records, mask: np.ndarray, column: str, messages: pl.Series) -> pl.DataFrame:
    """The queries where `mask` holds; messages: one per query."""
    at = np.flatnonzero(mask)
    return pl.DataFrame({"source": records.source[at], "row": records.row[at],
                         "column": np.full(len(at), COLUMN_ORDER[column], dtype=np.int8), "message": messages})


def _by_value(records: Records, field: str, bad: np.ndarray, message: list[str | None]) -> pl.DataFrame:
    """Queries of the records whose value of `field` is bad (by label), with that label's message."""
    ids = records.fields[field].ids
    mask = bad[ids]
    return _part(records, mask, field, pl.Series(message, dtype=pl.String).gather(ids[mask]))


def queries(records: Records, lists: dict[str, CodeList], today: dt.date) -> pl.DataFrame:
    """Every query, one row each (file, sheet, row, column, message), in file, row and column order."""
    parts = []
    for c in F.CATEGORICAL:
        labels = records.fields[c].labels
        bad = category_codes(records.fields[c], lists[c]) == -1
        what = c.replace("_", " ")
        parts.append(_by_value(records, c, bad, [f"'{v}' is not on the {what} code list" if b else None
                                                 for v, b in zip(labels, bad.tolist(), strict=True)]))
    ages, labels = age_values(records.fields[F.AGE]), records.fields[F.AGE].labels
    age_message = [None if v is None else f"'{v}' is not a whole number of years" if a is None else
                   f"age {v} is outside {F.MIN_AGE} to {F.MAX_AGE}" if not F.MIN_AGE <= a <= F.MAX_AGE else None
                   for v, a in zip(labels, ages.tolist(), strict=True)]
    parts.append(_by_value(records, F.AGE, np.array([m is not None for m in age_message]), age_message))
    for m in F.MILESTONES:
        labels = records.fields[m].labels
        bad = np.array([v is not None and v not in ("yes", "no") for v in labels])
        parts.append(_by_value(records, m, bad, [f"'{v}' is not yes, no or blank" if b else None
                                                 for v, b in zip(labels, bad.tolist(), strict=True)]))
        yes = np.array([v == "yes" for v in labels])[records.fields[m].ids] & ~records.accepted
        parts.append(_part(records, yes, m, pl.Series(["yes on a referral that was not accepted"])
                           .gather(np.zeros(int(yes.sum()), np.int32))))
    future = records.date > (np.datetime64(today.isoformat(), "D") - EPOCH).astype(np.int32)
    days, which = np.unique(records.date[future], return_inverse=True)
    shown = [f"received_date {(EPOCH + d).astype(dt.date).isoformat()} is in the future" for d in days.tolist()]
    parts.append(_part(records, future, F.DATE, pl.Series(shown, dtype=pl.String).gather(which.astype(np.int32))))
    found = pl.concat(parts)
    files = pl.Series("file", [f for f, _ in records.sources], dtype=pl.String)
    sheets = pl.Series("sheet", [s for _, s in records.sources], dtype=pl.String)
    # sorted on integers (the file's rank, the row, the column's rank); the text is gathered afterwards
    if len(records.sources) > 1:
        file_rank = files.rank("dense").cast(pl.Int32).gather(found["source"])
        found = found.with_columns(file_rank=file_rank).sort("file_rank", "row", "column", maintain_order=True)
    else:
        found = found.sort("row", "column", maintain_order=True)
    names = pl.Series(sorted(F.COLUMNS), dtype=pl.String)
    return pl.DataFrame({"file": files.gather(found["source"]), "sheet": sheets.gather(found["source"]),
                         "row": found["row"].cast(pl.Int64), "column": names.gather(found["column"]),
                         "message": found["message"]})


def field_counts(records: Records, lists: dict[str, CodeList]) -> pl.DataFrame:
    """Per field: records, blank, invalid (not on the code list, not a valid age, not yes/no)."""
    names = [F.AGE, *F.CATEGORICAL, *F.MILESTONES]
    blank, invalid = [], []
    for c in names:
        column = records.fields[c]
        count = np.bincount(column.ids, minlength=len(column.labels))
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
