"""Disclosure control promises, for every rule (nhs-digital, dfe, none), checked by a reader written here
independently of model/disclosure.py (docs/returns.md, "Disclosure control"):

* every count in the rule's range is shown as its symbol, every other count rounded as the rule says;
* every row or column that has a total holds no symbol or at least two;
* no hidden count can be worked out exactly from the published row, column and totals;
* the `none` rule (national figures) publishes every count as it is.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyplan.model.disclosure import DFE, NHS_DIGITAL, NONE, disclose

RULES = {"nhs-digital": NHS_DIGITAL, "dfe": DFE, "none": NONE}
# what the docs say each rule does: (smallest and largest count suppressed, rounding base, symbol)
PROMISED = {"nhs-digital": (1, 7, 5, "*"), "dfe": (1, 9, 1, "c"), "none": (None, None, 1, None)}


def make_table(cells: list[list[int]], total_column: bool, total_row: bool) -> pl.DataFrame:
    m = np.array(cells, dtype=np.int64)
    columns = [f"c{j}" for j in range(m.shape[1])]
    if total_column:
        m = np.column_stack([m, m.sum(axis=1)])
        columns.append("Total")
    labels = [f"r{i}" for i in range(m.shape[0])]
    if total_row:
        m = np.vstack([m, m.sum(axis=0)])
        labels.append("Total")
    return pl.DataFrame({"category": labels} | {c: m[:, j] for j, c in enumerate(columns)})


def reader_bounds(published: list[list[str]], name: str, total_column: bool,
                  total_row: bool) -> tuple[list[list[float]], list[list[float]]]:
    """The least and most each true count can be, for a reader who has only the published table and the
    rule: a symbol is 1 or more; a shown r is any whole x that rounds to r (r − b/2 ≤ x < r + b/2) and is
    not in the suppressed range; then every line's sum (cells = total) narrows each cell and the total,
    over and over until nothing changes."""
    low, high, base, symbol = PROMISED[name]
    n, m = len(published), len(published[0])
    lo = [[0.0] * m for _ in range(n)]
    hi = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            v = published[i][j]
            if symbol is not None and v == symbol:
                lo[i][j], hi[i][j] = 1, math.inf
                continue
            r = int(v)
            a, b = math.ceil(r - base / 2), math.ceil(r + base / 2) - 1
            if low is not None and r > 0:  # shown and not zero: above the suppressed range
                a = max(a, high + 1)
            if low is not None and r == 0:
                b = min(b, low - 1)
            lo[i][j], hi[i][j] = max(a, 0), b
    lines = []
    if total_column:
        lines += [[(i, j) for j in range(m)] for i in range(n)]
    if total_row:
        lines += [[(i, j) for i in range(n)] for j in range(m)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            *cells, (ti, tj) = line
            for ci, cj in cells:
                rest_hi = sum(hi[oi][oj] for oi, oj in cells if (oi, oj) != (ci, cj))
                rest_lo = sum(lo[oi][oj] for oi, oj in cells if (oi, oj) != (ci, cj))
                new_lo, new_hi = max(lo[ci][cj], lo[ti][tj] - rest_hi), min(hi[ci][cj], hi[ti][tj] - rest_lo)
                if (new_lo, new_hi) != (lo[ci][cj], hi[ci][cj]):
                    lo[ci][cj], hi[ci][cj], changed = new_lo, new_hi, True
            t_lo = max(lo[ti][tj], sum(lo[ci][cj] for ci, cj in cells))
            t_hi = min(hi[ti][tj], sum(hi[ci][cj] for ci, cj in cells))
            if (t_lo, t_hi) != (lo[ti][tj], hi[ti][tj]):
                lo[ti][tj], hi[ti][tj], changed = t_lo, t_hi, True
    return lo, hi


def check_published(table: pl.DataFrame, name: str, total_column: bool, total_row: bool) -> None:
    """Every promise of the module docstring on one table."""
    low, high, base, symbol = PROMISED[name]
    out = disclose(table, RULES[name], total_column="Total" if total_column else None,
                   total_row="Total" if total_row else None)
    truth = table.drop("category").to_numpy()
    published = [list(r) for r in out.drop("category").rows()]
    n, m = truth.shape
    for (i, j), v in np.ndenumerate(truth):
        shown = published[i][j]
        if low is not None and low <= v <= high:
            assert shown == symbol, f"count {v} at {(i, j)} is shown as {shown}"
        if shown != symbol:
            r = int(shown)
            assert r % base == 0 and r - base / 2 <= v < r + base / 2, f"{v} at {(i, j)} shown as {shown}"
        if v == 0:
            assert shown == "0"
    lines = ([[published[i][j] for j in range(m)] for i in range(n)] if total_column else []) + \
            ([[published[i][j] for i in range(n)] for j in range(m)] if total_row else [])
    for line in lines:
        assert line.count(symbol) != 1, f"a line holds a single {symbol}: {line}\n{out}"
    lo, hi = reader_bounds(published, name, total_column, total_row)
    for (i, j), v in np.ndenumerate(truth):
        assert lo[i][j] <= v <= hi[i][j], f"the reader's bounds are wrong at {(i, j)}: {v} not in {lo[i][j]}…{hi[i][j]}"
        if published[i][j] == symbol:
            assert hi[i][j] > lo[i][j], f"hidden count {v} at {(i, j)} can be worked out from\n{out}"


small_counts = st.integers(0, 45).map(lambda x: x if x < 14 else x * 3)  # many 0–13s, some larger
tables = st.integers(1, 5).flatmap(lambda cols: st.lists(st.lists(small_counts, min_size=cols, max_size=cols),
                                                         min_size=1, max_size=5))
totals = st.sampled_from([(True, True), (True, False), (False, True)])


@pytest.mark.parametrize("name", list(RULES))
def test_each_rule_is_the_one_the_docs_describe(name: str) -> None:
    """Catches a rule whose range, rounding or symbol drifted from the docs (e.g. DfE's 'counts under 10'
    made 'under 8')."""
    rule = RULES[name]
    low, high, base, symbol = PROMISED[name]
    assert rule.name == name and rule.round_to == base
    if low is None:
        assert not rule.suppresses and not rule.secondary
    else:
        assert (rule.suppress_from, rule.suppress_to, rule.symbol, rule.secondary) == (low, high, symbol, True)


@pytest.mark.parametrize("name", list(RULES))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=tables, which=totals)
def test_no_hidden_count_can_be_worked_out_and_no_line_holds_a_single_symbol(
        name: str, cells: list[list[int]], which: tuple[bool, bool]) -> None:
    check_published(make_table(cells, *which), name, *which)


def test_dfe_row_with_two_hidden_ones_is_not_published_with_its_total() -> None:
    """The issue's example: [1, 142, 101, 10, 1], total 255. `c,142,101,10,c` with 255 shows the hidden
    pair adds to 255 − 253 = 2, so both are 1: a third cell must be hidden too."""
    table = pl.DataFrame({"category": ["r0"], "c0": [1], "c1": [142], "c2": [101], "c3": [10], "c4": [1],
                          "Total": [255]})
    row = disclose(table, DFE, total_row=None).row(0)
    assert row != ("r0", "c", "142", "101", "10", "c", "255")
    assert row[1] == row[5] == "c" and row.count("c") >= 3
    check_published(table, "dfe", True, False)


def test_nhs_rule_rounding_alone_does_not_hide_a_cell_the_docs_example() -> None:
    """docs/returns.md: two shown cells of 10 (true 8–12) and a total of 15 (13–17) would pin a star to 1
    — e.g. [1, 8, 8] with total 17 (rounded 15): another cell must go."""
    table = make_table([[1, 8, 8]], True, False)
    row = disclose(table, NHS_DIGITAL, total_row=None).row(0)
    assert row.count("*") >= 2
    check_published(table, "nhs-digital", True, False)


def test_none_publishes_every_count_as_it_is() -> None:
    """National figures: 1, 3 and 9 stay, nothing is starred or rounded."""
    table = make_table([[1, 3], [9, 142]], True, True)
    out = disclose(table, NONE)
    assert out.drop("category").rows() == [("1", "3", "4"), ("9", "142", "151"), ("10", "145", "155")]
