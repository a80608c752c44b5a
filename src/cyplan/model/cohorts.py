"""The census's age bands, moves between sectors and agency, and the part-time trend, as the engine's arrays
(supply.Cohorts, supply.Transfers and a rate a year on FTE per head), one row per workforce census row.

Census rows the age input does not cover keep one stock with their own rates (the share aged 55+ ÷ 10 rule
included), held in the first band without ageing, so that they project exactly as they did before.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cyplan.model.supply import Cohorts, Transfers
from cyplan.schema.supply import AGE_BANDS, BAND_YEARS, TRAINEE_PROFILE

KEY = ["area", "role", "sector"]


def _rows(census: pl.DataFrame, other: pl.DataFrame, on: dict[str, str], name: str = "row") -> pl.DataFrame:
    """`other` with the index of the census row it names (only those that name one), as `name`."""
    index = census.select(pl.col(KEY).cast(pl.String)).with_row_index(name).rename({v: k for k, v in on.items()})
    other = other.with_columns(pl.col(list(on)).cast(pl.String))  # inputs may hold them as Categorical
    return other.join(index, on=list(on), how="inner", maintain_order="left")


def cohorts(census: pl.DataFrame, ages: pl.DataFrame, leaver: np.ndarray, central_leaver: np.ndarray,
            retire: np.ndarray) -> Cohorts | None:
    """The census rows' bands. `leaver` is the rows' drawn leaver rate [row, draw]: a band's own rate moves with
    it (band rate × drawn ÷ central); `retire` [row] is the rate of rows without bands. None: no bands given."""
    if not ages.height:
        return None
    n, b = census.height, len(AGE_BANDS)
    given = _rows(census, ages, {k: k for k in KEY})
    row = given["row"].to_numpy().astype(np.int64)
    band = given["band"].cast(pl.String).replace_strict({k: i for i, k in enumerate(AGE_BANDS)},
                                                         return_dtype=pl.Int64).to_numpy()
    covered = np.zeros(n, dtype=bool)
    covered[row] = True
    share = np.zeros((n, b))
    share[~covered, 0] = 1.0
    share[row, band] = given["share"].to_numpy()
    retire_b = np.where(covered[:, None], 0.0, np.repeat(retire[:, None], b, axis=1))
    retire_b[row, band] = given["retirement_rate"].fill_null(0.0).to_numpy()
    own = np.full((n, b), np.nan)
    own[row, band] = given["leaver_rate"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(central_leaver[:, None] > 0, leaver / central_leaver[:, None], 1.0)
    leaver_b = np.where(np.isnan(own)[..., None], leaver[:, None, :], own[..., None] * scale[:, None, :])
    ageing = np.array([1.0 / w if w else 0.0 for w in BAND_YEARS.values()])
    return Cohorts(share=share, leaver=leaver_b, retire=retire_b[..., None],
                   joiner=_profile(given, "joiner_share", share, row, band, covered)[..., None],
                   trainee=_profile(given, "trainee_share", np.array([list(TRAINEE_PROFILE.values())]), row, band,
                                    covered)[..., None],
                   ageing=np.where(covered[:, None], ageing[None, :], 0.0)[..., None])


def _profile(given: pl.DataFrame, column: str, default: np.ndarray, row: np.ndarray, band: np.ndarray,
             covered: np.ndarray) -> np.ndarray:
    """An age profile [row, band]: the column's shares for rows that give any (blank = 0), else `default` for
    rows with bands, and everything in the first band for rows without."""
    out = np.where(covered[:, None], np.broadcast_to(default, (covered.size, default.shape[1])), 0.0)
    out[~covered, 0] = 1.0
    values = given[column].to_numpy().astype(float)
    stated = np.zeros(covered.size, dtype=bool)
    stated[row[~np.isnan(values)]] = True
    out[stated] = 0.0
    keep = stated[row]
    out[row[keep], band[keep]] = np.nan_to_num(values[keep])
    return out


def transfers(census: pl.DataFrame, moves: pl.DataFrame) -> Transfers | None:
    """Moves between the census rows of one area and role, and into and out of agency work, from the sector
    flows input (by role). A move to a sector with no census row for that area and role moves no one."""
    if not moves.height:
        return None
    n = census.height
    moves = moves.with_columns(pl.col("from_sector").cast(pl.String), pl.col("to_sector").cast(pl.String))
    between = moves.filter((pl.col("from_sector") != "agency") & (pl.col("to_sector") != "agency"))
    pairs = _rows(census, _rows(census, between, {"role": "role", "from_sector": "sector"}, "src"),
                  {"area": "area", "role": "role", "to_sector": "sector"}, "dst")
    groups, out_rate = [], np.zeros(n)
    for _, g in pairs.group_by("from_sector", "to_sector", maintain_order=True):
        src, dst = g["src"].to_numpy().astype(np.int64), g["dst"].to_numpy().astype(np.int64)
        rate = g["rate"].to_numpy().astype(float)
        groups.append((src, dst, rate))
        np.add.at(out_rate, src, rate)
    to_agency, from_agency = np.zeros(n), np.zeros(n)
    into = _rows(census, moves.filter(pl.col("to_sector") == "agency"), {"role": "role", "from_sector": "sector"})
    to_agency[into["row"].to_numpy().astype(np.int64)] = into["rate"].to_numpy()
    back = _rows(census, moves.filter(pl.col("from_sector") == "agency"), {"role": "role", "to_sector": "sector"})
    from_agency[back["row"].to_numpy().astype(np.int64)] = back["rate"].to_numpy()
    return Transfers(groups=tuple(groups), out_rate=out_rate, to_agency=to_agency, from_agency=from_agency)


def pattern(census: pl.DataFrame) -> np.ndarray | None:
    """The change a year in FTE per head [row, 1] (blank = none); None when no row gives one."""
    if "fte_per_head_trend" not in census.columns:
        return None
    trend = census["fte_per_head_trend"].fill_null(0.0).to_numpy().astype(float)
    return trend[:, None] if trend.any() else None


def retirement_by_row(c: Cohorts | None, retire: np.ndarray) -> np.ndarray:
    """Each row's retirement rate in the first year: its bands' rates weighted by their shares. [row]"""
    return retire if c is None else (c.share * c.retire[..., 0]).sum(axis=1)
