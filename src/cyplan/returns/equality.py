"""The equality view: accepted referrals per 10,000 in each category of a field, against the area's
population in that category, and the ratio of each category's rate to the area's, with 95% intervals.

The statistics are model/activity.equality's (one definition); this module chooses the population, counts
the referrals by category, and lists, with a note rather than a rate, every category it cannot rate: no
population for it, a population of 0, values not on the code list, blanks, ages the population does not
cover.

Where the population comes from:

* `age`: the population input (single years 0–25), by seed 004's age groups;
* `gender`: the population_groups input's gender rows if it has any, otherwise the population input's
  sexes (female and male);
* any other coded field (ethnicity, religion, …): the population_groups input's rows for that field.

The rates are a year's: the referrals are counted over every quarter the records span, from the first
quarter's first day to the last quarter's last day (`period`), and a rate is referrals × 12 / months ÷
population × 10,000, so that 18 months of referrals against one year's population do not overstate it by half.

`service.equality(ws, by, area, year)` delegates here; `available(ws)` says which `by` values a workspace
can answer; `period_of(ws)` over which time the referrals were counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

from cyplan.io.validate_population_groups import CODE, category_codes
from cyplan.model import activity
from cyplan.reference.codelists import CodeList
from cyplan.returns import fields as F
from cyplan.returns.service import NoReturns, records
from cyplan.schema import AGES
from cyplan.schema.returns import POPULATION_FIELDS
from cyplan.store.workspace import Workspace

AGE = "age"
GENDER = "gender"
BY_VALUES = (GENDER, AGE, *(f for f in POPULATION_FIELDS if f != GENDER))  # every --by there can be

NO_POPULATION = "no population for this category: counted, no rate"
ZERO_POPULATION = "population is 0: counted, no rate"
INVALID_NOTE = "not on the code list: counted, no rate"
BLANK_NOTE = "blank: counted, no rate"
OVER_25_NOTE = "the population stops at age 25: counted, no rate"
UNKNOWN_AGE_NOTE = "age blank, not a number or outside 0–30: counted, no rate"
TOTAL_NOTE = "the area: every category with a rate"

COLUMNS = {"category": pl.String, "referrals": pl.Int64, "population": pl.Float64, "rate_per_10000": pl.Float64,
           "rate_low": pl.Float64, "rate_high": pl.Float64, "rate_ratio": pl.Float64, "ratio_low": pl.Float64,
           "ratio_high": pl.Float64, "note": pl.String}


class UnknownField(ValueError):
    """A `by` that is neither age nor a coded field a population can be counted by."""


class Period(NamedTuple):
    """The whole quarters the referral records span: their first day, last day and months."""

    first: dt.date
    last: dt.date
    months: int

    @property
    def years(self) -> float:
        return self.months / 12

    def words(self) -> str:
        """'referrals 1 Apr 2024 – 30 Sep 2025, annualised': the period a rate's referrals come from."""
        return (f"referrals {_short_date(self.first)} – {_short_date(self.last)}"
                + ("" if self.months == 12 else ", annualised"))


def _short_date(d: dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def period(dates: pl.Series) -> Period:
    """The quarters from the earliest date's to the latest's, every quarter between counted (a quarter with no
    referrals is still a quarter of the period); a year when there are no dates (no rate is given then)."""
    dates = dates.drop_nulls()
    if dates.is_empty():
        return Period(dt.date(1, 1, 1), dt.date(1, 12, 31), 12)
    keys = pl.select(activity.fy_quarter(pl.lit(dates))).to_series()
    first, last = int(keys.min()), int(keys.max())  # type: ignore[arg-type]
    return Period(activity.quarter_bounds(first)[0], activity.quarter_bounds(last)[1], 3 * (last - first + 1))


def period_of(ws: Workspace) -> Period:
    """The period of the workspace's referral records (raises NoReturns without them)."""
    frame, _ = records(ws)
    return period(frame[F.DATE])


class Line(NamedTuple):
    """One category of the view: its accepted referrals, its population (None: none loaded) and a note."""

    category: str
    referrals: int | None
    population: float | None
    note: str = ""


# -- the view, from its lines (pure) ---------------------------------------------------------------------------

def compare(lines: Sequence[Line], years: float = 1.0) -> pl.DataFrame:
    """Rates a year and ratios (activity.equality), the referrals counted over `years`, for the lines with
    referrals and a population above 0, whose sum is the area; every other line in its place with its counts
    and note and no rate; then the Total."""
    rated = [i for i, line in enumerate(lines)
             if line.referrals is not None and line.population is not None and line.population > 0]
    stats = activity.equality([lines[i].referrals or 0 for i in rated], [lines[i].population or 0.0 for i in rated],
                              [lines[i].category for i in rated], years=years).to_dicts()
    by_line = dict(zip(rated, stats, strict=False))
    rows = []
    for i, line in enumerate(lines):
        if i in by_line:
            rows.append({**by_line[i], "note": line.note})
        else:
            rows.append({"category": line.category, "referrals": line.referrals, "population": line.population,
                         "note": line.note or (ZERO_POPULATION if line.population == 0 else NO_POPULATION)})
    total = {**stats[-1], "note": TOTAL_NOTE}
    if not rated:  # no category can be rated: there is no area rate either
        total = {"category": activity.TOTAL, "referrals": 0, "population": 0.0, "note": TOTAL_NOTE}
    return pl.DataFrame([*rows, total], schema=COLUMNS)


def coded_lines(categories: Sequence[str], referrals: dict[int, int], population: dict[int, float]) -> list[Line]:
    """The lines of a coded field: each category of its code list (code k for the k-th), then the values not
    on the list (code -1) and the blanks (code 0), which are counted but never rated."""
    lines = [Line(c, referrals.get(k, 0), population.get(k)) for k, c in enumerate(categories, start=1)]
    return [*lines, Line(activity.INVALID, referrals.get(-1, 0), None, INVALID_NOTE),
            Line(activity.BLANK, referrals.get(0, 0), None, BLANK_NOTE)]


# -- from the workspace --------------------------------------------------------------------------------------

def available(ws: Workspace) -> list[str]:
    """The `by` values this workspace can answer now: gender and age with a population input, and every field
    its population by category (population_groups) holds."""
    has_population = not ws.read("population").is_empty()
    fields = set(ws.read("population_groups")["field"].to_list())
    return [b for b in BY_VALUES if b in fields or (has_population and b in (GENDER, AGE))]


def equality(ws: Workspace, by: str, area: str | None = None, year: int | None = None) -> pl.DataFrame:
    """The equality view by `by` for one area and year (default: the first area, and its first year, of the
    population used): area, year, then compare's columns, the rates a year over the records' period. Raises
    UnknownField for a `by` no population can be counted by, NoReturns when the population or the referrals
    needed are not in the workspace."""
    if by not in BY_VALUES:
        raise UnknownField(f"cannot compare referrals by '{by}': choose one of {', '.join(BY_VALUES)}")
    groups = ws.read("population_groups").filter(pl.col("field") == by) if by != AGE else None
    if groups is not None and not groups.is_empty():
        pop = _one(groups, area, year, f"population by {by}")
        frame, lists = records(ws)
        lines = _group_lines(frame, lists[by], pop, lists)
    elif by in (GENDER, AGE):
        population = ws.read("population")
        if population.is_empty():
            raise NoReturns("the workspace has no population: import it with 'cyplan import population FILE'"
                            + (" (or the population by gender with 'cyplan import population_groups FILE')"
                               if by == GENDER else ""))
        pop = _one(population, area, year, "population")
        frame, lists = records(ws)
        lines = _gender_lines(frame, lists[GENDER], pop) if by == GENDER else _age_lines(frame, pop)
    else:
        raise NoReturns(f"the workspace has no population by {by}: import it with 'cyplan import population_groups "
                        "FILE' (columns area, year, field, category, count, source)")
    view = compare(lines, period(frame[F.DATE]).years)
    return view.select(pl.lit(pop["area"][0]).alias("area"), pl.lit(pop["year"][0]).alias("year"), pl.all())


def _one(population: pl.DataFrame, area: str | None, year: int | None, what: str) -> pl.DataFrame:
    """The rows of one area and year: the given ones, or the first area and that area's first year."""
    area = area.upper() if area else population["area"].min()
    of_area = population.filter(pl.col("area") == area)
    if of_area.is_empty():
        raise NoReturns(f"no {what} for area {area}; the areas with one are "
                        f"{', '.join(sorted(set(population['area'].to_list())))}")
    year = year or of_area["year"].min()
    pop = of_area.filter(pl.col("year") == year)
    if pop.is_empty():
        raise NoReturns(f"no {what} for area {area} in {year}; its years are "
                        f"{', '.join(map(str, sorted(set(of_area['year'].to_list()))))}")
    return pop


def _accepted_by_code(frame: pl.DataFrame, field: str) -> dict[int, int]:
    counts = frame.filter(pl.col(F.ACCEPTED)).group_by(field).len()
    return dict(zip(counts[field].to_list(), counts["len"].to_list(), strict=True))


def _group_lines(frame: pl.DataFrame, codes: CodeList, pop: pl.DataFrame, lists: dict[str, CodeList]) -> list[Line]:
    """A coded field against population_groups: categories matched as the referrals are (case and spaces at
    either end do not count, an alias means its category); a population category not on the workspace's code
    list (it may have its own) is listed, since no referral can fall in it."""
    pop = pop.with_columns(category_codes(pop, lists))
    on_list = pop.filter(pl.col(CODE) > 0).group_by(CODE).agg(pl.col("count").sum())
    population = dict(zip(on_list[CODE].to_list(), on_list["count"].to_list(), strict=True))
    off = [Line(r["category"], None, r["count"], f"not on the {codes.field} code list: no referral can match it")
           for r in pop.filter(pl.col(CODE) <= 0).iter_rows(named=True)]
    return coded_lines(codes.categories, _accepted_by_code(frame, codes.field), population) + off


def _gender_lines(frame: pl.DataFrame, codes: CodeList, pop: pl.DataFrame) -> list[Line]:
    """Gender against the population input's sexes: its code list's Female and Male take the female and male
    counts; any other category of the list has no population."""
    sexes = pop.group_by("sex").agg(pl.col("count").sum())
    by_sex = dict(zip(sexes["sex"].to_list(), sexes["count"].to_list(), strict=True))
    population = {k: by_sex[c.lower()] for k, c in enumerate(codes.categories, start=1) if c.lower() in by_sex}
    return coded_lines(codes.categories, _accepted_by_code(frame, GENDER), population)


def _age_lines(frame: pl.DataFrame, pop: pl.DataFrame) -> list[Line]:
    """Seed 004's age groups against the population input's single years; the group reaching past 25 and
    unknown ages are counted, not rated."""
    accepted = frame.filter(pl.col(F.ACCEPTED))
    lines = []
    for label, first, last in activity.AGE_GROUPS:
        referrals = accepted.filter(pl.col(F.AGE).is_between(first, last)).height
        if last <= max(AGES):
            lines.append(Line(label, referrals, pop.filter(pl.col("age").is_between(first, last))["count"].sum()))
        else:
            lines.append(Line(label, referrals, None, OVER_25_NOTE))
    return [*lines, Line(activity.UNKNOWN_AGE, accepted.filter(pl.col(F.AGE).is_null()).height, None,
                         UNKNOWN_AGE_NOTE)]
