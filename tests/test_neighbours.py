"""Statistical neighbours (issue 16 part 2): the model (model/neighbours.py) and `results.neighbours_of`.

The hand-worked example: four areas A, B, C, D of one kind, two indicators, weights x 1 and y 2.

    x = 9, 7, 9, 15    mean 10, deviations −1, −3, −1, 5, variance (1 + 9 + 1 + 25) / 4 = 9, sd 3
                        z_x = −1/3, −1, −1/3, 5/3
    y = 13, 13, 7, 15  mean 12, deviations 1, 1, −5, 3,  variance (1 + 1 + 25 + 9) / 4 = 9, sd 3
                        z_y = 1/3, 1/3, −5/3, 1

From A:
    B: x term 1 × (−1 + 1/3)² = 4/9, y term 2 × 0² = 0          d² = 4/9,  d = 2/3     shares x 1, y 0
    C: x term 0,                    y term 2 × (−2)² = 8         d² = 8,    d = 2.8284  shares x 0, y 1
    D: x term 1 × 2² = 4,           y term 2 × (2/3)² = 8/9      d² = 44/9, d = 2.2111  shares x 9/11, y 2/11
so the order is B, D, C: D comes before C because y counts twice. With both weights 1, C's d² is 4 (d = 2) and
D's 4 + 4/9 = 40/9 (d = 2.108): the order is B, C, D.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan import results
from cyplan.model.neighbours import computed, distances, drivers, published, standardise

X = [9.0, 7.0, 9.0, 15.0]
Y = [13.0, 13.0, 7.0, 15.0]


def indicators(values: dict[str, list[float]], codes: list[str] | None = None, year: int = 2024) -> pl.DataFrame:
    codes = codes or list("ABCD")
    rows = [(a, name, year, v) for name, vs in values.items() for a, v in zip(codes, vs, strict=True)
            if not math.isnan(v)]
    return pl.DataFrame(rows, schema={"area": pl.String, "indicator": pl.String, "year": pl.Int64,
                                      "value": pl.Float64}, orient="row").with_columns(source=pl.lit("made up"))


def weights(given: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"indicator": list(given), "weight": list(given.values()), "source": [""] * len(given)},
                        schema={"indicator": pl.String, "weight": pl.Float64, "source": pl.String})


def test_z_scores_are_the_hand_worked_ones() -> None:
    """Catches a sample standard deviation (n − 1) where the page promises the areas' own (n), or no centring."""
    z = standardise(np.array([X, Y]).T)
    assert z[:, 0] == pytest.approx([-1 / 3, -1, -1 / 3, 5 / 3])
    assert z[:, 1] == pytest.approx([1 / 3, 1 / 3, -5 / 3, 1])


@pytest.mark.parametrize(("values", "z"), [
    ([1e-300, 0.0], [1.0, -1.0]),  # sd 5e-301, but its square underflowed to 0: it was called 'not varying'
    ([1e300, -1e300], [1.0, -1.0]),  # the square overflowed: sd inf, so z was 0
    ([2e-300, 0.0, 1e-300], [math.sqrt(1.5), -math.sqrt(1.5), 0.0]),  # as 2, 0, 1: mean 1, sd √(2/3)
    ([0.1 + 0.2, 0.3], [0.0, 0.0]),  # 1 part in 10^16 of the values apart: rounding, not a difference
    ([1.0, 1.0 + 1e-12], [0.0, 0.0]),  # within CONSTANT (1e-9) of the largest value: not varying
    ([3.0, 3.0, 3.0], [0.0, 0.0, 0.0]),
])
def test_varying_is_judged_relative_to_the_values_not_by_their_squares(values: list[float], z: list[float]) -> None:
    """Catches an indicator of tiny (or huge) figures that differ called 'not varying' (or its z-scores 0) because
    the squares in its standard deviation underflow (or overflow), and rounding noise called a difference. Each
    expected z worked by hand on the values in units of the largest."""
    assert standardise(np.array([values]).T)[:, 0] == pytest.approx(z, abs=1e-12)


def test_tiny_figures_that_differ_still_set_the_neighbours() -> None:
    """Catches every distance 0 (and no order but the codes') when the one indicator's figures are around 1e-300:
    as 2, 0, 1, C is √1.5 from A and B twice that."""
    got = computed("A", list("ABC"), indicators({"x": [2e-300, 0.0, 1e-300]}, list("ABC")), weights({}))
    assert got.table["neighbour"].to_list() == ["C", "B"]
    assert got.table["distance"].to_list() == pytest.approx([math.sqrt(1.5), 2 * math.sqrt(1.5)])


@settings(deadline=None)  # a shared machine's pauses are not a failure
@given(st.lists(st.one_of(st.just(0.0), st.floats(1e-5, 1e5), st.floats(-1e5, -1e-5)), min_size=2, max_size=8),
       st.integers(-1000, 1000))
def test_z_scores_are_the_same_in_any_units_however_far_scaled(values: list[float], k: int) -> None:
    """Catches z-scores that depend on the units once figures are far from 1: scaled by 2^k (exact in floating
    point, from 2^-1000 to 2^1000), every z-score, and whether the indicator varies at all, must be unchanged."""
    x = np.array([values]).T
    assert np.array_equal(standardise(x * 2.0**k), standardise(x), equal_nan=True)


def test_the_hand_worked_distances_order_and_shares() -> None:
    """Catches weights applied to the difference rather than its square, a wrong order, shares that are not each
    indicator's part of the squared distance."""
    got = computed("A", list("ABCD"), indicators({"x": X, "y": Y}), weights({"x": 1, "y": 2}))
    assert got.method == "computed"
    assert got.table["neighbour"].to_list() == ["B", "D", "C"]
    assert got.table["rank"].to_list() == [1, 2, 3]
    assert got.table["distance"].to_list() == pytest.approx([2 / 3, math.sqrt(44) / 3, math.sqrt(8)])
    assert got.table["x"].to_list() == pytest.approx([1, 9 / 11, 0])
    assert got.table["y"].to_list() == pytest.approx([0, 2 / 11, 1])
    assert drivers(got.table) == ["x 100%, y 0%", "x 82%, y 18%", "y 100%, x 0%"]
    assert got.said == ("x: the figures for 2024", "y: the figures for 2024")
    assert "2 indicators (x, y) over 4 areas" in got.source and "made up" in got.source


def test_equal_weights_change_the_order_as_worked() -> None:
    """Catches the weights input ignored (or an absent weight taken as anything but 1)."""
    got = computed("A", list("ABCD"), indicators({"x": X, "y": Y}), weights({}))
    assert got.table["neighbour"].to_list() == ["B", "C", "D"]
    assert got.table["distance"].to_list() == pytest.approx([2 / 3, 2, math.sqrt(40) / 3])


def test_n_limits_the_list_and_ties_go_by_code() -> None:
    """Catches n ignored, or ties broken by the order areas happen to be held in."""
    z = indicators({"x": [0, 1, 1, 1]}, ["A", "D", "C", "B"])
    got = computed("A", ["A", "D", "C", "B"], z, weights({}), n=2)
    assert got.table["neighbour"].to_list() == ["B", "C"]


def test_an_indicator_a_neighbour_lacks_is_left_out_and_the_rest_scaled_up() -> None:
    """Catches an area made nearer by having fewer figures. z given directly, weights 1: A (0, 0), B (1, –),
    C (1, 1). A to C: √(1 + 1) = √2. A to B: only x, 1, scaled by W(A) / W(A, B) = 2 / 1: √2 — a tie, not B
    nearer; B's y share is null (not compared), not 0."""
    z = np.array([[0.0, 0.0], [1.0, np.nan], [1.0, 1.0]])
    d, shares = distances(z, np.array([1.0, 1.0]), 0)
    assert np.isnan(d[0])
    assert d[1:] == pytest.approx([math.sqrt(2), math.sqrt(2)])
    assert shares[1, 0] == 1 and np.isnan(shares[1, 1])
    assert shares[2] == pytest.approx([0.5, 0.5])


def test_an_area_sharing_no_indicator_is_not_compared_and_the_gaps_are_said() -> None:
    """Catches an area with no figures in common taken for distance 0 (the nearest of all)."""
    data = pl.concat([indicators({"x": [1, 2, math.nan, 4]}), indicators({"y": [math.nan, math.nan, 5, 6]})])
    got = computed("A", list("ABCD"), data, weights({}))
    assert got.table["neighbour"].to_list() == ["B", "D"]  # C has only y, which A lacks
    assert "A has no figure for y: it is left out of every distance" in got.said
    assert "no figure for x in C: it is left out of its distance to A" in got.said


def test_the_latest_year_of_each_area_is_used_and_said() -> None:
    """Catches an older figure used, or the years not said."""
    data = pl.concat([indicators({"x": [1, 2, 3]}, list("ABC"), 2023),
                      indicators({"x": [1, 9, 3]}, list("ABC"), 2024).filter(pl.col("area") != "C")])
    got = computed("A", list("ABC"), data, weights({}))
    assert got.table["neighbour"].to_list() == ["C", "B"]  # B's 2024 figure 9 is far; C's 2023 figure 3 near
    assert got.said == ("x: each area's latest figure, from 2023 to 2024",)


def test_no_indicators_gives_none_with_a_note() -> None:
    got = computed("A", list("AB"), indicators({}, []), weights({}))
    assert got.method == "none" and got.table.is_empty()
    assert "import area_indicators or statistical_neighbours" in got.note


def test_indicators_all_weighted_0_are_said_not_called_missing() -> None:
    """Catches 'A has no indicators … import area_indicators' when A has them and every one is weighted 0 (importing
    more figures would not help): the note names the weights."""
    got = computed("A", list("AB"), indicators({"x": [1.0, 2.0]}, list("AB")), weights({"x": 0}))
    assert got.method == "none"
    assert got.note == ("A's indicators (x) all have weight 0 in indicator_weights, which leaves them out: give one a "
                        "weight above 0, or import statistical_neighbours")


def test_a_published_list_is_used_as_given() -> None:
    """Catches a published list re-ordered by code or cut to more than n."""
    lists = pl.DataFrame({"area": ["A"] * 3 + ["B"], "neighbour": ["D", "B", "C", "A"], "rank": [1, 3, 2, 1],
                          "source": ["DfE 2024"] * 4})
    got = published("A", lists, n=2)
    assert got.method == "published" and got.source == "published list: DfE 2024"
    assert got.table["neighbour"].to_list() == ["D", "C"] and got.table["rank"].to_list() == [1, 2]
    assert got.table["distance"].null_count() == 2


# -- results.neighbours_of ---------------------------------------------------------------------------


def frames(lists: pl.DataFrame | None = None) -> results.Frames:
    areas = pl.DataFrame({"code": ["A", "B", "C", "D", "Q"], "name": list("ABCDQ"),
                          "kind": ["council"] * 4 + ["ICB"], "parent": [""] * 5, "source": [""] * 5})
    empty = pl.DataFrame(schema={"area": pl.String, "neighbour": pl.String, "rank": pl.Int64, "source": pl.String})
    data = pl.concat([indicators({"x": X, "y": Y}), indicators({"x": [9.0], "y": [13.0]}, ["Q"])])
    return {"areas": areas, "statistical_neighbours": lists if lists is not None else empty,
            "area_indicators": data, "indicator_weights": weights({"y": 2})}


def test_neighbours_of_compares_only_areas_of_the_same_kind() -> None:
    """Catches an ICB (Q, with A's very figures) offered as a council's neighbour."""
    got = results.neighbours_of(frames(), "A")
    assert got.table["neighbour"].to_list() == ["B", "D", "C"]  # the hand-worked order: x weight 1, y 2


def test_neighbours_of_prefers_the_published_list_for_the_areas_it_names() -> None:
    lists = pl.DataFrame({"area": ["A"], "neighbour": ["C"], "rank": [1], "source": ["CIPFA"]})
    assert results.neighbours_of(frames(lists), "A").table["neighbour"].to_list() == ["C"]
    assert results.neighbours_of(frames(lists), "B").method == "computed"


def test_neighbours_of_an_unknown_area_says_which_there_are() -> None:
    with pytest.raises(results.NotReady, match=r"there is no area 'Z'.*A, B, C, D, Q"):
        results.neighbours_of(frames(), "Z")


# -- properties ----------------------------------------------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], dict[str, list[float]], dict[str, float]]:
    n_areas = draw(st.integers(2, 7))
    n_ind = draw(st.integers(1, 3))
    codes = [f"E{i:02d}" for i in range(n_areas)]
    value = st.one_of(st.integers(-50, 50).map(float), st.just(math.nan))
    values = {f"i{j}": draw(st.lists(value, min_size=n_areas, max_size=n_areas)) for j in range(n_ind)}
    w = {name: draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])) for name in values}
    return codes, values, w


def run(codes: list[str], values: dict[str, list[float]], w: dict[str, float], area: int = 0) -> pl.DataFrame:
    return computed(codes[area], codes, indicators(values, codes), weights(w)).table


@settings(deadline=None)  # a shared machine's pauses are not a failure
@given(cases(), st.integers(0, 6))
def test_never_its_own_neighbour_distances_rise_with_rank_and_shares_sum_to_1(
        case: tuple[list[str], dict[str, list[float]], dict[str, float]], area: int) -> None:
    codes, values, w = case
    table = run(codes, values, w, area % len(codes))
    assert codes[area % len(codes)] not in table["neighbour"].to_list()
    assert table["rank"].to_list() == list(range(1, table.height + 1))
    d = table["distance"].to_list()
    assert all(a <= b for a, b in itertools.pairwise(d))
    for row in table.drop("neighbour", "rank", "distance").iter_rows():
        given_shares = [s for s in row if s is not None]
        assert given_shares == [] or sum(given_shares) == pytest.approx(1)


@settings(deadline=None)  # a shared machine's pauses are not a failure
@given(cases(), st.sampled_from([-2.0, 0.25, 0.5, 2.0, 1024.0]))
def test_scaling_an_indicator_changes_nothing(case: tuple[list[str], dict[str, list[float]], dict[str, float]],
                                              factor: float) -> None:
    """Catches indicators compared in their own units (not standardised): per 1,000 or per 10,000 must not matter.
    Powers of 2 scale exactly in floating point, so the results must be identical."""
    codes, values, w = case
    scaled = {**values, "i0": [v * factor for v in values["i0"]]}
    assert run(codes, scaled, w).equals(run(codes, values, w))


@settings(deadline=None)  # a shared machine's pauses are not a failure
@given(cases())
def test_weight_0_removes_an_indicator(case: tuple[list[str], dict[str, list[float]], dict[str, float]]) -> None:
    """Catches a weight-0 indicator still counted (in the missing-indicator scaling or the shares' columns)."""
    codes, values, w = case
    zeroed = run(codes, values, {**w, "i0": 0.0})
    without = run(codes, {k: v for k, v in values.items() if k != "i0"}, {k: v for k, v in w.items() if k != "i0"})
    assert "i0" not in zeroed.columns
    assert zeroed.equals(without)
