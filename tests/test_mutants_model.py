"""Tests written to kill surviving mutants of `make mutate` in model/ (docs/testing.md lists them): each
test's name says the wrong answer it catches. Expected figures are worked by hand in the comments."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from cyplan.model.activity import gender_column
from cyplan.model.arrays import Labelled
from cyplan.model.backtest import BY_YEAR, backtest
from cyplan.model.build import Dims
from cyplan.model.disclosure import DFE, NHS_DIGITAL, NONE, DisclosureRule, disclose
from cyplan.model.flows import establishment_table, flows_table
from cyplan.model.gap import _by_sector, gap_table, staff_cost, supply_table
from cyplan.model.need import counted_cases, group_shares, group_uplift, need, outside_rate, trended, uplift_factor
from cyplan.model.plan import demand_table, need_table, run
from cyplan.model.scenarios import ScenarioError, apply, parse_where
from cyplan.model.simulate import Simulation, simulate
from cyplan.model.supply import annuity, joiners_needed, stock, with_caseload_shares
from cyplan.model.uncertainty import draw, quantile_errors, triangular_quantile
from test_backtest import frame as snapshots
from test_backtest import snap
from test_model import frame, tiny
from test_promises_disclosure import make_table, reader_bounds  # the reader written apart from the module
from test_supply import census, inputs, scenario


def _row(*counts: int) -> pl.DataFrame:
    """One row of counts c0, c1, … and its Total column (no total row)."""
    return pl.DataFrame({"category": ["r0"]} | {f"c{j}": [v] for j, v in enumerate(counts)} | {"Total": [sum(counts)]})


def test_second_star_goes_on_the_smallest_nonzero_count_not_a_zero_nor_the_first_cell_nor_the_total() -> None:
    """Row 3, 0, 50, 20 (total 73): 3 is starred, and the row then needs a second star. Candidates are the
    shown non-zero counts other than the total: 50 and 20; the smallest, 20, is starred. Wrong answers
    caught: starring the 0 (it hides nothing), the first candidate by position (50), or skipping the
    last count column as if it were the total (50 again)."""
    out = disclose(_row(3, 0, 50, 20), total_row=None)
    assert out.row(0) == ("r0", "*", "0", "50", "*", "75")  # 73 rounds to 75



def _sector_sim(first_year: list[list[float]], demand: list[float]) -> SimpleNamespace:
    """One area, one year, one role: supply [sector][draw] (sectors beyond those given hold none), and
    demand by draw. Only what gap._by_sector reads."""
    supply = np.zeros((1, 1, 1, 5, len(demand)))
    if first_year:
        supply[0, 0, 0, : len(first_year)] = first_year
    return SimpleNamespace(supply=supply, demand=np.array(demand, dtype=float).reshape(1, 1, 1, -1))


def test_demand_is_shared_by_sector_on_first_year_supply_averaged_over_draws_not_draw_by_draw() -> None:
    """NHS supply is 1 or 3 in the two draws (mean 2), the council's 1 in both (mean 1): every draw's demand
    of 6 goes 6 × 2/3 = 4 to the NHS and 6 × 1/3 = 2 to the council. Wrong answer caught: weights taken
    draw by draw (1/2 and 3/4 of 6 = 3 and 4.5 to the NHS)."""
    demand = _by_sector(_sector_sim([[1, 3], [1, 1]], [6, 6]))["demand"]
    assert demand[0, 0, 0, :2].tolist() == [[4, 4], [2, 2]]


def test_a_role_with_no_staff_today_shares_its_demand_evenly_over_the_five_sectors_without_a_warning() -> None:
    """No supply in any sector in the first year: demand 10 goes 10 / 5 = 2 to each sector (and numpy's
    0/0 must not print a RuntimeWarning at the user). Wrong answers caught: NaN shares, 10 × 5 or
    10 × 2/5 per sector, and the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        demand = _by_sector(_sector_sim([], [10]))["demand"]
    assert demand[0, 0, 0, :, 0].tolist() == [2, 2, 2, 2, 2]


def test_an_unknown_gap_breakdown_is_refused_with_the_choices_named() -> None:
    """Wrong answers caught: no error (the table then fails somewhere else, or is made by a wrong
    breakdown) and a message that does not say what was asked and what may be."""
    with pytest.raises(ValueError) as caught:
        gap_table(None, ["role", "age", "band"])  # type: ignore[arg-type]  # refused before the simulation is read
    assert str(caught.value) == "the gap cannot be broken down by age, band; choose from role, sector"


def _pinned(cells: list[list[int]], rule: DisclosureRule = DFE) -> list[tuple[int, int]]:
    """The hidden cells of the publication of `cells` (with row and column totals) under `rule` (DfE
    unless told) that a reader of the published table can work out exactly."""
    out = disclose(make_table(cells, True, True), rule)
    published = [list(r) for r in out.drop("category").rows()]
    lo, hi = reader_bounds(published, rule.name, True, True)
    return [(i, j) for i, row in enumerate(published) for j, v in enumerate(row)
            if v == rule.symbol and lo[i][j] == hi[i][j]]


def test_dfe_hides_enough_that_the_rows_and_columns_pin_no_hidden_count() -> None:
    """Rows 0 72 1 8 / 60 57 3 72 / 72 1 45 7 under the DfE rule (counts 1–9 hidden, nothing rounded). Had it
    published 0 72 c c 81 / 60 c c 72 192 / 72 c 45 c 125 with totals 132 130 49 87 398, a reader gets
    x + y = 60 and x + p = 58 (row 2, column 2), so y = p + 2; column 3 says a + y = 4, so a = 2 − p, and
    a ≥ 1, p ≥ 1 leave p = 1: every hidden count (1, 8, 57, 3, 1, 7) is worked out. Wrong answer caught:
    the bounds carried from a line's total taken from another cell of the line (or summed with the wrong
    sign), which lets that table out."""
    assert _pinned([[0, 72, 1, 8], [60, 57, 3, 72], [72, 1, 45, 7]]) == []


def test_dfe_reads_a_published_zero_as_zero_and_still_hides_enough() -> None:
    """Rows 7 48 0 51 / 60 1 60 6 / 60 10 1 4 / 42 66 5 42 under the DfE rule: with the 51 shown, the rows
    and columns leave one free value b (the 48 in row 0): x = 49 − b ≥ 1 and p = b − 47 ≥ 1 pin
    b = 48 and with it every hidden count. Wrong answer caught: the published 0 read as 'at least 1' or as
    'at most −1' (its bounds crossed), after which the 51 is left shown."""
    assert _pinned([[7, 48, 0, 51], [60, 1, 60, 6], [60, 10, 1, 4], [42, 66, 5, 42]]) == []


def test_nhs_digital_reads_a_published_zero_as_zero_and_hides_enough_to_pin_no_hidden_count() -> None:
    """Rows 1 1 18 / 60 2 1 / 0 13 48 / 40 2 11 under nhs-digital. Had it published row 0 as *, *, 20 | 20
    (the rest: 60 * * | 65, 0 15 50 | 60, * * * | 55, totals 100 20 80 | 195), a reader gets: row 2's 0 is
    0 (a 1 or 2 would be a '*'), its 15 at least 13 and its 50 at least 48, so row 2 holds at least 61; row 1
    at least 63 and row 3 at least 53 (rounded to 65 and 55); the grand total at most 197. Row 0's total is
    then at most 197 − 63 − 61 − 53 = 20, its 20 at least 18, and its two stars add up to at most 2: both
    are 1. Wrong answer caught: the published 0 read with crossed bounds (at least 2, at most 0), after
    which the reader's sums go astray and row 0's 20 is left shown."""
    assert _pinned([[1, 1, 18], [60, 2, 1], [0, 13, 48], [40, 2, 11]], NHS_DIGITAL) == []


def test_nhs_digital_knows_a_published_zero_is_exactly_zero_and_hides_enough_to_pin_no_hidden_count() -> None:
    """Rows 23 28 1 / 23 1 23 / 22 1 12 / 0 0 11 under nhs-digital. Had it published * 30 * | 50, * * 25 | 45,
    20 * * | 35, 0 0 10 | 10, totals 70 30 45 | 145, a reader gets: row 3's 0 in column 0 is exactly 0 (a 1
    or 2 would be a '*'), so column 0's two stars add up to at least 68 − 22 − 0 = 46 (its total at least 68,
    the 20 at most 22). Row 0's star there is at most 52 − 28 − 1 = 23 (row total at most 52, the 30 at
    least 28, the other star at least 1), and row 1's at most 47 − 23 − 1 = 23: both are 23, and with them
    the two 1s beside them. Wrong answer caught: a published 0 read as 0 … 2, by which the column's stars
    add up to at least 44 only, so the 30 is left shown."""
    assert _pinned([[23, 28, 1], [23, 1, 23], [22, 1, 12], [0, 0, 11]], NHS_DIGITAL) == []


def test_dfe_carries_the_bounds_from_line_to_line_until_nothing_changes_and_hides_enough() -> None:
    """Rows 1 13 0 25 / 48 0 5 72 / 1 33 20 18 / 22 7 48 12 / 12 25 8 0 under the DfE rule. Had it published
    c c 0 25 | 39, c 0 c 72 | 125, c 33 20 c | 72, 22 c 48 c | 89, c 25 c 0 | 45, totals 84 78 81 127 | 370,
    a reader goes round a chain of lines: row 0 gives a + b = 14; column 1 b + p = 20; row 3 p + q = 19;
    column 3 q + y = 30; row 2 y + x = 19. So b = 14 − a, p = 6 + a, q = 13 − a, y = 17 + a, x = 2 − a, and
    x ≥ 1 with a ≥ 1 leave a = 1: the counts 1, 13, 7, 12, 18, 1 are all worked out. Following it takes
    several passes over the lines. Wrong answer caught: the bounds carried for one pass only (the
    'changed' flag not set), which misses the chain and leaves row 0's 25 shown."""
    assert _pinned([[1, 13, 0, 25], [48, 0, 5, 72], [1, 33, 20, 18], [22, 7, 48, 12], [12, 25, 8, 0]]) == []


def test_nhs_digital_reads_a_shown_count_as_two_either_side_and_hides_no_more_than_that_needs() -> None:
    """Row 1, 1, 13, 1 (total 16) under nhs-digital: the 1s are starred, 13 → 15, 16 → 15. A reader knows
    the shown 15 is 13 … 17 and the total 13 … 17 (anything that rounds to 15), so the three stars add up to
    at most 17 − 13 = 4 and at least 3 (each is 1 or more): each star is 1 or 2, none worked out, and
    the 15 stays shown. Wrong answer caught: a shown r read as r − 1 … r + 2 (its low bound 'r − 5 // 3'),
    by which the stars add up to at most 17 − 14 = 3, all seem pinned at 1, and the 15 is hidden too."""
    assert disclose(_row(1, 1, 13, 1), total_row=None).row(0) == ("r0", "*", "*", "15", "*", "15")


def test_nhs_digital_reads_a_shown_count_as_a_range_not_as_two_more_and_hides_no_more_than_that_needs() -> None:
    """Row 12, 11, 1, 2, 1 (total 27) under nhs-digital: 12 → 10, 11 → 10, 27 → 25, the rest starred. A
    reader knows each 10 is 8 … 12 and the total 23 … 27, so the three stars add up to 3 … 27 − 16 = 11:
    each lies in 1 … 9, none worked out, and both 10s stay shown. Wrong answer caught: a shown r read as
    exactly r + 2 (its low bound 'r + 5 // 2'), by which the stars add up to 27 − 24 = 3, all seem pinned
    at 1, and the 11 is hidden too."""
    assert disclose(_row(12, 11, 1, 2, 1), total_row=None).row(0) == ("r0", "10", "10", "*", "*", "*", "25")


def test_a_table_with_no_total_row_is_published_by_rows_and_a_share_of_nothing_is_blank() -> None:
    """No 'Total' row (the default asks for one): each row is a line. Row a, 3 and 20 of 23: the 3 is
    starred, then the 20 (the smallest other count), the total 23 rounds to 25 and the share is hidden with
    them. Row b: 40, 22 → 20, 62 → 60; 40 of the published 60 is 66.7%. Row c has nothing: its share is
    blank, not 'nan'. Wrong answers caught: a missing Total row taken as present (an error), a share
    worked out of a 0 denominator, and a filler instead of the blank."""
    table = pl.DataFrame({"m": ["a", "b", "c"], "yes": [3, 40, 0], "no": [20, 22, 0], "Total": [23, 62, 0]})
    out = disclose(table, shares={"% yes": ("yes", "Total")})
    assert out.rows() == [("a", "*", "*", "25", "*"), ("b", "40", "20", "60", "66.7"), ("c", "0", "0", "0", "")]


def test_national_figures_give_a_share_of_one_in_one_as_100_percent() -> None:
    """Under the 'none' rule nothing is hidden or rounded: 1 of 1 is 100.0%. Wrong answer caught: a
    denominator of 1 treated like 0 (a blank share)."""
    table = pl.DataFrame({"m": ["a"], "yes": [1], "Total": [1]})
    assert disclose(table, NONE, shares={"% yes": ("yes", "Total")}).row(0) == ("a", "1", "1", "100.0")


def test_a_table_with_no_total_column_is_published_by_columns() -> None:
    """Columns x and y with a Total row but no Total column: only the columns are lines. In x, 3 is starred
    and then 20 (the smallest other count); the column total 23 rounds to 25. Wrong answer caught: the
    missing Total column taken as present (the last count column read as each row's total)."""
    table = pl.DataFrame({"m": ["a", "b", "Total"], "x": [3, 20, 23], "y": [50, 60, 110]})
    assert disclose(table).rows() == [("a", "*", "50"), ("b", "*", "60"), ("Total", "25", "110")]


def test_an_empty_table_is_published_with_text_columns() -> None:
    """A quarter with no rows still publishes its columns as text (what the CSV writer expects), shares
    included. Wrong answer caught: columns left untyped (polars' Null) when there is nothing in them."""
    empty = pl.DataFrame(schema={"m": pl.String, "yes": pl.Int64, "Total": pl.Int64})
    out = disclose(empty, total_row=None, shares={"% yes": ("yes", "Total")})
    assert dict(out.schema) == {"m": pl.String, "yes": pl.String, "Total": pl.String, "% yes": pl.String}


def test_share_met_is_1_where_nothing_is_needed_and_supply_over_demand_elsewhere_without_warnings() -> None:
    """One area, one year, one draw. r1 needs 0 FTE and has 2, r2 needs 0 and has 0: nothing is unmet, so
    the share met is 1 (not inf, NaN or 2). r3 needs 0.5 and has 0.25: 0.25 / 0.5 = 0.5 (not 0.25 × 0.5,
    and not 1 for needing less than one FTE). numpy's x/0 must not print a RuntimeWarning at the user."""
    dims = SimpleNamespace(areas=("A",), years=(2025,), roles=("r1", "r2", "r3"))
    sim = SimpleNamespace(dims=dims, demand=np.array([0.0, 0.0, 0.5]).reshape(1, 1, 3, 1),
                          total_supply=np.array([2.0, 0.0, 0.25]).reshape(1, 1, 3, 1),
                          cost_per_fte=np.array([10.0, 20.0, 30.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = gap_table(sim, ["role"])  # type: ignore[arg-type]
    assert table["share_met"].to_list() == [1.0, 1.0, 0.5]


def test_supply_table_keeps_its_columns_and_the_areas_and_years_asked_for() -> None:
    """Two areas, two years, one role, one draw; supply 1, 2 in area A and 3, 4 in B. Asked for area B in
    2026: one row, B 2026 r 4.0 with its interval 4.0 … 4.0, under exactly these column names. Wrong
    answers caught: a column dropped or misnamed, the area or year filter ignored or mangled, and the errors
    asked for not passed on (the table then has no _mcse columns)."""
    dims = SimpleNamespace(areas=("A", "B"), years=(2025, 2026), roles=("r",))
    supply = np.array([1.0, 2.0, 3.0, 4.0]).reshape(2, 2, 1, 1)
    sim = SimpleNamespace(dims=dims, demand=np.zeros_like(supply), total_supply=supply, cost_per_fte=np.ones(1))
    table = supply_table(sim, ["role"], areas=["B"], years=[2026])  # type: ignore[arg-type]
    assert table.columns == ["area", "year", "role", "supply_fte", "supply_fte_p5", "supply_fte_p95"]
    assert table.rows() == [("B", 2026, "r", 4.0, 4.0, 4.0)]
    # with their Monte Carlo errors, as the workforce command and page ask: one draw, so each error is 0
    with_errors = supply_table(sim, ["role"], areas=["B"], years=[2026], errors=True)  # type: ignore[arg-type]
    assert with_errors.columns == [*table.columns, "supply_fte_mcse", "supply_fte_p5_mcse", "supply_fte_p95_mcse"]
    assert with_errors.rows() == [("B", 2026, "r", 4.0, 4.0, 4.0, 0.0, 0.0, 0.0)]


def test_a_trended_prevalence_is_never_above_1() -> None:
    """Prevalence 0.6 growing 100% a year: 0.6 in year 0, then 1.2, which is capped at 1 (no more than
    every child). Wrong answer caught: a cap above 1."""
    out = trended(np.full((1, 1, 1), 0.6), np.array([1.0]), np.array([0, 1]))
    assert out[:, 0, 0, 0].tolist() == [0.6, 1.0]


def test_a_zero_prevalence_gives_no_uplift_and_no_warning() -> None:
    """Prevalence 0 at the only level: Σ p × rr = 0, so nothing is scaled and the uplift is 0 × (rr − 1) = 0;
    numpy's 1/0 (worked out, then not used) must not print a RuntimeWarning at the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = uplift_factor(np.zeros((1, 1, 1)), np.array([[3.0]]))
    assert out.tolist() == [[[[0.0]]]]


def test_stock_when_nobody_leaves_adds_the_joiners_each_year_without_a_warning() -> None:
    """10 FTE, no leavers, 2 joiners a year: 10, 12, 14. The geometric formula's 0/0 for a = 1 must not be
    worked out (or, if it is, must not print a RuntimeWarning at the user)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = stock(np.array(10.0), np.array(0.0), np.array(0.0), np.array(2.0), 3)
    assert out.tolist() == [10.0, 12.0, 14.0]


def test_joiners_needed_when_nobody_leaves_and_when_the_target_is_already_met() -> None:
    """Nobody leaves: from 10 to 20 FTE in 5 years needs (20 − 10) / 5 = 2 a year (not NaN from the
    geometric formula's 0/0, not (20 − 10) × 5 = 50, not (20 + 10) / 5 = 6), with no RuntimeWarning. From
    10 to a target of 8: none needed — 0, not a negative number and not 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = joiners_needed(np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), np.array([20.0, 8.0]), 5)
    assert out.tolist() == [2.0, 0.0]


def test_a_fixed_input_is_drawn_as_itself_without_a_warning() -> None:
    """low = central = high = 4: every draw is 4, and the width of 0 must not be divided by (numpy would
    print a RuntimeWarning at the user)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = draw(np.random.default_rng(0), np.array([4.0]), np.array([4.0]), np.array([4.0]), 3)
    assert out.tolist() == [[4.0], [4.0], [4.0]]


def test_labelled_select_takes_the_labels_asked_for_in_the_order_asked() -> None:
    """Areas A, B, C with values 1, 2, 3 (and one year): selecting C then A gives 3, 1 labelled C, A.
    Wrong answers caught: the wrong axis, the wrong labels, or the selection not made."""
    arr = Labelled(np.array([[1.0], [2.0], [3.0]]), ("area", "year"), {"area": ("A", "B", "C"), "year": (2025,)})
    picked = arr.select("area", ["C", "A"])
    assert picked.values.tolist() == [[3.0], [1.0]]
    assert picked.dims == ("area", "year")
    assert picked.coords == {"area": ("C", "A"), "year": (2025,)}


def test_labelled_refuses_shapes_that_do_not_match_with_a_message_saying_how() -> None:
    """Wrong answer caught: a bare ValueError that does not say which dimension is wrong."""
    with pytest.raises(ValueError, match=r"^1 axes but dims \('area', 'year'\)$"):
        Labelled(np.zeros(2), ("area", "year"), {"area": ("A", "B"), "year": (2025,)})
    with pytest.raises(ValueError, match=r"^dim area: 2 values, 3 labels$"):
        Labelled(np.zeros(2), ("area",), {"area": ("A", "B", "C")})


def test_labelled_regroup_keeps_whole_numbers_whole_and_to_frame_gives_float_values() -> None:
    """Counts 1, 2, 3 for ages 0, 1, 2 into bands (0–1, 2): 3 and 3, still integers (counts stay exact);
    to_frame then gives the band column and a Float64 value column, as every table expects. Wrong answers
    caught: counts turned into floats by regroup, and a frame whose value column is not Float64."""
    arr = Labelled(np.array([1, 2, 3]), ("age",), {"age": (0, 1, 2)})
    bands = arr.regroup("age", "band", np.array([0, 0, 1]), ["0-1", "2"])
    assert bands.values.dtype == np.int64 and bands.values.tolist() == [3, 3]
    frame = bands.to_frame("cases")
    assert frame.schema == pl.Schema({"band": pl.String, "cases": pl.Float64})
    assert frame.rows() == [("0-1", 3.0), ("2", 3.0)]


def _close_sim() -> Simulation:
    """One area, years 2026–2028, roles A and B, three draws (the numbers the test below works by hand).
    A: 10 FTE in post for this population, 10% leave a year, 1.5 join; supply in 2026 is 11, 12 or 13 by
    draw (mean 12: 2 FTE of agency beyond the 10 in post), 9 in 2027. B: 10 in post, nobody leaves, 0.5 join,
    no agency (supply 10 in 2026, 7 in 2027). Demand by draw (median second; means differ from medians):
    A 15, 16, 30 / 18, 19, 40 / 20, 21, 29; B 5, 5, 5 / 12, 12, 13 / 11, 14, 20."""
    dims = Dims(areas=("X",), years=(2026, 2027, 2028), levels=(), groups=(), steps=(), roles=("A", "B"),
                bands=(), band_of_age=np.zeros(26, dtype=np.int64))
    demand = np.array([[[15, 16, 30], [5, 5, 5]], [[18, 19, 40], [12, 12, 13]], [[20, 21, 29], [11, 14, 20]]],
                      dtype=float)[None]  # [area, year, role, draw]
    supply = np.array([[[11, 12, 13], [10, 10, 10]], [[9, 9, 9], [7, 7, 7]], [[8, 8, 8], [6, 6, 6]]],
                      dtype=float)[None]
    return Simulation(dims=dims, draws=3, demand=demand, total_supply=supply, census=np.zeros((0, 3, 3)),
                      census_cells=(np.zeros(0, dtype=np.int64),) * 3, cost_per_fte=np.array([1.0, 1.0]),
                      joiners=np.array([[1.5, 0.5]]), stock0=np.array([[10.0, 10.0]]),
                      leaving=np.array([[0.1, 0.0]]), warnings=())


def test_joiners_to_close_solves_the_stock_formula_for_the_median_demand_less_agency_less_joiners_today() -> None:
    """Extra joiners a year that close the gap by the target year. Staff in post S0 follow S_t = S0 a^t +
    J (1 − a^t) / (1 − a) (a = 1 − leaving); the target is the median demand less the agency FTE (first-year
    supply averaged over draws, less S0), and today's joiners are taken off.
    A by 2028 (t = 2, a = 0.9): 10 × 0.81 + 1.9 J = 21 − 2 = 19 → J = 10.9 / 1.9 = 5.7368…; less 1.5.
    A by 2027 (t = 1): 9 + J = 19 − 2 → J = 8; less 1.5 → 6.5. A in 2026 (t = 0): no time to hire, the gap
    itself: 16 − 10 − 2 = 4; less 1.5 → 2.5.
    B (nobody leaves): by 2028 (14 − 10) / 2 = 2, by 2027 (12 − 10) / 1 = 2, each less 0.5 → 1.5; in 2026
    5 − 10 is a surplus: 0, not −5 nor −5.5.
    Wrong answers caught: the mean or another draw instead of the median, the wrong year's demand or supply,
    agency added or left in, the leaving rate ignored or counted twice, the gap formula used at t = 1 (7 −
    1.5 = 5.5) or the stock formula at t = 0 (0/0), today's joiners not taken off, a negative answer."""
    sim = _close_sim()
    assert sim.joiners_to_close(2028) == pytest.approx(np.array([[10.9 / 1.9 - 1.5, 1.5]]), rel=1e-12)
    assert sim.joiners_to_close(2027) == pytest.approx(np.array([[6.5, 1.5]]), rel=1e-12)
    assert sim.joiners_to_close(2026).tolist() == [[2.5, 0.0]]


def test_a_plan_says_which_estimate_it_was_run_with() -> None:
    """Wrong answers caught: a plan run on the high estimates labelled as something else (None), and a plan
    run with no estimate named not labelled 'central' (the column it used)."""
    assert run(tiny(), "high").estimate == "high"
    assert run(tiny()).estimate == "central"


def test_draws_with_no_seed_named_are_seed_1s_as_the_user_guide_says() -> None:
    """The user guide: `--seed N`, 'the random seed (default 1)'. Wrong answer caught: another default seed,
    which gives other draws (the tiny area's prevalence runs from 5% to 20%, so every draw differs); and a
    simulation that does not say it holds the 20 draws asked for."""
    default, seed_1, seed_2 = (simulate(tiny(), draws=20, **kw) for kw in ({}, {"seed": 1}, {"seed": 2}))
    assert default.draws == 20  # and the simulation says how many draws it holds
    default, seed_1, seed_2 = default.demand, seed_1.demand, seed_2.demand
    assert np.array_equal(default, seed_1)
    assert not np.array_equal(default, seed_2)


_CHANGE = "scenario 's', change to "
_NUMERIC = ("headcount, fte_in_post, fte_in_post_low, fte_in_post_high, vacant_fte, vacancy_fill_rate, agency_fte, "
            "leaver_rate, leaver_rate_low, leaver_rate_high, share_aged_55_plus, retirement_rate, joiners_per_year, "
            "joiners_low, joiners_high, cyp_share, cyp_share_low, cyp_share_high, fte_per_head_trend")
_MOVE = {"input": "role_mix", "column": "share", "operation": "move", "value": 0.1}


@pytest.mark.parametrize(("change", "message", "field"), [
    ({"input": "colours", "column": "x", "operation": "set", "value": 1},
     "colours.x: 'colours' is not an input that can be changed", "input"),
    ({"input": "scenarios", "column": "value", "operation": "set", "value": 1},
     "scenarios.value: 'scenarios' is not an input that can be changed", "input"),
    ({"input": "workforce", "column": "sector", "operation": "set", "value": 1},
     f"workforce.sector: 'sector' is not a numeric column of workforce ({_NUMERIC})", "column"),
    ({"input": "pathway_steps", "column": "step", "operation": "set", "value": 1},  # order is a whole number
     "pathway_steps.step: 'step' is not a numeric column of pathway_steps (order, low, central, high)", "column"),
    ({"input": "workforce", "column": "leaver_rate", "where": "role", "operation": "add", "value": 1},
     "workforce.leaver_rate: 'role' is not 'column=value'", "where"),
    ({"input": "workforce", "column": "leaver_rate", "where": "colour=red; size=big", "operation": "add", "value": 1},
     "workforce.leaver_rate: workforce has no column colour, size", "where"),
    ({"input": "workforce", "column": "leaver_rate", "where": "role=zz", "operation": "add", "value": 1},
     "workforce.leaver_rate: no row of workforce matches 'role=zz'", "where"),
    ({"input": "workforce", "column": "leaver_rate", "where": "role=a; role=b", "operation": "add", "value": 1},
     "workforce.leaver_rate: 'role' is given twice", "where"),
    ({"input": "workforce", "column": "leaver_rate", "operation": "add", "value": -0.5},  # 0.1 − 0.5
     "workforce.leaver_rate: makes leaver_rate -0.4, below 0", "value"),
    ({"input": "workforce", "column": "leaver_rate", "operation": "add", "value": 2},  # 0.1 + 2
     "workforce.leaver_rate: makes leaver_rate 2.1, above 1", "value"),
    ({"input": "workforce", "column": "leaver_rate", "operation": "move", "value": 0.1, "to_role": "a"},
     "workforce.leaver_rate: move applies to role_mix.share only", "operation"),
    (_MOVE | {"where": "role=a", "to_role": ""},
     "role_mix.share: move needs to_role, a role of the roles input, to take the share", "to_role"),
    (_MOVE | {"where": "role=a", "to_role": "nobody"},
     "role_mix.share: move needs to_role, a role of the roles input, to take the share ('nobody' is not one)",
     "to_role"),
    (_MOVE | {"where": "role=b", "value": 0.5, "to_role": "a"},  # role b has 0.25 of the one step
     "role_mix.share: role 'b' has only 0.25 of step 'see' to move, not 0.5", "value"),
])
def test_a_scenario_that_cannot_apply_says_which_change_and_why_in_full(change: dict[str, object],
                                                                       message: str, field: str) -> None:
    """The whole message, as the user reads it: which scenario, which input and column, and what is wrong
    (the tiny area's workforce: leaver rate 0.1; its role mix: roles a 0.75 and b 0.25 of step 'see'), and the
    column of the change at fault, beside which the web form shows the message. Wrong answers caught: a message
    with a part missing or changed, the wrong number or bound, and the message put beside the wrong field."""
    with pytest.raises(ScenarioError) as e:
        apply(inputs(), scenario(change), "s")
    assert (str(e.value), e.value.field) == (_CHANGE + message, field)


def test_an_unknown_scenario_names_the_known_ones_or_says_how_to_add_some() -> None:
    """Wrong answers caught: the known scenarios not listed (each once, in order, comma-separated), and no
    hint when there are none."""
    two = pl.concat([scenario({"input": "workforce", "column": "leaver_rate", "operation": "add", "value": 0}),
                     scenario({"input": "workforce", "column": "leaver_rate", "operation": "add", "value": 0}),
                     scenario({"scenario": "t", "input": "workforce", "column": "leaver_rate", "operation": "add",
                               "value": 0})])
    with pytest.raises(ScenarioError) as e:
        apply(inputs(), two, "x")
    assert str(e.value) == "no scenario named 'x'; the scenarios are: s, t"
    with pytest.raises(ScenarioError) as e:
        apply(inputs(), two.clear(), "x")
    assert str(e.value) == ("no scenario named 'x'; the scenarios are: "
                            "none yet (import some with 'cyplan import scenarios')")


def test_need_and_demand_tables_keep_only_the_areas_and_years_asked_for() -> None:
    """The tiny area over 2025–2027 (test_supply.inputs): 26 ages × 200 = 5,200 children, 220 cases a year
    (2,200 aged 5–15 at 10%), 42.3 per 1,000; demand 2,200 hours a year, 1,650 for role a and 550 for b.
    Wrong answers caught: the years or areas asked for ignored (every year shown) or nothing kept."""
    plan = run(inputs())
    need = need_table(plan, years=[2026])
    assert need.rows() == [("T1", 2026, 5200.0, pytest.approx(220.0), 0.0, pytest.approx(220 / 5.2))]
    demand = demand_table(plan, areas=["T1"], years=[2026, 2027])
    assert demand.select("year", "role", "hours").rows() == [
        (2026, "a", pytest.approx(1650.0)), (2026, "b", pytest.approx(550.0)),
        (2027, "a", pytest.approx(1650.0)), (2027, "b", pytest.approx(550.0))]


def test_need_refuses_a_breakdown_it_cannot_give_naming_each_one_and_the_choices() -> None:
    """Wrong answers caught: the message with the breakdowns asked for or the choices missing, changed or
    not separated by ', '."""
    with pytest.raises(ValueError) as e:
        need_table(run(tiny()), ["role", "level", "colour"])
    assert str(e.value) == "need cannot be broken down by role, colour; choose from level, age-band, sex"


def test_draws_follow_the_pert_distribution_when_it_is_asked_for() -> None:
    """The tiny area's prevalence is 5% / 10% / 20% (low, central, high), and demand is in proportion to it,
    so demand ÷ central demand has the mean of the prevalence draws ÷ 10%: PERT (0.05 + 4 × 0.1 + 0.2) / 6 =
    0.10833 → 1.0833; triangular (0.05 + 0.1 + 0.2) / 3 = 0.11667 → 1.1667. PERT's variance is
    (μ − a)(b − μ) / 7 = 0.0583 × 0.0917 / 7, a standard deviation of 0.0276 (0.276 in the ratio), so the
    mean of 4,000 draws has a standard error of 0.0044: the tolerance of 0.02 is 4.5 of them (a false alarm
    about once in 150,000 seeds; the seed is fixed), and triangular's 1.1667 is 0.083 away. Wrong answer
    caught: the triangular draws made whatever distribution is asked for."""
    central = simulate(tiny()).demand[..., 0]
    ratio = simulate(tiny(), draws=4000, seed=5, distribution="pert").demand / central[..., None]
    assert ratio.mean() == pytest.approx(0.65 / 6 / 0.1, abs=0.02)


def _two_areas() -> dict[str, pl.DataFrame]:
    """test_model's tiny area T1 (100 children of each sex at every age) and T2 with half as many."""
    f = tiny()
    t2 = f["population"].with_columns(pl.lit("T2").alias("area"), pl.col("count") / 2)
    f["population"] = pl.concat([f["population"], t2])
    f["areas"] = pl.concat([f["areas"], f["areas"].with_columns(pl.lit("T2").alias("code"))])
    return f


def test_need_and_demand_tables_keep_only_the_area_asked_for_and_demand_breaks_down_by_age_band() -> None:
    """T2: 26 ages × 100 = 2,600 children, 1,100 aged 5–15 at 10% = 110 cases, 1,100 hours of demand (10 a
    case), all in the school band. Wrong answers caught: the area asked for ignored (T1's 220 cases or both
    areas shown), and demand by age band failing or putting hours outside the school band."""
    plan = run(_two_areas())
    need = need_table(plan, areas=["T2"])
    assert need.select("area", "population", "cases").rows() == [("T2", 2600.0, pytest.approx(110.0))]
    demand = demand_table(plan, ["age-band"], areas=["T2"])
    assert demand.select("area", "age_band", "hours").rows() == [
        ("T2", "young", 0.0), ("T2", "school", pytest.approx(1100.0)), ("T2", "older", 0.0)]


def test_joiners_to_close_from_a_whole_simulation_uses_this_populations_staff_joiners_and_leavers() -> None:
    """test_supply.inputs() with 100 hours a case instead of 10: demand for role a is 220 cases × 100 h ×
    0.75 ÷ 931.5 = 17.71 FTE, for b 220 × 100 × 0.25 ÷ 931.5 = 5.90. Role a: 10 FTE in post (all on this
    population), 1 agency, 2 joiners, 10% leave: by 2027 (t = 2) 10 × 0.81 + 1.9 J = 17.71 − 1, less the 2
    joining today. Role b: 4 in post at a share of 0.5 → 2, no agency, 2 × 0.5 = 1 joiner, 10% leave:
    2 × 0.81 + 1.9 J = 5.90, less 1. Wrong answers caught: the simulation not keeping the staff in post,
    joiners or leaving rates for this population (or keeping them for all of the staff's time)."""
    f = inputs()
    f["pathway_steps"] = f["pathway_steps"].with_columns(pl.lit(100.0).alias(c) for c in ("low", "central", "high"))
    demand_a, demand_b = 16_500 / 931.5, 5_500 / 931.5
    expected = [(demand_a - 1 - 8.1) / 1.9 - 2, (demand_b - 1.62) / 1.9 - 1]
    assert simulate(f).joiners_to_close(2027).tolist() == [pytest.approx(expected, rel=1e-9)]


def test_a_scenario_can_change_a_whole_number_column_and_a_where_value_may_hold_an_equals_sign() -> None:
    """Need at ages 5–17 instead of 5–15 (prevalence.age_to, a whole-number column, set to 17): 13 ages ×
    200 children × 10% = 260 cases (not 220, and not refused as 'not a numeric column'). In 'where', only
    the first '=' separates the column from the value: 'source=a=b' is the column source, value 'a=b'."""
    changed = apply(tiny(), scenario({"input": "prevalence", "column": "age_to", "operation": "set", "value": 17}),
                    "s")
    assert changed["prevalence"]["age_to"].to_list() == [17]
    assert need_table(run(changed))["cases"].to_list() == [pytest.approx(260.0)]
    assert parse_where(" source = a=b ; role=x") == {"source": "a=b", "role": "x"}


def test_a_change_that_takes_a_low_bound_below_its_minimum_is_refused() -> None:
    """Leaver rate 0.1 (low 0.05): adding −0.08 leaves the central 0.02, but the low bound, moved with it,
    becomes 0.05 − 0.08 = −0.03. Wrong answer caught: only the changed column checked, a negative low
    leaver rate accepted."""
    with pytest.raises(ScenarioError) as e:
        apply(inputs(leaver_rate_low=0.05), scenario({"input": "workforce", "column": "leaver_rate",
                                                      "operation": "add", "value": -0.08}), "s")
    assert str(e.value) == _CHANGE + "workforce.leaver_rate: makes leaver_rate_low -0.03, below 0"


def test_move_is_refused_on_a_share_column_of_another_input() -> None:
    """localities has a 'share' column too; a move applies to role_mix.share only. Wrong answer caught:
    the move tried on any input whose column is called share (or on role_mix's other columns)."""
    f = tiny() | {"localities": frame("localities", [{"locality": "n", "label": "North", "share": 1.0}])}
    with pytest.raises(ScenarioError) as e:
        apply(f, scenario({"input": "localities", "column": "share", "operation": "move", "value": 0.5,
                           "to_role": "a"}), "s")
    assert str(e.value) == _CHANGE + "localities.share: move applies to role_mix.share only"


def _mix(*rows: tuple[str, str, float]) -> pl.DataFrame:
    return frame("role_mix", [{"level": "t", "step": st, "role": r, "share": v} for st, r, v in rows])


def test_move_may_take_all_of_a_share_and_give_it_to_a_role_not_yet_on_the_step() -> None:
    """Step 'see' is all role a's (1.0). Moving 0.25 to role b adds b's row: a 0.75, b 0.25, its source
    blank (not null). Moving all of it (1.0) leaves a 0. Wrong answers caught: b's new row dropped (the
    share lost), a null source, and moving the whole share refused as 'only 1 … to move, not 1'."""
    f = tiny() | {"role_mix": _mix(("see", "a", 1.0))}
    move = {"input": "role_mix", "column": "share", "where": "role=a", "operation": "move", "to_role": "b"}
    part = apply(f, scenario(move | {"value": 0.25}), "s")["role_mix"]
    assert part.select("role", "share", "source").rows() == [("a", 0.75, ""), ("b", 0.25, "")]
    whole = apply(f, scenario(move | {"value": 1.0}), "s")["role_mix"]
    assert whole.select("role", "share").rows() == [("a", 0.0), ("b", 1.0)]


def test_move_from_a_role_short_on_two_steps_names_the_first() -> None:
    """Role b has 0.25 of 'see' and 0.2 of 'talk'; moving 0.3 of each is short on both, and the message
    names the first. Wrong answer caught: the message failing when more than one step is short."""
    f = tiny() | {"role_mix": _mix(("see", "a", 0.75), ("see", "b", 0.25), ("talk", "a", 0.8), ("talk", "b", 0.2))}
    with pytest.raises(ScenarioError) as e:
        apply(f, scenario({"input": "role_mix", "column": "share", "where": "role=b", "operation": "move",
                           "value": 0.3, "to_role": "a"}), "s")
    assert str(e.value) == _CHANGE + "role_mix.share: role 'b' has only 0.25 of step 'see' to move, not 0.3"


def test_a_simulation_with_no_workforce_has_no_census_rows_and_no_supply() -> None:
    """The tiny area has no workforce input: no census row (not one phantom row) and supply zero for its one
    area, year and two roles in all five sectors. Wrong answer caught: a broken empty census (wrong
    indices or a row of zeros) that fails or shows supply when asked by sector."""
    sim = simulate(tiny())
    assert sim.census.shape == (0, 1, 1)
    assert sim.supply.shape == (1, 1, 2, 5, 1) and not sim.supply.any()


def test_a_change_may_reach_a_columns_bounds_but_not_pass_them() -> None:
    """Leaver rate (a share, 0 to 1) set to exactly 0 or exactly 1 is allowed (its low and high, 0.1 each,
    move with it to 0 or 1); a prevalence trend (a number from −0.5 to 1) of 0.1 less 0.7 = −0.6 is below
    its own minimum, −0.5. Wrong answers caught: the bounds themselves refused, and a number column's
    minimum ignored."""
    for value in (0, 1):
        out = apply(inputs(), scenario({"input": "workforce", "column": "leaver_rate", "operation": "set",
                                        "value": value}), "s")["workforce"]
        assert out.select("leaver_rate_low", "leaver_rate", "leaver_rate_high").rows() == [(value,) * 3] * 2
    f = tiny() | {"prevalence_trends": frame("prevalence_trends", [{"level": "t", "low": 0.1, "central": 0.1,
                                                                    "high": 0.1}])}
    with pytest.raises(ScenarioError) as e:
        apply(f, scenario({"input": "prevalence_trends", "column": "central", "operation": "add", "value": -0.7}),
              "s")
    assert str(e.value) == _CHANGE + "prevalence_trends.central: makes central -0.6, below -0.5"


def _hundred_hours(b_cyp_share: float, **over: object) -> dict[str, pl.DataFrame]:
    """test_supply.inputs() at 100 hours a case (demand: role a 16,500 / 931.5 FTE, b 5,500 / 931.5), with
    role b's share of time on this population set."""
    f = inputs(**over)
    f["pathway_steps"] = f["pathway_steps"].with_columns(pl.lit(100.0).alias(c) for c in ("low", "central", "high"))
    b = pl.col("role") == "b"
    f["workforce"] = f["workforce"].with_columns(pl.when(b).then(b_cyp_share).otherwise(pl.col("cyp_share"))
                                                 .alias("cyp_share"))
    return f


def test_joiners_to_close_count_retirement_as_leaving_and_a_role_with_no_staff_here_as_losing_none() -> None:
    """By 2027 (t = 2), S2 = S0 a² + J (1 + a). With 5% retiring beside 10% leaving, role a's a is 0.85:
    10 × 0.7225 + 1.85 J = 17.71 − 1 (agency), less 2 joining today. Role b spends none of its time on this
    population (share 0): no staff, no agency, no joiners here, so nobody to lose (a = 1): J = 5.90 / 2,
    with no RuntimeWarning from its 0 ÷ 0. With b's share at 0.25 instead (4 × 0.25 = 1 FTE, 2 × 0.25 =
    0.5 joiners, 10% leaving): 1 × 0.81 + 1.9 J = 5.90, less 0.5. Wrong answers caught: retirement taken
    off the leaving rate, a role with no staff here given NaN, None or 100% leaving, and a role with 1 FTE
    or less here treated as losing nobody."""
    demand_a, demand_b = 16_500 / 931.5, 5_500 / 931.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        none_here = simulate(_hundred_hours(0.0, retirement_rate=0.05)).joiners_to_close(2027)
    assert none_here.tolist() == [pytest.approx([(demand_a - 1 - 7.225) / 1.85 - 2, demand_b / 2], rel=1e-9)]
    one_fte = simulate(_hundred_hours(0.25)).joiners_to_close(2027)
    assert one_fte[0, 1] == pytest.approx((demand_b - 0.81) / 1.9 - 0.5, rel=1e-9)


def test_gender_columns_follow_the_code_lists_labels_and_a_list_without_female_or_male_puts_all_in_other() -> None:
    """Codes are positions in the gender code list (1 = first category, 0 blank, −1 not on the list). With
    Female, Male, Other: codes 1, 2, 3, 0, −1 go to columns 0 (female), 1 (male), 2, 2, 2. A list with
    neither 'female' nor 'male' (Woman, Man) puts every code in column 2, and so does a code of 99 (no
    category there). Wrong answers caught: a list without those labels failing, and 99 read as female or
    male."""
    assert gender_column(np.array([1, 2, 3, 0, -1, 99]), ["Female", "Male", "Other"]).tolist() == [0, 1, 2, 2, 2, 2]
    assert gender_column(np.array([1, 2, 0, -1, 99]), ["Woman", "Man"]).tolist() == [2, 2, 2, 2, 2]


def test_a_draw_of_2_to_the_18_values_or_more_is_worked_in_parts_and_gives_the_triangular_inverse_cdf() -> None:
    """1,024 draws of 256 rows (262,144 = 2^18 values, where the work is shared between threads): rows 0–127
    triangular with low 0, central 0, high 10, whose CDF is F(x) = 1 − (1 − x/10)², so a uniform u gives
    x = 10 (1 − √(1 − u)); rows 128–255 fixed at 5 (low = central = high). The uniforms are the generator's
    first 262,144 (draws × rows, in that order), as with fewer rows. Wrong answers caught: the threaded path
    broken (the work or the row count not passed to in_parts: a TypeError at national scale, where no small
    test goes), and a row given the wrong values when the work is cut in parts."""
    low = np.r_[np.zeros(128), np.full(128, 5.0)]
    high = np.r_[np.full(128, 10.0), np.full(128, 5.0)]
    out = draw(np.random.default_rng(7), low, low.copy(), high, 1024)
    u = np.random.default_rng(7).random((1024, 256))
    assert out.shape == (1024, 256)
    np.testing.assert_allclose(out[:, :128], 10 * (1 - np.sqrt(1 - u[:, :128])), rtol=1e-12)
    assert (out[:, 128:] == 5.0).all()


def test_quantile_errors_of_evenly_spread_draws_are_the_rank_spread_times_the_gap_between_draws() -> None:
    """101 draws 0, 1, …, 100: np.quantile's q-quantile is 100 q, so the SE (Q(q + z s) − Q(q − z s)) / 2z
    with s = √(q (1 − q) / n) is 100 s exactly: for the median 100 × √(0.25 / 101) = 100 × 0.5 / 10.04988 =
    4.97519, for the 5th and 95th percentiles 100 × √(0.0475 / 101) = 100 × 0.0216863 = 2.16863 (none of
    the six quantiles read is clipped: 0.05 − 1.96 × 0.0216863 = 0.0075 ≥ 0). Wrong answers caught: z
    divided by the root, n multiplied in, q / (1 − q), q (1 + q) or q (2 − q) for q (1 − q), and both
    quantiles read above q (an SE of 0)."""
    e5, e50, e95 = quantile_errors(np.arange(101.0)[None, :])
    assert np.allclose([e5[0], e50[0], e95[0]], [2.16863, 4.97519, 2.16863], rtol=1e-5)


def test_a_fixed_row_has_its_value_at_every_probability_asked_for() -> None:
    """low = central = high = 3, asked at u = 0.1 and 0.9: [3.0, 3.0], one value per probability. Wrong
    answer caught: a single 3.0 instead of one per u (the shape of the probabilities lost)."""
    out = triangular_quantile(np.array([0.1, 0.9]), 3.0, 3.0, 3.0)
    assert out.shape == (2,) and out.tolist() == [3.0, 3.0]


def test_draws_are_doubles_even_when_every_row_is_fixed_at_a_whole_number() -> None:
    """low = central = high = 2 (whole numbers, so NumPy would keep them as integers): 4 draws of 2.0, as
    doubles, like every other draw. Wrong answer caught: the inputs left in their own type, so a fixed row's
    draws come back as integers (and integer division or overflow downstream)."""
    out = draw(np.random.default_rng(1), np.array([2]), np.array([2]), np.array([2]), 4)
    assert out.dtype == np.float64 and out.tolist() == [[2.0]] * 4


@pytest.mark.parametrize("central", [5.0, 25.0])
def test_a_central_value_outside_its_range_puts_the_peak_at_the_nearer_end_and_no_draw_outside(central: float) -> None:
    """low 10, high 20, central 5 (below) or 25 (above): the peak goes to 10 or 20, so every one of 2,000
    draws lies in [10, 20]. With the peak at 10 (mode 0) a uniform u gives 10 + 10 (1 − √(1 − u)); at 20
    (mode 1) 10 + 10 √u. Wrong answers caught: the mode not clipped at 0 or at 1 (or clipped at 2), which
    puts draws below 10 or above 20."""
    out = draw(np.random.default_rng(3), np.array([10.0]), np.array([central]), np.array([20.0]), 2000)
    u = np.random.default_rng(3).random((2000, 1))
    expected = 10 + 10 * (1 - np.sqrt(1 - u)) if central < 10 else 10 + 10 * np.sqrt(u)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out.min() >= 10 and out.max() <= 20
    inverse = triangular_quantile(np.array([0.0, 0.5, 1.0]), 10.0, central, 20.0)
    assert inverse.min() >= 10 and inverse.max() <= 20


@pytest.mark.parametrize("distribution", ["triangular", "pert"])
def test_a_row_without_a_range_is_its_central_value_under_either_distribution(distribution: str) -> None:
    """Row 0: low 0, central 1, high 4 (a range); row 1: low 5, high 5 but central 6; row 2: high 3 below low
    7, central 5. Rows 1 and 2 have no range (high − low ≤ 0), so every draw of theirs is the central value,
    6 and 5, as the module says of a row without one. Wrong answers caught: such a row drawn as low + u × 0 =
    low (5 and 7) or low + u × (a negative width), under PERT or under the triangular's in-place path."""
    low, central, high = np.array([0.0, 5.0, 7.0]), np.array([1.0, 6.0, 5.0]), np.array([4.0, 5.0, 3.0])
    out = draw(np.random.default_rng(5), low, central, high, 50, distribution)  # type: ignore[arg-type]
    assert (out[:, 1] == 6.0).all() and (out[:, 2] == 5.0).all()
    assert ((out[:, 0] >= 0) & (out[:, 0] <= 4)).all() and out[:, 0].std() > 0


def test_a_workforce_where_almost_nobody_leaves_is_not_taken_for_one_where_nobody_does() -> None:
    """Leavers 0.0004% and retirements 0.0001% a year: a = 1 − 0.000005 stays a year. Worked with exact fractions:
    Σ a^k for k = 0 … 9 = (1 − a^10) / (1 − a) = 9.999775003; 100 in post and 2 joiners a year are then 100 a^10 +
    2 × 9.999775003 = 119.994550118 after ten years; and 120 in ten years from 100 takes (120 − 100 a^10)(1 − a) /
    (1 − a^10) = 2.000545000 joiners a year. With nobody leaving (a = 1) the sum is 10 itself. Wrong answers
    caught: a within NumPy's default relative tolerance of 1 (1e-5) taken as exactly 1 (10, 120 and 2.0), and the
    a = 1 case lost (0 ÷ 0)."""
    leaver, retire = np.array([0.000004]), np.array([0.000001])
    a = 1.0 - leaver - retire
    assert annuity(a, 10) == pytest.approx([9.999775003], rel=1e-9)
    assert annuity(np.array([1.0]), 10) == pytest.approx([10.0])
    in_post = stock(np.array([100.0]), leaver, retire, np.array([2.0]), 11)
    assert in_post[0, 10] == pytest.approx(119.994550118, rel=1e-11)
    assert joiners_needed(np.array([100.0]), leaver, retire, np.array([120.0]), 10) == pytest.approx([2.000545000],
                                                                                                       rel=1e-9)


def test_moves_between_sectors_without_age_bands_by_hand_with_more_rows_than_draws() -> None:
    """Three census rows (the NHS, the council and the voluntary sector's, one area and role) of 10, 5 and 4 FTE,
    two draws each (the same), 10% leaving a year, no retirements, joiners or recruitment; 20% of the first
    row's staff move to the second each year. Year 1: row 0 = 10 − 1 − 2 = 7, row 1 = 5 − 0.5 + 2 = 6.5, row 2 =
    4 − 0.4 = 3.6; year 2: 7 − 0.7 − 1.4 = 4.9, 6.5 − 0.65 + 1.4 = 7.25, 3.6 − 0.36 = 3.24. Wrong answer caught:
    the one-band joiner and trainee profiles made with a row for each draw instead of each census row (with
    fewer draws than rows, the rows past the draws have no profile); and with no agency input, agency FTE made
    NaN, or zeros of the wrong shape (an error with 2 or 3 draws)."""
    from dataclasses import replace

    from cyplan.model.supply import Rates, Transfers, project, project_moving

    rows, draws = 3, 2
    full = np.ones((rows, draws))
    moves = Transfers(groups=((np.array([0]), np.array([1]), np.array([0.2])),), out_rate=np.array([0.2, 0.0, 0.0]),
                      to_agency=np.zeros(rows), from_agency=np.zeros(rows))
    r = Rates(fte0=np.array([[10.0], [5.0], [4.0]]) * full, leaver=0.1 * full, retire=0 * full, joiners=0 * full,
              establishment=np.zeros((rows, 1)), fill=np.zeros((rows, 1)), arrivals=np.zeros((rows, 3, draws)),
              transfers=moves)
    out = project(r, 3)
    np.testing.assert_allclose(out[:, 1], [[7.0] * 2, [6.5] * 2, [3.6] * 2], rtol=1e-12)
    np.testing.assert_allclose(out[:, 2], [[4.9] * 2, [7.25] * 2, [3.24] * 2], rtol=1e-12)
    # no agency input: no agency FTE, in any year, however many draws (not NaN, not an error)
    for n in (2, 3):
        wider = replace(r, **{k: getattr(r, k)[:, :1] * np.ones((rows, n)) for k in ("fte0", "leaver", "retire",
                                                                                     "joiners")},
                        arrivals=np.zeros((rows, 3, n)))
        assert (project_moving(wider, 3)[1] == 0).all()


def test_a_caseload_of_no_cases_keeps_the_census_share_and_one_case_is_enough_to_set_it() -> None:
    """Three census rows with the census's CYP share 0.5 (0.4–0.6): the NHS's caseload has no cases at all, the
    council's one case, in this population; the voluntary sector has no caseload. The NHS keeps 0.5 (no cases say
    nothing); the council's share is 1 / 1 = 1 with Wilson's 90% interval, worked by hand with z = 1.6449: z²/n =
    2.7055, centre (1 + 1.3528) / 3.7055 = 0.6349, half 1.6449 / 3.7055 × √(2.7055 / 4) = 0.3651, so 0.2699–1;
    the voluntary sector keeps 0.5. Wrong answers caught: a caseload of no cases used (0 ÷ 0: a share of NaN),
    and a caseload of one case ignored."""
    workforce = pl.DataFrame({"area": ["A"] * 3, "role": ["r"] * 3, "sector": ["NHS", "LA", "VCS"],
                              "cyp_share": [0.5] * 3, "cyp_share_low": [0.4] * 3, "cyp_share_high": [0.6] * 3})
    caseloads = pl.DataFrame({"area": ["A"] * 3, "role": ["r"] * 3, "sector": ["NHS", "NHS", "LA"],
                              "in_population": ["yes", "no", "yes"], "cases": [0, 0, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the point is the answer, not whether NumPy warned on the way
        out = with_caseload_shares(workforce, caseloads)
    assert out["sector"].to_list() == ["NHS", "LA", "VCS"]
    assert out["cyp_share"].to_list() == [0.5, 1.0, 0.5]
    assert out["cyp_share_low"].to_list() == pytest.approx([0.4, 0.26987, 0.4], abs=1e-5)
    assert out["cyp_share_high"].to_list() == pytest.approx([0.6, 1.0, 0.6])


def test_when_every_child_is_in_a_group_with_no_risk_the_rate_outside_the_groups_is_0() -> None:
    """One area, year, age, sex and level; prevalence 10%; one group, with relative risk 0, holding every child
    (share 1): the denominator 1 + 1 × (0 − 1) is 0, and the rate among children outside the groups is 0 (there
    are none), not 10%. Beside it a group with relative risk 3 holding half the children: 0.1 / (1 + 0.5 × 2) =
    0.05. Wrong answer caught: a denominator of exactly 0 read as 1 (the rate returned as the prevalence)."""
    prevalence = np.full((1, 1, 1, 1), 0.1)
    none = outside_rate(prevalence, np.array([[0.0]]), np.ones((1, 1, 1, 1, 1)))
    half = outside_rate(prevalence, np.array([[3.0]]), np.full((1, 1, 1, 1, 1), 0.5))
    assert none.ravel().tolist() == [0.0]
    assert half.ravel().tolist() == pytest.approx([0.05])


def test_staff_cost_sums_the_areas_and_years_asked_for_under_its_column_names() -> None:
    """Two areas, two years, two roles, one draw; demand FTE in area A 1 and 2 (roles r1, r2) each year, in B 3
    and 4; a FTE costs 10 (r1) and 100 (r2). Area B alone: 3 × 10 + 4 × 100 = 430 a year; both areas: (1 + 3) ×
    10 + (2 + 4) × 100 = 640; asked for 2026 only, one row. One draw, so the interval is 430 … 430 and each
    Monte Carlo error 0. Wrong answers caught: the areas named ignored or turned round (all areas, none, or the
    others), the year filter ignored, and a column misnamed (cost_P5, cost_XX_p95XX_mcse …)."""
    dims = SimpleNamespace(areas=("A", "B"), years=(2025, 2026), roles=("r1", "r2"))
    demand = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0], [3.0, 4.0]]).reshape(2, 2, 2, 1)
    sim = SimpleNamespace(dims=dims, demand=demand, cost_per_fte=np.array([10.0, 100.0]))
    b = staff_cost(sim, areas=["B"], years=[2026])  # type: ignore[arg-type]
    assert b.columns == ["year", "cost", "cost_p5", "cost_p95", "cost_mcse", "cost_p5_mcse", "cost_p95_mcse"]
    assert b.rows() == [(2026, 430.0, 430.0, 430.0, 0.0, 0.0, 0.0)]
    assert staff_cost(sim)["cost"].to_list() == [640.0, 640.0]  # type: ignore[arg-type]


def test_group_shares_are_0_where_there_are_no_children_and_scaled_to_1_where_groups_overlap() -> None:
    """One area and year, two ages (one sex), two groups. Age 0: no children at all, groups of 0: shares 0 and 0
    (no share can be worked out, and none is given). Age 1: 10 children, groups of 6 and 8 (some children in
    both): 0.6 + 0.8 = 1.4 > 1, so scaled to sum to 1: 0.6 / 1.4 = 0.428571 and 0.8 / 1.4 = 0.571429. Wrong
    answers caught: a share of 1 where there are no children, and the overlap multiplied instead of divided."""
    group_size = np.array([[0.0, 6.0], [0.0, 8.0]]).reshape(1, 1, 2, 2, 1)  # [area, year, group, age, sex]
    population = np.array([0.0, 10.0]).reshape(1, 1, 2, 1)  # [area, year, age, sex]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shares = group_shares(group_size, population)  # [area, year, age, sex, group]
    assert shares[0, 0, 0, 0].tolist() == [0.0, 0.0]
    assert shares[0, 0, 1, 0].tolist() == pytest.approx([0.428571, 0.571429], abs=1e-6)


def test_counted_cases_add_to_the_population_times_prevalence_by_hand() -> None:
    """One area, year, age and sex; 100 children, prevalence 10% and 2% at two levels: 10 and 2 cases. Need
    counts of 10 and 20 in two count groups, shares [[0.5, 0.1], [0.2, 0.3]] by level: 10 × 0.5 + 20 × 0.2 =
    9 and 10 × 0.1 + 20 × 0.3 = 7 more cases, so 19 and 9 (no groups, so no uplift). Wrong answers caught: the
    counts' cases left out, subtracted, or the groups and levels crossed."""
    counted = counted_cases(np.array([10.0, 20.0]).reshape(1, 1, 2, 1, 1), np.array([[0.5, 0.1], [0.2, 0.3]]))
    assert counted.ravel().tolist() == pytest.approx([9.0, 7.0])
    result = need(np.full((1, 1, 1, 1), 100.0), np.array([0.1, 0.02]).reshape(1, 2, 1, 1),
                  np.zeros((1, 1, 0, 1, 1)), np.zeros((0, 2)), counted=counted)
    assert result.cases.ravel().tolist() == pytest.approx([19.0, 9.0])


def test_a_population_average_counts_each_group_as_its_scaled_share_of_the_children() -> None:
    """One area, year, age, sex and level; 10 children; groups of 6 and 8 (they overlap: shares 0.6 and 0.8, scaled
    to 0.428571 and 0.571429 so they sum to 1); relative risks 2 and 3; prevalence 10%, a population average. The
    rate outside the groups p₀ = 0.1 / (1 + 0.428571 × 1 + 0.571429 × 2) = 0.0388889; a group's rate p₀ × rr =
    0.0777778 and 0.1166667; each group counts as its scaled share of the 10 children, 4.28571 and 5.71429, so
    the uplifts are 4.28571 × (0.0777778 − 0.1) = −0.0952381 and 5.71429 × (0.1166667 − 0.1) = +0.0952381 (they
    sum to 0: the average is kept). Wrong answers caught: the groups counted at their own sizes (6 and 8, uplifts
    ∓0.133333), and averages asked for without the population not refused with the reason."""
    args = (np.array([6.0, 8.0]).reshape(1, 1, 2, 1, 1), np.full((1, 1, 1, 1), 0.1), np.array([[2.0], [3.0]]))
    uplift = group_uplift(*args, np.full((1, 1, 1, 1), 10.0), np.ones((1, 1, 1), dtype=bool))
    assert uplift.ravel().tolist() == pytest.approx([-0.0952381, 0.0952381], abs=1e-7)
    with pytest.raises(AssertionError, match=r"^population averages need the population$"):
        group_uplift(*args, None, np.ones((1, 1, 1), dtype=bool))


def test_cases_kept_are_handed_back_only_for_need_arrays_equal_value_for_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """CasesKept (a board paper's scenarios) works a run's cases out once and hands them to a later run whose need
    arrays are equal: copies with the same values (NaN where the other has NaN, no group sizes in either) get the
    first run's cases without working them out again; a prevalence or a relative risk changed in one value, the
    same values as float32, or group sizes in one run and none in the other each get cases of their own. Counted
    by the calls of the function that works cases out. Wrong answers caught: a changed input handed the cases of
    another (an input left out of the comparison, types or values not compared), equal inputs worked out again
    (NaN taken as unequal, arrays compared by identity), and a missing array compared wrongly."""
    import cyplan.model.simulate as simulate_module

    calls: list[int] = []

    def worked_out(a: object, prevalence: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(1)
        return np.array([float(len(calls))]), np.array([0.0])

    monkeypatch.setattr(simulate_module, "_cases", worked_out)

    def arrays(groups: np.ndarray | None = None) -> SimpleNamespace:
        return SimpleNamespace(population=np.array([[1.0, np.nan]]), group_size=groups, average=np.array([True]),
                               coverage=np.array([0.5]), coverage_cells=None, group_coverage=None)

    kept = simulate_module.CasesKept()
    prevalence, rr = np.array([0.1, np.nan]), np.array([1.0, 2.0])
    first = kept.cases(arrays(), prevalence, rr)  # type: ignore[arg-type]
    assert kept.cases(arrays(), prevalence.copy(), rr.copy()) is first  # type: ignore[arg-type]
    assert len(calls) == 1
    assert kept.cases(arrays(), np.array([0.2, np.nan]), rr)[0].tolist() == [2.0]  # type: ignore[arg-type]
    assert kept.cases(arrays(), prevalence, np.array([1.0, 3.0]))[0].tolist() == [3.0]  # type: ignore[arg-type]
    assert kept.cases(arrays(), prevalence.astype(np.float32), rr)[0].tolist() == [4.0]  # type: ignore[arg-type]
    assert kept.cases(arrays(np.array([5.0])), prevalence, rr)[0].tolist() == [5.0]  # type: ignore[arg-type]
    assert kept.cases(arrays(np.array([5.0])), prevalence, rr)[0].tolist() == [5.0]  # type: ignore[arg-type]
    assert len(calls) == 5


def test_a_role_with_a_range_on_one_side_only_draws_its_productive_hours() -> None:
    """Tiny's roles, direct work share 0.6, given a range on one side only: a low of 0.3 (its high left blank: the
    central value), or a high of 0.9 (low blank). Either way the share is drawn from a triangle with that side, so
    over 200 draws the productive hours vary and each draw's hours are the central role's times share ÷ 0.6 with the
    share inside [0.3, 0.6] or [0.6, 0.9]. Wrong answers caught: a range counted only when both sides are given,
    and one side never looked at (every draw then the central hours)."""
    central = simulate(tiny(), draws=0).productive[0, 0]
    for side, bounds in (("direct_work_share_low", (0.3, 0.6)), ("direct_work_share_high", (0.6, 0.9))):
        frames = tiny()
        frames["roles"] = frames["roles"].with_columns(pl.lit(bounds[0] if side.endswith("low") else bounds[1])
                                                       .alias(side))
        hours = simulate(frames, draws=200).productive[:, 0]
        share = hours / central * 0.6
        assert hours.std() > 0 and share.min() >= bounds[0] - 1e-12 and share.max() <= bounds[1] + 1e-12


def test_the_central_inflow_adds_recruits_into_vacancies_to_joiners_from_training() -> None:
    """No training pipelines; half of each year's vacancies filled. Role a: 10 FTE in post, 2 vacant (12 posts), 10%
    leave, 2 other joiners a year: 2026 recruits 0.5 × (12 − 10) = 1 and ends at 10 − 1 + 2 + 1 = 12, so 2027 has
    no vacancy and recruits 0. Role b: 4 in post, 2 vacant, half its time on children: recruits 1 in 2026 (0.5 of
    it counted) and none in 2027 (ends 2026 at 4 − 0.4 + 2 + 1 = 6.6, over its 6 posts). The inflow a year (what
    `gap --target-year` counts as joiners already coming): a 0, 1, 0; b 0, 0.5, 0. Wrong answer caught: the
    recruits subtracted from the joiners from training instead of added."""
    inflow = simulate(inputs(vacancy_fill_rate=0.5)).detail.inflow[0]  # [role, year]
    assert inflow == pytest.approx(np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.0]]))


def test_a_ratio_for_every_clinical_role_and_one_for_a_named_role_add_up() -> None:
    """Role ratios: an administrator per 5 FTE of every clinical role, and another per 10 FTE of role a. Per FTE of
    a: 1/5 + 1/10 = 0.3 administrators; per FTE of b: 0.2; none per administrator (planned by ratio itself).
    Wrong answer caught: one of the two ratios replacing the other instead of adding to it."""
    from cyplan.model.build import role_ratio

    ratios = pl.DataFrame({"role": ["admin", "admin"], "per_role": ["", "a"], "per_fte": [5.0, 10.0]})
    for rows in (ratios, ratios.reverse()):  # in either order
        out = role_ratio(rows, ("a", "b", "admin"))
        assert out is not None
        assert out[:, 2] == pytest.approx([0.3, 0.2, 0.0]) and not out[:, :2].any()


def test_ages_in_no_band_belong_to_none() -> None:
    """Bands young 0–3 and school 5–15 (no band for 4, nor for 16–25): ages 0–3 are band 0, 5–15 band 1, and 4 and
    16–25 no band (−1), so they are in no band's counts. Wrong answers caught: an age outside every band put in a
    band (the fill value made a band's index), and the age after a band's last taken into it."""
    from cyplan.model.build import build

    frames = tiny()
    frames["age_bands"] = frame("age_bands", [{"band": "young", "label": "Young", "age_from": 0, "age_to": 3},
                                              {"band": "school", "label": "School", "age_from": 5, "age_to": 15}])
    assert build(frames).dims.band_of_age.tolist() == [0] * 4 + [-1] + [1] * 11 + [-1] * 10


def test_each_bands_cases_add_the_groups_uplift_where_the_rate_is_one_outside_them() -> None:
    """Tiny (10% need at ages 5–15: 2,200 children, 220 cases) with 110 looked-after children at three times the
    rate, the rate one outside the groups: their uplift 110 × 0.1 × 2 = 22 is added, so the school band (5–15) has
    242 cases, young and older none. Wrong answer caught: the uplift subtracted from the band's cases."""
    bands = simulate(tiny(rr=3.0, group_count=110.0, basis="outside_groups"), by_band=True).bands
    assert bands is not None
    assert bands.cases[0, 0, :, 0] == pytest.approx([0.0, 242.0, 0.0])


# -- evidence ratings: what each scheme allows, in words (model/evidence_ratings.py) ---------------------------

def test_what_a_scheme_allows_is_said_in_words_for_each_kind_of_measure() -> None:
    """Foundations' evidence lists its ratings (NE and NL2 in capitals, as the scheme writes them); YEF's impact is
    its words or a percentage; EEF's months a whole number up to a school year (12) either way; a measure the scheme
    does not have allows nothing."""
    from cyplan.model.evidence_ratings import allowed

    assert allowed("foundations", "evidence") == "4+, 4, 3+, 3, 2+, 2, NL2, NE"
    assert allowed("yef", "impact") == ("harmful, no effect, low, moderate, medium, high, or a percentage such as 13% "
                                        "or -5%")
    assert allowed("eef", "months") == "a whole number of months from -12 to +12, such as +5 or -1"
    assert allowed("local", "cost") == ""


@pytest.mark.parametrize(("scheme", "measure", "rating", "ok"), [
    ("yef", "impact", " High ", True), ("yef", "impact", "-5%", True), ("yef", "impact", "12.5%", True),
    ("yef", "impact", "huge", False), ("yef", "impact", "5", False),
    ("eef", "months", "+12", True), ("eef", "months", "−3", True), ("eef", "months", "13", False),
    ("eef", "months", "+5 months", False), ("local", "cost", "1", False), ("foundations", "padlocks", "3", False)])
def test_a_rating_is_allowed_only_as_its_scheme_gives_it(scheme: str, measure: str, rating: str, ok: bool) -> None:
    """YEF impact: a word of its scale (any case, spaces at the ends) or a percentage; EEF months: a whole number
    from −12 to +12 (a typographic minus read as '-'); a measure the scheme does not rate allows nothing."""
    from cyplan.model.evidence_ratings import is_allowed

    assert is_allowed(scheme, measure, rating) is ok


@pytest.mark.parametrize(("scheme", "measure", "rating", "words"), [
    ("eef", "padlocks", "1", "1 padlock"), ("eef", "padlocks", " 4 ", "4 padlocks"),
    ("eef", "months", "5", "+5 months"), ("eef", "months", "−1", "-1 months"), ("eef", "months", "lots", "lots months"),
    ("yef", "impact", "high", "impact high"), ("eef", "cost", "££", "cost ££"),
    ("foundations", "evidence", "3+", "3+"), ("local", "evidence", "promising", "promising"),
    ("yef", "evidence", "moderate", "evidence moderate")])
def test_each_rating_is_shown_as_the_summary_words_it(scheme: str, measure: str, rating: str, words: str) -> None:
    """Padlocks counted (one padlock, 4 padlocks); months signed; cost and impact named; Foundations' and a local
    evaluation's ratings as given; another scheme's evidence named as evidence."""
    from cyplan.model.evidence_ratings import _shown

    assert _shown(scheme, measure, rating) == words


# -- a scenario's commissions and a correlation's rows: the refusals --------------------------------------------

def _commission(**given: object) -> pl.DataFrame:
    row = {"scenario": "s", "input": "interventions", "column": "from_year", "where": "intervention=mst; gap=cell A",
           "value": 2027.0, "operation": "commission", **given}
    return pl.DataFrame([row])


@pytest.mark.parametrize(("given", "message", "field"), [
    ({"input": "need"}, "write input 'interventions' and column 'from_year' (the value is the first year), not "
                        "need.from_year", "input"),
    ({"column": "year"}, "write input 'interventions' and column 'from_year' (the value is the first year), not "
                         "interventions.year", "column"),
    ({"where": "intervention"}, "'intervention' is not 'column=value'", "where"),
    ({"where": "intervention=mst"}, "where must name the intervention and the gap, as 'intervention=X; gap=ITEM' "
                                    "(ITEM as the services action list gives it), not 'intervention=mst'", "where"),
    ({"where": None}, "where must name the intervention and the gap, as 'intervention=X; gap=ITEM' (ITEM as the "
                      "services action list gives it), not ''", "where"),
    ({"where": ""}, "where must name the intervention and the gap, as 'intervention=X; gap=ITEM' (ITEM as the "
                    "services action list gives it), not ''", "where"),
    ({"value": 2027.5}, "the value is the first year, a whole number, not 2027.5", "value")])
def test_a_commission_written_wrongly_is_refused_saying_how_to_write_it(given: dict[str, object], message: str,
                                                                        field: str) -> None:
    from cyplan.model.scenarios import commissions

    with pytest.raises(ScenarioError) as e:
        commissions(_commission(**given), "s")
    assert (str(e.value), e.value.field) == (f"scenario 's', commission: {message}", field)


def test_a_commission_gives_the_intervention_the_gap_and_the_first_year() -> None:
    from cyplan.model.scenarios import commissions

    assert commissions(_commission(), "s").rows() == [("mst", "cell A", 2027)]
    assert commissions(_commission(scenario="baseline"), "baseline").is_empty()  # the data with no scenario


def test_a_correlation_row_not_written_column_equals_value_or_naming_no_column_is_refused() -> None:
    from cyplan.model.correlations import CorrelationError, Reference, match

    frame = pl.DataFrame({"role": ["a", "b"], "central": [1.0, 2.0]})
    with pytest.raises(CorrelationError, match=r"^workforce row 'role': 'role' is not 'column=value'$"):
        match(frame, Reference("workforce", "role", "central"))
    with pytest.raises(CorrelationError, match=r"^workforce row 'grade=x': workforce has no column grade$"):
        match(frame, Reference("workforce", "grade=x", "central"))
    assert match(frame, Reference("workforce", "role=b", "central")).tolist() == [1]


def test_moves_from_two_sectors_into_one_are_kept_in_two_groups() -> None:
    """NHS → council at 10% and voluntary → council at 5%, one area and role. The flows add each group's arrivals
    at once (`transfers_in[dst] += stock[src] × rate`), so a census row may be a destination only once in a group:
    grouped by the sector joined alone, council would be twice in one group and one of the two moves lost (council
    would gain 100 × 10% or 40 × 5%, not both). So: one group per (from, to) pair, each move its own."""
    from cyplan.model.cohorts import transfers

    census = pl.DataFrame({"area": ["A"] * 3, "role": ["r"] * 3, "sector": ["NHS", "voluntary", "council"]})
    moves = pl.DataFrame({"role": ["r", "r"], "from_sector": ["NHS", "voluntary"], "to_sector": ["council", "council"],
                          "rate": [0.1, 0.05]})
    t = transfers(census, moves)
    assert t is not None
    assert [(s.tolist(), d.tolist(), r.tolist()) for s, d, r in t.groups] == [([0], [2], [0.1]), ([1], [2], [0.05])]
    assert t.out_rate.tolist() == [0.1, 0.05, 0.0]


def test_the_cohorts_of_a_row_with_bands_and_of_one_without() -> None:
    """Two census rows. NHS gives two bands: 30–44 (share 0.6, its own leaver rate 0.2, a blank retirement rate,
    every joiner) and 45–54 (share 0.4, retirement 0.05). Council gives none: everyone in the first band, retiring
    at the row's own rate (0.04) from every band, joiners and trainees in the first band.

    NHS: shares [0, 0.6, 0.4, 0, 0]; retirement only where given (a blank is 0); joiners as stated, all in 30–44;
    trainees by the default profile (0.6, 0.4, 0, 0, 0) as none is stated. Leavers: its central rate is 0, so its
    own rate is not scaled (× 1): 0.2 in both draws for 30–44; the other bands take the drawn rate (0.1, 0.3)."""
    from cyplan.model.cohorts import cohorts
    from cyplan.schema.supply import AGE_BANDS

    census = pl.DataFrame({"area": ["A", "A"], "role": ["r", "r"], "sector": ["NHS", "council"]})
    ages = pl.DataFrame({"area": ["A", "A"], "role": ["r", "r"], "sector": ["NHS", "NHS"],
                         "band": [AGE_BANDS[1], AGE_BANDS[2]], "share": [0.6, 0.4], "leaver_rate": [0.2, None],
                         "retirement_rate": [None, 0.05], "joiner_share": [1.0, None], "trainee_share": [None, None]})
    c = cohorts(census, ages, np.array([[0.1, 0.3], [0.2, 0.2]]), np.array([0.0, 0.2]), np.array([0.02, 0.04]))
    assert c is not None
    assert c.share.tolist() == [[0.0, 0.6, 0.4, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]
    assert c.retire[..., 0].tolist() == [[0.0, 0.0, 0.05, 0.0, 0.0], [0.04] * 5]
    assert c.joiner[..., 0].tolist() == [[0.0, 1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]
    assert c.trainee[..., 0].tolist() == [[0.6, 0.4, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]]
    assert c.leaver.tolist() == [[[0.1, 0.3], [0.2, 0.2], [0.1, 0.3], [0.1, 0.3], [0.1, 0.3]], [[0.2, 0.2]] * 5]


# -- model/flows: the workforce page's tables ------------------------------------------------------------------

def _agency_on_b(f: dict[str, pl.DataFrame], agency: float) -> dict[str, pl.DataFrame]:
    """Role b (4 FTE in post, CYP share 0.5) given `agency` agency FTE."""
    w = f["workforce"]
    f["workforce"] = w.with_columns(pl.when(pl.col("role") == "b").then(agency).otherwise(pl.col("agency_fte"))
                                    .alias("agency_fte"))
    return f


def test_agency_in_the_flows_and_establishment_is_for_this_population() -> None:
    """test_supply.inputs() with 2 agency FTE on role b at a CYP share of 0.5: 2 × 0.5 = 1 agency FTE for this
    population; staff in post (4 + 2) × 0.5 − 1 = 2, the end stock 4 × 0.5 = 2. Wrong answer caught: agency
    divided by the CYP share (4), which roles at a share of 1 cannot show."""
    sim = simulate(_agency_on_b(inputs(), 2.0))
    b = flows_table(sim).filter(pl.col("role") == "b", pl.col("year") == 2025).row(0, named=True)
    assert (b["agency_fte"], b["end_fte"]) == pytest.approx((1.0, 2.0))
    e = establishment_table(sim).filter(pl.col("role") == "b", pl.col("year") == 2025).row(0, named=True)
    assert e["in_post_fte"] == pytest.approx(2.0)


def test_agency_that_moves_between_sectors_is_for_this_population() -> None:
    """test_supply_cohorts' transfers on paper (NHS agency 4 + 5 − 2 = 7 in 2026, in post 88 + 59 = 147) with a
    CYP share of 0.5: agency 3.5, end stock 73.5 for this population. Wrong answer caught: the agency path
    divided by the CYP share (14)."""
    still = {"leaver_rate": 0.0, "leaver_rate_low": 0.0, "leaver_rate_high": 0.0, "joiners_per_year": 0.0,
             "joiners_low": 0.0, "joiners_high": 0.0, "cyp_share": 0.5}
    f = inputs((2025, 2026, 2027), vacant_fte=0.0, **still)
    f["workforce"] = pl.concat([census(fte_in_post=100.0, agency_fte=4.0, **still),
                                census(sector="voluntary", fte_in_post=50.0, agency_fte=0.0, **still)]
                               ).filter(pl.col("role") == "a")
    f["sector_flows"] = frame("sector_flows", [
        {"role": "a", "from_sector": "NHS", "to_sector": "voluntary", "rate": 0.1},
        {"role": "a", "from_sector": "voluntary", "to_sector": "NHS", "rate": 0.02},
        {"role": "a", "from_sector": "NHS", "to_sector": "agency", "rate": 0.05},
        {"role": "a", "from_sector": "agency", "to_sector": "NHS", "rate": 0.5}])
    t = flows_table(simulate(f), together=True).filter(pl.col("year") == 2026).row(0, named=True)
    assert (t["end_fte"], t["agency_fte"]) == pytest.approx((73.5, 3.5))


def test_the_workforce_tables_of_a_simulation_without_a_census_say_so() -> None:
    """Wrong answer caught: the message lost, or changed from the words the page and CLI show."""
    sim = simulate(tiny())
    for table in (flows_table, establishment_table):
        with pytest.raises(ValueError, match=r"^there is no workforce census to show$"):
            table(sim)


def test_establishment_of_every_role_together_is_each_areas_own_and_keeps_the_area_and_year_asked_for() -> None:
    """T1 and T2 (half T1's children) each with test_supply's census. T2's demand: 1,100 cases-hours ÷ 931.5;
    every role together, 2026: in post 10 × 0.9 + 2 = 11 (a) + (4 × 0.9 + 2) × 0.5 = 2.8 (b) = 13.8, agency 1,
    so the gap is demand − 14.8; funded 12 + 3 = 15, unfunded demand − 15. Wrong answers caught: demand or
    supply summed over areas too (or over the wrong axis), and the areas or years asked for ignored."""
    f = _two_areas()
    f["population"] = pl.concat([f["population"].with_columns(pl.lit(y, pl.Int64).alias("year"))
                                 for y in (2025, 2026)])
    f["workforce"] = pl.concat([census(), census(area="T2")])
    t = establishment_table(simulate(f), ["T2"], [2026], together=True)
    demand = 1100 / 931.5
    assert t.select("area", "role", "year").rows() == [("T2", "all roles", 2026)]
    row = t.row(0, named=True)
    assert (row["establishment_fte"], row["in_post_fte"], row["vacant_fte"]) == pytest.approx((15, 13.8, 1.2))
    assert (row["demand_fte"], row["gap_fte"], row["unfunded_fte"]) == pytest.approx(
        (demand, demand - 14.8, demand - 15))


def test_the_end_stocks_interval_is_the_triangular_leaver_rates_worked_by_hand() -> None:
    """Role a: 10 in post, 2 joiners, leaver rate triangular 0.05–0.10–0.20 (no retirement). 2026's end stock is
    10 (1 − l) + 2. The 95th percentile of l: (0.2 − x)² = 0.05 × 0.15 × 0.10 → x = 0.17261, so the 5th
    percentile of the stock is 10.2739; the 5th of l: (x − 0.05)² = 0.05 × 0.15 × 0.05 → x = 0.06936, the 95th
    of the stock 11.3064. Over 4,000 draws the sample percentile's standard error is √(0.05 × 0.95 / 4000) ÷
    f(x) × 10 ≈ 0.03 at most (f = 3.65 and 5.16): tolerance 0.12. Wrong answers caught: the interval of
    another flow shown as the end stock's, or the end stock's interval left out."""
    f = inputs(leaver_rate_low=0.05, leaver_rate_high=0.2)
    t = flows_table(simulate(f, 4000, seed=2)).filter(pl.col("role") == "a", pl.col("year") == 2026).row(
        0, named=True)
    assert t["end_fte_p5"] == pytest.approx(10.2739, abs=0.12)
    assert t["end_fte_p95"] == pytest.approx(11.3064, abs=0.12)


# -- model/backtest -------------------------------------------------------------------------------------------------

def test_a_backtest_with_fewer_than_two_years_is_empty_with_text_area_and_role_a_whole_year_and_figures() -> None:
    """No snapshots, or one year's: nothing to compare, and an empty table whose columns keep their kinds, so that
    the CLI and page show it (and join it to the summary) as they do a full one. Wrong answers caught: a year shown
    as a decimal, an area or role as a number, or figures as whole numbers."""
    kinds = {"area": pl.String, "role": pl.String, "year": pl.Int64} | {c: pl.Float64 for c in BY_YEAR[3:]}
    empty = snapshots([snap(2022, 100)]).clear()
    for given in (empty, snapshots([snap(2022, 100)])):
        t = backtest(given)
        assert t.is_empty() and dict(t.schema) == kinds


def test_a_backtest_is_in_order_of_area_then_role_then_year() -> None:
    """Area A's role z and area B's role a, 2022–2024: A's two years first (by role alone B's would be). Wrong
    answer caught: the rows sorted by role and year, mixing areas."""
    rows = [snap(y, 100, role="z") for y in (2022, 2023, 2024)]
    rows += [snap(y, 50, role="a") | {"area": "B"} for y in (2022, 2023, 2024)]
    t = backtest(snapshots(rows))
    assert t.select("area", "role", "year").rows() == [("A", "z", 2023), ("A", "z", 2024), ("B", "a", 2023),
                                                        ("B", "a", 2024)]


def test_a_backtest_shows_the_error_percent_where_less_than_one_fte_was_in_post() -> None:
    """1 FTE in 2022, half leave, nobody joins or retires: 0.5 projected for 2023 against 0.8 counted, an error of
    −0.3 FTE, −37.5%. Wrong answer caught: the percentage left blank for a part-time post (it is blank only where
    nobody was in post)."""
    t = backtest(snapshots([snap(2022, 1.0, leaver=0.5, retire=0.0, joiners=0.0), snap(2023, 0.8)]))
    assert t.select("projected_fte", "actual_fte", "error_fte", "error_pct").row(0) == pytest.approx(
        (0.5, 0.8, -0.3, -37.5))


def test_a_backtest_summary_keeps_the_tables_order_and_gives_the_first_year_as_a_whole_number() -> None:
    """40 areas (A00–A39, two roles each) in the by-year table's order: the summary lists them in that order (as
    the page and paper show them), its from_year a 64-bit whole number like to_year. Wrong answers caught: the
    summary in whatever order the grouping gives, or from_year as a 32-bit number that will not stack with other
    summaries."""
    from cyplan.model.backtest import SUMMARY, summary

    keys = [(f"A{i:02}", r) for i in range(40) for r in ("x", "y")]
    by_year = pl.DataFrame({"area": [a for a, _ in keys for _ in (1, 2)], "role": [r for _, r in keys for _ in (1, 2)],
                            "year": [2023, 2024] * len(keys), "error_pct": [1.0, -3.0] * len(keys)})
    s = summary(by_year, 2022)
    assert s.columns == list(SUMMARY)
    assert s.select("area", "role").rows() == keys
    assert s.schema["from_year"] == pl.Int64 and s["from_year"].to_list() == [2022] * len(keys)
    assert s["mape_pct"].to_list() == [2.0] * len(keys)


# -- model/comparison -----------------------------------------------------------------------------------------------

def test_the_pooled_rate_counts_only_areas_with_some_person_years_and_is_none_without_any() -> None:
    """Three areas: 3 referrals over 0.5 person-years, 5 referrals over none (left out), 6 over 1,000: (3 + 6) ÷
    1,000.5. With no person-years anywhere, no rate. Wrong answers caught: an area with no person-years counted
    (its 5 referrals), one with under a person-year left out, or a division by nothing."""
    from cyplan.model.comparison import pooled_rate

    assert pooled_rate(np.array([3.0, 5.0, 6.0]), np.array([0.5, 0.0, 1000.0])) == pytest.approx(9 / 1000.5)
    assert pooled_rate(np.array([5.0, 1.0]), np.array([0.0, np.nan])) is None


def test_funnel_limits_at_no_exposure_are_unbounded_above_without_a_warning() -> None:
    """At 0 person-years θ/n is infinite (or, with θ = 0, undefined): the upper limit is infinite (or blank) and
    the lower 0 (or blank), with no RuntimeWarning; elsewhere θ ± z√(θ/n): 0.002 ± 2√(0.002/2000) = 0.002 ± 0.002,
    so 0 and 4 per 1,000. Wrong answer caught: a warning for a division by 0 shown to the user."""
    from cyplan.model.comparison import funnel_limits

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = funnel_limits(0.002, np.array([0, 2000]), 2.0)
        nan_low, nan_high = funnel_limits(0.0, np.array([0.0]), 2.0)
    assert low.tolist() == pytest.approx([0.0, 0.0]) and high[0] == np.inf and high[1] == pytest.approx(4.0)
    assert np.isnan(nan_low[0]) and np.isnan(nan_high[0])


def _three_areas(**columns: list[float | None]) -> pl.DataFrame:
    """test_comparison's areas A, B, C (populations 10,000, 20,000 and 2,000; 30, 60 and 20 referrals in a year),
    with the columns given replaced."""
    from cyplan.model.comparison import FIGURES

    base = {"area": ["A", "B", "C"], "population": [10_000.0, 20_000.0, 2_000.0], "cases": [100.0, 250.0, 30.0],
            "demand_fte": [5.0, 12.0, 1.0], "supply_fte": [4.0, 12.0, 1.5], "share_met": [0.8, 1.0, 1.0],
            "cost": [100_000.0, 300_000.0, 30_000.0], "referrals": [30.0, 60.0, 20.0], "years_counted": [1.0] * 3,
            "rating": [2, 3, 1]}
    return pl.DataFrame(base | columns, schema=FIGURES)


def test_a_group_with_no_referrals_has_no_pooled_rate_limits_or_funnel_and_keeps_its_column_kinds() -> None:
    """No area's referrals known (withheld as too few, say): no pooled rate, no limits, no funnel place, each column
    still of its kind (decimal limits and rate, text funnel) so the page and CSV show blanks. Wrong answers caught:
    the limits worked out around a rate that is not there (a TypeError), or blank columns with no kind."""
    from cyplan.model.comparison import compare

    out = compare(_three_areas(referrals=[None, None, None]), "B", ["A", "C"])
    for column in ("pooled_rate_per_1000", "low_95", "high_95", "low_998", "high_998", "funnel"):
        assert out[column].to_list() == [None] * 3, column
        assert out.schema[column] == (pl.String if column == "funnel" else pl.Float64), column


def test_a_group_of_areas_each_under_one_person_year_still_has_a_pooled_rate() -> None:
    """1 referral over 0.5 person-years: 2 a person-year. Wrong answer caught: a pooled rate only above one
    person-year in all."""
    from cyplan.model.comparison import pooled_rate

    assert pooled_rate(np.array([1.0]), np.array([0.5])) == 2.0


def test_a_rate_on_a_funnel_limit_counts_as_inside_it() -> None:
    """Rates exactly on the 99.8% and 95% limits above and below: on a limit is not beyond it (Spiegelhalter's
    'outside the limits' is strictly outside), so 4.0 on the upper 99.8% limit is above 95% only, 3.0 on the upper
    95% limit and 2.0 on the lower are within, 1.0 on the lower 99.8% limit below 95% only. Wrong answer caught:
    `>=` or `<=` flagging an area that sits on a limit."""
    from cyplan.model.comparison import ABOVE_95, BELOW_95, WITHIN, flags

    limits = {"high_998": np.full(4, 4.0), "high_95": np.full(4, 3.0), "low_95": np.full(4, 2.0),
              "low_998": np.full(4, 1.0)}
    assert flags(np.array([4.0, 3.0, 2.0, 1.0]), limits) == [ABOVE_95, WITHIN, WITHIN, BELOW_95]


def test_the_funnel_curve_spans_from_one_person_year_past_the_largest_in_60_points_with_its_limits_named() -> None:
    """Exposures 0.2 to 0.5 person-years: the curve runs from 1 (never below one person-year) to 1.05 (at least
    one person-year, 5% past), 60 points, each limit in its named column; from 1.5 to 1,000: 1.5 to 1,050.
    Wrong answers caught: the curve starting at 2, ending short of 1 or past 2, another number of points, or a
    column misnamed (the chart would draw no line)."""
    from cyplan.model.comparison import funnel_curve, funnel_limits

    small = funnel_curve(3.0, 0.2, 0.5)
    assert small.columns == ["exposure", "low_95", "high_95", "low_998", "high_998"] and small.height == 60
    assert (small["exposure"][0], small["exposure"][-1]) == pytest.approx((1.0, 1.05))
    wide = funnel_curve(3.0, 1.5, 1000.0)
    assert (wide["exposure"][0], wide["exposure"][-1]) == pytest.approx((1.5, 1050.0))
    low, high = funnel_limits(0.003, wide["exposure"].to_numpy(), 3.090232)
    assert wide["low_998"].to_list() == pytest.approx(low.tolist())
    assert wide["high_998"].to_list() == pytest.approx(high.tolist())


def test_an_area_of_under_one_child_has_its_rates_and_one_of_none_no_share_met() -> None:
    """Population 0.5 (a synthetic area): 30 cases are 60,000 per 1,000, and its share met shown; population 0:
    no share met (not the model's 1 where nothing is needed). Wrong answers caught: rates or share met given only
    above one child, or a share met shown for an area with no children."""
    from cyplan.model.comparison import measures

    m = measures(_three_areas(population=[10_000.0, 0.0, 0.5]))
    assert m["need_per_1000"][2] == pytest.approx(60_000.0) and m["share_met"][2] == 1.0
    assert m["share_met"][1] is None


# -- model/correlations ---------------------------------------------------------------------------------------------

def test_a_correlation_row_naming_two_unknown_columns_names_both_and_a_blank_where_picks_every_row() -> None:
    """'grade=x; band=y' on a frame with neither: both named, comma-separated. A blank where (no pairs) picks every
    row, which `locate` then refuses unless the input has one. A reference to a column other than central says
    which. Wrong answers caught: the columns joined by something else, a blank where picking nothing (so the error
    said '0 rows' of a one-row input), and the column left out of the message."""
    from cyplan.model.correlations import CorrelationError, Reference, match

    frame = pl.DataFrame({"role": ["a", "b"], "central": [1.0, 2.0]})
    with pytest.raises(CorrelationError, match=r"^workforce row 'grade=x; band=y' \(high\): workforce has no column "
                                               r"grade, band$"):
        match(frame, Reference("workforce", "grade=x; band=y", "high"))
    assert match(frame, Reference("workforce", "", "central")).tolist() == [0, 1]


def test_no_correlations_have_a_smallest_eigenvalue_of_0() -> None:
    """No rows named: nothing to hold at once, 0 (not below the tolerance). Wrong answers caught: the eigenvalues
    of an empty matrix asked for (an error), or 1."""
    from cyplan.model.correlations import smallest_eigenvalue

    assert smallest_eigenvalue(np.eye(0)) == 0.0


# -- model/evidence -------------------------------------------------------------------------------------------------

def test_a_group_gaps_fit_is_at_the_targeted_level_with_its_group_and_no_provision() -> None:
    """test_evidence_model's workspace: the school-age gap for looked-after children, fitted by 'grp'. fitting()
    says the level of a group gap is 'targeted' (its docstring and the action list's evidence table show it).
    Wrong answer caught: the level of a group gap blank or misspelt."""
    from cyplan import results
    from test_evidence_model import GROUP_GAP, workspace

    frames = workspace()
    gap = results._fits(frames, results.action_list(frames)).filter(pl.col("item") == GROUP_GAP)
    assert gap.select("level", "provision", "group", "intervention", "intervention_level").rows() == [
        ("targeted", None, "looked_after", "grp", "specialist")]


@pytest.mark.parametrize(("ages", "fits"), [((15, 18), ["grp"]), ((1, 5), ["grp"]), ((16, 18), [])])
def test_an_intervention_whose_ages_share_one_year_with_the_band_fits_its_group_gap(ages: tuple[int, int],
                                                                                     fits: list[str]) -> None:
    """The school-age band is ages 5 to 15: 'grp' for ages 15–18 shares age 15 with it, for 1–5 age 5, so either
    fits the school-age gap for looked-after children; for 16–18 it shares none. Wrong answer caught: ages that
    only touch the band's first or last year taken as not overlapping (`<` or `>` for `<=` or `>=`)."""
    from cyplan import results
    from test_evidence_model import GROUP_GAP, workspace

    frames = workspace()
    grp = pl.col("intervention") == "grp"
    frames["interventions"] = frames["interventions"].with_columns(
        pl.when(grp).then(ages[0]).otherwise(pl.col("age_from")).alias("age_from"),
        pl.when(grp).then(ages[1]).otherwise(pl.col("age_to")).alias("age_to"))
    gap = results._fits(frames, results.action_list(frames)).filter(pl.col("item") == GROUP_GAP)
    assert gap["intervention"].to_list() == fits


def test_a_roles_plural_puts_the_s_before_any_bracket_and_adds_none_to_a_plural() -> None:
    """'Specialist therapist (family work)' → 'specialist therapists (family work)'; 'CAMHS clinicians' stays as
    it is; 'Family support worker' → 'family support workers'. Wrong answers
    caught: the s put after the bracket, or added to a word that already ends in s."""
    from cyplan.model.evidence import _plural

    assert _plural("Specialist therapist (family work)") == "specialist therapists (family work)"
    assert _plural("CAMHS clinicians") == "CAMHS clinicians"
    assert _plural("Family support worker") == "family support workers"


def test_people_to_reach_with_no_groups_and_one_draw_in_the_third_band() -> None:
    """Bands young, school, older; no groups; one draw (the central figures). A targeted cell in the older band with
    40 cases, a quarter covered: 30 people; a universal one there with 200 children, none covered: 200. Wrong
    answer caught: the empty group sizes made without their band axis, so the older band's index runs off the end
    of the draws axis."""
    from cyplan.model.evidence import Reach, people

    reach = Reach(("young", "school", "older"), (), cases=np.array([[10.0], [20.0], [40.0]]),
                  population=np.array([[100.0], [150.0], [200.0]]), group_size=np.zeros((0, 3, 1)))
    pairs = pl.DataFrame({"band": ["older", "older"], "group": [None, None], "kind": ["cell", "cell"],
                          "level": ["targeted", "universal"], "covered": [0.25, 0.0]},
                         schema_overrides={"group": pl.String})
    assert people(pairs, reach).tolist() == [[30.0], [200.0]]


def test_rows_correlated_perfectly_draw_the_same_probabilities() -> None:
    """Three rows each with rank correlation 1 to the others: Pearson 2 sin(π/6) = 1 everywhere, a matrix whose
    smallest eigenvalue comes out of the solver as about −1e-17 (rounding, well inside PSD_TOLERANCE). Each draw's
    three probabilities are then the same, in (0, 1), to within the square roots of the other rounded eigenvalues
    (about 1e-8). Wrong answer caught: the rounding's negative
    eigenvalue not clipped to 0, whose square root is NaN, so every draw is NaN."""
    from cyplan.model.correlations import uniforms

    u = uniforms(np.random.default_rng(3), 200, np.ones((3, 3)))
    assert np.isfinite(u).all() and ((u > 0) & (u < 1)).all()
    np.testing.assert_allclose(u[:, 1], u[:, 0], rtol=1e-6)
    np.testing.assert_allclose(u[:, 2], u[:, 0], rtol=1e-6)


def test_training_cannot_close_a_gap_where_no_one_who_qualifies_takes_a_post_here() -> None:
    """test_supply_flows' role a short of staff, with a 3-year course none of whose graduates take a post here
    (share 0): no places a year, and the plan says why. Wrong answer caught: the reason lost (or the plan failing)
    for a pipeline that yields no one."""
    from cyplan.model.flows import training_plan
    from test_supply_flows import pipeline, short

    f = short(0.1)
    f["training_pipelines"] = pipeline(share_taking_post_here=0.0)
    plan = training_plan(simulate(f), 2030).filter(pl.col("role") == "a").row(0, named=True)
    assert plan["joiners_needed"] > 0 and plan["places_a_year"] is None and plan["places_cost"] is None
    assert (plan["course_years"], plan["commission_by"]) == (3, 2027)
    assert plan["by_training"] == "not by training: no one who qualifies takes a post here"


def test_the_normal_cdf_of_no_values_is_no_values_and_of_0_is_a_half() -> None:
    """No draws (the central figures alone) or no correlated rows: an empty array, not an error. Wrong answer
    caught: np.vectorize asked for its output type by calling erfc on a first value that is not there."""
    from cyplan.model.correlations import normal_cdf

    assert normal_cdf(np.zeros((0, 2))).shape == (0, 2)
    assert normal_cdf(np.array([0.0, 1.959964])).tolist() == pytest.approx([0.5, 0.975])


def test_a_correlation_row_with_no_column_is_the_central_value_and_one_with_a_column_keeps_it() -> None:
    """Wrong answers caught: a blank column read as 'None' or a misspelt 'central', or a given column replaced."""
    from cyplan.model.correlations import Reference, pairs

    rows = pl.DataFrame({"input": ["prevalence"], "where": [" level=t "], "column": [None], "with_input": ["roles"],
                         "with_where": ["role=a"], "with_column": ["salary"], "rho": [0.5]},
                        schema_overrides={"column": pl.String})
    assert pairs(rows) == [(Reference("prevalence", "level=t", "central"), Reference("roles", "role=a", "salary"), 0.5)]


def test_the_sentence_leaves_out_roles_under_a_twentieth_of_an_fte_and_lists_three_with_commas() -> None:
    """Three roles of 2.0, 1.04 and 0.5 FTE and one of 0.04 (which rounds to 0.0 and is left out): 'a, b and c'.
    With only 0.04 FTE: 'no more staff'. Wrong answers caught: '0.0 more …' said, the first two of three roles
    joined otherwise or one left out, and a sentence failing when no role has any FTE to show."""
    from cyplan.model.evidence import sentence

    roles = [("Nurse", 2.0), ("Family support worker", 1.04), ("Therapist", 0.5), ("Administrator", 0.04)]
    said = sentence("school age gap", "Group work", roles, (3.0, 4.0), 41_000, (38_000, 46_000))
    assert said.startswith("The school age gap, closed with Group work: 2.0 more nurses, 1.0 more family support "
                           "workers and 0.5 more therapists, £41,000 a year (90% interval 3.0–4.0 FTE in all,")
    alone = sentence("school age gap", "Group work", [("Administrator", 0.04)], (0.0, 0.1), 1_000, (0, 2_000))
    assert alone.startswith("The school age gap, closed with Group work: no more staff, £1,000 a year (90% interval "
                            "0.0–0.1 FTE, ")


def test_money_in_millions_from_100000_pounds_and_in_pounds_below_or_in_the_unit_given() -> None:
    """£100,000 is the first sum shown in millions (£0.1m); £1,050,000 is £1.1m (1.05 is held as a hair over, so
    it rounds up; divided by 1,000,001 it would be 1.0); £41,000 in pounds; £80,000 in the unit of millions when
    asked (£0.1m), £250,000 in pounds when asked. Wrong answers caught: the threshold moved, the unit given
    ignored, the millions divided by anything but a million."""
    from cyplan.model.evidence import money

    assert (money(100_000), money(99_999), money(1_050_000), money(41_000)) == ("£0.1m", "£100,000", "£1.1m",
                                                                                 "£41,000")
    assert (money(80_000, 1e6), money(250_000, 1.0)) == ("£0.1m", "£250,000")


@pytest.mark.parametrize(("cost", "interval", "said"), [
    (100_000, (60_000, 130_000), "£0.1m a year (90% interval 1.0–2.0 FTE, £0.1m–£0.1m)."),
    (90_000, (60_000, 130_000), "£90,000 a year (90% interval 1.0–2.0 FTE, £60,000–£130,000)."),
    (260_000, (80_000, 420_000), "£0.3m a year (90% interval 1.0–2.0 FTE, £0.1m–£0.4m).")])
def test_the_sentences_cost_interval_is_in_the_central_figures_unit(cost: float, interval: tuple[float, float],
                                                                     said: str) -> None:
    """The central cost picks the unit (millions from £100,000) and the interval follows it, whichever side of
    £100,000 its ends fall. Wrong answers caught: an end of the interval in a unit of its own, or the threshold
    at more than £100,000."""
    from cyplan.model.evidence import sentence

    assert sentence("gap", "X", [("Nurse", 1.5)], (1.0, 2.0), cost, interval).endswith(said)


def test_lower_keeps_abbreviations_of_two_letters_or_more_and_lowers_a_single_capital() -> None:
    """'GP practice nurse' keeps its GP; 'A team' (a one-letter word, not an abbreviation) becomes 'a team'; an
    empty label stays empty. Wrong answers caught: two-letter abbreviations lowered, a single capital kept, or an
    empty label failing."""
    from cyplan.model.evidence import _lower

    assert (_lower("GP practice nurse"), _lower("A team"), _lower("Family worker"), _lower("")) == (
        "GP practice nurse", "a team", "family worker", "")


def test_a_group_gap_in_words_takes_the_groups_label_or_its_code() -> None:
    """Wrong answers caught: the band and group read from the wrong places, the label ignored, or a group gap worded
    as a cell's."""
    from cyplan.model.evidence import gap_words

    assert gap_words("group", "school_age / looked_after") == "school age gap for looked after"
    assert gap_words("group", "school_age / looked_after", "Looked after children") == (
        "school age gap for looked after children")
    assert gap_words("cell", "early_years / targeted / parenting_support") == "early years parenting support gap"


def test_an_intervention_with_no_hours_given_either_way_takes_no_hours() -> None:
    """Neither hours per case nor a whole group programme (sessions, hours a session and group size): 0 hours, not
    1. A group programme of 10 two-hour sessions for 8: 2.5 hours a case. Wrong answer caught: a missing figure
    read as an hour a case."""
    from cyplan.model.evidence import hours_per_case

    delivery = pl.DataFrame({"intervention": ["x", "g"], "role": ["a", "b"], "hours_per_case": [None, None],
                             "hours_per_session": [None, 2.0], "sessions": [None, 10.0], "group_size": [None, 8.0]},
                            schema_overrides={"hours_per_case": pl.Float64, "hours_per_session": pl.Float64,
                                              "sessions": pl.Float64, "group_size": pl.Float64})
    assert hours_per_case(delivery)["hours_per_case"].to_list() == [0.0, 2.5]


def test_an_intervention_without_a_rating_is_said_to_be_not_rated() -> None:
    """test_evidence_model's ordering case: 'unrated' has no row in the ratings summary (a null, not ''). Wrong
    answer caught: only a blank ratings text said 'not rated', a missing one left blank."""
    from cyplan import results
    from cyplan.model import evidence
    from test_evidence_model import CELL, spec_bands, workspace

    names = ["unrated", "weak"]
    interventions = frame("interventions", [{"intervention": n, "name": n, "age_from": 5, "age_to": 15,
                                             "level": "targeted"} for n in names])
    cells = frame("intervention_cells", [{"intervention": n, "band": "school_age", "level": "targeted",
                                          "provision": "parenting_support"} for n in names])
    summary = pl.DataFrame({"intervention": ["weak"], "strength": [2], "cost": [1], "ratings_text": ["2"],
                            "no_benefit": [False]})
    frames = workspace()
    fits = evidence.fitting(results.action_list(frames), interventions, cells, frame("intervention_groups", []),
                            summary, spec_bands())
    assert fits.filter(pl.col("item") == CELL).select("intervention", "ratings_text").rows() == [
        ("weak", "2"), ("unrated", "not rated")]


# -- model/neighbours -----------------------------------------------------------------------------------------------

def _indicator_rows(rows: list[tuple[str, str, float, str]]) -> pl.DataFrame:
    """(area, indicator, value, source) in 2024."""
    return pl.DataFrame([(a, i, 2024, v, s) for a, i, v, s in rows], orient="row",
                        schema={"area": pl.String, "indicator": pl.String, "year": pl.Int64, "value": pl.Float64,
                                "source": pl.String})


def _weights(given: dict[str, float]) -> pl.DataFrame:
    return pl.DataFrame({"indicator": list(given), "weight": list(given.values())},
                        schema={"indicator": pl.String, "weight": pl.Float64})


def test_computed_neighbours_say_how_many_indicators_and_from_which_sources() -> None:
    """x from ONS (area C's row with no source), z from DfE, y weighted 0 (from NOMIS, so not named): 'computed
    from 2 indicators (x, z) over 3 areas …; indicators from DfE; ONS'. With x alone and no source anywhere:
    '1 indicator (x)' and no sources clause. Wrong answers caught: the plural on one indicator (or 'XXXX'), a
    blank source listed, the sources joined otherwise or the clause given with none, the area not kept."""
    from cyplan.model.neighbours import computed

    rows = [(a, "x", v, "ONS" if a != "C" else "") for a, v in zip("ABC", (1.0, 2.0, 4.0), strict=True)]
    rows += [(a, "z", v, "DfE") for a, v in zip("ABC", (10.0, 10.0, 30.0), strict=True)]
    rows += [(a, "y", v, "NOMIS") for a, v in zip("ABC", (5.0, 6.0, 7.0), strict=True)]
    got = computed("A", list("ABC"), _indicator_rows(rows), _weights({"y": 0.0}))
    assert (got.area, got.method) == ("A", "computed")
    assert got.source == ("computed from 2 indicators (x, z) over 3 areas: weighted Euclidean distance of z-scores; "
                          "indicators from DfE; ONS")
    alone = [(a, "x", v, "") for a, v in zip("ABC", (1.0, 2.0, 4.0), strict=True)]
    got = computed("A", list("ABC"), _indicator_rows(alone), _weights({}))
    assert got.source == "computed from 1 indicator (x) over 3 areas: weighted Euclidean distance of z-scores"


def test_an_area_without_figures_among_areas_with_them_has_none_and_a_table_of_the_right_kinds() -> None:
    """A has no figure for x, which B and C have: no neighbours, the note saying so, for area A with no source.
    A with a figure but no other area comparable: computed, an empty table whose columns keep their kinds.
    Wrong answers caught: A's missing figures let through to a distance of nothing, the area or source of the
    answer lost, an empty table's neighbour column of no kind."""
    from cyplan.model.neighbours import computed

    got = computed("A", list("ABC"), _indicator_rows([("B", "x", 1.0, "ONS"), ("C", "x", 2.0, "ONS")]),
                   _weights({}))
    assert (got.area, got.method, got.source) == ("A", "none", "")
    assert got.note == ("A has no indicators and no published list of neighbours: import area_indicators or "
                        "statistical_neighbours")
    lonely = computed("A", list("ABC"), _indicator_rows([("A", "x", 1.0, "ONS")]), _weights({}))
    assert lonely.method == "computed" and lonely.table.is_empty()
    assert dict(lonely.table.schema) == {"neighbour": pl.String, "rank": pl.Int64, "distance": pl.Float64,
                                         "x": pl.Float64}


def test_the_note_names_only_the_areas_own_indicators_weighted_0() -> None:
    """A has v and y, both weighted 0; B and C have w (weighted 0) and x (weighted 1), which A lacks: the note
    names v and y, comma-separated — not w, which is not A's, nor x. Wrong answers caught: the other areas'
    indicators named, any of A's named whatever its weight, or the names joined otherwise."""
    from cyplan.model.neighbours import computed

    rows = [("A", "v", 1.0, ""), ("A", "y", 2.0, "")]
    rows += [(a, i, 3.0, "") for a in "BC" for i in ("w", "x")]
    got = computed("A", list("ABC"), _indicator_rows(rows), _weights({"v": 0.0, "y": 0.0, "w": 0.0}))
    assert got.note == ("A's indicators (v, y) all have weight 0 in indicator_weights, which leaves them out: give "
                        "one a weight above 0, or import statistical_neighbours")


def test_drivers_name_the_two_largest_shares_and_nothing_for_a_published_list() -> None:
    """Shares 50%, 30%, 20%: the first two named. A published table (no share columns): '' for each row.
    Wrong answers caught: three named by default, or a published list failing or said as 'XXXX'."""
    from cyplan.model.neighbours import drivers

    table = pl.DataFrame({"neighbour": ["B"], "rank": [1], "distance": [1.0], "x": [0.5], "y": [0.3], "z": [0.2]})
    assert drivers(table) == ["x 50%, y 30%"]
    published = pl.DataFrame({"neighbour": ["B", "C"], "rank": [1, 2], "distance": [None, None]},
                             schema_overrides={"distance": pl.Float64})
    assert drivers(published) == ["", ""]


def test_an_indicator_that_varies_by_less_than_the_tolerance_is_exactly_0_and_missing_stays_missing() -> None:
    """1, 1 + 1e-12, missing, 1: within CONSTANT of the largest, so not varying: exactly 0 for each area with it
    and NaN for the one without, with no warning. Wrong answers caught: the rounding's own z-scores (about
    ±5e-13) kept, a missing figure made 0, or a division by the standard deviation of 0 warning."""
    from cyplan.model.neighbours import standardise

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = standardise(np.array([[1.0], [1.0 + 1e-12], [np.nan], [1.0]]))
        flat = standardise(np.array([[3.0], [3.0]]))
    assert z[[0, 1, 3], 0].tolist() == [0.0, 0.0, 0.0] and np.isnan(z[2, 0])
    assert flat[:, 0].tolist() == [0.0, 0.0]


# -- model/sanity and model/sensitivity ---------------------------------------------------------------------------

def test_prevalence_above_the_national_rate_is_warned_of_in_runs_of_ages_with_the_same_figures() -> None:
    """National 10% at 5–13 and 11% at 14–15. The levels add up to 12% at 5–7, exactly 10% at 8–9 (not above),
    12% at 10–11, 15% at 12–13 and 15% at 14–15: four warnings — 5 to 7, 10 to 11 (not joined to 5–7 across
    8–9), 12 to 13 (another total), 14 to 15 (another national rate). Wrong answers caught: each age warned of
    alone, runs joined across a gap or over different totals or rates, a total equal to the rate warned of, and
    the words changed."""
    from cyplan.model.sanity import prevalence_warnings

    national = pl.DataFrame({"age_from": [5, 14], "age_to": [13, 15], "sex": ["all", "all"], "central": [0.1, 0.11]})
    local = pl.DataFrame({"level": ["t"] * 5, "age_from": [5, 8, 10, 12, 14], "age_to": [7, 9, 11, 13, 15],
                          "sex": ["all"] * 5, "central": [0.12, 0.1, 0.12, 0.15, 0.15], "net_of": [""] * 5})
    tail = ": check how need is split between levels, and that a level that includes another is given net of it"
    assert prevalence_warnings(local, national, "n") == [
        "at ages 5 to 7 the levels of need add up to 12.0% of children, above the national rate of 10.0% (n)" + tail,
        "at ages 10 to 11 the levels of need add up to 12.0% of children, above the national rate of 10.0% (n)" + tail,
        "at ages 12 to 13 the levels of need add up to 15.0% of children, above the national rate of 10.0% (n)" + tail,
        "at ages 14 to 15 the levels of need add up to 15.0% of children, above the national rate of 11.0% (n)" + tail]


def test_prevalence_at_one_age_above_the_national_rate_is_warned_of_as_that_age() -> None:
    """National 10% at 5–6; the levels 12% at 5, 10% at 6: one warning, "at age 5" (not "ages 5 to 5")."""
    from cyplan.model.sanity import prevalence_warnings

    national = pl.DataFrame({"age_from": [5], "age_to": [6], "sex": ["all"], "central": [0.1]})
    local = pl.DataFrame({"level": ["t", "t"], "age_from": [5, 6], "age_to": [5, 6], "sex": ["all", "all"],
                          "central": [0.12, 0.1]})
    assert [w[:62] for w in prevalence_warnings(local, national, "n")] == [
        "at age 5 the levels of need add up to 12.0% of children, above"]


def test_the_prevalence_total_nets_a_level_once_spreads_all_to_each_sex_and_averages_the_sexes() -> None:
    """Levels as a stored enum. Age 12: 'targeted' 20% net of 'tertiary' 8% (the total 20%, not 28%). Age 13:
    'a' 10% for all, 'b' 30% for girls and 20% for boys: girls 40%, boys 30%, total 35% (the mean over the two
    sexes; 'all' counted for each sex, not as a third; each sex's own rate kept to itself). Without a net_of
    column, the levels are added: 28% at 12. No rows: no ages, in the frame's two columns. Wrong answers caught:
    the total counted twice or netted the wrong way, 'all' left a sex of its own or a sex's rate spread to both,
    a sex's rate lost, an enum level not joined to net_of's text, and net_of required."""
    from cyplan.model.sanity import prevalence_totals

    levels = pl.Enum(["targeted", "tertiary", "a", "b"])
    local = pl.DataFrame({"level": ["targeted", "tertiary", "a", "b", "b"], "age_from": [12, 12, 13, 13, 13],
                          "age_to": [12, 12, 13, 13, 13], "sex": ["all", "all", "all", "female", "male"],
                          "central": [0.20, 0.08, 0.1, 0.3, 0.2], "net_of": ["tertiary", None, None, "", ""]},
                         schema_overrides={"level": levels})
    got = prevalence_totals(local)
    assert got["age"].to_list() == [12, 13] and got["total"].to_list() == pytest.approx([0.20, 0.35])
    assert prevalence_totals(local.drop("net_of"))["total"].to_list() == pytest.approx([0.28, 0.35])
    empty = prevalence_totals(local.clear())
    assert (empty.height, empty.schema) == (0, pl.Schema({"age": pl.Int64, "total": pl.Float64}))


def _starter_frames(**given: pl.DataFrame) -> dict[str, pl.DataFrame]:
    empty = {k: pl.DataFrame() for k in ("levels", "prevalence", "pathway_steps", "roles", "role_mix", "groups",
                                          "group_risks")}
    return {**empty, **given}


def test_every_gap_a_starter_leaves_is_named_in_order() -> None:
    """Levels a and b; prevalence for a only, at ages 8 to 25 (as the 2023 survey); pathway steps for b only; no
    roles or role mix; groups g1, g2 and g3 with a relative risk for g1 only. The gaps, in order: b's share, ages
    0 to 7 (the survey's note), a's pathway, the roles, the role mix, the risks of g2 and g3. With no relative
    risks at all, all three groups lack them."""
    from cyplan.model.sanity import starter_gaps

    frames = _starter_frames(
        levels=pl.DataFrame({"level": ["b", "a"]}),
        prevalence=pl.DataFrame({"level": ["a"], "age_from": [8], "age_to": [25], "sex": ["all"], "central": [0.1]}),
        pathway_steps=pl.DataFrame({"level": ["b"]}), groups=pl.DataFrame({"group": ["g3", "g1", "g2"]}),
        group_risks=pl.DataFrame({"group": ["g1"]}))
    got = [g.removeprefix("no national figure: you must supply ") for g in starter_gaps(frames)]
    assert got == [
        "the share of children at level 'b' (how probable disorder splits between levels)",
        "prevalence at ages 0 to 7 (the 2023 survey covers ages 8 to 25)",
        "a care pathway (pathway steps) for level 'a'",
        "the roles' sickness days, training days and direct work share (fill in the roles-to-complete.csv that "
        "'cyplan init --starter' wrote, and import it)",
        "the role mix: which roles deliver each pathway step",
        "relative risks for the groups g2, g3"]
    no_risks = starter_gaps({**frames, "group_risks": pl.DataFrame()})
    assert no_risks[-1] == "no national figure: you must supply relative risks for the groups g1, g2, g3"


def test_prevalence_missing_at_other_ages_names_each_age_to_25_and_an_empty_workspace_lacks_every_age() -> None:
    """Prevalence at ages 0 to 20 (a level with its steps, roles and mix given): the gap is ages 21 to 25, each
    named (not the survey's note; not age 26). An empty workspace: ages 0 to 25 each, then the roles and the mix
    (no levels or groups, so nothing of theirs)."""
    from cyplan.model.sanity import starter_gaps

    given = {"levels": pl.DataFrame({"level": ["a"]}), "pathway_steps": pl.DataFrame({"level": ["a"]}),
             "roles": pl.DataFrame({"role": ["r"]}), "role_mix": pl.DataFrame({"role": ["r"]}),
             "prevalence": pl.DataFrame({"level": ["a"], "age_from": [0], "age_to": [20], "sex": ["all"],
                                         "central": [0.1]})}
    assert starter_gaps(_starter_frames(**given)) == [
        "no national figure: you must supply prevalence for ages 21, 22, 23, 24, 25"]
    gaps = starter_gaps(_starter_frames())
    assert gaps[0] == f"no national figure: you must supply prevalence for ages {', '.join(map(str, range(26)))}"
    assert [g[36:50] for g in gaps[1:]] == ["the roles' sic", "the role mix: "]


def test_fte_per_100000_children_is_warned_of_only_beyond_five_times_either_way() -> None:
    """A national figure of 100 FTE per 100,000 children aged 0–17: the band is 20 to 500, its edges within it.
    Each area has 100,000 children at age 5 in 2025 (the base year; 2026 and an adult of 30 are left out) but F
    (none: no figure) and G (1 child). FTE: A 500 and B 20 (exactly on the edges: no warning), C 500.002 (above:
    warned; a national rate read ×1.00001 would not warn), D 499.998 (within; a figure read ×1.00001 would
    warn), E 300 with no CYP share given (counted whole: 300, within), F 50, G 1 (100,000 per 100,000),
    H 10 with a CYP share of 0.1 (1 per 100,000: below). Areas as a categorical and an enum. Warned: C, G, H in
    that order, each in the full sentence. No national figure: no warnings."""
    from cyplan.model.sanity import workforce_warnings

    national = {"value": 100, "per_children": 100_000, "age_from": 0, "age_to": 17, "name": "N", "period": "P"}
    areas = list("ABCDEFGH")
    counts = {"F": 0.0, "G": 1.0}
    population = pl.DataFrame(
        [(a, 2025, 5, "female", counts.get(a, 100_000.0)) for a in areas]
        + [(a, 2026, 5, "female", 1.0) for a in areas] + [(a, 2025, 30, "male", 1e6) for a in areas],
        schema={"area": pl.Categorical, "year": pl.Int64, "age": pl.Int64, "sex": pl.String, "count": pl.Float64},
        orient="row")
    workforce = pl.DataFrame({"area": areas, "fte_in_post": [500.0, 20.0, 500.002, 499.998, 300.0, 50.0, 1.0, 10.0],
                              "cyp_share": [1.0, 1.0, 1.0, 1.0, None, 1.0, 1.0, 0.1]},
                             schema_overrides={"area": pl.Enum(areas)})
    tail = (" the national figure of about 100 (N, P): check that the census counts FTE (not headcount or hours) of "
            "the services the plan covers, and the population's ages")
    assert workforce_warnings(workforce, population, national) == [
        "area C: 500.0 FTE in post is 500 per 100,000 children aged 0 to 17 (2025), more than 5 times" + tail,
        "area G: 1.0 FTE in post is 100,000 per 100,000 children aged 0 to 17 (2025), more than 5 times" + tail,
        "area H: 1.0 FTE in post is 1 per 100,000 children aged 0 to 17 (2025), less than 1/5 of" + tail]
    assert workforce_warnings(workforce, population, None) == []


def test_an_input_is_uncertain_in_an_area_only_where_its_own_or_every_areas_rows_have_a_range() -> None:
    """Rows: area 0 fixed (2 to 2), area 1 a range (1 to 3). Uncertain in area 1, not in 0 nor in 2 (no row);
    the other way round, in 0 only. A row for every area (-1) with a range makes it uncertain in each. Wrong
    answers caught: a range in any area taken for one in every area, area 0 taken for every area, a fixed row
    (low = high) taken for a range."""
    from cyplan.model.sensitivity import Factor

    def factor(areas: list[int], low: list[float], high: list[float]) -> Factor:
        n = len(areas)
        return Factor("k", "c", "n", np.arange(n), np.array(areas), np.array(low), np.array(low), np.array(high))

    one = factor([0, 1], [2.0, 1.0], [2.0, 3.0])
    assert [one.in_area(a) for a in (0, 1, 2)] == [False, True, False]
    other = factor([0, 1], [1.0, 2.0], [3.0, 2.0])
    assert [other.in_area(a) for a in (0, 1, 2)] == [True, False, False]
    every = factor([-1], [1.0], [3.0])
    assert [every.in_area(a) for a in (0, 5)] == [True, True]


def _caseload_3_of_4() -> pl.DataFrame:
    """Role a's caseload in area A: 3 cases in the population, 1 not."""
    return frame("caseloads", [
        {"area": "A", "role": "a", "sector": "NHS", "client_group": "cyp", "cases": 3.0, "in_population": "yes"},
        {"area": "A", "role": "a", "sector": "NHS", "client_group": "adults", "cases": 1.0, "in_population": "no"}])


def test_the_uncertain_inputs_are_each_row_of_a_key_once_over_the_areas_chosen_in_draw_order() -> None:
    """Census of roles a and b in areas A (leaver rate 0.1 to 0.2), B (fixed) and C (0.1 to 0.3, not chosen); a
    caseload for role a in A of 3 cases in the population and 1 not: the CYP share's 90% Wilson interval for 3 of 4,
    p = 0.75, z = 1.6449, centre (0.75 + z²/8) / (1 + z²/4) = 0.6491, half-width z √(0.046875 + z²/64) /
    (1 + z²/4) = 0.2930: 0.356 to 0.942; roles' direct work share 0.1 to 0.99 (no area: every area's, -1).
    Inputs, in the order simulate draws them: each role's leaver rate (rows A and B, areas 0 and 1), role a's CYP
    share, each role's direct work share; with no labels, each role by its code. Only the frames given: the rest are
    empty. Wrong answers caught: an area not chosen kept (or failing), an input split by area, areas lost or
    written otherwise, the caseload's share not used, a kind without labels failing."""
    from cyplan.model.sensitivity import factors

    wf = pl.concat([census(area="A", leaver_rate_high=0.2), census(area="B"), census(area="C", leaver_rate_high=0.3)])
    cases = _caseload_3_of_4()
    roles = tiny()["roles"].with_columns(pl.lit(0.1).alias("direct_work_share_low"),
                                         pl.lit(0.99).alias("direct_work_share_high"))
    got = factors({"workforce": wf, "caseloads": cases, "roles": roles}, ["A", "B"], {"role": {"a": "Nurse"}})
    assert [(f.kind, f.column, f.name, f.rows.tolist(), f.areas.tolist()) for f in got] == [
        ("workforce", "leaver_rate", "leaver rate of nurses (NHS)", [0, 2], [0, 1]),
        ("workforce", "leaver_rate", "leaver rate of bs (NHS)", [1, 3], [0, 1]),
        ("workforce", "cyp_share", "share of the time of nurses (NHS) for this population", [0, 2], [0, 1]),
        ("roles", "direct_work_share", "direct work share of nurses", [0], [-1]),
        ("roles", "direct_work_share", "direct work share of bs", [1], [-1])]
    assert got[2].low.tolist() == pytest.approx([0.3562, 1.0], abs=1e-4)
    assert got[2].high.tolist() == pytest.approx([0.9421, 1.0], abs=1e-4)
    assert [got[0].in_area(a) for a in (0, 1)] == [True, False]
    unlabelled = factors({"workforce": wf, "caseloads": cases, "roles": roles}, ["A", "B"], {})
    assert [f.name for f in unlabelled][::2] == ["leaver rate of as (NHS)", "share of the time of as (NHS) for this "
                                                 "population", "direct work share of bs"]


def test_each_uncertain_input_is_named_by_its_own_row_in_users_words() -> None:
    """Prevalence of level t at 12–17 for girls (its sex said) and for all (not said); a group's relative risk (the
    group's label, its first letter small); a pathway step's hours; a need share's need and status; a training
    pipeline's start year. Wrong answers caught: the sex, group, step, need, status or start year left out."""
    from cyplan.model.sensitivity import DRAWN, _name

    labels = {"level": {"t": "Targeted"}, "group": {"lac": "Looked-after children"}, "role": {"n": "Nurse"}}
    named = [(("prevalence", "central"), {"level": "t", "age_from": 12, "age_to": 17, "sex": "female"}),
             (("prevalence", "central"), {"level": "t", "age_from": 12, "age_to": 17, "sex": "all"}),
             (("group_risks", "central"), {"level": "t", "group": "lac"}),
             (("pathway_steps", "central"), {"level": "t", "step": "assessment"}),
             (("need_shares", "central"), {"level": "t", "need": "anxiety", "status": "new"}),
             (("training_pipelines", "completion_rate"), {"role": "n", "sector": "NHS", "start_year": 2027})]
    assert [_name(DRAWN[key], row, labels) for key, row in named] == [
        "targeted prevalence at 12–17, female", "targeted prevalence at 12–17",
        "relative risk of targeted need for looked-after children", "hours a case of assessment (targeted)",
        "share of anxiety (new) at targeted level", "completion rate of training for nurses (NHS) from 2027"]


def test_a_label_reads_inside_a_sentence_with_its_first_letter_small_unless_it_starts_with_an_acronym() -> None:
    """'Targeted' → 'targeted'; 'NHS mental health' and 'GP led' keep their acronyms; 'NHS' alone too; 'A targeted
    offer' → 'a targeted offer' (one capital is a word, not an acronym). Wrong answers caught: the acronym looked
    for in the last word or the whole label, or an acronym of two letters (or one) misread."""
    from cyplan.model.sensitivity import _lower

    labels = ["Targeted", "NHS mental health", "GP led", "NHS", "A targeted offer"]
    assert [_lower(x) for x in labels] == ["targeted", "NHS mental health", "GP led", "NHS", "a targeted offer"]


def test_the_central_values_are_each_drawn_columns_in_draw_order_with_the_caseloads_share() -> None:
    """The census of roles a (share 1.0) and b (0.5) in area A, and a caseload for role a of 3 cases of 4 in the
    population: role a's central share is that share, 3 / 4 = 0.75 (not the census's 1.0), b's its census 0.5.
    Inputs not given are empty (no values)."""
    from cyplan.model.sensitivity import centrals

    cases = _caseload_3_of_4()
    got = centrals({"workforce": census(area="A"), "caseloads": cases})
    assert got[("workforce", "cyp_share")].tolist() == pytest.approx([0.75, 0.5])
    assert got[("workforce", "fte_in_post")].tolist() == [10.0, 4.0]
    assert got[("prevalence", "central")].tolist() == []


def test_the_staff_to_train_a_year_where_nobody_leaves_is_the_gap_over_the_years_without_a_warning() -> None:
    """10 staff, 20% trained, a target of 50% in 3 years, no trained joiners. Nobody leaves: 0.3 / 3 = 0.1 of the
    staff a year, 1.0 (the geometric sum's limit, taken where the general formula is 0 ÷ 0). 10% leave: a = 0.9,
    0.9³ = 0.729, (0.5 − 0.2 × 0.729) × 0.1 / 0.271 = 0.130701, 1.30701 a year. Wrong answer caught: the 0 ÷ 0
    of the branch not taken warned of."""
    import warnings

    from cyplan.model.skills import reach_per_year

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = reach_per_year(np.array([10.0, 10.0]), np.array([0.2, 0.2]), np.array([0.5, 0.5]),
                             np.array([0.0, 0.0]), np.array([0.0, 0.1]), np.array([3.0, 3.0]))
    assert got.tolist() == pytest.approx([1.0, 10 * (0.5 - 0.2 * 0.729) * 0.1 / 0.271])
    assert got[1] == pytest.approx(1.30701, abs=1e-5)


def test_a_role_with_no_staff_trains_nobody_and_its_share_only_decays_without_a_warning() -> None:
    """No staff, 20% trained, 10% leave, no trained joiners: nobody to train (0 each year), and the trained share
    after each year is what stays, 0.2 × 0.9 = 0.18, then 0.162 — not 0 ÷ 0, nor a share of 1 added."""
    import warnings

    from cyplan.model.skills import training_path

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trained, share = training_path(np.array([0.0]), np.array([0.2]), np.array([0.5]), np.array([0.0]),
                                       np.array([0.1]), np.array([3]), 2)
    assert trained.tolist() == [[0.0, 0.0]]
    assert share[0].tolist() == pytest.approx([0.18, 0.162])


def test_the_census_leaver_rate_with_retirements_is_at_most_1_before_it_is_averaged_over_sectors() -> None:
    """Role r in area A: NHS, 3 staff leaving at 0.9 a year and retiring at 0.3 (1.2, taken as 1.0: everyone
    goes); the council, 1 at 0.2 and no retirements. Staff 4; the leaver rate averaged by headcount:
    (3 × 1.0 + 1 × 0.2) / 4 = 0.8, not (3 × 1.2 + 0.2) / 4 = 0.95."""
    from cyplan.model.skills import census_staff

    rows = [census().row(0, named=True) | {"area": "A", "role": "r", "headcount": 3.0, "leaver_rate": 0.9,
                                            "retirement_rate": 0.3},
            census().row(0, named=True) | {"area": "A", "role": "r", "sector": "council", "headcount": 1.0,
                                            "leaver_rate": 0.2, "retirement_rate": None, "share_aged_55_plus": 0.0}]
    got = census_staff(frame("workforce", rows))
    assert got.rows() == [("A", "r", 4.0, pytest.approx(0.8))]


def test_the_census_leaver_rate_is_weighted_by_staff_and_a_role_with_none_takes_the_plain_mean() -> None:
    """Role r in A: 1 member of staff leaving at 0.1 and a sector with none at 0.5: weighted by staff, 0.1 (not
    the mean, 0.3). Role z: only a sector with no staff, leaving at 0.2: with nobody to weight by, the plain mean
    0.2 (not 0 ÷ 0, nor blank)."""
    from cyplan.model.skills import census_staff

    base = census().row(0, named=True) | {"area": "A", "retirement_rate": None, "share_aged_55_plus": 0.0}
    rows = [base | {"role": "r", "headcount": 1.0, "leaver_rate": 0.1},
            base | {"role": "r", "sector": "council", "headcount": 0.0, "leaver_rate": 0.5},
            base | {"role": "z", "headcount": 0.0, "leaver_rate": 0.2}]
    got = census_staff(frame("workforce", rows))
    assert got.rows() == [("A", "r", 1.0, pytest.approx(0.1)), ("A", "z", 0.0, pytest.approx(0.2))]


def test_training_needs_keep_the_skills_rows_and_a_role_not_in_the_census_has_no_one_to_train() -> None:
    """Skills rows, in this order: role q in area B (not in the census), then role r in A (1 member of staff, leaving
    at 0.1); neither says how many joiners come trained (none). Census year 2025, target 2027. B/q: no staff, no
    leavers, no joiners: 0 to train, the share stays 0.3. A/r: 20% trained to 50% in 2 years, a = 0.9, 0.9² =
    0.81: (0.5 − 0.2 × 0.81) × 0.1 / 0.19 = 0.177895 a year, both years 'reach'. Wrong answers caught: a role not
    in the census dropped or counted with staff, leavers or joiners of 1 (or blank)."""
    from cyplan.model.skills import training_needs

    base = census().row(0, named=True) | {"area": "A", "role": "r", "retirement_rate": None,
                                          "share_aged_55_plus": 0.0, "headcount": 1.0, "leaver_rate": 0.1}
    skills = pl.DataFrame({"area": ["B", "A"], "role": ["q", "r"], "skill_area": ["s", "s"],
                           "share_trained": [0.3, 0.2], "target_share": [0.3, 0.5], "target_year": [2027, 2027],
                           "cost_per_person": [100.0, 100.0], "joiners_trained": [None, None]},
                          schema_overrides={"joiners_trained": pl.Float64})
    got = training_needs(skills, frame("workforce", [base]), (2025, 2026, 2027))
    a_year = (0.5 - 0.2 * 0.81) * 0.1 / 0.19
    assert got.select("area", "year", "staff", "leaver_rate", "phase").rows() == [
        ("B", 2026, 0.0, 0.0, "reach"), ("B", 2027, 0.0, 0.0, "reach"),
        ("A", 2026, 1.0, pytest.approx(0.1), "reach"), ("A", 2027, 1.0, pytest.approx(0.1), "reach")]
    assert got["to_train"].to_list() == pytest.approx([0.0, 0.0, a_year, a_year])
    assert got["share_after"].to_list()[:2] == pytest.approx([0.3, 0.3])
    assert a_year == pytest.approx(0.177895, abs=1e-6)


def test_an_area_with_no_population_is_warned_of_unless_other_areas_sit_within_it() -> None:
    """Areas T1 (within R, with its population), R (a region holding T1, no population of its own) and B (no
    population, nothing within it): B is warned of, R is not (its own population would count T1 twice). Wrong
    answers caught: the regions that hold areas not worked out (R warned of, or the warning failing)."""
    from cyplan.model.build import build

    frames = tiny()
    frames["areas"] = frame("areas", [{"code": "T1", "name": "Tiny", "kind": "custom", "parent": "R"},
                                      {"code": "R", "name": "Region", "kind": "custom"},
                                      {"code": "B", "name": "Bare", "kind": "custom"}])
    got = [w for w in build(frames).warnings if "has no population" in w]
    assert got == ["area B has no population: its need and demand are 0"]


def test_an_area_short_of_population_rows_is_warned_of_and_one_with_none_only_as_having_none() -> None:
    """Areas T1 (its 2025 population less the row for boys aged 25: 51 of 26 ages × 2 sexes = 52 rows) and B (no
    population at all, so 0 of 52 too). T1 is warned of as short; B only as having no population, not also as
    short. Wrong answers caught: the short rows not worked out, or the areas with none not left out of them."""
    from cyplan.model.build import build

    frames = tiny()
    frames["areas"] = frame("areas", [{"code": "T1", "name": "Tiny", "kind": "custom"},
                                      {"code": "B", "name": "Bare", "kind": "custom"}])
    frames["population"] = frames["population"].filter(~((pl.col("age") == 25) & (pl.col("sex") == "male")))
    got = [w for w in build(frames).warnings if "population" in w]
    assert got == ["area B has no population: its need and demand are 0",
                   "population for T1 in 2025 has 51 of 52 age and sex rows; the missing ones count as 0"]


def test_a_plan_with_no_population_yet_builds_with_no_years_and_no_warning() -> None:
    """An input not given is an input with no rows: with no population, the arrays hold no years (population [1
    area, 0 years, 26 ages, 2 sexes]) and there is no year in which an area lacks one. Wrong answer caught: the
    table of areas by year built with no type for its years (polars then cannot join it to the population's)."""
    from cyplan.model.build import build

    frames = tiny()
    del frames["population"]
    got = build(frames)
    assert got.population.shape == (1, 0, 26, 2) and got.dims.years == ()
    assert [w for w in got.warnings if "population" in w] == []


def test_training_needs_after_the_target_year_hold_the_share_in_a_phase_named_hold() -> None:
    """A/r: 1 member of staff, 20% trained, 50% wanted by 2026, leaving at 0.1, plan years 2025–2027. 2026 reaches
    it: (0.5 − 0.2 × 0.9) × 0.1 / (1 − 0.9) = 0.32 to train, the share 0.18 + 0.32 = 0.5. 2027 holds it: 0.5 × 0.9 =
    0.45 carried, 0.05 to train, phase 'hold' (the board paper and the by-year download name it so). Wrong answers
    caught: the years after the target blank, misnamed or called 'reach'."""
    from cyplan.model.skills import training_needs

    base = census().row(0, named=True) | {"area": "A", "role": "r", "retirement_rate": None,
                                          "share_aged_55_plus": 0.0, "headcount": 1.0, "leaver_rate": 0.1}
    skills = pl.DataFrame({"area": ["A"], "role": ["r"], "skill_area": ["s"], "share_trained": [0.2],
                           "target_share": [0.5], "target_year": [2026], "cost_per_person": [100.0],
                           "joiners_trained": [None]}, schema_overrides={"joiners_trained": pl.Float64})
    got = training_needs(skills, frame("workforce", [base]), (2025, 2026, 2027))
    assert got["phase"].to_list() == ["reach", "hold"]
    assert got["to_train"].to_list() == pytest.approx([0.32, 0.05])
    assert got["share_after"].to_list() == pytest.approx([0.5, 0.5])


def test_training_needs_of_an_area_with_no_skills_rows_keep_their_columns_types() -> None:
    """An area chosen that the skills census has no rows for: no rows, but staff to train, the share after and the
    cost are still numbers (Float64) and the year a whole number, so the tables and sums built on them work.
    Wrong answer caught: columns of no type (polars' Null) when there are no rows to infer one from."""
    from cyplan.model.skills import training_needs

    base = census().row(0, named=True) | {"area": "A", "role": "r", "headcount": 1.0}
    skills = pl.DataFrame(schema={"area": pl.String, "role": pl.String, "skill_area": pl.String,
                                  "share_trained": pl.Float64, "target_share": pl.Float64, "target_year": pl.Int64,
                                  "cost_per_person": pl.Float64, "joiners_trained": pl.Float64})
    got = training_needs(skills, frame("workforce", [base]), (2025, 2026, 2027))
    assert got.height == 0
    assert {c: got.schema[c] for c in ("year", "to_train", "share_after", "cost")} == {
        "year": pl.Int64, "to_train": pl.Float64, "share_after": pl.Float64, "cost": pl.Float64}


def test_a_share_is_null_where_its_denominator_is_0_and_worked_out_where_it_is_1() -> None:
    """3 of 1 is 300.0%; 0 of 0 is null (not NaN); 1 of 4 is 25.0%."""
    from cyplan.model.activity import with_shares

    got = with_shares(pl.DataFrame({"n": [3, 0, 1], "d": [1, 0, 4]}), {"share": ("n", "d")})
    assert got["share"].to_list() == [300.0, None, 25.0]


def test_the_sensitivity_plural_adds_no_s_to_a_word_ending_in_s_or_staff() -> None:
    """Wrong answer caught: 'nursess' and 'support staffs'."""
    from cyplan.model.sensitivity import plural

    assert plural("Support staff or nurses") == "support staff or nurses"
    assert plural("Mental health practitioner (CAMHS)") == "mental health practitioners (CAMHS)"


# -- model/evidence_ratings -----------------------------------------------------------------------------------------

def _ratings_frames(rows: list[tuple[str, str, str, str]]) -> dict[str, pl.DataFrame]:
    """(intervention, scheme, measure, rating) rows, in the order given, for the interventions named."""
    names = sorted({r[0] for r in rows})
    return {"interventions": pl.DataFrame({"intervention": names}),
            "evidence_ratings": pl.DataFrame(rows, schema=["intervention", "scheme", "measure", "rating"],
                                             orient="row")}


def test_the_ratings_text_lists_schemes_and_measures_in_the_schemes_order_whatever_the_rows_order() -> None:
    """EEF cost, months and padlocks and Foundations cost and evidence, given in that (reversed) order: said
    Foundations first, evidence before cost, then EEF padlocks, months, cost. Wrong answers caught: the order of
    schemes and measures lost (no order table, or one that does not keep each scheme's measures apart)."""
    from cyplan.model.evidence_ratings import evidence_summary

    rows = [("i", "eef", "cost", "1"), ("i", "eef", "months", "+5"), ("i", "eef", "padlocks", "4"),
            ("i", "foundations", "cost", "2"), ("i", "foundations", "evidence", "3+")]
    got = evidence_summary(_ratings_frames(rows)).row(0, named=True)
    assert got["ratings_text"] == "Foundations 3+, cost 2; EEF 4 padlocks, +5 months, cost 1"
    assert (got["strength"], got["cost"]) == (4, 2)


@pytest.mark.parametrize("rating", ["None–Found", "none−found", "  NONE-found "])
def test_a_local_none_found_with_any_dash_case_or_spaces_is_no_benefit(rating: str) -> None:
    """'none-found' with an en dash, a true minus sign, capitals or spaces at either end is the one rating: no
    benefit found (strength 0). Wrong answers caught: a dash or minus left as it is (so no strength at all), and
    normal() (the import's check) disagreeing with the summary."""
    from cyplan.model.evidence_ratings import evidence_summary, normal

    got = evidence_summary(_ratings_frames([("i", "local", "evidence", rating)])).row(0, named=True)
    assert (got["strength"], got["no_benefit"]) == (0, True)
    assert normal(rating) == "none-found"


def test_a_yef_rating_in_words_with_inner_spaces_is_matched() -> None:
    """'Very   high' (three spaces) is YEF's 'very high': strength 4. Wrong answer caught: runs of spaces inside a
    rating not made one, so the rating matches nothing."""
    from cyplan.model.evidence_ratings import evidence_summary

    got = evidence_summary(_ratings_frames([("i", "yef", "evidence", "Very   high")])).row(0, named=True)
    assert got["strength"] == 4


def test_what_a_scheme_allows_is_said_with_ne_and_nl2_in_capitals_and_words_as_they_are() -> None:
    """Wrong answer caught: every allowed value put in capitals ('STRONG, MODERATE …')."""
    from cyplan.model.evidence_ratings import allowed

    assert allowed("foundations", "evidence") == "4+, 4, 3+, 3, 2+, 2, NL2, NE"
    assert allowed("local", "evidence") == "strong, moderate, promising, limited, none-found"


def test_a_published_list_ties_by_code_names_its_sources_in_order_or_says_none_and_keeps_its_kinds() -> None:
    """Two neighbours both ranked 1 (a tie in the list): by code, C before D. Sources 'DfE 2024', none, 'DfE 2024'
    again and 'ONS': 'DfE 2024; ONS'. With no source at all: 'no source given'. The distance column blank but a
    decimal. Wrong answers caught: a tie left in the list's own order, a blank source listed as 'XXXX', sources
    joined otherwise, the area lost, the distance column of no kind."""
    from cyplan.model.neighbours import published

    lists = pl.DataFrame({"area": ["A"] * 4, "neighbour": ["D", "C", "B", "E"], "rank": [1, 1, 3, 4],
                          "source": ["DfE 2024", None, "DfE 2024", "ONS"]})
    got = published("A", lists, n=3)
    assert (got.area, got.source) == ("A", "published list: DfE 2024; ONS")
    assert got.table["neighbour"].to_list() == ["C", "D", "B"] and got.table.schema["distance"] == pl.Float64
    none = published("A", lists.with_columns(pl.lit(None, pl.String).alias("source")))
    assert none.source == "published list: no source given"


def test_no_benefit_beside_a_promising_rating_is_disputed_and_an_unrated_intervention_is_blank() -> None:
    """'d': Foundations NE and a local 'promising' (strength 2): disputed, not no benefit, strength 2 (promising
    counts as some benefit: 'promising or better'). 'u' has no rating: strength and cost blank, text '', neither
    flag. Wrong answers caught: promising not counted against NE (`>` for `>=`), and a failure or a flag for an
    intervention without ratings."""
    from cyplan.model.evidence_ratings import evidence_summary

    frames = _ratings_frames([("d", "foundations", "evidence", "NE"), ("d", "local", "evidence", "promising")])
    frames["interventions"] = pl.DataFrame({"intervention": ["d", "u"]})
    got = {r["intervention"]: r for r in evidence_summary(frames).iter_rows(named=True)}
    assert (got["d"]["strength"], got["d"]["no_benefit"], got["d"]["disputed"]) == (2, False, True)
    assert got["d"]["ratings_text"] == "Foundations NE; Local evaluation promising"
    assert (got["u"]["strength"], got["u"]["cost"], got["u"]["ratings_text"], got["u"]["no_benefit"],
            got["u"]["disputed"]) == (None, None, "", False, False)


def test_the_ratings_text_of_many_interventions_keeps_each_ones_schemes_in_order() -> None:
    """60 interventions, each rated by all four schemes, the rows given last scheme first: every text in the
    schemes' order. Wrong answer caught: the rows sorted by intervention alone before their texts are joined
    (polars may then put an intervention's schemes in any order)."""
    from cyplan.model.evidence_ratings import evidence_summary

    names = [f"i{n:02}" for n in range(60)]
    rows = [(i, s, m, r) for i in names for s, m, r in (("local", "evidence", "strong"), ("eef", "padlocks", "3"),
                                                         ("yef", "evidence", "4"), ("foundations", "evidence", "2"))]
    texts = evidence_summary(_ratings_frames(rows))["ratings_text"].to_list()
    assert texts == ["Foundations 2; YEF evidence 4; EEF 3 padlocks; Local evaluation strong"] * 60


# -- model/sensitivity ----------------------------------------------------------------------------------------------

def test_one_at_a_time_levels_are_central_then_each_input_low_and_high_in_turn() -> None:
    """k = 2: five rows — all central (NaN), the first low (0), the first high (1), the second low, the second high.
    Wrong answer caught: extra rows of central runs (each one a wasted model run, and a tornado bar of none)."""
    from cyplan.model.sensitivity import one_at_a_time

    nan = np.nan
    np.testing.assert_array_equal(one_at_a_time(2), [[nan, nan], [0, nan], [1, nan], [nan, 0], [nan, 1]])


def test_a_fixed_input_or_a_central_level_is_its_central_value_without_a_warning() -> None:
    """A factor of two rows: the first ranging 1–3 (central 2), the second fixed at 5 (width 0). At level NaN
    (central) both are central; at level 1 the first is at its high (3), the second still 5 — with no
    RuntimeWarning (0 ÷ 0 for the fixed row's mode, or the triangular's square root of a negative for a level
    read as 1.5). Wrong answers caught: the mode divided where the width is 0, and a NaN level read as
    anything but the middle."""
    from cyplan.model.sensitivity import Factor, given

    f = Factor("workforce", "leaver_rate", "x", rows=np.array([0, 1]), areas=np.array([-1, -1]),
               low=np.array([1.0, 5.0]), central=np.array([2.0, 5.0]), high=np.array([3.0, 5.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = given([f], np.array([[np.nan], [1.0]]), {("workforce", "leaver_rate"): np.array([0.0, 0.0])})
    assert out[("workforce", "leaver_rate")].tolist() == [[2.0, 5.0], [3.0, 5.0]]


def test_the_cost_measure_is_each_roles_own_gap_costed_and_the_total_adds_the_areas() -> None:
    """Two areas, two roles (£100 and £10 an FTE), one draw: gaps 2 and −1 in the first area, 1 and 0 in the
    second. Cost: each role's gap above 0 costed (200 + 0, 100 + 0), so 300 in all; FTE every role together:
    1 and 1, so 2 in all; per area, 200 and 100. Wrong answers caught: the FTE given for the cost, a surplus
    costed or the cost divided, the areas not added."""
    from cyplan.model.sensitivity import Spec, measured

    sim = SimpleNamespace(demand=np.array([[[[5.0], [3.0]]], [[[2.0], [2.0]]]]),
                          total_supply=np.array([[[[3.0], [4.0]]], [[[1.0], [2.0]]]]),
                          cost_per_fte=np.array([100.0, 10.0]))
    assert measured(sim, Spec("cost", 0, (0, 1))).tolist() == [[300.0]]
    assert measured(sim, Spec("gap", 0, (0, 1))).tolist() == [[2.0]]
    assert measured(sim, Spec("cost", 0, (0, 1), per_area=True)).tolist() == [[200.0], [100.0]]


def test_what_missing_figures_did_is_said_naming_five_areas_then_how_many_more() -> None:
    """A has every figure. 7 areas lack x: 'B, C, D, E, F and 2 more … their'; 5 lack y: the five, no 'more'; 6
    lack z: 'and 1 more'; only B lacks w: 'its'. Wrong answers caught: the areas joined otherwise, six named,
    the count of the rest wrong or said from five (or only from seven), 'its' for two or more or 'their' for one."""
    from cyplan.model.neighbours import _missing

    codes = list("ABCDEFGH")
    nan = np.nan
    values = np.array([[1.0] * 4] + [[nan, nan, nan, 1.0]] * 5 + [[nan, 1.0, nan, 1.0], [nan, 1.0, 1.0, 1.0]])
    values[1, 3] = nan  # B lacks w
    assert _missing("A", codes, ["x", "y", "z", "w"], values) == [
        "no figure for x in B, C, D, E, F and 2 more: it is left out of their distance to A",
        "no figure for y in B, C, D, E, F: it is left out of their distance to A",
        "no figure for z in B, C, D, E, F and 1 more: it is left out of their distance to A",
        "no figure for w in B: it is left out of its distance to A"]
    assert _missing("A", list("ABC"), ["v"], np.array([[1.0], [nan], [nan]])) == [
        "no figure for v in B, C: it is left out of their distance to A"]


def test_a_distance_from_an_area_lacking_an_indicator_is_scaled_to_its_own_indicators_without_a_warning() -> None:
    """Target 0 lacks indicator 2. Area 1 shares indicators 0 and 1 with it (z differences 1 and 2, weights 1 and
    3): Σ w·d² = 1 + 12 = 13, scaled by the target's weights over the shared ones, (1 + 3) ÷ (1 + 3) = 1: √13.
    Area 2 shares nothing: no distance. Area 3 is the target's twin: 0, with no shares. No RuntimeWarning for the
    0 ÷ 0s. Wrong answers caught: the target's weight worked out with indicators it lacks (÷ 0, or counted), and
    warnings shown to the user."""
    from cyplan.model.neighbours import distances

    nan = np.nan
    z = np.array([[0.0, 0.0, nan], [1.0, 2.0, 5.0], [nan, nan, 1.0], [0.0, 0.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d, shares = distances(z, np.array([1.0, 3.0, 2.0]), 0)
    assert np.isnan(d[0]) and d[1] == pytest.approx(np.sqrt(13)) and np.isnan(d[2]) and d[3] == 0.0
    assert shares[1, :2].tolist() == pytest.approx([1 / 13, 12 / 13]) and np.isnan(shares[1, 2])
    assert np.isnan(shares[3]).all()


def test_the_training_summary_keeps_the_leaver_rate_and_says_what_keeps_the_share_after_the_target() -> None:
    """Two years reaching the target (10 staff to train a year, £100 each year) then a year keeping it (3 a year):
    10 a year, 20 and £200 to the target, then 3 a year; the leaver rate carried through. Wrong answers caught:
    the leaver rate left out of the summary, and 'then a year' read from the years that reach the target."""
    from cyplan.model.skills import training_summary

    needs = pl.DataFrame({"area": ["A"] * 3, "role": ["r"] * 3, "skill_area": ["s"] * 3,
                          "phase": ["reach", "reach", "hold"], "staff": [50.0] * 3, "share_trained": [0.2] * 3,
                          "target_share": [0.6] * 3, "target_year": [2027] * 3, "leaver_rate": [0.1] * 3,
                          "to_train": [10.0, 10.0, 3.0], "cost": [100.0, 100.0, 30.0]})
    row = training_summary(needs).row(0, named=True)
    assert (row["leaver_rate"], row["a_year"], row["to_target"], row["cost_to_target"], row["then_a_year"]) == (
        0.1, 10.0, 20.0, 200.0, 3.0)


def test_the_pipeline_table_adds_every_pipeline_of_a_cell_year_by_year() -> None:
    """Role a: P1 10 places a year from 2026, 3-year course, £1,000 a place; P2 5 places 2024–2026, 3-year
    course, £200 a place. Role b: 2 places in 2025 only, 1-year course, no cost given. 80% complete.
    2026: 15 starting (10 + 5), £11,000 (10,000 + 1,000); 2027: 10 starting (P2 has ended), P2's 2024 intake
    qualifying, 4. 2029: both qualify, 8 (P1's 2026 intake) + 4 (P2's last, 2026) = 12. Role b, 2025: 2
    starting at £0. Wrong answers caught: a pipeline's figures put in every cell, end_year ignored, the last
    intake's qualifiers left out, one pipeline overwriting another, a blank cost read as £1, and the areas or
    years asked for ignored."""
    from cyplan.model.flows import pipeline_table
    from test_supply_flows import YEARS6, pipeline

    f = inputs(YEARS6)
    f["training_pipelines"] = pl.concat([
        pipeline(start_year=2026), pipeline(start_year=2024, end_year=2026, places=5.0, cost_per_place=200.0),
        pipeline(role="b", start_year=2025, end_year=2025, places=2.0, course_years=1, cost_per_place=None)])
    sim = simulate(f)
    t = pipeline_table(sim, ["T1"], [2025, 2026, 2027, 2029])
    a = t.filter(pl.col("role") == "a").sort("year")
    assert a["year"].to_list() == [2025, 2026, 2027, 2029]
    assert a["places_starting"].to_list() == [5.0, 15.0, 10.0, 10.0]
    assert a["training_cost"].to_list() == [1_000.0, 11_000.0, 10_000.0, 10_000.0]
    assert a["qualifying"].to_list() == pytest.approx([0.0, 0.0, 4.0, 12.0])
    b = t.filter(pl.col("role") == "b").sort("year")
    assert b["places_starting"].to_list() == [2.0, 0.0, 0.0, 0.0] and b["training_cost"].to_list() == [0.0] * 4
    assert b["qualifying"].to_list() == pytest.approx([0.0, 1.6, 0.0, 0.0])
    assert pipeline_table(sim, ["T9"]).is_empty()


def _plan_of_a(f: dict[str, pl.DataFrame], target: int = 2030) -> dict[str, object]:
    from cyplan.model.flows import training_plan

    return training_plan(simulate(f), target).filter(pl.col("role") == "a").row(0, named=True)


def test_a_training_plan_where_no_extra_joiners_are_needed_says_so_with_no_places() -> None:
    """test_supply's role a is over-supplied: no extra joiners, so 0 places, £0 and 'no extra places needed'
    (not a plan of 0 places 'yes: …'). Wrong answers caught: that answer's keys misspelt (so blank), its
    figures 1, its words changed, or 0 extra joiners taken as needing some."""
    from test_supply_flows import YEARS6, pipeline

    f = inputs(YEARS6)
    f["training_pipelines"] = pipeline()
    plan = _plan_of_a(f)
    assert (plan["joiners_needed"], plan["places_a_year"], plan["places_cost"], plan["by_training"]) == (
        0.0, 0.0, 0.0, "no extra places needed")


@pytest.mark.parametrize(("course", "intakes", "said"), [(5, 1, "yes: 1 intake, 2025–2025"),
                                                          (4, 2, "yes: 2 intakes, 2025–2026")])
def test_a_training_plans_places_for_a_cyp_share_below_1_and_no_cost_in_words(course: int, intakes: int,
                                                                               said: str) -> None:
    """test_supply_flows' role a short of staff at a CYP share of 0.5, a pipeline of 0.1 places a year with no
    cost per place and a course of 5 (or 4) years to a 2030 target: 1 intake (or 2), each yielding
    0.8 × 0.5 × 0.5 = 0.2 FTE for this population a place: places = J × Σ_{k<5} 0.9^k ÷ Σ_{k<n} 0.9^k ÷ 0.2, £0.
    Wrong answers caught: the yield divided by the CYP share, a blank cost read as £1 a place, and '1 intakes'
    (or '2 intake')."""
    from test_supply_flows import pipeline, short

    f = short(0.1)
    f["workforce"] = f["workforce"].with_columns(pl.lit(0.5).alias("cyp_share"))
    f["training_pipelines"] = pipeline(places=0.1, course_years=course, cost_per_place=None)
    plan = _plan_of_a(f)
    j = plan["joiners_needed"]
    assert j > 0 and plan["by_training"] == said
    assert plan["places_a_year"] == pytest.approx(j * 4.0951 / sum(0.9 ** k for k in range(intakes)) / 0.2)
    assert plan["places_cost"] == 0.0


def test_a_training_plan_uses_the_pipeline_in_force_last() -> None:
    """Two pipelines on role a: from 2020 (10 places, 3-year course) and from 2022 (1 place, 2-year course): the
    later one is in force, course 2. Two from 2022 (1 place, 2 years; 5 places, 4 years): the larger, course 4.
    With no pipeline at all the plan keeps its columns' kinds. Wrong answers caught: the pipeline with the most
    places (or the first listed) taken, and the plan's blank columns of no kind."""
    from cyplan.model.flows import TRAINING_SCHEMA, training_plan
    from test_supply_flows import pipeline, short

    f = short(0.1)
    f["training_pipelines"] = pl.concat([pipeline(start_year=2020), pipeline(start_year=2022, places=1.0,
                                                                             course_years=2)])
    assert _plan_of_a(f)["course_years"] == 2
    f["training_pipelines"] = pl.concat([pipeline(start_year=2022, places=5.0, course_years=4),
                                         pipeline(start_year=2022, places=1.0, course_years=2)])
    assert _plan_of_a(f)["course_years"] == 4
    f["training_pipelines"] = f["training_pipelines"].clear()
    assert dict(training_plan(simulate(f), 2030).schema) == TRAINING_SCHEMA


def test_a_level_given_net_of_the_first_level_is_netted_too() -> None:
    """test_dependence's two levels with the roles the other way: y (the second level) given net of x, the first
    (index 0 of the levels): y = 0.1667 − 0.16 = 0.0067, x = 0.16. Wrong answer caught: only levels after the
    first looked for as the other of a pair (`> 0`), so y kept its total, 0.1667, and the pair counted 0.3267."""
    from test_dependence import productive_hours, rates, two_levels
    frames = two_levels([{"level": "x", "age_from": 0, "age_to": 25, "sex": "all", "central": 0.16},
                         {"level": "y", "age_from": 0, "age_to": 25, "sex": "all", "central": 0.1667,
                          "net_of": "x"}])
    x, y = rates(simulate(frames, draws=0).demand, productive_hours(frames))
    assert (x[0], y[0]) == (pytest.approx(0.16), pytest.approx(0.0067))


def test_a_group_where_its_ages_have_no_population_is_spread_evenly_over_its_ages_and_both_sexes() -> None:
    """test_model's tiny area with nobody aged 5–15 and a group of 22 children aged 5–15: with no population to
    spread it by, it goes evenly, 22 / (11 ages × 2 sexes) = 1 child at each age and sex from 5 to 15, none
    elsewhere; the group is warned of as bigger than its ages' population (0); and numpy's 0/0 prints no
    RuntimeWarning at the user. Wrong answers caught: 22 × 22 or 22 × 2/11 per cell, and the warning."""
    from cyplan.model.build import build
    frames = tiny(group_count=22.0)
    frames["population"] = frames["population"].with_columns(
        pl.when(pl.col("age").is_between(5, 15)).then(0.0).otherwise(pl.col("count")).alias("count"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build(frames)
    size = built.group_size[0, 0, 0]  # [age, sex] of the one area, year and group
    assert size[5:16].tolist() == [[1.0, 1.0]] * 11 and not size[:5].any() and not size[16:].any()
    assert any("group 'lac' in T1 has 22 children aged 5 to 15" in w for w in built.warnings)


def test_a_group_as_big_as_its_ages_population_is_not_warned_of_and_half_a_child_spreads_by_population() -> None:
    """test_model's tiny area: (1) the group in two rows, 1,000 aged 0–4, exactly the 5 × 200 children of those
    ages (not more than the population: no warning), and 2,201 aged 5–15, one more than the 11 × 200 (warned of,
    naming that row). (2) Ages 5–15 holding only half a girl, aged 5 (a projection's fraction): the group of 22
    follows the population it has, all 22 at age 5, girls, not spread evenly over the ages as where there is no
    population. Wrong answers caught: a group as big as the population warned of (`>=`), the warning's row not
    found among two, and a population under one child taken for none."""
    from cyplan.model.build import build
    frames = tiny()
    frames["group_sizes"] = frame("group_sizes", [
        {"area": "T1", "group": "lac", "age_from": 0, "age_to": 4, "count": 1000.0},
        {"area": "T1", "group": "lac", "age_from": 5, "age_to": 15, "count": 2201.0}])
    assert [w for w in build(frames).warnings if "group 'lac'" in w] == [
        "group 'lac' in T1 has 2,201 children aged 5 to 15, more than the population of those ages in 2025 (2,200): "
        "check the group size and the population"]
    frames = tiny(group_count=22.0)
    age, sex = pl.col("age"), pl.col("sex")
    frames["population"] = frames["population"].with_columns(
        pl.when((age == 5) & (sex == "female")).then(0.5).when(age.is_between(5, 15)).then(0.0)
        .otherwise(pl.col("count")).alias("count"))
    size = build(frames).group_size[0, 0, 0]  # [age, sex]; female first
    assert size[5].tolist() == [22.0, 0.0] and size.sum() == 22.0


def test_three_commissions_come_back_one_to_a_row() -> None:
    """A scenario of three commissions (as many as the table's columns): each is a row of intervention, gap and
    first year. Wrong answer caught: the rows read as columns, which polars does when their count matches the
    columns' and the orientation is not said."""
    from cyplan.model.scenarios import commissions
    given = pl.concat([_commission(where=f"intervention={i}; gap=cell {g}", value=float(y))
                       for i, g, y in (("mst", "A", 2027), ("cbt", "B", 2028), ("ipt", "C", 2029))])
    assert commissions(given, "s").rows() == [("mst", "cell A", 2027), ("cbt", "cell B", 2028), ("ipt", "cell C", 2029)]


def test_the_cost_lines_of_an_area_asked_for_are_that_areas_alone() -> None:
    """test_costs' costed tiny area T1: its cost lines asked for by area are its one row; asked for area T2 (not in
    the plan), none. Wrong answer caught: the areas asked for ignored, T1's budget shown as T2's."""
    from cyplan.model.plan import cost_table
    from test_costs import costed
    plan = run(costed(tiny()))
    assert cost_table(plan, areas=["T1"])["area"].to_list() == ["T1"]
    assert cost_table(plan, areas=["T2"]).is_empty()


@pytest.mark.parametrize("start", [2024, 2025])
def test_the_extra_joiners_to_close_count_a_pipeline_that_starts_late_at_its_worth_by_the_target_year(
        start: int) -> None:
    """test_supply_flows' short role a (1 FTE in post, demand 1.77 FTE, leaving rate 0.3, no joiners) with a
    pipeline whose first qualifiers join in start + 2 (0.2 FTE a year from then): the extra joiners a year to close
    the gap by each later year, added to the census's joiners, leave exactly the demand in post in that year. The
    pipeline is worth less than 0.2 a year (it starts late, and those who join early have left by the target), so
    its worth is worked out year by year: 0.2 × Σ 0.7^(t−k) over its years ÷ Σ_{k<t} 0.7^k. In the first year,
    2025, there is no time to hire: the extra is the gap itself, 0.77. Role b has no pipeline: its extra joiners
    are those it needs without one. Wrong answers caught (each leaves supply off the demand): the pipeline not
    counted in the first year after the census, at a growth rate of 1.3 or 1.7 rather than a leaving one of 0.7,
    summed over roles as well as years (crediting b with a's trainees), or worked out in the first year (0/0);
    and, with no pipeline, the answer made an array of Python objects."""
    from test_supply_flows import pipeline, short
    f = short(0.3)
    without = simulate(f)
    assert without.joiners_to_close(2026).dtype == np.float64  # numbers, not objects, where there is no pipeline
    f["training_pipelines"] = pipeline(start_year=start, places=0.5, course_years=2)
    sim = simulate(f)
    inflow = sim.detail.inflow[0, 0] if sim.detail is not None else None  # by year from 2025
    assert inflow is not None and inflow.tolist() == pytest.approx([0.0] * (start - 2023) + [0.2] * (2029 - start))
    assert sim.joiners_to_close(2025)[0].tolist() == pytest.approx([0.77, without.joiners_to_close(2025)[0, 1]],
                                                                   abs=0.01)
    for target in (2026, 2027, 2028, 2030):
        extra = sim.joiners_to_close(target)[0]
        assert extra[1] == without.joiners_to_close(target)[0, 1]
        joined = dict(f, workforce=f["workforce"].with_columns(pl.col("joiners_per_year") + extra[0]))
        closed, t = simulate(joined), sim.dims.years.index(target)
        assert closed.total_supply[0, t, 0, 0] == pytest.approx(closed.demand[0, t, 0, 0], rel=1e-12), target


def test_a_move_of_a_share_held_to_within_a_rounding_difference_is_made() -> None:
    """test_model's tiny role mix: role b holds 0.25 − 10⁻¹² of step 'see' (a sum of thirds, say, in the file); a
    scenario moves 0.25 of it to role a. That is within the 10⁻¹² allowed for rounding, so it is made: b keeps
    nothing to speak of and a has 1. Wrong answer caught: the allowance taken as part of the shortfall (`<=`),
    refusing the move as if b held too little."""
    frames = tiny()
    frames["role_mix"] = frames["role_mix"].with_columns(
        pl.when(pl.col("role") == "b").then(0.25 - 1e-12).otherwise(pl.col("share")).alias("share"))
    move = frame("scenarios", [{"scenario": "s", "input": "role_mix", "column": "share", "where": "role=b",
                                "operation": "move", "value": 0.25, "to_role": "a"}])
    mix = apply(frames, move, "s")["role_mix"].sort("role")
    assert mix["share"].to_list() == pytest.approx([1.0, 0.0], abs=1e-11)


def test_a_simulation_has_band_counts_only_when_asked_for() -> None:
    """Wrong answer caught: every simulation made with its age bands' counts (work that only the evidence for the
    action list asks for, `results.evidence_for_actions`)."""
    assert simulate(tiny(), draws=0).bands is None
    assert simulate(tiny(), draws=0, by_band=True).bands is not None


def test_a_simulations_demand_adds_the_cases_of_its_need_counts() -> None:
    """test_model's tiny area (220 cases from prevalence at level t, one 10-hour step, roles a 0.75 and b 0.25,
    931.5 productive hours) with a need count: 200 children with an EHC plan for ASD aged 5–14 in 2025, half of
    them at level t: 100 cases more, 320 in all. 3,200 hours: role a 2,400 ÷ 931.5 = 2.5765 FTE, b 800 ÷ 931.5 =
    0.8588, with no draws and in each of 3 (neither the share nor, here, the prevalence has a range). Wrong answer
    caught: the simulation's demand (what the gap and the scenarios are worked from) made from prevalence alone,
    without the counted cases that `plan.run` counts (so the need page and the gap would disagree)."""
    frames = tiny()
    frames["need_counts"] = frame("need_counts", [{"area": "T1", "year": 2025, "need": "ASD", "status": "EHC plan",
                                                   "age_from": 5, "age_to": 14, "count": 200.0}])
    frames["need_shares"] = frame("need_shares", [{"need": "ASD", "status": "EHC plan", "level": "t", "low": 0.5,
                                                   "central": 0.5, "high": 0.5}])
    frames["prevalence"] = frames["prevalence"].with_columns(low=pl.lit(0.1), high=pl.lit(0.1))  # every draw alike
    for draws in (0, 3):
        demand = simulate(frames, draws=draws).demand[0, 0]  # [role, draw]
        assert demand.T.tolist() == [pytest.approx([2400 / 931.5, 800 / 931.5], rel=1e-12)] * max(draws, 1)


def test_training_pipelines_without_a_workforce_change_none_of_the_demands_draws() -> None:
    """The tiny area with a range on its roles' sickness days (5 to 20), so the productive hours are drawn after
    the supply's inputs; then the same with a training pipeline but still no workforce (no census: there is no
    supply to train into). The demand's 5 draws are the same doubles. Wrong answer caught: the supply's inputs
    drawn without a workforce, using up random numbers the productive hours would have had, so that adding an
    input the model cannot use moves every draw of the demand."""
    from test_supply_flows import pipeline
    f = tiny()
    f["roles"] = f["roles"].with_columns(sickness_days_low=pl.lit(5.0), sickness_days_high=pl.lit(20.0))
    alone = simulate(f, draws=5)
    assert np.unique(alone.productive[:, 0]).size == 5  # drawn, not the central value five times
    with_pipeline = simulate(dict(f, training_pipelines=pipeline()), draws=5)
    assert np.array_equal(with_pipeline.demand, alone.demand)


def test_a_simulation_given_cases_kept_hands_its_cases_to_the_next_run_with_the_same_need(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two simulations of the tiny area from the same seed (so the same prevalence draws), given one CasesKept:
    the cases are worked out once, for the first, and the second's demand is the first's. Without a CasesKept
    each works them out. Counted by the calls of the function that works cases out. Wrong answer caught: the
    kept cases not passed on to the demand, so a board paper's scenarios each work out the baseline's need again
    (the paper's time, not its numbers)."""
    import cyplan.model.simulate as simulate_module

    calls: list[int] = []
    work_out = simulate_module._cases

    def counted(*args: object) -> tuple[np.ndarray, np.ndarray]:
        calls.append(1)
        return work_out(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(simulate_module, "_cases", counted)
    kept = simulate_module.CasesKept()
    first, second = (simulate(tiny(), draws=5, kept=kept) for _ in range(2))
    assert len(calls) == 1
    assert np.array_equal(first.demand, second.demand)
    simulate(tiny(), draws=5)
    assert len(calls) == 2


def test_a_pipeline_with_no_census_row_joins_no_one_and_leaves_the_others_as_they_were() -> None:
    """test_supply_flows' short area: role a in the NHS alone, 10% leaving. One pipeline into it (0.5 places a
    year from 2024, 2-year courses, 0.8 × 0.5 of each intake taking a post here: 0.2 FTE a year from 2026);
    then the same with a pipeline into the voluntary sector put first, where the census has no row, 10 places
    with every trainee staying. The supply and the inflow are the one pipeline's, value for value: the
    voluntary sector's trainees have no post to take here (the workforce page's data check says so). Wrong
    answers caught: pipelines without a census row dropped before their draws are matched to them (an inner
    join), so the draws of one pipeline are read for another or cannot be matched at all."""
    from test_supply_flows import pipeline, short
    f = short(0.1)
    f["training_pipelines"] = pipeline(start_year=2024, places=0.5, course_years=2)
    alone = simulate(f)
    f["training_pipelines"] = pl.concat([pipeline(sector="voluntary", start_year=2024, places=10.0, course_years=2,
                                                  completion_rate=1.0, share_taking_post_here=1.0),
                                         f["training_pipelines"]])
    both = simulate(f)
    assert alone.detail is not None and both.detail is not None
    assert alone.detail.inflow[0, 0].tolist() == pytest.approx([0.0] + [0.2] * 5)  # 2025–2030
    assert np.array_equal(both.detail.inflow, alone.detail.inflow)
    assert np.array_equal(both.total_supply, alone.total_supply)


def test_a_batch_of_one_given_run_is_one_draw_at_its_values() -> None:
    """The sensitivity analysis runs its levels in batches (cyplan.sweep), and the last batch can hold one run. The
    tiny area (10% need, role a's demand 1,650 h ÷ 931.5) given a prevalence of 20% for its one run: one draw, with
    twice the central demand; every input not given at its central value. Wrong answer caught: the inputs not given
    tiled to two draws where the run is one, so the batch's measure has a run too many (or fails to broadcast)."""
    sim = simulate(tiny(), 1, given={("prevalence", "central"): np.array([[0.2]])})
    assert sim.demand.shape == (1, 1, 2, 1)  # [area, year, role, draw]
    assert sim.demand[0, 0, :, 0].tolist() == pytest.approx([2 * 1650 / 931.5, 2 * 550 / 931.5], rel=1e-12)
