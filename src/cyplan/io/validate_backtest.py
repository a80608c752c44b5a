"""Checks for the past workforce census snapshots that need every snapshot at once: the back-test projects the
earliest year's census forward, so a later year's row must have its area, role and sector in the earliest year,
and there must be a later year to compare with.

references.check_references calls this with the workspace as it would be after the import (a merge's rows
already in the workspace count; they have no row in the file).
"""

from __future__ import annotations

import polars as pl

from cyplan.io.problems import Found, problem_run
from cyplan.io.read import ROW
from cyplan.schema.backtest import MAX_SNAPSHOT_YEAR, MIN_SNAPSHOT_YEAR

KIND = "workforce_history"
KEY = ["area", "role", "sector"]


def check_snapshots(state: dict[str, pl.DataFrame], origins: dict, skip: set[str]) -> list[Found]:
    if KIND in skip or KIND not in origins or ROW not in state[KIND].columns:
        return []
    # a year out of range is reported on its own row: taken as the earliest it would blame every other row
    rows = state[KIND].filter(pl.col("year").is_between(MIN_SNAPSHOT_YEAR, MAX_SNAPSHOT_YEAR))
    if rows.is_empty():  # an empty input clears the snapshots
        return []
    origin = origins[KIND]
    years = sorted(set(rows["year"].to_list()))
    first = years[0]
    if len(years) == 1:
        row = rows.filter(pl.col(ROW) > 0).head(1)
        return problem_run(origin.file, origin.sheet, "year", row, lambda r: f"every snapshot is of {first}: the "
                           "back-test projects the earliest year's census and compares it with later years', so "
                           "give at least two years")
    earliest = rows.filter(pl.col("year") == first).select(KEY).unique()
    unmatched = rows.filter(pl.col("year") > first).join(earliest, on=KEY, how="anti")
    return problem_run(origin.file, origin.sheet, "year", unmatched.sort(ROW), lambda r: (
        f"area '{r['area']}', role '{r['role']}', sector '{r['sector']}' has a snapshot in {r['year']} but none in "
        f"the earliest year, {first}: the back-test projects each row from the earliest year's census, so add its "
        f"{first} row (or leave this row out)"), f"rows have no snapshot in the earliest year, {first}")
