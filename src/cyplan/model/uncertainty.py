"""Monte Carlo draws from (low, central, high) inputs, and the summaries reported: median and 90% interval.

Each input row is drawn once per draw from a triangular distribution (or PERT) with its low, central and
high values; a row whose low and high equal its central value is constant. Rows are independent unless the
correlations input ties them (model/correlations.py: a Gaussian copula that keeps each row's distribution).
The same seed gives the same draws, so scenarios run with one seed share their random numbers (common random
numbers), and their differences are not noise.
"""

from __future__ import annotations

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
    else:
        unit = _triangular_unit(rng.random((draws, *low.shape)), mode)
    return np.where(fixed, central, low + unit * width)


def _triangular_unit(u: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Inverse of the triangular distribution's CDF on [0, 1] with its peak at `mode`."""
    return np.where(u < mode, np.sqrt(u * mode), 1 - np.sqrt((1 - u) * (1 - mode)))


def triangular_quantile(u: np.ndarray, low: float, central: float, high: float) -> np.ndarray:
    """The values of a triangular (low, central, high) at cumulative probabilities u: its inverse CDF."""
    if high <= low:
        return np.full(np.shape(u), float(central))
    mode = min(max((central - low) / (high - low), 0.0), 1.0)
    return low + _triangular_unit(np.asarray(u, dtype=float), np.asarray(mode)) * (high - low)


def summarise(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(5th percentile, median, 95th percentile) over the draws axis."""
    p5, p50, p95 = np.quantile(values, INTERVAL, axis=axis)
    return p5, p50, p95


def quantile_errors(values: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Monte Carlo standard error of each of summarise()'s figures (5th percentile, median, 95th), from
    the order statistics: among n draws the rank of the q-quantile is binomial, with standard deviation
    √(n q (1 − q)), so the draws z = 1.96 of those either side of it span a distribution-free 95% interval
    for the true quantile, and SE ≈ (Q(q + z s) − Q(q − z s)) / (2 z) with s = √(q (1 − q) / n): the
    asymptotic √(q (1 − q) / n) / f(x_q), with the density f read from the draws themselves. The 95% span
    (rather than ±1 rank SD) keeps the estimate steady from seed to seed. One more quantile call over the
    same axis: vectorised, no resampling."""
    n = values.shape[axis]
    q = np.asarray(INTERVAL)
    s = RANK_Z * np.sqrt(q * (1 - q) / max(n, 1))
    bounds = np.quantile(values, np.concatenate([np.clip(q - s, 0, 1), np.clip(q + s, 0, 1)]), axis=axis)
    se = (bounds[len(q):] - bounds[:len(q)]) / (2 * RANK_Z)
    return se[0], se[1], se[2]
