"""Skills: from a skills census (the share of each role trained in each area of the Common Core) to the staff to
train each year to reach a target share by a target year, and what that costs.

For N staff (headcount, held at the census's), a share p0 trained now, a leaver rate L a year (leaving and
retiring, trained and untrained staff alike, each leaver replaced by a joiner) and a share j of joiners who arrive
trained, training x people a year moves the trained share s as

    s[t] = s[t−1] × (1 − L) + j × L + x / N.

The same x every year for n = target year − first year years reaches the target p* exactly when

    x = N × ((p* − p0 × a^n) × L / (1 − a^n) − j × L),  a = 1 − L     (x = N × (p* − p0) / n when L = 0),

and never less than 0 (the share is already on course). After the target year, training holds the share at
p*: x = N × (p* − s[t−1] × (1 − L) − j × L), or 0 when leavers and trained joiners leave it at or above p*.
Cost = x × cost per person trained. Every function here is vectorised over rows; the loop is over years only.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cyplan.model.supply import retirement_rate

OUT_COLUMNS = ("area", "role", "skill_area", "year", "staff", "share_trained", "target_share", "target_year",
               "leaver_rate", "phase", "to_train", "cost", "share_after")


def reach_per_year(staff: np.ndarray, now: np.ndarray, target: np.ndarray, joiners_trained: np.ndarray,
                   leave: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Staff to train each year, the same every year, to bring the trained share from `now` to `target` in
    `years` years (≥ 1) — the formula in the module's docstring."""
    a = 1.0 - leave
    grow = a ** years
    still = np.isclose(leave, 0.0, rtol=0.0, atol=1e-12)  # nobody leaves: the geometric sum is n
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(still, (target - now) / years,
                         (target - now * grow) * leave / (1.0 - grow) - joiners_trained * leave)
    return staff * np.maximum(share, 0.0)


def training_path(staff: np.ndarray, now: np.ndarray, target: np.ndarray, joiners_trained: np.ndarray,
                  leave: np.ndarray, years: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(staff to train, trained share at the year's end), each [rows, horizon] for the years 1 … horizon after
    the census: the reach rate up to the target year, then what holds the target share."""
    reach = reach_per_year(staff, now, target, joiners_trained, leave, years)
    trained = np.zeros((len(staff), horizon))
    share = np.zeros((len(staff), horizon))
    s = np.asarray(now, dtype=float).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in range(horizon):
            carried = s * (1.0 - leave) + joiners_trained * leave  # before this year's training
            hold = staff * np.maximum(target - carried, 0.0)
            x = np.where(t < years, reach, hold)
            s = carried + np.where(staff > 0, x / staff, 0.0)
            trained[:, t], share[:, t] = x, s
    return trained, share


def census_staff(workforce: pl.DataFrame) -> pl.DataFrame:
    """Staff (headcount) and the leaver rate by area and role from the workforce census, all sectors together.

    Headcount where given; where it is blank, FTE in post rounded up to whole people (a part-time post is one
    person to train, so this is the fewest people the FTE can be). The leaver rate is the census's leaver rate
    plus its retirement rate (as the supply projection takes it), averaged over sectors weighted by headcount."""
    retire = retirement_rate(workforce["share_aged_55_plus"].cast(pl.Float64).to_numpy(),
                             workforce["retirement_rate"].cast(pl.Float64).to_numpy())
    rows = workforce.select(
        "area", "role",
        pl.coalesce(pl.col("headcount"), pl.col("fte_in_post").ceil()).fill_null(0.0).alias("staff"),
        (pl.col("leaver_rate").fill_null(0.0) + pl.Series(retire)).clip(0.0, 1.0).alias("leave"))
    return rows.group_by("area", "role", maintain_order=True).agg(
        pl.col("staff").sum(),
        pl.when(pl.col("staff").sum() > 0).then((pl.col("staff") * pl.col("leave")).sum() / pl.col("staff").sum())
        .otherwise(pl.col("leave").mean()).alias("leaver_rate"))


def training_needs(skills: pl.DataFrame, workforce: pl.DataFrame, years: tuple[int, ...]) -> pl.DataFrame:
    """Staff to train and the cost, by area, role, skill area and year (each year after the first of `years`).
    Every target year must be one of `years` after the first (the skills input is checked for that)."""
    first, horizon = years[0], years[-1] - years[0]
    rows = skills.join(census_staff(workforce), on=["area", "role"], how="left", maintain_order="left").with_columns(
        pl.col("staff").fill_null(0.0), pl.col("leaver_rate").fill_null(0.0),
        pl.col("joiners_trained").fill_null(0.0))
    col = {c: rows[c].cast(pl.Float64).to_numpy() for c in ("staff", "share_trained", "target_share",
                                                           "joiners_trained", "leaver_rate", "cost_per_person")}
    n = rows["target_year"].to_numpy() - first
    trained, share = training_path(col["staff"], col["share_trained"], col["target_share"], col["joiners_trained"],
                                   col["leaver_rate"], n, horizon)
    per_year = rows.select("area", "role", "skill_area", "staff", "share_trained", "target_share", "target_year",
                           "leaver_rate", "cost_per_person")
    long = per_year.with_columns(pl.lit(list(range(first + 1, first + horizon + 1)), pl.List(pl.Int64)).alias("year"),
                                 pl.Series("to_train", trained.tolist(), pl.List(pl.Float64)),
                                 pl.Series("share_after", share.tolist(), pl.List(pl.Float64))
                                 ).explode("year", "to_train", "share_after")
    return long.with_columns(
        pl.when(pl.col("year") <= pl.col("target_year")).then(pl.lit("reach")).otherwise(pl.lit("hold"))
        .alias("phase"),
        (pl.col("to_train") * pl.col("cost_per_person")).alias("cost")).select(OUT_COLUMNS)


def training_summary(needs: pl.DataFrame) -> pl.DataFrame:
    """One row per area, role and skill area: staff, shares now and wanted, the staff to train a year until the
    target year, their total and cost to the target year, and the staff a year who then keep the share there."""
    keys = ["area", "role", "skill_area"]
    reach = pl.col("phase") == "reach"
    return needs.group_by(keys, maintain_order=True).agg(
        pl.col("staff", "share_trained", "target_share", "target_year", "leaver_rate").first(),
        pl.col("to_train").filter(reach).first().alias("a_year"),
        pl.col("to_train").filter(reach).sum().alias("to_target"),
        pl.col("cost").filter(reach).sum().alias("cost_to_target"),
        pl.col("to_train").filter(~reach).first().alias("then_a_year"))
