"""Tests written to kill surviving mutants of `make mutate` in model/ (docs/testing.md lists them): each
test's name says the wrong answer it catches. Expected figures are worked by hand in the comments."""

from __future__ import annotations

import polars as pl

from cyplan.model.disclosure import disclose


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
