"""Workforce demand: cases × coverage × pathway hours × role mix → hours → FTE → cost.

Productive hours per FTE follow WHO's Workload Indicators of Staffing Need (WISN):
available working time AWT = (52 × working days a week − annual leave − public holidays − sickness
− training days) × hours a day, and only the direct-work share of it serves cases, so
FTE = hours / (AWT × direct share) = hours / AWT × CAF, with the category allowance factor
CAF = 1 / (1 − Σ category allowance shares) = 1 / direct share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEEKS_PER_YEAR = 52  # WISN counts possible working days as 52 weeks × working days a week


@dataclass(frozen=True)
class RoleTime:
    """Per role: the inputs of available working time and cost, each an array over roles."""

    hours_per_week: np.ndarray
    days_per_week: np.ndarray
    annual_leave: np.ndarray
    public_holidays: np.ndarray
    sickness: np.ndarray
    training: np.ndarray
    direct_share: np.ndarray
    salary: np.ndarray
    on_cost: np.ndarray
    non_pay_rate: np.ndarray | float = 0.0  # non-pay costs as a share of pay
    non_pay_per_fte: np.ndarray | float = 0.0  # £ a year, besides the share of pay
    overhead_rate: np.ndarray | float = 0.0  # overheads as a share of pay and non-pay

    @property
    def working_days(self) -> np.ndarray:
        return WEEKS_PER_YEAR * self.days_per_week - (self.annual_leave + self.public_holidays + self.sickness
                                                      + self.training)

    @property
    def available_hours(self) -> np.ndarray:
        """WISN available working time, hours a year for one FTE."""
        return self.working_days * self.hours_per_week / self.days_per_week

    @property
    def category_allowance_factor(self) -> np.ndarray:
        return 1.0 / self.direct_share

    @property
    def productive_hours(self) -> np.ndarray:
        """Hours of direct work a year one FTE gives: AWT / CAF."""
        return self.available_hours / self.category_allowance_factor

    @property
    def pay_per_fte(self) -> np.ndarray:
        return self.salary * (1.0 + self.on_cost)

    @property
    def non_pay(self) -> np.ndarray:
        """Non-pay costs of one FTE a year: a share of its pay plus pounds per FTE."""
        return self.pay_per_fte * self.non_pay_rate + self.non_pay_per_fte

    @property
    def overheads(self) -> np.ndarray:
        return (self.pay_per_fte + self.non_pay) * self.overhead_rate

    @property
    def cost_per_fte(self) -> np.ndarray:
        """The full cost of one FTE a year: pay, non-pay and overheads (pay alone when the others are 0)."""
        return self.pay_per_fte + self.non_pay + self.overheads


@dataclass(frozen=True)
class Demand:
    hours: np.ndarray  # [..., level, role]: direct hours a year
    fte: np.ndarray  # with the staff planned by ratio (build.with_ratios)
    cost: np.ndarray  # pay + non_pay + overheads
    pay: np.ndarray
    non_pay: np.ndarray
    overheads: np.ndarray


def hours_per_case(step_level: np.ndarray, step_hours: np.ndarray, mix: np.ndarray, n_levels: int) -> np.ndarray:
    """Σ over a level's steps of hours[..., step] × mix[step, role] → [..., level, role] (the leading axes: draws).

    step_level[step] is the level each step belongs to (steps are (level, step) pairs). Each level's sum is
    added up step by step in pathway order, starting from 0.
    """
    out = np.zeros((*step_hours.shape[:-1], n_levels, mix.shape[1]))
    for step, level in enumerate(step_level):  # the few steps; each over every draw at once
        out[..., level, :] += step_hours[..., step, None] * mix[step]
    return out


def demand(cases: np.ndarray, coverage: np.ndarray, per_case: np.ndarray, roles: RoleTime,
           ratio: np.ndarray | None = None) -> Demand:
    """cases[..., level] × coverage[level] × per_case[level, role] → hours, FTE, cost [..., level, role].

    `ratio` [role, role] adds the staff planned by ratio (team leaders, administrators) to each cell's FTE."""
    hours = (cases * coverage)[..., None] * per_case
    fte = hours / roles.productive_hours
    if ratio is not None:
        fte = fte + fte @ ratio
    return Demand(hours, fte, fte * roles.cost_per_fte, fte * roles.pay_per_fte, fte * roles.non_pay,
                  fte * roles.overheads)
