"""Need: population × prevalence, plus the extra cases in vulnerable groups.

cases[area, year, age, sex, level] = population × prevalence[level, age, sex]
A vulnerable group of n children with relative risk rr at a level has n × p × rr cases there, of
which n × p are already counted; the uplift is the rest. A group cannot have more cases across all
levels than it has children, so where Σ_level n × p × rr > n the group's cases are scaled down in
proportion until they equal n (docs/method.md).
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


def base_cases(population: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """population[area, year, age, sex] × prevalence[level, age, sex] → [area, year, age, sex, level]."""
    return population[..., None] * np.moveaxis(prevalence, 0, -1)[None, None]


def group_uplift(group_size: np.ndarray, prevalence: np.ndarray, relative_risk: np.ndarray) -> np.ndarray:
    """Extra cases in each group: group_size[area, year, group, age, sex], prevalence[level, age, sex],
    relative_risk[group, level] → uplift[area, year, age, sex, level, group].
    """
    n = np.moveaxis(group_size, 2, -1)[..., None, :]  # [a, y, age, sex, 1, g]
    p = np.moveaxis(prevalence, 0, -1)[None, None, ..., None]  # [1, 1, age, sex, level, 1]
    rr = relative_risk.T[None, None, None, None]  # [1, 1, 1, 1, level, g]
    in_group = n * p * rr
    total = in_group.sum(axis=-2, keepdims=True)  # over levels
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(total > n, n / total, 1.0)
    return in_group * scale - n * p


def need(population: np.ndarray, prevalence: np.ndarray, group_size: np.ndarray,
         relative_risk: np.ndarray) -> Need:
    return Need(base_cases(population, prevalence), group_uplift(group_size, prevalence, relative_risk))
