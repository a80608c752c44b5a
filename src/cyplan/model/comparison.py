"""Comparing areas (issue 16 part 1): each area's measures per 1,000 children and young people, and for the rate
that comes from counted events (referrals) funnel-plot control limits around a comparator group's pooled rate, so
that a small area's noise is not read as a difference. Pure: NumPy and Polars, every area at once.

The measures (docs/method.md, 'Comparing areas'), each from the figures of one year:

    need per 1,000            cases of need ÷ population × 1,000
    demand FTE per 1,000      workforce demand (median FTE) ÷ population × 1,000
    supply FTE per 1,000      workforce supply (median FTE) ÷ population × 1,000
    share of need met         the median over the draws of supply ÷ demand, at most 1 (model/gap.py)
    cost per child            cost of meeting need (£ a year) ÷ population
    referral rate per 1,000   accepted referrals ÷ (population × years the referrals were counted over) × 1,000

where the population is the children and young people the plan covers (ages 0–25 in the population input).

Funnel limits (Spiegelhalter 2005, 'Funnel plots for comparing institutional performance', Statistics in
Medicine 24:1185–1202), on the normal approximation to the Poisson: around the group's pooled rate θ (every
referral of the group's areas ÷ all their person-years), an area with exposure n person-years has limits
θ ± z·√(θ/n), z = 1.959964 for 95% and 3.090232 for 99.8%, the lower floored at 0.

A worked example with three areas, each counted over one year (tests/test_comparison.py checks these numbers):

    area  referrals  population  rate per 1,000
    A        30        10,000        3.0
    B        60        20,000        3.0
    C        20         2,000       10.0

θ = (30 + 60 + 20) ÷ (10,000 + 20,000 + 2,000) = 110 ÷ 32,000 = 0.0034375, i.e. 3.4375 per 1,000.
For A: √(θ/10,000) = 0.000586302; 95% limits 3.4375 ∓ 1.959964 × 0.586302 = 2.288 to 4.587 per 1,000; 99.8%
limits 3.4375 ∓ 3.090232 × 0.586302 = 1.626 to 5.249: A is within.
For C: √(θ/2,000) = 0.001311011; 99.8% upper limit 3.4375 + 3.090232 × 1.311011 = 7.489 per 1,000: C's 10.0 is
above it ("above 99.8%"). B (3.0, limits 2.625 to 4.250 at 95%) is within.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

Z95, Z998 = 1.959964, 3.090232  # two-sided 95% and 99.8% points of the standard normal

# (column, numerator, denominator) of every measure the comparison shows, in its order (headings: display.py)
MEASURES = (
    ("need_per_1000", "cases of need (central plan) × 1,000", "children and young people aged 0 to 25"),
    ("demand_fte_per_1000", "workforce demand, median FTE × 1,000", "children and young people aged 0 to 25"),
    ("supply_fte_per_1000", "workforce supply, median FTE × 1,000", "children and young people aged 0 to 25"),
    ("share_met", "staff in post (the median over the draws of supply ÷ demand, at most 1)", "staff needed"),
    ("cost_per_child", "cost of meeting need, £ a year (central plan)", "children and young people aged 0 to 25"),
    ("referral_rate_per_1000", "accepted referrals (as published) × 1,000",
     "children and young people aged 0 to 25 × years the referrals span"),
    ("rating", "the services register's rating, 1 to 4 (the workspace's: one for all its areas)", "—"),
)
RATE = "referral_rate_per_1000"  # the measure from counted events: the one with funnel limits
FIGURES = {"area": pl.String, "population": pl.Float64, "cases": pl.Float64, "demand_fte": pl.Float64,
           "supply_fte": pl.Float64, "share_met": pl.Float64, "cost": pl.Float64, "referrals": pl.Float64,
           "years_counted": pl.Float64, "rating": pl.Int64}

ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998 = "above 99.8%", "above 95%", "within", "below 95%", "below 99.8%"
FLAG_WORDS = {ABOVE_998: "above the 99.8% limit", ABOVE_95: "above the 95% limit but within the 99.8% one",
              WITHIN: "within the 95% limits", BELOW_95: "below the 95% limit but within the 99.8% one",
              BELOW_998: "below the 99.8% limit"}


def measures(figures: pl.DataFrame) -> pl.DataFrame:
    """Each area's measures from its figures (FIGURES' columns; a figure not known is null and so is what needs it):
    area, then MEASURES' columns, and the referral rate's exposure (person-years)."""
    per = pl.col("population")
    safe = pl.when(per > 0).then(per)  # no population: no rate, rather than inf
    exposure = safe * pl.col("years_counted")
    return figures.select(
        "area",
        (pl.col("cases") / safe * 1000).alias("need_per_1000"),
        (pl.col("demand_fte") / safe * 1000).alias("demand_fte_per_1000"),
        (pl.col("supply_fte") / safe * 1000).alias("supply_fte_per_1000"),
        # no children, no need to meet: the model's share of 1 where there is no demand would read as "100% met"
        pl.when(per > 0).then(pl.col("share_met")).alias("share_met"),
        (pl.col("cost") / safe).alias("cost_per_child"),
        (pl.col("referrals") / exposure * 1000).alias(RATE),
        pl.col("rating"),
        pl.col("referrals"),
        exposure.alias("person_years"),
    )


def funnel_limits(pooled: float, exposure: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) control limits per 1,000 for a rate per person-year `pooled` at each `exposure`
    (person-years): θ ± z·√(θ/n), the lower floored at 0 (Spiegelhalter 2005, normal approximation)."""
    n = np.asarray(exposure, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = z * np.sqrt(pooled / n)
    return np.maximum(pooled - half, 0.0) * 1000, (pooled + half) * 1000


def pooled_rate(referrals: np.ndarray, exposure: np.ndarray) -> float | None:
    """The group's rate per person-year: all its referrals ÷ all its person-years, over the areas with both."""
    known = ~(np.isnan(referrals) | np.isnan(exposure)) & (exposure > 0)
    total = float(exposure[known].sum())
    return float(referrals[known].sum()) / total if total > 0 else None


def flags(rate: np.ndarray, limits: dict[str, np.ndarray]) -> list[str | None]:
    """Where each rate falls against its limits, the outer limit first (None: no rate)."""
    conditions = [np.isnan(rate), rate > limits["high_998"], rate > limits["high_95"], rate < limits["low_998"],
                  rate < limits["low_95"]]
    with np.errstate(invalid="ignore"):
        chosen = np.select(conditions, ["", ABOVE_998, ABOVE_95, BELOW_998, BELOW_95], WITHIN)
    return [str(x) or None for x in chosen]


def compare(figures: pl.DataFrame, area: str, group: Sequence[str]) -> pl.DataFrame:
    """The comparison of `area` with the areas of `group` (the area itself is added if it is not in it): one row
    per area, the chosen one first then the others by code, with `chosen`, the measures, and for the referral
    rate the group's pooled rate, each area's 95% and 99.8% limits at its own exposure and where it falls
    (`funnel`). The pooled rate counts every area of the group, the chosen one too."""
    codes = [area, *sorted(c for c in set(group) if c != area)]
    rows = measures(figures.filter(pl.col("area").is_in(codes)))
    rows = rows.with_columns(pl.col("area").replace_strict({c: i for i, c in enumerate(codes)}, return_dtype=pl.Int64)
                             .alias("order")).sort("order").drop("order")
    rate = rows[RATE].cast(pl.Float64).fill_null(np.nan).to_numpy()
    exposure = rows["person_years"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    counts = rows["referrals"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    pooled = pooled_rate(counts, exposure)
    limits: dict[str, np.ndarray] = {}
    for name, z in (("95", Z95), ("998", Z998)):
        low, high = funnel_limits(pooled if pooled is not None else np.nan, exposure, z)
        limits[f"low_{name}"], limits[f"high_{name}"] = low, high
    extra = [pl.Series(k, v, dtype=pl.Float64).fill_nan(None) for k, v in limits.items()]
    return rows.with_columns(
        (pl.col("area") == area).alias("chosen"),
        pl.lit(None if pooled is None else pooled * 1000, dtype=pl.Float64).alias("pooled_rate_per_1000"),
        *extra,
        pl.Series("funnel", flags(rate, limits) if pooled is not None else [None] * rows.height, dtype=pl.String),
    ).select("area", "chosen", pl.exclude("area", "chosen"))


def funnel_curve(pooled_per_1000: float, low: float, high: float, points: int = 60) -> pl.DataFrame:
    """The control limits along exposures from `low` to `high` person-years (log-spaced), for drawing the funnel:
    exposure, low_95, high_95, low_998, high_998 (per 1,000)."""
    n = np.geomspace(max(low, 1.0), max(high, low, 1.0) * 1.05, points)
    out = {"exposure": n}
    for name, z in (("95", Z95), ("998", Z998)):
        out[f"low_{name}"], out[f"high_{name}"] = funnel_limits(pooled_per_1000 / 1000, n, z)
    return pl.DataFrame(out)
