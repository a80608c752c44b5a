"""The quality report: errors (they block an import), queries (reported, the record is kept) and the
blank and invalid values of each field. All of it is SQL over a table of cleaned records (the staged
file, or the store), so the same checks run at import and for `cyplan returns quality` later.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import polars as pl

from cyplan.io.problems import Problem
from cyplan.returns import fields as F

PROBLEM_COLUMNS = ("file", "sheet", "row", "column", "message")


def errors(con: duckdb.DuckDBPyConnection, table: str, file: str, sheet: str | None, first_row: int) -> list[Problem]:
    """Blank or duplicate referral_id, a date that is blank or not YYYY-MM-DD, accepted not yes or no."""
    problems = []
    bad = con.execute(f"""
        SELECT rowid + {first_row}, {F.ID} IS NULL, {F.DATE}_raw, {F.ACCEPTED}_raw FROM {table}
        WHERE {F.ID} IS NULL OR {F.DATE} IS NULL OR {F.ACCEPTED} IS NULL ORDER BY rowid""").fetchall()
    for row, no_id, date, accepted in bad:
        if no_id:
            problems.append(Problem(file, row, F.ID, "referral_id is blank", sheet))
        if date is not None:
            problems.append(Problem(file, row, F.DATE, "received_date is blank" if date == "" else
                                    f"'{date}' is not a date written as YYYY-MM-DD", sheet))
        if accepted is not None:
            problems.append(Problem(file, row, F.ACCEPTED, "accepted is blank: it must be yes or no" if accepted == ""
                                    else f"'{accepted}' is not yes or no", sheet))
    duplicates = con.execute(f"""
        WITH d AS (SELECT {F.ID} FROM {table} WHERE {F.ID} IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
        SELECT {F.ID}, list(rowid + {first_row} ORDER BY rowid) FROM {table} SEMI JOIN d USING ({F.ID})
        GROUP BY 1""").fetchall()
    for rid, rows in duplicates:
        for row in rows[1:]:
            problems.append(Problem(file, row, F.ID, f"referral_id '{rid}' is also on row {rows[0]}", sheet))
    return problems


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def queries(con: duckdb.DuckDBPyConnection, source: str, today: dt.date) -> pl.DataFrame:
    """Every query, one row each (file, sheet, row, column, message), in file and row order. `source` is a
    relation with the cleaned record columns plus file, sheet, row and each category's code (see classify)."""
    checks = [
        *((c, f"{c}_code = -1", f"'''' || {c}_label || ''' is not on the {c.replace('_', ' ')} code list'")
          for c in F.CATEGORICAL),
        (F.AGE, f"{F.AGE} IS NOT NULL AND try_cast({F.AGE} AS INTEGER) IS NULL",
         f"'''' || {F.AGE} || ''' is not a whole number of years'"),
        (F.AGE, f"try_cast({F.AGE} AS INTEGER) NOT BETWEEN {F.MIN_AGE} AND {F.MAX_AGE}",
         f"'age ' || {F.AGE} || ' is outside {F.MIN_AGE} to {F.MAX_AGE}'"),
        *((m, f"{m} NOT IN ('yes', 'no')", f"'''' || {m} || ''' is not yes, no or blank'") for m in F.MILESTONES),
        *((m, f"{m} = 'yes' AND NOT {F.ACCEPTED}", "'yes on a referral that was not accepted'") for m in F.MILESTONES),
        (F.DATE, f"{F.DATE} > DATE {_quote(today.isoformat())}",
         f"'received_date ' || {F.DATE} || ' is in the future'"),
    ]
    # one scan of the records: each record with a query gets the list of its queries, unnested
    items = ", ".join(f"{{'c': {_quote(col)}, 'm': CASE WHEN {cond} THEN {msg} END}}" for col, cond, msg in checks)
    found = " OR ".join(f"({cond})" for _, cond, _ in checks)
    data = con.execute(f"""
        SELECT file, sheet, row, q.c AS "column", q.m AS message FROM (
            SELECT file, sheet, row, unnest(list_filter([{items}], lambda q: q.m IS NOT NULL)) AS q
            FROM {source} WHERE {found})
        ORDER BY file, row, "column"
        """).fetchnumpy()
    return pl.DataFrame({c: pl.Series(c, np.asarray(data[c]), dtype=pl.Int64 if c == "row" else pl.String)
                         for c in PROBLEM_COLUMNS})


def field_counts(con: duckdb.DuckDBPyConnection, source: str) -> pl.DataFrame:
    """Per field: records, blank, invalid (not on the code list, not a valid age, not yes/no)."""
    invalid = {**{c: f"{c}_code = -1" for c in F.CATEGORICAL},
               F.AGE: f"{F.AGE} IS NOT NULL AND coalesce(try_cast({F.AGE} AS INTEGER) NOT BETWEEN "
                      f"{F.MIN_AGE} AND {F.MAX_AGE}, true)",
               **{m: f"{m} NOT IN ('yes', 'no')" for m in F.MILESTONES}}
    names = [F.AGE, *F.CATEGORICAL, *F.MILESTONES]
    blank = {c: f"{c}_code = 0" if c in F.CATEGORICAL else f"{c} IS NULL" for c in names}
    cells = ", ".join(f"count(*) FILTER (WHERE {blank[c]}), count(*) FILTER (WHERE {invalid[c]})" for c in names)
    row = con.execute(f"SELECT count(*), {cells} FROM {source}").fetchone() or (0,) * (1 + 2 * len(names))
    total = row[0]
    return pl.DataFrame({"field": names, "records": [total] * len(names), "blank": list(row[1::2]),
                         "invalid": list(row[2::2])}, schema={"field": pl.String, "records": pl.Int64,
                                                              "blank": pl.Int64, "invalid": pl.Int64})
