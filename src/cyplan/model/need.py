"""Need: population × prevalence, plus the extra cases in vulnerable groups.

cases[area, year, age, sex, level] = population × prevalence[year, level, age, sex]
Prevalence has a year axis because it may carry a trend (prevalence × (1 + trend)^(year − first year),
never above 1). A vulnerable group of n children with relative risk rr at a level has n × p × rr cases
there, of which n × p are already counted; the uplift is the rest. A group cannot have more cases across
all levels than it has children, so where Σ_level p × rr > 1 its cases are scaled down in proportion until
they equal n (docs/method.md). Since n cancels, the capped uplift per child, `uplift_factor`, depends only
on prevalence and relative risk, which is what lets the Monte Carlo run use the same formula cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Need:
    base: np.ndarray  # [area, year, age, sex, level]: population × prevalence
    uplift: np.ndarray  # [area, year, age, sex, level, group]: extra cases in each vulnerable group

    @property
    def cases(self) -> np.ndarray:
        return self.base + self.uplift.sum(axis=-1)


def trended(prevalence: np.ndarray, trend: np.ndarray, years_from_start: np.ndarray) -> np.ndarray:
    """prevalence[..., level, age, sex] × (1 + trend[..., level])^t for each year → [..., year, level, age, sex]."""
    growth = (1.0 + trend[..., None, :]) ** years_from_start[:, None]  # [..., year, level]
    return np.minimum(prevalence[..., None, :, :, :] * growth[..., None, None], 1.0)


def base_cases(population: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """population[area, year, age, sex] × prevalence[year, level, age, sex] → [area, year, age, sex, level]."""
    return population[..., None] * np.moveaxis(prevalence, 1, -1)[None]


def uplift_factor(prevalence: np.ndarray, relative_risk: np.ndarray) -> np.ndarray:
    """Extra cases per child in a group: prevalence[..., level, age, sex], relative_risk[..., group, level]
    → [..., level, age, sex, group] = p × (rr × scale − 1), scale = min(1, 1 / Σ_level p × rr)."""
    p = prevalence[..., None]
    rr = np.swapaxes(relative_risk, -1, -2)[..., :, None, None, :]  # [..., level, 1, 1, group]
    total = (p * rr).sum(axis=-4, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(total > 1.0, 1.0 / total, 1.0)
    return p * (rr * scale - 1.0)


def group_uplift(group_size: np.ndarray, prevalence: np.ndarray, relative_risk: np.ndarray) -> np.ndarray:
    """group_size[area, year, group, age, sex], prevalence[year, level, age, sex], relative_risk[group, level]
    → uplift[area, year, age, sex, level, group]."""
    n = np.moveaxis(group_size, 2, -1)[..., None, :]  # [a, y, age, sex, 1, g]
    f = np.moveaxis(uplift_factor(prevalence, relative_risk), 1, -2)  # [y, age, sex, level, g]
    return n * f[None]


def counted_cases(counted: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Cases from need counts: counted[area, year, count group, age, sex] × share[count group, level]
    → [area, year, age, sex, level]. A counted child may be a case at more than one level (docs/method.md)."""
    return np.einsum("aygxs,gl->ayxsl", counted, share)


def need(population: np.ndarray, prevalence: np.ndarray, group_size: np.ndarray,
         relative_risk: np.ndarray, counted: np.ndarray | None = None) -> Need:
    """Cases; `counted` ([area, year, age, sex, level], from counted_cases) adds to population × prevalence."""
    base = base_cases(population, prevalence)
    return Need(base if counted is None else base + counted, group_uplift(group_size, prevalence, relative_risk))
