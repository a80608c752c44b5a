"""Monte Carlo draws from (low, central, high) inputs, and the summaries reported: median and 90% interval.

Each input row is drawn once per draw from a triangular distribution (or PERT) with its low, central and
high values; a row whose low and high equal its central value is constant. Rows are independent unless the
correlations input ties them (model/correlations.py: a Gaussian copula that keeps each row's distribution).
The same seed gives the same draws, so scenarios run with one seed share their random numbers (common random
numbers), and their differences are not noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np

Distribution = Literal["triangular", "pert"]
INTERVAL = (0.05, 0.5, 0.95)  # 5th percentile, median, 95th percentile: a 90% interval
RANK_Z = 1.96  # quantile_errors reads the order statistics at the binomial 95% interval of the rank


def draw(rng: np.random.Generator, low: np.ndarray, central: np.ndarray, high: np.ndarray, draws: int,
         distribution: Distribution = "triangular") -> np.ndarray:
    """[draws, *shape] values between low and high, most likely at central."""
    low, central, high = (np.asarray(x, dtype=float) for x in (low, central, high))
    width = high - low
    fixed = width <= 0
    safe = np.where(fixed, 1.0, width)
    mode = np.clip((central - low) / safe, 0.0, 1.0)
    if distribution == "pert":
        alpha, beta = 1 + 4 * mode, 1 + 4 * (1 - mode)
        unit = rng.beta(np.broadcast_to(alpha, (draws, *low.shape)), np.broadcast_to(beta, (draws, *low.shape)))
        return np.where(fixed, central, low + unit * width)
    return _triangular_values(rng.random((draws, *low.shape)), low, central, width, mode, fixed)


def _triangular_values(u: np.ndarray, low: np.ndarray, central: np.ndarray, width: np.ndarray, mode: np.ndarray,
                       fixed: np.ndarray) -> np.ndarray:
    """np.where(fixed, central, low + _triangular_unit(u, mode) × width), the same doubles, worked in place in `u`
    (issue 17 part 5: at national scale each of the census's inputs is 2.6 million values), and not at all when no
    row has a range (every row's FTE in post, say: each value is its central value whatever its random number)."""
    if fixed.all():
        return np.broadcast_to(central, u.shape).copy()

    def part(rows: slice) -> None:  # a share of the draws: elementwise, so the same doubles however they are cut
        values = _triangular_unit_in_place(u[rows], mode)
        values *= width
        values += low  # low + unit × width: addition is commutative, so the same double
        if fixed.any():
            np.copyto(values, central, where=fixed)

    if u.size >= PARALLEL_SIZE:
        in_parts(part, len(u))
    else:
        part(slice(None))
    return u


PARALLEL_SIZE = 1 << 18  # values from which elementwise work is shared out between threads (less: not worth a thread)


def in_parts(work: Callable[[slice], object], n: int) -> None:
    """work(rows) for an axis's n rows cut in SORT_THREADS parts, in as many threads (NumPy lets go of the GIL while
    it computes; issue 17 part 5). For elementwise work only, so that each value is the same double however the rows
    are cut."""
    parts = [slice(i * n // SORT_THREADS, (i + 1) * n // SORT_THREADS) for i in range(SORT_THREADS)]
    with ThreadPoolExecutor(SORT_THREADS) as pool:
        list(pool.map(work, parts))  # list: a worker's error is raised here


def _triangular_unit_in_place(u: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """_triangular_unit(u, mode) with one array more than `u`, which holds the result: each branch's arithmetic as
    _triangular_unit does it, so every value is the same double."""
    lower = u * mode
    np.sqrt(lower, out=lower)
    below = u < mode
    np.subtract(1.0, u, out=u)
    u *= 1 - mode
    np.sqrt(u, out=u)
    np.subtract(1.0, u, out=u)
    np.copyto(u, lower, where=below)
    return u


def _triangular_unit(u: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Inverse of the triangular distribution's CDF on [0, 1] with its peak at `mode`."""
    return np.where(u < mode, np.sqrt(u * mode), 1 - np.sqrt((1 - u) * (1 - mode)))


def triangular_quantile(u: np.ndarray, low: float, central: float, high: float) -> np.ndarray:
    """The values of a triangular (low, central, high) at cumulative probabilities u: its inverse CDF."""
    if high <= low:
        return np.full(np.shape(u), float(central))
    mode = min(max((central - low) / (high - low), 0.0), 1.0)
    return low + _triangular_unit(np.asarray(u, dtype=float), np.asarray(mode)) * (high - low)


def summarise(values: np.ndarray, axis: int = -1, ordered: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(5th percentile, median, 95th percentile) over the draws axis. `ordered`: the values' rows already put in
    order by in_order(), when the caller takes other quantiles of them too."""
    p5, p50, p95 = quantiles(values, INTERVAL, axis, ordered)
    return p5, p50, p95


def quantile_errors(values: np.ndarray, axis: int = -1, ordered: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Monte Carlo standard error of each of summarise()'s figures (5th percentile, median, 95th), from
    the order statistics: among n draws the rank of the q-quantile is binomial, with standard deviation
    √(n q (1 − q)), so the draws z = 1.96 of those either side of it span a distribution-free 95% interval
    for the true quantile, and SE ≈ (Q(q + z s) − Q(q − z s)) / (2 z) with s = √(q (1 − q) / n): the
    asymptotic √(q (1 − q) / n) / f(x_q), with the density f read from the draws themselves. The 95% span
    (rather than ±1 rank SD) keeps the estimate steady from seed to seed. Six more quantiles of the same
    draws (of `ordered`, when given: see summarise): vectorised, no resampling."""
    n = values.shape[axis]
    q = np.asarray(INTERVAL)
    s = RANK_Z * np.sqrt(q * (1 - q) / max(n, 1))
    bounds = quantiles(values, np.concatenate([np.clip(q - s, 0, 1), np.clip(q + s, 0, 1)]), axis, ordered)
    se = (bounds[len(q):] - bounds[:len(q)]) / (2 * RANK_Z)
    return se[0], se[1], se[2]


def summarise_with_errors(values: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray],
                                                       tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """summarise() and quantile_errors() of the same draws (the last axis), their rows put in order once."""
    ordered = in_order(values)
    return summarise(values, ordered=ordered), quantile_errors(values, ordered=ordered)


# -- quantiles: np.quantile's, bit for bit, from rows put in order once ---------------------------------------
#
# np.quantile (its default 'linear' method) moves the draws axis to the front and partitions along it: each
# row's draws are then thousands of elements apart in memory, and its introselect looks for eight order
# statistics one after another. That was 2.5 of the 3.0 s gap_table took for 153 areas × 1,000 draws (issue 17
# part 5). Here each row is sorted where it lies (contiguous, with NumPy's SIMD sort; rows shared between
# threads, as NumPy lets go of the GIL while it sorts), and the two order statistics either side of each
# quantile are read off and interpolated with np.quantile's own arithmetic, so every figure is the same double.
# Two cases are left to np.quantile itself, row by row, because there the order statistic's value is the same
# but its bits need not be: a row holding a NaN (np.quantile returns the NaN its partition put last) and a row
# holding both 0.0 and -0.0 whose figure is zero (which of the two equal zeros an order statistic is depends on
# how the row was put in order; NumPy's SIMD sort may even write one's bits for both). tests/test_quantiles.py
# holds every figure to np.quantile's, bit for bit.

SORT_THREADS = 2  # the 2 cores the targets are set on (DESIGN.md); the result does not depend on it


def in_order(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """A copy of `values` with each row along `axis` (the draws) sorted, moved to the last axis: each thread
    copies its share of the rows and sorts them."""
    moved = np.moveaxis(values, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])  # a view when each row's draws lie together, else a copy: ours
    ordered = rows if not np.may_share_memory(rows, values) else np.empty_like(rows, order="C")

    def sort(part: slice) -> None:
        if ordered is not rows:
            ordered[part] = rows[part]
        ordered[part].sort(axis=-1)

    # starting and joining a pool's threads takes longer than sorting so few values: a page's tables for one area
    # made 23 pools, a tenth of the workforce page after a change (issue 17 part 4)
    if rows.size < PARALLEL_SIZE:
        sort(slice(None))
        return ordered.reshape(moved.shape)
    with ThreadPoolExecutor(SORT_THREADS) as pool:
        list(pool.map(sort, [slice(i * len(rows) // SORT_THREADS, (i + 1) * len(rows) // SORT_THREADS)
                             for i in range(SORT_THREADS)]))
    return ordered.reshape(moved.shape)


def quantiles(values: np.ndarray, q: Sequence[float] | np.ndarray, axis: int = -1,
              ordered: np.ndarray | None = None) -> np.ndarray:
    """np.quantile(values, q, axis=axis), bit for bit: [len(q), *the other axes]. `ordered` is
    in_order(values, axis) when the caller has it already (summarise and quantile_errors share one)."""
    q, values = np.asarray(q), np.asarray(values)
    if values.dtype != np.float64 or q.dtype != np.float64 or values.size == 0 or q.ndim != 1 \
            or not ((q >= 0) & (q <= 1)).all():
        return np.quantile(values, q, axis=axis)  # not what the model asks (or not quantiles): NumPy's own way
    if ordered is None:
        ordered = in_order(values, axis)
    shape, n = ordered.shape[:-1], ordered.shape[-1]
    ordered = ordered.reshape(-1, n)  # [row, draw]
    # np.quantile's indexes: the order statistics below and above (n − 1) q, both the last at the top
    virtual = (n - 1) * q
    below, above = np.floor(virtual), np.floor(virtual) + 1
    top = virtual >= n - 1
    below[top], above[top] = -1, -1
    below, above = below.astype(np.intp), above.astype(np.intp)
    gamma = (virtual - below)[:, None]  # as np.quantile: from the index it uses, -1 at the top
    a, b = ordered[:, below].T, ordered[:, above].T  # [quantile, row]
    # np.quantile's _lerp, step by step: a + (b − a) γ, or b − (b − a)(1 − γ) from γ = ½ on
    diff = b - a
    result = np.add(a, diff * gamma)
    np.subtract(b, diff * (1 - gamma), out=result, where=gamma >= 0.5)
    odd = np.isnan(ordered[:, -1])  # NaNs sort last
    zero = (result == 0).any(axis=0)
    if zero.any() or odd.any():
        rows = np.moveaxis(values, axis, -1).reshape(-1, n)  # as given: the SIMD sort may write one zero for both
        odd[zero] |= _both_zeros(rows[zero])
        result[:, odd] = np.quantile(rows[odd], q, axis=-1)
    return result.reshape(len(q), *shape)


def _both_zeros(rows: np.ndarray) -> np.ndarray:
    """Whether each row holds both 0.0 and −0.0."""
    zero = rows == 0
    negative = np.signbit(rows)
    return (zero & negative).any(axis=-1) & (zero & ~negative).any(axis=-1)
