"""Supply: the workforce census projected year by year by stock and flow.

S[t+1] = S[t] × (1 − leaver rate − retirement rate) + joiners, so with constant rates
S[t] = S[0] × a^t + J × (1 − a^t) / (1 − a), a = 1 − leaver rate − retirement rate
(and S[0] + J × t when nobody leaves). Supply for this population counts only the share of time spent on
it (the hidden workforce of seed 002): (S[t] + agency FTE) × CYP share. Agency FTE is held at today's level.
"""

from __future__ import annotations

import numpy as np

RETIREMENT_YEARS = 10  # staff aged 55 and over are taken to retire evenly over the next ten years


def retirement_rate(share_55_plus: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The given retirement rate, or else the share aged 55+ spread over RETIREMENT_YEARS (blank = 0)."""
    from_age = np.nan_to_num(share_55_plus, nan=0.0) / RETIREMENT_YEARS
    return np.where(np.isnan(rate), from_age, rate)


def stock(fte0: np.ndarray, leaver: np.ndarray, retire: np.ndarray, joiners: np.ndarray,
          years: int) -> np.ndarray:
    """FTE in post after t = 0 … years−1 years: [..., t], broadcasting the inputs over [...]."""
    a = np.asarray(1.0 - leaver - retire)[..., None]
    t = np.arange(years)
    stay = np.isclose(a, 1.0, rtol=0.0, atol=1e-12)  # nobody leaves: the geometric sum is t
    out = a ** t  # computed in place below: these arrays can be large (draws × rows × years)
    inflow = np.subtract(1.0, out)
    inflow /= np.where(stay, 1.0, 1.0 - a)
    inflow = np.where(stay, t * 1.0, inflow)
    inflow *= np.asarray(joiners)[..., None]
    out *= np.asarray(fte0)[..., None]
    out += inflow
    return out


def effective(in_post: np.ndarray, agency: np.ndarray, cyp_share: np.ndarray) -> np.ndarray:
    """FTE available to this population: staff in post and agency, times the share of time on it. [..., t]
    (in place: `in_post` becomes the result)"""
    in_post += agency[..., None]
    in_post *= cyp_share[..., None]
    return in_post


def joiners_needed(fte0: np.ndarray, leaver: np.ndarray, retire: np.ndarray, target: np.ndarray,
                   years: int) -> np.ndarray:
    """Joiners a year that bring the stock from fte0 to `target` in `years` years (the stock formula solved
    for J): J = (target − S0 × a^n) × (1 − a) / (1 − a^n), or (target − S0) / n when a = 1."""
    a = 1.0 - leaver - retire
    grow = a ** years
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(np.isclose(a, 1.0, rtol=0.0, atol=1e-12), (target - fte0) / years,
                        (target - fte0 * grow) * (1 - a) / (1 - grow))
    return np.maximum(need, 0.0)
