"""The import's checks between the rows and columns of the workforce inputs: the census (and each past snapshot of
it), training pipelines, caseloads, the census by age band and the flows between sectors. Registered in
cyplan.io.validate's KIND_CHECKS, as the service register's checks are."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from cyplan.io.checks import SUM_TOLERANCE, fmt, rows
from cyplan.io.problems import Found
from cyplan.io.read import ROW, RawTable
from cyplan.model.scenarios import BASELINE
from cyplan.model.supply import RETIREMENT_YEARS


def _check_workforce(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    retire = pl.coalesce(pl.col("retirement_rate"), pl.col("share_aged_55_plus").fill_null(0) / RETIREMENT_YEARS)
    over = frame.with_columns(retire.alias("retire")).filter(pl.col("leaver_rate_high") + pl.col("retire") > 1)
    return rows(raw, over, "leaver_rate", lambda r: f"leaving ({fmt(r['leaver_rate_high'])} at most) and retiring "
                 f"({fmt(r['retire'])}) add up to more than everyone in post")


def _check_training_pipelines(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    reversed_ = frame.filter(pl.col("end_year").is_not_null() & (pl.col("end_year") < pl.col("start_year")))
    return rows(raw, reversed_, "end_year", lambda r: f"end year {r['end_year']} is before the start year "
                 f"{r['start_year']}: the places would start in no year")


def _check_caseloads(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    # a caseload of no cases gives no share: the census's cyp_share would be used without a word
    empty = (frame.group_by("area", "role", "sector", maintain_order=True)
             .agg(pl.col("cases").sum().alias("total"), pl.len().alias("groups"),
                  pl.col(ROW).filter(pl.col(ROW) > 0).min().alias(ROW))
             .filter((pl.col("total") == 0) & pl.col(ROW).is_not_null()))
    return rows(raw, empty, "cases", lambda r: f"the caseload of {r['role']} ({r['sector']}) in {r['area']} holds "
                 f"no cases in any of its {r['groups']} client groups, so it gives no CYP share: give the counts, or "
                 "leave this caseload out to use the census's cyp_share")


def _band_sums(raw: RawTable, frame: pl.DataFrame, column: str, what: str, optional: bool) -> list[Found]:
    """A census row's bands whose `column` does not sum to 1 (an optional column only where a band gives it)."""
    given = pl.col(column).is_not_null()
    sums = (frame.group_by("area", "role", "sector", maintain_order=True)
            .agg(pl.col(column).fill_null(0).sum().alias("total"), given.any().alias("given"),
                 pl.col(ROW).filter(given | pl.lit(not optional)).min().alias(ROW))
            .filter(pl.col("given") & ((pl.col("total") - 1).abs() > SUM_TOLERANCE)))
    return rows(raw, sums, column, lambda r: f"{what} for {r['area']}, {r['role']}, {r['sector']} sum over the "
                 f"age bands to {fmt(r['total'])}, not 1")


def _check_workforce_ages(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    leaving = frame.with_columns(out=pl.col("retirement_rate").fill_null(0) + pl.col("leaver_rate").fill_null(0))
    return (_band_sums(raw, frame, "share", "shares of FTE in post", False)
            + _band_sums(raw, frame, "joiner_share", "joiner shares", True)
            + _band_sums(raw, frame, "trainee_share", "trainee shares", True)
            + rows(raw, leaving.filter(pl.col("out") > 1), "retirement_rate", lambda r: f"leaving "
                    f"({fmt(r['leaver_rate'])}) and retiring ({fmt(r['retirement_rate'])}) add up to more than "
                    "everyone in the band"))


SCENARIO_NAME_MAX = 100  # characters: the tables, the chooser and the board paper show a scenario's name whole


BASELINE_TAKEN = f"'{BASELINE}' is the model without any scenario: choose another name"  # the import's and builder's


def name_too_long(name: str) -> str | None:
    """Why a scenario's name is refused for its length (the import's rule and the builder's), or None."""
    if len(name) <= SCENARIO_NAME_MAX:
        return None
    return (f"the scenario's name is {len(name):,} characters long: keep it to {SCENARIO_NAME_MAX} or fewer, as the "
            "tables and the board paper show it whole (say what it does in the description)")


def _check_scenarios(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    name = pl.col("scenario").cast(pl.String)
    long = frame.filter(name.str.len_chars() > SCENARIO_NAME_MAX)
    # the model reads 'baseline' as the data with no scenario: a scenario of that name would never be applied
    base = frame.filter(name == BASELINE)
    return (rows(raw, long, "scenario", lambda r: str(name_too_long(str(r["scenario"]))))
            + rows(raw, base, "scenario", lambda r: BASELINE_TAKEN))


def _check_sector_flows(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    same = frame.filter(pl.col("from_sector") == pl.col("to_sector"))
    out = (frame.group_by("role", "from_sector", maintain_order=True)
           .agg(pl.col("rate").sum().alias("total"), pl.col(ROW).max().alias(ROW)).filter(pl.col("total") > 1))
    return (rows(raw, same, "to_sector", lambda r: f"staff cannot move from {r['from_sector']} to itself")
            + rows(raw, out, "rate", lambda r: f"rates out of {r['from_sector']} for role '{r['role']}' add up "
                    f"to {fmt(r['total'])}: more than everyone there"))


SUPPLY_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "workforce": _check_workforce,
    "workforce_history": _check_workforce,  # each past snapshot is a census, with the same rule
    "training_pipelines": _check_training_pipelines,
    "caseloads": _check_caseloads,
    "workforce_ages": _check_workforce_ages,
    "sector_flows": _check_sector_flows,
    "scenarios": _check_scenarios,
}
