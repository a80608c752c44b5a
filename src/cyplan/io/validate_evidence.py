"""Checks for the evidence library (issue 15) that one table can settle: a rating is one its scheme gives for the
measure, an intervention's cells are the specification's, a delivery row gives hours per case or a group
programme's sessions, not both. References to other inputs (interventions, bands, groups, roles, practice guide
topics) are declared in the schema and checked with every other reference; ages (age_from after age_to) and hours
below zero are checked for every input that has them.

The schemes' allowed ratings are model/evidence_ratings.py's: one definition for the check and the mapping.

This module does not import cyplan.io.validate: validate imports it to register the checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from cyplan.io.checks import rows
from cyplan.io.problems import Found
from cyplan.io.read import RawTable
from cyplan.io.validate_services import check_service_cells, is_date
from cyplan.model.evidence_ratings import MEASURES_OF, SCHEME_NAMES, allowed, is_allowed

GROUP_FORM = ("hours_per_session", "sessions", "group_size")


def check_retrieved(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    """The day a rating or guide was read is a day (the column is read as one, but text that is not a date was
    kept as typed) and not one still to come."""
    given = frame.filter(pl.col("retrieved") != "")
    dated = given.with_columns(pl.col("retrieved").map_elements(is_date, return_dtype=pl.Boolean).alias("ok"))
    today = dt.date.today().isoformat()
    return (rows(raw, dated.filter(~pl.col("ok")), "retrieved", lambda r: f"'{r['retrieved']}' is not a date: give "
                 "the day it was read as YYYY-MM-DD (or dd/mm/yyyy), e.g. 2026-11-30")
            + rows(raw, dated.filter(pl.col("ok") & (pl.col("retrieved") > today)), "retrieved",
                   lambda r: f"{r['retrieved']} is after today: give the day it was read"))


def check_evidence_ratings(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    known = frame.filter(pl.col("scheme").is_in(list(MEASURES_OF)) & (pl.col("measure") != ""))
    in_scheme = pl.struct("scheme", "measure").map_elements(lambda r: r["measure"] in MEASURES_OF[r["scheme"]],
                                                             return_dtype=pl.Boolean)
    no_measure = known.filter(~in_scheme)
    rated = known.filter(in_scheme & (pl.col("rating") != ""))
    wrong = rated.filter(~pl.struct("scheme", "measure", "rating").map_elements(
        lambda r: is_allowed(r["scheme"], r["measure"], r["rating"]), return_dtype=pl.Boolean))
    return (check_retrieved(raw, frame)
            + rows(raw, no_measure, "measure", lambda r: f"{SCHEME_NAMES[r['scheme']]} has no measure "
                 f"'{r['measure']}'; its measures are: {', '.join(MEASURES_OF[r['scheme']])}")
            + rows(raw, wrong, "rating", lambda r: f"'{r['rating']}' is not {_a(SCHEME_NAMES[r['scheme']])} "
                   f"{r['measure']} rating; the allowed ones are: {allowed(r['scheme'], r['measure'])}"))


def _a(name: str) -> str:
    """The name with its article: 'an EEF', 'a YEF' (each scheme's name is said letter by letter or as a word)."""
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def check_intervention_delivery(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    per_case = pl.col("hours_per_case").is_not_null()
    group = [pl.col(c).is_not_null() for c in GROUP_FORM]
    any_group, all_group = pl.any_horizontal(group), pl.all_horizontal(group)
    both = frame.filter(per_case & any_group)
    neither = frame.filter(~per_case & ~any_group)
    part = frame.filter(~per_case & any_group & ~all_group).with_columns(
        pl.concat_str([pl.when(g).then(pl.lit("")).otherwise(pl.lit(c + " ")) for c, g in zip(GROUP_FORM, group,
                                                                                               strict=True)])
        .str.strip_chars().str.replace_all(" ", ", ").alias("missing"))
    return (rows(raw, both, "hours_per_case", lambda r: "gives both hours_per_case and a group programme's "
                 "hours_per_session, sessions or group_size: give one or the other (hours per case = hours per "
                 "session × sessions ÷ group size)")
            + rows(raw, neither, "hours_per_case", lambda r: f"no hours for role '{r['role']}': give hours_per_case, "
                   "or for a group programme hours_per_session, sessions and group_size")
            + rows(raw, part, "hours_per_session", lambda r: f"a group programme needs hours_per_session, sessions "
                   f"and group_size; {r['missing']} blank"))


EVIDENCE_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "evidence_ratings": check_evidence_ratings,
    "intervention_cells": check_service_cells,  # the same cells as the service register: one check
    "intervention_delivery": check_intervention_delivery,
    "practice_guides": check_retrieved,
}
