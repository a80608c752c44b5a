"""Disclosure control: the published figures, and a property test that no count from 1 to 7 can be
recovered from a published table's rows and columns and their totals."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyplan.model.disclosure import DFE, NHS_DIGITAL, NONE, DisclosureRule, disclose


def _table(cells: list[list[int]]) -> pl.DataFrame:
    m = np.array(cells, dtype=np.int64)
    m = np.column_stack([m, m.sum(axis=1)])
    m = np.vstack([m, m.sum(axis=0)])
    labels = [f"r{i}" for i in range(m.shape[0] - 1)] + ["Total"]
    return pl.DataFrame({"category": labels} | {f"c{j}": m[:, j] for j in range(m.shape[1] - 1)}
                        | {"Total": m[:, -1]})


def test_small_counts_are_starred_and_the_rest_rounded_to_5() -> None:
    out = disclose(_table([[1, 30, 12], [20, 3, 40], [50, 60, 70]]))
    assert out.row(0) == ("r0", "*", "*", "10", "45")  # 30 is the row's second star
    assert out.row(1) == ("r1", "*", "*", "40", "65")  # 20 is the smallest left in row 1 and column c0
    assert out.row(3) == ("Total", "70", "95", "120", "285")  # totals are rounded from the true totals


def test_national_figures_are_not_touched_and_dfe_suppresses_under_10() -> None:
    table = _table([[1, 30], [9, 12]])
    assert disclose(table, NONE).row(0) == ("r0", "1", "30", "31")
    assert disclose(table, DFE)["c0"].to_list() == ["c", "c", "10"]  # 1 and 9 (10 is not under 10)


def test_shares_are_worked_out_from_published_counts_and_suppressed_with_them() -> None:
    table = pl.DataFrame({"m": ["a", "b"], "yes": [3, 40], "no": [20, 22], "Total": [23, 62]})
    out = disclose(table, total_row=None, shares={"% yes": ("yes", "Total")})
    assert out["% yes"].to_list() == ["*", f"{40 / 60 * 100:.1f}"]


def _bounds(published: list[list[str]], rule: DisclosureRule) -> tuple[np.ndarray, np.ndarray]:
    """What a reader can work out of each cell, written independently of the module: a shown rounded
    figure r is r−2 … r+2 (and not 1–7), a star 1 or more; then each line's sum narrows its cells."""
    n, m = len(published), len(published[0])
    lo, hi = np.zeros((n, m), dtype=np.int64), np.zeros((n, m), dtype=np.int64)
    for i in range(n):
        for j in range(m):
            v = published[i][j]
            if v == rule.symbol:
                lo[i, j], hi[i, j] = 1, 10**9
            else:
                r = int(v)
                lo[i, j], hi[i, j] = (0, 0) if r == 0 else (max(r - 2, rule.suppress_to + 1), r + 2)
    lines = [[(i, j) for j in range(m)] for i in range(n)] + [[(i, j) for i in range(n)] for j in range(m)]
    for _ in range(200):
        before = (lo.copy(), hi.copy())
        for line in lines:
            *cells, total = line
            for c in cells:
                others = [o for o in cells if o != c]
                lo[c] = max(lo[c], lo[total] - sum(hi[o] for o in others))
                hi[c] = min(hi[c], hi[total] - sum(lo[o] for o in others))
            lo[total] = max(lo[total], sum(lo[c] for c in cells))
            hi[total] = min(hi[total], sum(hi[c] for c in cells))
        if (lo == before[0]).all() and (hi == before[1]).all():
            break
    return lo, hi


small_counts = st.integers(0, 40).map(lambda x: x if x < 12 else x * 3)  # many 0–11s, some larger
tables = st.integers(1, 5).flatmap(lambda cols: st.lists(st.lists(small_counts, min_size=cols, max_size=cols),
                                                         min_size=1, max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_count_from_1_to_7_can_be_recovered(cells: list[list[int]]) -> None:
    table = _table(cells)
    out = disclose(table)
    truth = table.drop("category").to_numpy()
    published = [list(r) for r in out.drop("category").rows()]
    lo, hi = _bounds(published, NHS_DIGITAL)
    for (i, j), v in np.ndenumerate(truth):
        shown = published[i][j]
        if 1 <= v <= 7:
            assert shown == "*"
            assert lo[i, j] <= v <= hi[i, j]
            assert hi[i, j] > lo[i, j], f"cell {(i, j)} = {v} can be worked out from\n{out}"
        elif shown != "*":
            assert int(shown) % 5 == 0 and abs(int(shown) - v) <= 2
