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
