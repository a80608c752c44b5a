"""Need: population × prevalence, and the cases in vulnerable groups.

cases[area, year, age, sex, level] = population × prevalence[year, level, age, sex]
Prevalence has a year axis because it may carry a trend (prevalence × (1 + trend)^(year − first year),
never above 1). Each prevalence row says what its rate is (docs/method.md, "Vulnerable groups"):

- a rate outside the groups: a group of n children with relative risk rr has n × p × rr cases, of which n × p
  are already counted in population × p; the uplift, n × p × (rr − 1), is added on top;
- a population average (a survey's rate, which already includes the groups): the rate among children
  outside the groups is p₀ = p / (1 + Σ_g f_g (rr_g − 1)), f_g the group's share of the children of that age
  and sex, and a group has n × p₀ × rr cases. The total stays population × p; the uplift shown is the
  groups' excess over the published rate, n × (p₀ × rr − p), part of that total, not added to it.

A group cannot have more cases across all levels than it has children, so where Σ_level rate × rr > 1 its
cases are scaled down in proportion until they equal n. With a population average the cases the cap removes
go to the children outside the groups, so the total stays population × p. With rates outside the groups n
cancels, and the capped uplift per child, `uplift_factor`, depends only on prevalence and relative risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Need:
    base: np.ndarray  # [area, year, age, sex, level]: population × prevalence
    uplift: np.ndarray  # [area, year, age, sex, level, group]: each group's cases above the published rate
    added: np.ndarray | float = 1.0  # [age, sex, level]: 1 where the uplift is added (a rate outside the groups)

    @property
    def cases(self) -> np.ndarray:
        return self.base + self.uplift.sum(axis=-1) * self.added


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
    out = p * rr
    total = out.sum(axis=-4, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(total > 1.0, 1.0 / total, 1.0)
    # p × (rr × scale − 1), step by step in the one array (at national scale 1.7 million values a year of draws)
    np.multiply(rr, scale, out=out)
    out -= 1.0
    out *= p
    return out


def group_shares(group_size: np.ndarray, population: np.ndarray) -> np.ndarray:
    """f_g = each group's share of the children of its age and sex [area, year, age, sex, group]; where the
    groups, summed as if no child were in two, hold more children than there are, scaled to sum to 1."""
    n = np.moveaxis(group_size, 2, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(population[..., None] > 0, n / population[..., None], 0.0)
    return f / np.maximum(f.sum(axis=-1, keepdims=True), 1.0)


def outside_rate(prevalence: np.ndarray, relative_risk: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """p₀ = p / (1 + Σ_g f_g (rr_g − 1)): the rate among children outside the groups that makes the
    population-weighted average p. prevalence[year, level, age, sex], relative_risk[group, level],
    shares[area, year, age, sex, group] → [area, year, age, sex, level]."""
    p = np.moveaxis(prevalence, 1, -1)[None]  # [1, year, age, sex, level]
    denominator = 1.0 + shares @ (relative_risk - 1.0)  # [area, year, age, sex, level]
    with np.errstate(divide="ignore", invalid="ignore"):
        # 0 only when every child is in a group with relative risk 0: then no child of a group is a case
        return np.where(denominator > 0, p / np.where(denominator > 0, denominator, 1.0), 0.0)


def group_uplift(group_size: np.ndarray, prevalence: np.ndarray, relative_risk: np.ndarray,
                 population: np.ndarray | None = None, average: np.ndarray | None = None) -> np.ndarray:
    """group_size[area, year, group, age, sex], prevalence[year, level, age, sex], relative_risk[group, level]
    → uplift[area, year, age, sex, level, group]: each group's cases above the published rate. `average`
    [level, age, sex] marks the rates that are population averages (population[area, year, age, sex] needed)."""
    n = np.moveaxis(group_size, 2, -1)[..., None, :]  # [a, y, age, sex, 1, g]
    if average is None or not average.any():
        f = np.moveaxis(uplift_factor(prevalence, relative_risk), 1, -2)  # [y, age, sex, level, g]
        return n * f[None]
    assert population is not None, "population averages need the population"
    shares = group_shares(group_size, population)  # [a, y, age, sex, g]
    mask = np.moveaxis(average, 0, -1)  # [age, sex, level]
    p = np.moveaxis(prevalence, 1, -1)[None]  # [1, y, age, sex, level]
    rate = np.where(mask, outside_rate(prevalence, relative_risk, shares), p)  # p₀, or p itself
    in_group = rate[..., None] * relative_risk.T  # [a, y, age, sex, level, g]: rate × rr
    total = in_group.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        in_group = in_group * np.where(total > 1.0, 1.0 / total, 1.0)  # the cap: at most one case a child
    # with a population average the group counts as its share of the children (scaled when groups overfill)
    size = np.where(mask[..., None], (shares * population[..., None])[..., None, :], n)
    return size * (in_group - p[..., None])


def counted_cases(counted: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Cases from need counts: counted[area, year, count group, age, sex] × share[count group, level]
    → [area, year, age, sex, level]. A counted child may be a case at more than one level (docs/method.md)."""
    return np.einsum("aygxs,gl->ayxsl", counted, share)


def need(population: np.ndarray, prevalence: np.ndarray, group_size: np.ndarray,
         relative_risk: np.ndarray, average: np.ndarray | None = None, counted: np.ndarray | None = None) -> Need:
    """`average` [level, age, sex]: True where the prevalence is a population average (None: none is);
    `counted` ([area, year, age, sex, level], from counted_cases) adds to population × prevalence."""
    added = 1.0 if average is None else np.where(np.moveaxis(average, 0, -1), 0.0, 1.0)
    base = base_cases(population, prevalence)
    return Need(base if counted is None else base + counted,
                group_uplift(group_size, prevalence, relative_risk, population, average), added)
