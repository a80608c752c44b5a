"""Checks for the skills census that need another input: each target year is one of the plan's years (the
population's) after the first, since training is spread over the years from the census to the target.

references.check_references calls this with the workspace as it would be after the import.
"""

from __future__ import annotations

import polars as pl

from cyplan.io.problems import Found, problem_run
from cyplan.io.read import ROW


def check_target_years(state: dict[str, pl.DataFrame], origins: dict, skip: set[str]) -> list[Found]:
    """Problems with target years, on the skills file's rows, when skills is imported. A population imported later
    that no longer reaches a target year is not refused for it (the population is the plan's, the skills census
    only one view of it): `cyplan skills` then says which target years are outside the plan."""
    if "skills" in skip or "population" in skip or "skills" not in origins:
        return []
    skills = state["skills"].filter(pl.col("target_year").is_not_null())
    if skills.is_empty():
        return []
    years = sorted(set(state["population"]["year"].drop_nulls().to_list()))
    first = 0
    if not years:
        outside = skills
        words = "the workspace has no population yet, so the plan has no years: import the population first"
    else:
        outside = skills.filter((pl.col("target_year") <= years[0]) | (pl.col("target_year") > years[-1])
                                | ~pl.col("target_year").is_in(years))
        words = (f"the plan's years (the population's) are {years[0]} to {years[-1]}, and training takes at least "
                 f"a year from the census in {years[0]}: give a year from {years[0] + 1} to {years[-1]}")
        first = years[0]
    if outside.is_empty():
        return []
    if "skills" in origins and ROW in outside.columns:
        origin = origins["skills"]
        return problem_run(origin.file, origin.sheet, "target_year", outside,
                           lambda r: f"target year {r['target_year']} "
                           + ("is not after the census year" if years and int(str(r["target_year"])) <= first
                              else "is not in the plan") + f": {words}",
                           "rows give a target year outside the plan")
    return []
