"""The need: cases by level and year, from population × prevalence (docs/method.md, ‘Need’)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan import results
from cyplan.model.plan import need_table
from cyplan.reference import starter
from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    stop,
    whole,
)
from cyplan.schema import KINDS

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def _overlapping(shares: pl.DataFrame) -> bool:
    """Do the need shares put some counted children at more than one level (shares of a need over 1)?"""
    return bool(shares.height) and bool((shares.group_by("need", "status").agg(pl.col("central").sum())
                                         ["central"] > 1 + 1e-9).any())


def _checks(b: Builder) -> list[Paragraph]:
    """The national starting values in use and the checks against national figures (results.sanity_warnings)."""
    national = [KINDS[k].title.lower() for k in results.national_inputs(b.frames)]
    out = []
    if national:
        out.append(Paragraph((f"Some of the figures behind this estimate are national, not {b.name}'s own: "
                              f"{', '.join(national)} ({starter.NOTE}; each is cited in the notes).",)))
    out += [Paragraph((f"Check against national figures: {stop(w)}",)) for w in results.national_checks(b.frames)]
    out += [Paragraph((stop(w[0].upper() + w[1:]),)) for w in results.still_missing(b.frames)]
    return out


def section(b: Builder) -> Section:
    s = Section("need", "Need")
    try:
        central = results.plan(b.frames)
    except results.NotReady as e:
        s.missing = f"The need in the area cannot be estimated yet: {stop(str(e))}"
        return s
    low, high = results.plan(b.frames, "low"), results.plan(b.frames, "high")
    years = central.dims.years
    first, last = years[0], years[-1]
    a = [b.area] if b.area else None
    by_year = {e: need_table(p, [], a) for e, p in (("central", central), ("low", low), ("high", high))}

    def cases(est: str, year: int) -> float:
        return float(by_year[est].filter(pl.col("year") == year)["cases"].sum())

    ref = b.need_note()
    now, later = cases("central", first), cases("central", last)
    population = float(by_year["central"].filter(pl.col("year") == first)["population"].sum())
    b.findings["need"] = {"first": first, "last": last, "cases": now, "later": later,
                             "low": cases("low", first), "high": cases("high", first), "ref": ref}
    s.blocks.append(Paragraph((
        f"In {first} there are an estimated {whole(now)} cases of need that services should meet among the "
        f"children and young people aged 0 to 25 in {b.name}, {now / population * 1000:,.0f} in every 1,000 (low "
        f"estimate {whole(cases('low', first))}, high {whole(cases('high', first))})", ref,
        _trend(first, last, now, later, population,
               float(by_year['central'].filter(pl.col('year') == last)['population'].sum())))))
    s.blocks += _checks(b)
    if _overlapping(b.frames["need_shares"]):
        s.blocks.append(Paragraph((
            "A child counted with a need may be a case at more than one level (for example, of two therapies), so "
            "there are more cases than children.",)))
    by_level = need_table(central, ["level"], a, [first])
    levels = b.labels["level"]
    rows = [(levels.get(r["level"], r["level"]), whole(r["cases"]), whole(r["group_uplift"]), f"{r['per_1000']:,.1f}")
            for r in by_level.group_by("level", maintain_order=True).agg(
                pl.col("cases").sum(), pl.col("group_uplift").sum(), pl.col("population").sum()).with_columns(
                (pl.col("cases") / pl.col("population") * 1000).alias("per_1000")).iter_rows(named=True)]
    rows.append(("Total", whole(now), whole(float(by_level["group_uplift"].sum())), f"{now / population * 1000:,.1f}"))
    s.blocks.append(Table(f"Need by level, {b.name}, {first} (central estimate)",
                          ("Level", "Cases", "of which vulnerable groups' excess over the rate", "per 1,000"),
                          (False, True, True, True), tuple(rows), (ref.number,), total=True))
    s.blocks.append(b.figure("Need by year", charts.need_by_year(by_year["central"], by_year["low"],
                                                                      by_year["high"], b.name), [ref]))
    return s


def _trend(first: int, last: int, now: float, later: float, population: float, population_later: float) -> str:
    """How need changes to the last year; with one year of population (an area's first mid-year estimates) there
    is nothing to project, and the paper says what would show it rather than 'stays at 25,117 by 2025'."""
    if last == first:
        return (f". The population is given for {first} only, so need is not projected: import later years' "
                "population (ONS subnational projections) to see how it changes.")
    return (f". On the central estimate this {'rises' if later > now else 'falls' if later < now else 'stays'} to "
            f"{whole(later)} by {last}, with the population projected to change from {whole(population)} to "
            f"{whole(population_later)}.")
