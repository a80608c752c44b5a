"""Comparing areas (model/comparison.py): the measures and the funnel limits, against numbers worked by hand
(the module docstring's three areas) and a formula written out here apart from the code."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.model import comparison as c


def _figures() -> pl.DataFrame:
    return pl.DataFrame({"area": ["A", "B", "C"], "population": [10_000.0, 20_000.0, 2_000.0],
                         "cases": [100.0, 250.0, 30.0], "demand_fte": [5.0, 12.0, 1.0],
                         "supply_fte": [4.0, 12.0, 1.5], "share_met": [0.8, 1.0, 1.0],
                         "cost": [100_000.0, 300_000.0, 30_000.0], "referrals": [30.0, 60.0, 20.0],
                         "years_counted": [1.0, 1.0, 1.0], "rating": [2, 3, 1]}, schema=c.FIGURES)


def test_measures_are_each_numerator_over_its_denominator() -> None:
    """Catches a measure over the wrong denominator or scale (per child where per 1,000 is meant, or the reverse)."""
    m = c.measures(_figures()).filter(pl.col("area") == "B").row(0, named=True)
    assert m["need_per_1000"] == pytest.approx(12.5)  # 250 / 20,000 × 1,000
    assert m["demand_fte_per_1000"] == pytest.approx(0.6)  # 12 / 20,000 × 1,000
    assert m["supply_fte_per_1000"] == pytest.approx(0.6)
    assert m["cost_per_child"] == pytest.approx(15.0)  # £300,000 / 20,000
    assert m["referral_rate_per_1000"] == pytest.approx(3.0)  # 60 / 20,000 × 1,000
    assert (m["share_met"], m["rating"]) == (1.0, 3)  # passed through as the model gives them


def test_referral_rate_is_a_years_rate() -> None:
    """Catches referrals counted over 18 months read as a year's: 45 in 1.5 years over 10,000 is 3 a year per 1,000."""
    f = _figures().with_columns(pl.when(pl.col("area") == "A").then(45.0).otherwise(pl.col("referrals"))
                                .alias("referrals"), pl.lit(1.5).alias("years_counted"))
    assert c.measures(f).filter(pl.col("area") == "A")["referral_rate_per_1000"][0] == pytest.approx(3.0)


def test_no_population_gives_no_rate_not_infinity() -> None:
    """Catches a division by a population of 0 shown as inf."""
    f = _figures().with_columns(pl.when(pl.col("area") == "C").then(0.0).otherwise(pl.col("population"))
                                .alias("population"))
    m = c.measures(f).filter(pl.col("area") == "C").row(0, named=True)
    assert m["need_per_1000"] is None and m["referral_rate_per_1000"] is None


def test_no_population_meets_no_share_of_need_not_100_percent() -> None:
    """Catches an area with no children (a region of the national demo, whose population is its councils') shown as
    '100%' of need met: the model gives a share of 1 where there is no demand, which here is no area to plan for."""
    f = _figures().with_columns(pl.when(pl.col("area") == "C").then(None).otherwise(pl.col("population"))
                                .alias("population"))
    m = c.measures(f)
    assert m.filter(pl.col("area") == "C")["share_met"][0] is None
    assert m.filter(pl.col("area") == "A")["share_met"][0] == 0.8  # an area with children: as the model gives it


def test_the_docstrings_three_areas() -> None:
    """The worked example in model/comparison.py: pooled 110 / 32,000; A and B within, C above the 99.8% limit.
    Catches a pooled rate that leaves the chosen area out, limits on the wrong scale, or the wrong z."""
    out = c.compare(_figures(), "B", ["A", "C"])
    assert out["area"].to_list() == ["B", "A", "C"] and out["chosen"].to_list() == [True, False, False]
    assert out["pooled_rate_per_1000"][0] == pytest.approx(3.4375)
    a = out.filter(pl.col("area") == "A").row(0, named=True)
    assert (a["low_95"], a["high_95"]) == (pytest.approx(2.288, abs=5e-4), pytest.approx(4.587, abs=5e-4))
    assert (a["low_998"], a["high_998"]) == (pytest.approx(1.626, abs=5e-4), pytest.approx(5.249, abs=5e-4))
    b = out.filter(pl.col("area") == "B").row(0, named=True)
    assert (b["low_95"], b["high_95"]) == (pytest.approx(2.625, abs=5e-4), pytest.approx(4.250, abs=5e-4))
    cc = out.filter(pl.col("area") == "C").row(0, named=True)
    assert cc["high_998"] == pytest.approx(7.489, abs=5e-4)
    assert out["funnel"].to_list() == [c.WITHIN, c.WITHIN, c.ABOVE_998]


def test_z_values_are_the_normal_quantiles() -> None:
    """Catches a one-sided z (1.645, 2.878) where the two-sided 95% and 99.8% points are meant."""
    assert abs(c.Z95 - NormalDist().inv_cdf(0.975)) < 1e-6
    assert abs(c.Z998 - NormalDist().inv_cdf(0.999)) < 1e-6


def test_below_the_lower_limit_and_between_the_limits() -> None:
    """Catches the flag's order of tests: a rate between the 95% and 99.8% limits must say 95%, one under both
    99.8%; θ = 10,740 / 1,100,000 = 9.7636 per 1,000; at 50,000 person-years the 95% lower limit is 8.897, the
    99.8% one 8.398."""
    f = pl.DataFrame({"area": ["big", "low", "mid"], "population": [1_000_000.0, 50_000.0, 50_000.0],
                      "referrals": [10_000.0, 300.0, 440.0], "years_counted": [1.0, 1.0, 1.0]})
    f = f.with_columns(pl.lit(None, dtype=pl.Float64).alias(k) for k in ("cases", "demand_fte", "supply_fte",
                                                                         "share_met", "cost"))
    f = f.with_columns(pl.lit(None, dtype=pl.Int64).alias("rating")).select(list(c.FIGURES)).cast(c.FIGURES)
    out = c.compare(f, "big", ["low", "mid"])
    theta = (10_000 + 300 + 440) / 1_100_000
    half95 = 1.959964 * math.sqrt(theta / 50_000) * 1000
    half998 = 3.090232 * math.sqrt(theta / 50_000) * 1000
    # low: 6.0 per 1,000 against θ = 9.7636: under θ − 99.8% (7.70); mid: 8.8 between θ − 99.8% and θ − 95%
    assert 6.0 < theta * 1000 - half998 < 8.8 < theta * 1000 - half95
    # big: 10.0 against 9.7636 with 1,000,000 person-years, limits ± 0.194 at 95% and ± 0.305 at 99.8%: a large
    # area's small difference is outside the 95% limits, as a funnel plot means it to be
    assert dict(zip(out["area"], out["funnel"], strict=True)) == {"big": c.ABOVE_95, "low": c.BELOW_998,
                                                                  "mid": c.BELOW_95}


def test_an_area_without_returns_has_no_flag_and_is_left_out_of_the_pool() -> None:
    """Catches a missing count read as 0 referrals (pulling the pooled rate down and flagging the area)."""
    f = _figures().with_columns(pl.when(pl.col("area") == "C").then(None).otherwise(pl.col("referrals"))
                                .alias("referrals"))
    out = c.compare(f, "A", ["B", "C"])
    assert out["pooled_rate_per_1000"][0] == pytest.approx(3.0)  # 90 / 30,000
    assert out.filter(pl.col("area") == "C")["funnel"][0] is None


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0001, 0.05), st.lists(st.floats(100, 1e7), min_size=1, max_size=20))
def test_limits_hold_the_pooled_rate_and_narrow_with_exposure(theta: float, exposure: list[float]) -> None:
    """Invariants of a funnel: the pooled rate is inside every limit pair, the 99.8% pair outside the 95% pair,
    and a larger exposure never gets wider limits."""
    n = np.sort(np.array(exposure))
    lo95, hi95 = c.funnel_limits(theta, n, c.Z95)
    lo998, hi998 = c.funnel_limits(theta, n, c.Z998)
    assert np.all(lo998 <= lo95) and np.all(lo95 <= theta * 1000) and np.all(theta * 1000 <= hi95)
    assert np.all(hi95 <= hi998) and np.all(lo998 >= 0)
    assert np.all(np.diff(hi95) <= 1e-12) and np.all(np.diff(lo95) >= -1e-12)


def test_funnel_curve_spans_the_exposures() -> None:
    """Catches a curve drawn short of the largest area (its dot would sit past the funnel's end)."""
    curve = c.funnel_curve(3.4375, 2_000, 20_000)
    assert curve["exposure"][0] == pytest.approx(2_000) and curve["exposure"][-1] >= 20_000
    assert curve["high_95"][-1] == pytest.approx((0.0034375 + 1.959964 * math.sqrt(0.0034375 / 21_000)) * 1000)
