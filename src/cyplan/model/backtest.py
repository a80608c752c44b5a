"""The back-test: how well the supply model reproduces the past.

Each (area, role, sector) of the earliest census snapshot is projected year by year with the supply engine's own
step (supply.project: S[t+1] = S[t] × (1 − leaver rate − retirement rate) + joiners a year + recruited into
vacancies), on that snapshot's central rates, and compared with the FTE in post of each later snapshot. Training
pipelines are not used: their joiners are in the past snapshots' joiners a year. What is compared is FTE in post
(substantive staff), as the snapshots count it, not agency staff or the CYP share.

By role and year, summed over the sectors that a year's snapshot has (a row missing from a year is left out of
that year on both sides):  error = projected − actual FTE (above 0: the model projected too many),
error % = error ÷ actual × 100 (none when nobody was in post), and per role the mean absolute percentage error
(MAPE) = the mean of |error %| over the later years.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cyplan.model.supply import Rates, project, retirement_rate

KEY = ["area", "role", "sector"]
BY_YEAR = ("area", "role", "year", "projected_fte", "actual_fte", "error_fte", "error_pct")
SUMMARY = ("area", "role", "from_year", "to_year", "years_compared", "mape_pct")


def rates(first: pl.DataFrame, years: int) -> Rates:
    """The earliest snapshot's central drivers as the engine takes them: [row, draw] with one draw, and nobody
    joining from training in any of `years` years ([row, year, draw])."""
    def col(name: str) -> np.ndarray:
        return first[name].cast(pl.Float64).to_numpy()

    fte0 = col("fte_in_post")
    one = np.ones((first.height, 1))
    return Rates(fte0=fte0[:, None], leaver=col("leaver_rate")[:, None],
                 retire=retirement_rate(col("share_aged_55_plus"), col("retirement_rate"))[:, None],
                 joiners=col("joiners_per_year")[:, None], establishment=(fte0 + col("vacant_fte"))[:, None],
                 fill=np.nan_to_num(col("vacancy_fill_rate"), nan=0.0)[:, None] * one,
                 arrivals=np.zeros((first.height, years, 1)))


def projected(snapshots: pl.DataFrame) -> pl.DataFrame:
    """FTE in post projected from the earliest snapshot for every later year to the last: area, role, sector,
    year, projected_fte."""
    first_year, last_year = snapshots["year"].min(), snapshots["year"].max()
    first = snapshots.filter(pl.col("year") == first_year).sort(KEY)
    years = last_year - first_year + 1
    stock = project(rates(first, years), years)[:, :, 0]  # [row, year]
    return first.select(KEY).with_columns(
        pl.Series("year", [list(range(first_year, last_year + 1))] * first.height, pl.List(pl.Int64)),
        pl.Series("projected_fte", stock.tolist(), pl.List(pl.Float64))).explode("year", "projected_fte")


def backtest(snapshots: pl.DataFrame) -> pl.DataFrame:
    """Projected against actual FTE in post by area, role and each year after the earliest (BY_YEAR)."""
    if snapshots.is_empty() or snapshots["year"].n_unique() < 2:
        return pl.DataFrame(schema={c: pl.Int64 if c == "year" else pl.Float64 if c not in ("area", "role")
                                    else pl.String for c in BY_YEAR})
    first_year = snapshots["year"].min()
    actual = snapshots.filter(pl.col("year") > first_year).select(*KEY, "year", pl.col("fte_in_post")
                                                                   .cast(pl.Float64).alias("actual_fte"))
    # inner: a row missing from a year's snapshot is left out of that year on both sides
    both = projected(snapshots).join(actual, on=[*KEY, "year"], how="inner")
    by_role = both.group_by("area", "role", "year").agg(pl.col("projected_fte", "actual_fte").sum())
    error = pl.col("projected_fte") - pl.col("actual_fte")
    return by_role.with_columns(error.alias("error_fte"), pl.when(pl.col("actual_fte") > 0)
                                .then(error / pl.col("actual_fte") * 100).otherwise(None).alias("error_pct")
                                ).sort("area", "role", "year").select(BY_YEAR)


def summary(by_year: pl.DataFrame, from_year: int) -> pl.DataFrame:
    """Per area and role: the years compared (projected from `from_year`, the earliest snapshot's) and the mean
    absolute percentage error over them (SUMMARY)."""
    return by_year.group_by("area", "role", maintain_order=True).agg(
        pl.lit(from_year, pl.Int64).alias("from_year"), pl.col("year").max().alias("to_year"),
        pl.col("error_pct").is_not_null().sum().cast(pl.Int64).alias("years_compared"),
        pl.col("error_pct").abs().mean().alias("mape_pct")).select(SUMMARY)
