"""Supply: the workforce census projected year by year by stock and flow.

Each census row's FTE in post moves one year at a time (`step`, `project`, `flows`):
S[t+1] = S[t] − leavers − retirements + joiners from training + other joiners + recruited into vacancies.
With no training pipelines and no vacancy fill rate (today's inputs) the recurrence is
S[t+1] = S[t] × (1 − leaver rate − retirement rate) + joiners, so with constant rates
S[t] = S[0] × a^t + J × (1 − a^t) / (1 − a), a = 1 − leaver rate − retirement rate
(and S[0] + J × t when nobody leaves): `stock`, the closed form, which tests hold the recurrence to. Supply for
this population counts only the share of time spent on it (the hidden workforce of seed 002):
(S[t] + agency FTE) × CYP share. Agency FTE is held at today's level.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from functools import partial

import numpy as np
import polars as pl

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


# -- the engine: one year at a time -------------------------------------------------------------------------
#
# S[t+1] = S[t] − leavers − retirements + joiners from training + other joiners + recruited into vacancies,
# with leavers = S[t] × leaver rate, retirements = S[t] × retirement rate, joiners from training = places
# that started course_years earlier × completion × share taking a post here, other joiners = the census's
# joiners a year, recruited = fill rate × vacant posts (establishment − S[t], never below 0). Every array is
# [row, draw] (a census row, a Monte Carlo draw); the loop is over the few years only. With no training and
# no fill rate it is the closed form above, year by year (a test holds the two together).

FLOWS = ("start", "from_training", "other_joiners", "recruited", "leavers", "retirements", "end")
INFLOWS = ("from_training", "other_joiners", "recruited")
OUTFLOWS = ("leavers", "retirements")
# issue 13 parts 3 and 4: with age cohorts, transfers or a part-time trend the engine also returns these.
# working_pattern is signed (a fall in FTE per head is negative) and counted with the inflows.
MOVES = ("transfers_in", "from_agency", "aged_in", "working_pattern", "transfers_out", "to_agency", "aged_out")
ALL_FLOWS = (*FLOWS[:-1], *MOVES, "end")
ALL_INFLOWS = (*INFLOWS, "transfers_in", "from_agency", "aged_in", "working_pattern")
ALL_OUTFLOWS = (*OUTFLOWS, "transfers_out", "to_agency", "aged_out")


@dataclass(frozen=True)
class Cohorts:
    """Age bands of each census row: FTE in post is held by band and each band has its own leaving and
    retirement; a share of each band (1 ÷ its width in years) moves up a band a year."""

    share: np.ndarray  # share of the first year's FTE in post in each band [row, band]
    leaver: np.ndarray  # leaver rate [row, band, draw]
    retire: np.ndarray  # retirement rate [row, band, 1]
    joiner: np.ndarray  # age profile of other joiners, recruits and agency staff taking posts [row, band, 1]
    trainee: np.ndarray  # age profile of joiners from training [row, band, 1]
    ageing: np.ndarray  # share of a band moving up a year: 1 ÷ width, 0 for the last band [row, band, 1]
    # (a census row without bands is held in the first band with its own rates, ageing 0)

    def rows(self, keep: np.ndarray) -> Cohorts:
        """The bands of census rows `keep` (row numbers, ascending)."""
        return Cohorts(*(getattr(self, f.name)[keep] for f in fields(self)))


@dataclass(frozen=True)
class Transfers:
    """Moves between census rows of the same area and role (between sectors) and into and out of agency work,
    as rates a year on the stock they leave. Pairs are grouped so that no group sends to one row twice."""

    groups: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]  # (from row [k], to row [k], rate [k])
    out_rate: np.ndarray  # every transfer out of a row, summed [row]
    to_agency: np.ndarray  # share of staff in post moving into agency work a year [row]
    from_agency: np.ndarray  # share of agency FTE taking a post in the row a year [row]

    def rows(self, keep: np.ndarray) -> Transfers:
        """The moves of census rows `keep` (row numbers, ascending), renumbered 0, 1, …: a transfer out to a row
        not kept still leaves (out_rate), and arrives nowhere kept."""
        new = _renumber(keep, self.out_rate.size)
        groups = []
        for src, dst, rate in self.groups:
            both = (new[src] >= 0) & (new[dst] >= 0)
            if both.any():
                groups.append((new[src[both]], new[dst[both]], rate[both]))
        return Transfers(groups=tuple(groups), out_rate=self.out_rate[keep], to_agency=self.to_agency[keep],
                         from_agency=self.from_agency[keep])


def _renumber(keep: np.ndarray, n: int) -> np.ndarray:
    """Each of n rows' number among `keep` (ascending, so rows keep their order), −1 for rows not kept."""
    new = np.full(n, -1)
    new[keep] = np.arange(keep.size)
    return new


@dataclass(frozen=True)
class Rates:
    """What drives each census row's stock: [row, draw] each, and arrivals from training [row, year, draw]."""

    fte0: np.ndarray  # FTE in post in the first year
    leaver: np.ndarray
    retire: np.ndarray
    joiners: np.ndarray  # other joiners a year: other areas, abroad, returners
    establishment: np.ndarray  # funded posts: FTE in post + vacant FTE (central), held at the first year's
    fill: np.ndarray  # share of vacant posts filled a year by recruitment
    arrivals: np.ndarray | Arrivals  # joiners from training by year [row, year, draw]; year 0's are in the census
    cohorts: Cohorts | None = None  # age bands (None: one stock per row, today's engine)
    transfers: Transfers | None = None  # between sectors and agency (None: no one moves)
    pattern: np.ndarray | None = None  # change a year in FTE per head, on staff in post [row, 1] (None: none)
    agency: np.ndarray | None = None  # agency FTE in the first year [row, 1]; moves only with transfers

    def rows(self, keep: np.ndarray) -> Rates:
        """The drivers of census rows `keep` (row numbers, ascending) alone: every row's flows are its own, and
        moves between sectors are within one area and role, so an area's rows project as they do among all."""
        arrivals = self.arrivals.rows(keep) if isinstance(self.arrivals, Arrivals) else self.arrivals[keep]
        return Rates(fte0=self.fte0[keep], leaver=self.leaver[keep], retire=self.retire[keep],
                     joiners=self.joiners[keep], establishment=self.establishment[keep], fill=self.fill[keep],
                     arrivals=arrivals, cohorts=None if self.cohorts is None else self.cohorts.rows(keep),
                     transfers=None if self.transfers is None else self.transfers.rows(keep),
                     pattern=None if self.pattern is None else self.pattern[keep],
                     agency=None if self.agency is None else self.agency[keep])

    @property
    def moving(self) -> bool:
        """Whether any of issue 13's parts 3 and 4 is in: then the engine works by band, with the moves."""
        return self.cohorts is not None or self.transfers is not None or self.pattern is not None


def recruited(stock: np.ndarray, r: Rates) -> np.ndarray:
    return r.fill * np.maximum(r.establishment - stock, 0.0)


def end_of_year(stock: np.ndarray, r: Rates, arrivals: np.ndarray | Callable[[np.ndarray], None],
                staying: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """The stock at the end of a year that starts at `stock` [row, draw]: S × (1 − leaver − retire) + joiners
    (as the closed form and the pandas baseline have it) + joiners from training + recruited. `arrivals`: the
    joiners from training [row, draw], or what adds them to the end in place (project: Arrivals.add_year);
    `staying`: 1 − leaver − retire when the caller has it already (it is the same every year); `out`: where the
    end is written."""
    staying = 1.0 - r.leaver - r.retire if staying is None else staying
    if out is None:
        end = stock * staying + r.joiners
    else:  # the same two operations, into `out`
        end = np.multiply(stock, staying, out=out)
        end += r.joiners
    if callable(arrivals):
        arrivals(end)
    elif arrivals.any():  # adding zeros would change nothing, but costs time at national scale
        end += arrivals
    if r.fill.any():
        end += recruited(stock, r)
    return end


def step(stock: np.ndarray, r: Rates, arrivals: np.ndarray) -> dict[str, np.ndarray]:
    """One year's flows from `stock` [row, draw], and the stock at the year's end."""
    return {"start": stock, "from_training": arrivals, "other_joiners": np.broadcast_to(r.joiners, stock.shape),
            "recruited": recruited(stock, r), "leavers": stock * r.leaver, "retirements": stock * r.retire,
            "end": end_of_year(stock, r, arrivals)}


def project(r: Rates, years: int) -> np.ndarray:
    """FTE in post by row, year and draw [row, year, draw]: year 0 is the census, then one year at a time (the
    end of `step`, without working out the flows no one asked for)."""
    if r.moving:
        return project_moving(r, years)[0]
    out = np.empty((r.fte0.shape[0], years, r.fte0.shape[1]))
    out[:, 0] = r.fte0
    # issue 17 part 5: at national scale [row, draw] is 2.6 million values, and the drawn rates come with the draws
    # outermost in memory (simulate draws [draw, row]). Each year's end is worked with each row's draws together
    # (copied once, so the year's steps read memory in order rather than one value a cache line), the staying
    # share worked out once rather than each year, and joiners from training added only to the rows they join.
    # Every value gets the same operations in the same order as end_of_year gives it: the same doubles.
    staying = 1.0 - np.ascontiguousarray(r.leaver) - r.retire
    rates = replace(r, joiners=np.ascontiguousarray(r.joiners))
    sparse = isinstance(r.arrivals, Arrivals) and not _negative_zero(rates.joiners)
    for t in range(1, years):
        arrivals = partial(r.arrivals.add_year, t) if sparse else r.arrivals[:, t]
        end_of_year(out[:, t - 1], rates, arrivals, staying, out=out[:, t])
    return out


def _negative_zero(values: np.ndarray) -> bool:
    """Whether any value is −0.0. S × staying + joiners is −0.0 only where the joiners are (round to nearest gives
    +0.0 for a sum of two zeros of opposite signs), so without them leaving out the zeros end_of_year adds to rows
    no one joins from training changes no bit; with them (only if an input says "-0") project adds every row's."""
    return bool((np.signbit(values) & (values == 0)).any())


def flows(r: Rates, years: int, by_band: bool = False) -> dict[str, np.ndarray]:
    """Every flow by row, year and draw [row, year, draw]. Year t's flows take the stock from the end of year
    t − 1 to the end of year t; year 0 is the census itself (start = end, no flows). With cohorts, transfers
    or a part-time trend, the moves too (ALL_FLOWS); `by_band` keeps the age bands [row, band, year, draw]."""
    if r.moving:
        return _flows_moving(r, years, by_band)
    out = {name: np.zeros((r.fte0.shape[0], years, r.fte0.shape[1])) for name in FLOWS}
    out["start"][:, 0] = out["end"][:, 0] = r.fte0
    for t in range(1, years):
        for name, value in step(out["end"][:, t - 1], r, r.arrivals[:, t]).items():
            out[name][:, t] = value
    return out


# -- age cohorts, transfers and the part-time trend (issue 13 parts 3 and 4) ------------------------------
#
# The stock is held by band, S[row, band, draw] (one band when there are no cohorts). In a year starting at S:
# leavers = S × leaver rate of the band, retirements = S × retirement rate of the band, aged out = S ÷ band
# width (into the next band up: aged in), transfers out = S × the row's rates to other sectors (arriving in
# the same band of the same area and role's row in that sector: transfers in), to agency = S × rate into agency
# work (the row's agency FTE grows by as much), from agency = agency FTE × rate taking posts, working pattern
# = S × change in FTE per head; joiners (other, recruited, from agency) come with the row's joiner age profile
# and joiners from training with its trainee profile.


def _band_rates(r: Rates) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(first stock [row, band, draw], leaver and retirement [row, band, draw], ageing [row, band, 1], joiner and
    trainee profiles [row, band, 1]): one band with the row's own rates when there are no cohorts."""
    c = r.cohorts
    if c is None:
        one = np.ones((r.fte0.shape[0], 1, 1))
        return r.fte0[:, None, :].copy(), r.leaver[:, None, :], r.retire[:, None, :], np.zeros((1, 1, 1)), one, one
    return r.fte0[:, None, :] * c.share[:, :, None], c.leaver, c.retire, c.ageing, c.joiner, c.trainee


def _year_moving(stock: np.ndarray, agency: np.ndarray, r: Rates, arrivals: np.ndarray,
                 bands: tuple) -> dict[str, np.ndarray]:
    """One year's flows by band [row, band, draw] from `stock` and agency FTE [row, draw], with the end of year's
    stock (`end`) and agency FTE (`agency_end`)."""
    _, leaver, retire, ageing, joiner, trainee = bands
    total = stock.sum(axis=1)
    f = {"start": stock, "leavers": stock * leaver, "retirements": stock * retire}
    f["aged_out"] = stock * ageing
    f["aged_in"] = np.zeros_like(stock)
    f["aged_in"][:, 1:] = f["aged_out"][:, :-1]
    f["other_joiners"] = np.broadcast_to(r.joiners, total.shape)[:, None, :] * joiner
    f["recruited"] = recruited(total, r)[:, None, :] * joiner
    f["from_training"] = arrivals[:, None, :] * trainee
    moves = r.transfers
    zero = np.zeros_like(stock)
    f["transfers_in"], f["transfers_out"], f["to_agency"], f["from_agency"] = zero, zero, zero, zero
    from_agency = np.zeros_like(total)
    if moves is not None:
        f["transfers_out"] = stock * moves.out_rate[:, None, None]
        f["transfers_in"] = np.zeros_like(stock)
        for src, dst, rate in moves.groups:  # a few (from sector, to sector) pairs; no row twice within one
            f["transfers_in"][dst] += stock[src] * rate[:, None, None]
        f["to_agency"] = stock * moves.to_agency[:, None, None]
        from_agency = agency * moves.from_agency[:, None]
        f["from_agency"] = from_agency[:, None, :] * joiner
    f["working_pattern"] = stock * r.pattern[:, :, None] if r.pattern is not None else zero
    f["end"] = stock + sum(f[k] for k in ALL_INFLOWS) - sum(f[k] for k in ALL_OUTFLOWS)
    f["agency_end"] = agency + f["to_agency"].sum(axis=1) - from_agency
    return f


def _agency0(r: Rates) -> np.ndarray:
    return np.broadcast_to(r.agency if r.agency is not None else np.zeros((1, 1)), r.fte0.shape).astype(float)


BLOCK_ROWS = 16  # census rows a block: see project_moving
WORKERS = 2  # threads sharing a year's blocks: the 2 cores the targets are set on (DESIGN.md)


def project_moving(r: Rates, years: int) -> tuple[np.ndarray, np.ndarray]:
    """FTE in post and agency FTE [row, year, draw] when the engine works by band (Rates.moving)."""
    first, leaver, retire, ageing, joiner, trainee = _band_rates(r)
    out = np.empty((r.fte0.shape[0], years, r.fte0.shape[1]))
    agency = np.empty_like(out)
    agency[:, 0] = _agency0(r)
    out[:, 0] = r.fte0
    # at national scale a [row, band, draw] array is some 100 MB, and a year takes a dozen steps over it: each
    # year is worked BLOCK_ROWS census rows at a time (~0.6 MB an array at 1,000 draws), so that the steps find
    # the block in the core's cache instead of passing over memory a dozen times, and the blocks are shared out
    # between WORKERS threads (NumPy lets go of the GIL while it computes). Every element gets the same
    # operations in the same order whatever the blocks, so the result depends on neither BLOCK_ROWS nor WORKERS.
    year = _Year(r, _staying(r, first, leaver, retire, ageing), ageing, joiner, trainee)
    stock, spare = first, np.empty_like(first)
    parts = [year.blocks[i::WORKERS] for i in range(WORKERS) if year.blocks[i::WORKERS]]
    with ThreadPoolExecutor(max(len(parts), 1)) as pool:  # (no parts: a census without rows)
        for t in range(1, years):
            arrivals = r.arrivals[:, t]
            late = arrivals if arrivals.any() else None  # adding zeros would change nothing, but costs time
            work = partial(year.end, stock, spare, out, agency, t, late)
            list(pool.map(work, parts))  # list: a worker's error is raised here
            stock, spare = spare, stock
    return out, agency


def _staying(r: Rates, first: np.ndarray, leaver: np.ndarray, retire: np.ndarray, ageing: np.ndarray) -> np.ndarray:
    """The share of a band's stock still in it at the end of a year, before anyone joins [row, band, draw]: 1 −
    leaver − retire − aged out − transfers out − to agency + the change in FTE per head."""
    stay = np.add(leaver, retire, out=np.empty(first.shape))
    stay += ageing
    if r.transfers is not None:
        stay += (r.transfers.out_rate + r.transfers.to_agency)[:, None, None]
    np.subtract(1.0, stay, out=stay)
    if r.pattern is not None:
        stay += r.pattern[:, :, None]
    return stay


class _Year:
    """A year's end by band, block by block: the census rows in blocks of BLOCK_ROWS, each with the transfers
    arriving in it, and the rates a block's end is made of."""

    def __init__(self, r: Rates, stay: np.ndarray, ageing: np.ndarray, joiner: np.ndarray,
                 trainee: np.ndarray) -> None:
        n = r.fte0.shape[0]
        self.r, self.stay, self.joiner = r, stay, joiner
        self.ageing = ageing if ageing.any() else None
        self.profiles = np.concatenate(np.broadcast_arrays(joiner, trainee), axis=2)  # [row, band, 2]
        self.recruiting = bool(r.fill.any())
        groups = r.transfers.groups if r.transfers is not None else ()
        self.blocks: list[tuple[slice, tuple]] = []
        for lo in range(0, n, BLOCK_ROWS):
            hi = min(lo + BLOCK_ROWS, n)
            moves = []
            for src, dst, rate in groups:  # kept in the groups' order: a row's transfers in are added in it
                here = (dst >= lo) & (dst < hi)
                if here.any():
                    moves.append((src[here], dst[here] - lo, rate[here][:, None, None]))
            self.blocks.append((slice(lo, hi), tuple(moves)))

    def end(self, stock: np.ndarray, end: np.ndarray, out: np.ndarray, agency: np.ndarray, t: int,
            arrivals: np.ndarray | None, blocks: list[tuple[slice, tuple]]) -> None:
        """Year t's end for `blocks`: the stock by band from `stock` into `end` [row, band, draw], its sum over bands
        into out[:, t] and agency FTE into agency[:, t] [row, year, draw]."""
        scratch = np.empty((BLOCK_ROWS, *self.stay.shape[1:]))
        for rows, moves in blocks:
            come = self._coming(rows, out[rows, t - 1], agency[rows, t - 1], agency[rows, t])
            self._block(stock, rows, moves, come, arrivals, end[rows], scratch[:rows.stop - rows.start])
            np.sum(end[rows], axis=1, out=out[rows, t])

    def _coming(self, rows: slice, total: np.ndarray, agency: np.ndarray, agency_end: np.ndarray) -> np.ndarray:
        """Joiners of the year other than from training (other joiners, recruited, from agency work) [row, draw]
        for rows whose year starts with `total` in post (summed over bands); their agency FTE at the year's end
        into `agency_end` (agency FTE is held unless staff move into or out of it)."""
        r = self.r
        joiners = r.joiners[rows]
        if self.recruiting:
            come = r.fill[rows] * np.maximum(r.establishment[rows] - total, 0.0) + joiners
        else:
            come = np.broadcast_to(joiners, total.shape).copy()
        moves = r.transfers
        if moves is None:
            agency_end[...] = agency
            return come
        come += agency * moves.from_agency[rows, None]
        np.add(agency * (1.0 - moves.from_agency[rows, None]), total * moves.to_agency[rows, None], out=agency_end)
        return come

    def _block(self, stock: np.ndarray, rows: slice, moves: tuple, come: np.ndarray, arrivals: np.ndarray | None,
               end: np.ndarray, scratch: np.ndarray) -> None:
        """The year's end stock of a block's rows into `end` [block row, band, draw]: stock × staying, + aged in
        from the band below, + transfers in, + joiners by their age profiles."""
        mine = stock[rows]
        np.multiply(mine, self.stay[rows], out=end)
        if self.ageing is not None:
            np.multiply(mine[:, :-1], self.ageing[rows, :-1], out=scratch[:, 1:])
            end[:, 1:] += scratch[:, 1:]
        for src, dst, rate in moves:
            end[dst] += stock[src] * rate
        if arrivals is not None:  # both profiles at once: [row, band, 2] @ [row, 2, draw]
            end += np.matmul(self.profiles[rows], np.stack([come, arrivals[rows]], axis=1), out=scratch)
        else:
            end += np.multiply(come[:, None, :], self.joiner[rows], out=scratch)


def _flows_moving(r: Rates, years: int, by_band: bool) -> dict[str, np.ndarray]:
    bands = _band_rates(r)
    stock, agency = bands[0], _agency0(r)
    shape = stock.shape if by_band else r.fte0.shape
    out = {name: np.zeros((shape[0], years, *shape[1:])) for name in ALL_FLOWS}
    out["start"][:, 0] = out["end"][:, 0] = stock if by_band else r.fte0
    for t in range(1, years):
        f = _year_moving(stock, agency, r, r.arrivals[:, t], bands)
        stock, agency = f["end"], f["agency_end"]
        for name in ALL_FLOWS:
            out[name][:, t] = f[name] if by_band else f[name].sum(axis=1)
    if by_band:  # [row, year, band, draw] → [row, band, year, draw]
        out = {k: np.moveaxis(v, 1, 2) for k, v in out.items()}
    return out


@dataclass(frozen=True)
class Arrivals:
    """Joiners from training by census row, year and draw, worked out a year at a time (a full [row, year, draw]
    array would be as big as the stock itself at national scale): in year t, each pipeline whose intake of year
    t − course_years ran brings its places × completion × share taking a post here (that draw's)."""

    row: np.ndarray  # each pipeline's census row [p]
    running: np.ndarray  # whether pipeline p's intake qualifies in year t [p, year]; never in the first year
    per_intake: np.ndarray  # places × completion × share here [p, draw]
    n_rows: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.n_rows, self.running.shape[1], self.per_intake.shape[1])

    def year(self, t: int) -> np.ndarray:
        """[row, draw] for year t: summed over a row's pipelines (sorted by row, then added in runs)."""
        out = np.zeros((self.n_rows, self.per_intake.shape[1]))
        on = np.flatnonzero(self.running[:, t])
        if on.size:
            rows = self.row[on]
            if np.unique(rows).size == rows.size:  # one pipeline a row (the sum of one term is that term): copied
                out[rows] = self.per_intake[on]
                return out
            order = np.argsort(rows, kind="stable")
            first, starts = np.unique(rows[order], return_index=True)
            out[first] = np.add.reduceat(self.per_intake[on[order]], starts, axis=0)
        return out

    def add_year(self, t: int, end: np.ndarray) -> None:
        """end += self.year(t) [row, draw] when year t brings anyone, as end_of_year adds it, but only on the rows
        with a pipeline qualifying that year (the others' zeros would change no bit: see _negative_zero)."""
        on = np.flatnonzero(self.running[:, t])
        if not on.size:
            return
        rows = self.row[on]
        if np.unique(rows).size == rows.size:
            come = self.per_intake[on]
        else:  # a row's pipelines summed as year() sums them
            order = np.argsort(rows, kind="stable")
            rows, starts = np.unique(rows[order], return_index=True)
            come = np.add.reduceat(self.per_intake[on[order]], starts, axis=0)
        if come.any():  # year(t).any(): the other rows are zeros
            end[rows] += come

    def rows(self, keep: np.ndarray) -> Arrivals:
        """The pipelines of census rows `keep` (row numbers, ascending), their rows renumbered 0, 1, …"""
        new = _renumber(keep, self.n_rows)[self.row]
        mine = new >= 0
        return Arrivals(row=new[mine], running=self.running[mine], per_intake=self.per_intake[mine],
                        n_rows=keep.size)

    def dense(self) -> np.ndarray:
        return np.stack([self.year(t) for t in range(self.shape[1])], axis=1)

    def __getitem__(self, key: object) -> np.ndarray:
        if isinstance(key, tuple) and len(key) == 2 and key[0] == slice(None) and isinstance(key[1], int | np.integer):
            return self.year(int(key[1]))  # [:, t]: the one the projection asks for
        return self.dense()[key]  # type: ignore[index]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return self.dense() if dtype is None else self.dense().astype(dtype)


def arrivals(row: np.ndarray, start: np.ndarray, end: np.ndarray, places: np.ndarray, course: np.ndarray,
             qualify_here: np.ndarray, years: tuple[int, ...], n_rows: int) -> Arrivals:
    """Joiners from training [census row, year, draw]: each pipeline p's places a year, for intakes from
    start[p] to end[p], arrive course[p] years after they start, times qualify_here [draw, p] (completion ×
    share taking a post here). Arrivals in the first year are already in the census, so they are left out."""
    intake = np.asarray(years)[None, :] - course[:, None]  # the intake that qualifies in each year [p, year]
    running = (intake >= start[:, None]) & (intake <= end[:, None])
    running[:, 0] = False
    return Arrivals(row=row, running=running, per_intake=places[:, None] * qualify_here.T, n_rows=n_rows)


def annuity(a: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Σ a^k for k = 0 … n − 1: what a joiner a year for n years adds to the stock at the end (a = 1 − leaving)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isclose(a, 1.0, rtol=0.0, atol=1e-12), n, (1.0 - a ** n) / (1.0 - a))


# -- the CYP share from caseloads ----------------------------------------------------------------------------

Z90 = 1.6448536269514722  # the standard normal's 95th percentile: a 90% interval


def wilson(cases: np.ndarray, total: np.ndarray, z: float = Z90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low, share, high): the share of `total` cases that are `cases`, with Wilson's score interval (90%).
    Unlike share ± z × standard error it stays within 0–1 and is not zero-width when a caseload is all one
    group."""
    p = cases / total
    z2n = z * z / total
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / total + z2n / (4 * total))
    return np.clip(centre - half, 0.0, p), p, np.clip(centre + half, p, 1.0)


def with_caseload_shares(workforce: pl.DataFrame, caseloads: pl.DataFrame) -> pl.DataFrame:
    """The census with each row's CYP share (and its low and high) estimated from its caseload by client
    group, where it has one with any cases: the share of cases in this population, with Wilson's 90% interval.
    Rows without a caseload keep the census's cyp_share."""
    if caseloads.is_empty():
        return workforce
    key = ["area", "role", "sector"]
    counts = (caseloads.group_by(key).agg(
        pl.col("cases").filter(pl.col("in_population") == "yes").sum().alias("_in"), pl.col("cases").sum().alias("_n"))
        .filter(pl.col("_n") > 0))
    low, share, high = wilson(counts["_in"].to_numpy().astype(float), counts["_n"].to_numpy().astype(float))
    counts = counts.with_columns(pl.Series("_share", share), pl.Series("_low", low), pl.Series("_high", high))
    out = workforce.join(counts, on=key, how="left", maintain_order="left")
    given = pl.col("_share").is_not_null()
    return out.with_columns(
        pl.when(given).then(pl.col(f"_{new}")).otherwise(pl.col(old)).alias(old)
        for new, old in (("share", "cyp_share"), ("low", "cyp_share_low"), ("high", "cyp_share_high"))
    ).select(workforce.columns)
