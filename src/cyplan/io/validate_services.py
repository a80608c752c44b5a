"""Checks for the service register that one table can settle: provisions and pre-requisites are the
specification's, locality shares add up. References to other inputs (services, bands, groups, roles,
localities) are declared in the schema and checked with every other reference.

This module does not import cyplan.io.validate: validate imports it to register the checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from cyplan.io.checks import SUM_TOLERANCE, rows
from cyplan.io.problems import Found
from cyplan.io.read import RawTable, text_like
from cyplan.reference.specification import specification


def check_localities(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    given = frame["share"].is_not_null()
    if given.any() and not given.all():
        return rows(raw, frame.filter(pl.col("share").is_null()), "share",
                     lambda r: "blank, but other localities have a share: give every locality a share, or none "
                     "(equal shares)")
    total = frame["share"].sum()
    if given.all() and total > 1 + SUM_TOLERANCE:
        return [raw.problem(None, "share", f"the localities' shares add up to {total:.4g}, more than 1 (the whole "
                            "area)")]
    return []


def check_service_cells(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    spec = specification().provisions
    bands = spec["band"].unique(maintain_order=True).to_list()
    known = frame.filter(pl.col("band").is_in(bands) & pl.col("level").is_not_null() & (pl.col("provision") != ""))
    bad_band = frame.filter(~pl.col("band").is_in(bands) & (pl.col("band") != ""))
    bad = known.join(text_like(spec.select("band", "level", "provision"), frame), on=["band", "level", "provision"],
                     how="anti")
    choices = spec.group_by("band", "level").agg(pl.col("provision")).iter_rows()
    listed = {(b, lv): ", ".join(p) for b, lv, p in choices}
    return (rows(raw, bad_band, "band", lambda r: f"the specification has no provisions for band '{r['band']}'; "
                  f"its bands are {', '.join(bands)}")
            + rows(raw, bad, "provision", lambda r: f"'{r['provision']}' is not a {r['level']} provision for "
                    f"{r['band']} in the specification; those are: {listed[(r['band'], r['level'])]}"))


def check_plans(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    known = specification().prerequisites["prerequisite"].to_list()
    bad = frame.filter((pl.col("prerequisite") != "") & ~pl.col("prerequisite").is_in(known))
    return rows(raw, bad, "prerequisite", lambda r: f"'{r['prerequisite']}' is not one of the specification's "
                 f"pre-requisites: {', '.join(known)}")


def check_stakeholders(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    known = specification().stakeholders["agency"].to_list()
    local = frame.filter(~pl.col("agency").is_in(known) & (pl.col("agency") != "") & (pl.col("label") == ""))
    return rows(raw, local, "label", lambda r: f"'{r['agency']}' is not an agency of the checklist, so it is "
                 "taken as a local one and needs a label (or use a checklist agency: "
                 f"{', '.join(known)})")


def is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10  # fromisoformat also takes 20250314; the page and the paper print YYYY-MM-DD


def check_rating_judgement(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    bad = frame.filter((pl.col("date") != "") & ~pl.col("date").map_elements(is_date, return_dtype=pl.Boolean))
    dated = frame.filter(pl.col("date").map_elements(is_date, return_dtype=pl.Boolean).fill_null(False))
    # a judgement records what was agreed: a day still to come is a typing error (so is one before cyplan's
    # specification, seed 003, of 2008)
    today = dt.date.today().isoformat()
    when = dated.filter((pl.col("date") > today) | (pl.col("date") < "2008-01-01"))
    return (rows(raw, bad, "date", lambda r: f"'{r['date']}' is not a date: give the day it was agreed as "
                  "YYYY-MM-DD, e.g. 2025-03-14")
            + rows(raw, when, "date", lambda r: f"{r['date']} is "
                    + ("after today" if r["date"] > today else "before 2008, when the specification was written")
                    + ": give the day the rating was agreed"))


SERVICE_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "localities": check_localities,
    "service_cells": check_service_cells,
    "plans": check_plans,
    "stakeholders": check_stakeholders,
    "rating_judgement": check_rating_judgement,
}
