"""Statistical neighbours (issue 16 part 2): the areas most like one area, computed from indicators or taken from a
published list. docs/method.md ("Statistical neighbours") gives the method; docs/decisions/0015 says why.

Computed: each indicator, at each area's latest year, is standardised over the areas compared (z = (x − mean) / sd,
the standard deviation of the areas held, not of a sample), and the distance from area a to area b is

    d(a, b) = √( Σᵢ wᵢ (zₐᵢ − z_bᵢ)² × W(a) / W(a, b) )

summed over the indicators both areas have, where W(a) is the sum of the weights of the indicators a has and
W(a, b) of those both have: an indicator one of them lacks is left out, and the rest scaled up to stand for it
(as scikit-learn's nan_euclidean_distances does), so that an area is not made nearer by having fewer figures.
An area sharing no weighted indicator with a is not compared. Each indicator's share of the distance is its term
wᵢ (zₐᵢ − z_bᵢ)² over their sum: which indicators drive it.

Pure: frames and arrays in, arrays and frames out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

Method = Literal["published", "computed", "none"]
DEFAULT_N = 10
CONSTANT = 1e-9  # a standard deviation this small next to the largest value is rounding: the indicator does not vary


@dataclass(frozen=True)
class Neighbours:
    """One area's statistical neighbours.

    `table`: neighbour, rank, distance (null when published) and, when computed, one column per indicator with
    its share of the squared distance (null for an indicator the pair does not share). `note` says why there are
    none; `said` what the reader should know of the rest (the years used, indicators an area lacks)."""

    area: str
    method: Method
    source: str
    table: pl.DataFrame
    note: str = ""
    said: tuple[str, ...] = field(default=())


def empty_table() -> pl.DataFrame:
    return pl.DataFrame(schema={"neighbour": pl.String, "rank": pl.Int64, "distance": pl.Float64})


def standardise(values: np.ndarray) -> np.ndarray:
    """z-scores of each column [area, indicator] over the areas that have it (nan: missing). A column that does
    not vary gives 0 for every area that has it: nothing tells them apart. Each column is first divided by its
    largest magnitude: z-scores do not change with the units, and the squares in the standard deviation then
    neither underflow (1e-300 against 0 gave sd 0, so 'not varying') nor overflow (±1e300 gave sd inf, so z 0).
    Not varying is judged relative to that scale (CONSTANT), the sd of values alone being in their units."""
    if not values.size:
        return values.copy()
    with warnings.catch_warnings():  # a column no area has is all nan: its scale, mean and sd are nan, and it flat
        warnings.simplefilter("ignore", RuntimeWarning)
        scale = np.nanmax(np.abs(values), axis=0)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        unit = values / scale  # in [-1, 1]: an exact division for a power-of-2 scale, so units never matter
        mean = np.nanmean(unit, axis=0)
        sd = np.nanstd(unit, axis=0)
    flat = ~(sd > CONSTANT)
    return np.where(flat, np.where(np.isnan(values), np.nan, 0.0), (unit - mean) / np.where(flat, 1, sd))


def distances(z: np.ndarray, weights: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance from area `target` to every area [area] (nan: not comparable, the target itself included) and each
    indicator's share of it [area, indicator] (nan: left out of that pair; all nan for a distance of 0)."""
    has = ~np.isnan(z)
    shared = has & has[target] & (weights > 0)
    terms = np.where(shared, weights * (np.nan_to_num(z) - np.nan_to_num(z[target])) ** 2, 0.0)
    w_target = (weights * (has[target] & (weights > 0))).sum()
    w_shared = (weights * shared).sum(axis=1)
    total = terms.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.sqrt(total * w_target / w_shared)
        shares = np.where(shared & (total > 0)[:, None], terms / total[:, None], np.nan)
    d[target] = np.nan
    d[w_shared == 0] = np.nan
    return d, shares


def nearest(codes: list[str], d: np.ndarray, n: int) -> np.ndarray:
    """The positions of the n nearest comparable areas, nearest first, ties by code."""
    ok = np.flatnonzero(~np.isnan(d))
    order = np.lexsort((np.asarray(codes, dtype=object)[ok].astype(str), d[ok]))
    return ok[order][:n]


def latest(indicators: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Each area's latest figure for each indicator (area, indicator, year, value), and the years used, said."""
    last = indicators.sort("year").group_by(["area", "indicator"], maintain_order=True).last()
    years = last.group_by("indicator").agg(pl.col("year").min().alias("lo"), pl.col("year").max().alias("hi"))
    said = [f"{ind}: the figures for {lo}" if lo == hi else f"{ind}: each area's latest figure, from {lo} to {hi}"
            for ind, lo, hi in years.sort("indicator").iter_rows()]
    return last, said


def matrix(last: pl.DataFrame, codes: list[str], names: list[str]) -> np.ndarray:
    """Values [area, indicator], nan where an area has no figure."""
    out = np.full((len(codes), len(names)), np.nan)
    if last.is_empty():
        return out
    a = {c: i for i, c in enumerate(codes)}
    k = {c: i for i, c in enumerate(names)}
    rows = last.filter(pl.col("area").is_in(codes) & pl.col("indicator").is_in(names))
    out[[a[x] for x in rows["area"]], [k[x] for x in rows["indicator"]]] = rows["value"].to_numpy()
    return out


def weights_of(names: list[str], weights: pl.DataFrame) -> np.ndarray:
    """Each indicator's weight: as given, 1 when not given."""
    given = dict(zip(weights["indicator"], weights["weight"], strict=True))
    return np.array([float(given.get(n, 1.0)) for n in names])


def computed(area: str, codes: list[str], indicators: pl.DataFrame, weights: pl.DataFrame,
             n: int = DEFAULT_N) -> Neighbours:
    """`area`'s n nearest among `codes` (the areas of its kind), from the indicators of those areas."""
    last, said = latest(indicators.filter(pl.col("area").is_in(codes)))
    all_names = sorted(set(last["indicator"]))
    w_all = weights_of(all_names, weights)
    names = [x for x, w in zip(all_names, w_all, strict=True) if w > 0]  # weight 0 leaves an indicator out
    w = w_all[w_all > 0]
    values = matrix(last, codes, names)
    t = codes.index(area)
    if not names or np.isnan(values[t]).all():
        return Neighbours(area, "none", "", empty_table(), note=_nothing_to_go_on(area, last, all_names, w_all))
    d, shares = distances(standardise(values), w, t)
    chosen = nearest(codes, d, n)
    table = pl.DataFrame({
        "neighbour": [codes[i] for i in chosen],
        "rank": np.arange(1, len(chosen) + 1, dtype=np.int64),
        "distance": d[chosen],
        **{name: shares[chosen, j] for j, name in enumerate(names)},
    }, schema={"neighbour": pl.String, "rank": pl.Int64, "distance": pl.Float64,
               **{name: pl.Float64 for name in names}}).fill_nan(None)
    said = [s for s in said if s.split(":")[0] in names] + _missing(area, codes, names, values)
    sources = sorted(set(last.filter(pl.col("indicator").is_in(names))["source"].drop_nulls()) - {""})  # as used
    source = (f"computed from {len(names)} indicator{'s' if len(names) != 1 else ''} ({', '.join(names)}) over "
              f"{int((~np.isnan(values)).any(axis=1).sum())} areas: weighted Euclidean distance of z-scores"
              + (f"; indicators from {'; '.join(sources)}" if sources else ""))
    return Neighbours(area, "computed", source, table, said=tuple(said))


def _nothing_to_go_on(area: str, last: pl.DataFrame, all_names: list[str], w_all: np.ndarray) -> str:
    """Why no neighbour can be computed: no figures, or (said apart, as importing more figures would not help) the
    area's figures all on indicators weighted 0."""
    own = set(last.filter(pl.col("area") == area)["indicator"])
    zeroed = [x for x, w in zip(all_names, w_all, strict=True) if x in own and w <= 0]
    if zeroed:
        return (f"{area}'s indicators ({', '.join(zeroed)}) all have weight 0 in indicator_weights, which leaves "
                "them out: give one a weight above 0, or import statistical_neighbours")
    return f"{area} has no indicators and no published list of neighbours: import area_indicators or " \
        "statistical_neighbours"


def _missing(area: str, codes: list[str], names: list[str], values: np.ndarray) -> list[str]:
    """What the indicators an area lacks did to the distances."""
    t = codes.index(area)
    out = [f"{area} has no figure for {name}: it is left out of every distance" for j, name in enumerate(names)
           if np.isnan(values[t, j])]
    for j, name in enumerate(names):
        lacking = [codes[i] for i in np.flatnonzero(np.isnan(values[:, j])) if i != t]
        if lacking and not np.isnan(values[t, j]):
            shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            out.append(f"no figure for {name} in {shown}: it is left out of {'their' if len(lacking) > 1 else 'its'}"
                       f" distance to {area}")
    return out


def published(area: str, lists: pl.DataFrame, n: int = DEFAULT_N) -> Neighbours:
    """`area`'s first n neighbours in a published list, as given."""
    rows = lists.filter(pl.col("area") == area).sort("rank", "neighbour")
    sources = list(dict.fromkeys(s for s in rows["source"].fill_null("") if s))
    table = rows.head(n).select("neighbour", pl.col("rank").cast(pl.Int64),
                                pl.lit(None, dtype=pl.Float64).alias("distance"))
    return Neighbours(area, "published", "published list: " + ("; ".join(sources) or "no source given"), table)


def drivers(table: pl.DataFrame, k: int = 2) -> list[str]:
    """For each row of a computed table, the k indicators with the largest shares of the distance, in words
    ('deprivation 82%, density 18%'); '' for a published row or a distance of 0."""
    names = [c for c in table.columns if c not in ("neighbour", "rank", "distance")]
    if not names:
        return [""] * table.height
    out = []
    for row in table.select(names).iter_rows():
        ranked = sorted(((s, x) for s, x in zip(row, names, strict=True) if s is not None), key=lambda p: -p[0])
        out.append(", ".join(f"{x} {s:.0%}" for s, x in ranked[:k]))
    return out
