"""Disclosure control for any table that leaves cyplan for publication. Pure (NumPy and Polars).

The default rule follows NHS Digital's method for HES and ECDS (DESIGN.md): counts from 1 to 7 are
shown as '*' and every other count, totals included, is rounded to the nearest 5. On top of that,
secondary suppression makes sure no suppressed cell can be worked out from the other cells of its row
or column and that line's total:

1. every row or column that has a total holds either no '*' or at least two, and
2. no '*' is pinned to a single value by the bounds the published figures put on it (each rounded
   figure r stands for r−2 … r+2, a '*' for 1 or more, and these bounds are carried from line to line
   until nothing changes).

Where either fails, the smallest non-zero published cell of that line is suppressed too, and the check
runs again. The rule is data: `DisclosureRule` (NHS_DIGITAL by default; DFE and NONE given as well).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

BIG = 10**15  # no upper bound known


@dataclass(frozen=True)
class DisclosureRule:
    name: str
    suppress_from: int = 1  # counts from … to … are suppressed (0 and suppress_to < suppress_from: none)
    suppress_to: int = 7
    round_to: int = 5  # every other count is rounded to a multiple of this (1: not rounded)
    secondary: bool = True
    symbol: str = "*"

    @property
    def suppresses(self) -> bool:
        return self.suppress_to >= self.suppress_from


NHS_DIGITAL = DisclosureRule("nhs-digital")
DFE = DisclosureRule("dfe", suppress_from=1, suppress_to=9, round_to=1, symbol="c")  # counts under 10 as 'c'
NONE = DisclosureRule("none", suppress_from=1, suppress_to=0, round_to=1, secondary=False)  # national figures
RULES = {r.name: r for r in (NHS_DIGITAL, DFE, NONE)}

Line = tuple[tuple[int, int], ...]  # cells of a row or column; the last one is that line's total


def lines_of(shape: tuple[int, int], total_column: bool, total_row: bool) -> list[Line]:
    """The rows and columns that add up to a total: the last column and/or the last row."""
    n_rows, n_cols = shape
    lines: list[Line] = []
    if total_column:
        lines += [tuple((i, j) for j in range(n_cols)) for i in range(n_rows)]
    if total_row:
        lines += [tuple((i, j) for i in range(n_rows)) for j in range(n_cols)]
    return lines


def rounded(counts: np.ndarray, rule: DisclosureRule) -> np.ndarray:
    """Counts rounded to the nearest multiple of round_to (halves up)."""
    b = max(rule.round_to, 1)
    return (np.floor(counts / b + 0.5) * b).astype(np.int64)


def published_bounds(published: np.ndarray, stars: np.ndarray, rule: DisclosureRule) -> tuple[np.ndarray, np.ndarray]:
    """What a reader can tell of each true count from the published table alone, cell by cell."""
    b = max(rule.round_to, 1)
    lo = published - b // 2
    hi = published + (b + 1) // 2 - 1
    if rule.suppresses:  # a shown count is not in the suppressed range
        above = hi > rule.suppress_to
        lo = np.where(above, np.maximum(lo, rule.suppress_to + 1), np.minimum(hi, rule.suppress_from - 1))
        hi = np.where(above, hi, np.minimum(hi, rule.suppress_from - 1))
    lo = np.maximum(lo, 0)
    lo = np.where(stars, max(rule.suppress_from, 1), lo)
    hi = np.where(stars, BIG, hi)
    return lo.astype(np.int64), hi.astype(np.int64)


def propagate(lo: np.ndarray, hi: np.ndarray, lines: Sequence[Line]) -> tuple[np.ndarray, np.ndarray]:
    """Tighten the bounds with every line's sum until nothing changes (what a careful reader can do)."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(100):
        changed = False
        for line in lines:
            idx = tuple(np.array(line).T)
            low, h = lo[idx], hi[idx]
            cl, ch = low[:-1], h[:-1]
            # each cell = total − the others; the total = the sum of the cells
            new_l = np.append(np.minimum(low[-1] - (ch.sum() - ch), BIG), cl.sum())
            new_h = np.append(h[-1] - (cl.sum() - cl), min(ch.sum(), BIG))
            tl, th = np.maximum(low, new_l), np.minimum(h, new_h)
            if (tl != low).any() or (th != h).any():
                lo[idx], hi[idx] = tl, th
                changed = True
        if not changed:
            break
    return lo, hi


def suppress(counts: np.ndarray, rule: DisclosureRule, lines: Sequence[Line]) -> tuple[np.ndarray, np.ndarray]:
    """(published counts, suppressed cells) for a matrix of counts whose lines add up."""
    published = rounded(counts, rule)
    if not rule.suppresses:
        return published, np.zeros(counts.shape, dtype=bool)
    stars = (counts >= rule.suppress_from) & (counts <= rule.suppress_to)
    while True:  # one cell at a time, so that each choice sees the ones before it
        exposed = []
        if rule.secondary:
            exposed = [line for line in lines if sum(stars[c] for c in line) == 1]
        if not exposed:
            lo, hi = propagate(*published_bounds(published, stars, rule), lines)
            for cell in zip(*np.nonzero(stars & (lo == hi)), strict=True):
                exposed += [line for line in lines if cell in line]
        chosen = next((c for line in exposed if (c := _second(line, exposed, counts, stars)) is not None), None)
        if chosen is None:
            return published, stars
        stars[chosen] = True


def _second(line: Line, exposed: Sequence[Line], counts: np.ndarray, stars: np.ndarray) -> tuple[int, int] | None:
    """The cell to suppress next in a line: a shown non-zero cell, preferring one that also mends
    another exposed line, then the smallest; the line's total only if nothing else is left."""
    shown = [c for c in line if not stars[c] and counts[c] > 0]
    if not shown:
        return None
    inner = [c for c in shown if c != line[-1]] or shown
    return min(inner, key=lambda c: (-sum(c in other for other in exposed), counts[c], c))


def disclose(table: pl.DataFrame, rule: DisclosureRule = NHS_DIGITAL, counts: Sequence[str] | None = None,
             total_column: str | None = "Total", total_row: str | None = "Total",
             shares: Mapping[str, tuple[str, str]] | None = None) -> pl.DataFrame:
    """The table as it may be published: count columns become text ('*' or the rounded count).

    counts: the count columns (default: every integer column). total_column: the count column holding
    each row's total, if any; total_row: the first column's value on the row holding each column's total,
    if any. shares: percentage columns (name → (numerator, denominator)), recomputed from the published
    counts and suppressed with them.
    """
    counts = list(counts or [c for c, t in table.schema.items() if t.is_integer()])
    has_total_col = total_column is not None and total_column in counts
    if has_total_col:  # the total is the last cell of each row's line
        counts = [c for c in counts if c != total_column] + [total_column]
    label = table.columns[0]
    order = list(range(table.height))
    has_total_row = total_row is not None and total_row in table[label].to_list()
    if has_total_row:
        t = table[label].to_list().index(total_row)
        order = [i for i in order if i != t] + [t]
    matrix = table.select(counts).to_numpy().astype(np.int64)[order]
    published, stars = suppress(matrix, rule, lines_of(matrix.shape, has_total_col, has_total_row))
    back = np.argsort(order)
    published, stars = published[back], stars[back]
    cells = {c: [rule.symbol if s else str(v) for v, s in zip(published[:, j], stars[:, j], strict=True)]
             for j, c in enumerate(counts)}
    out = table.with_columns(pl.Series(c, v, dtype=pl.String) for c, v in cells.items())
    for name, (num, den) in (shares or {}).items():
        j, k = counts.index(num), counts.index(den)
        pct = [rule.symbol if stars[i, j] or stars[i, k] else
               (f"{published[i, j] / published[i, k] * 100:.1f}" if published[i, k] > 0 else "")
               for i in range(table.height)]
        out = out.with_columns(pl.Series(name, pct, dtype=pl.String))
    return out
