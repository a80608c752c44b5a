"""Need → demand → supply → gap for every area, year and role at once, over Monte Carlo draws.

The formulas are those of need.py, demand.py and supply.py; only the order of summing differs: each draw
varies prevalence, trends, relative risks, need shares, pathway hours, leaver rates and joiners (the inputs with
low, central and high values), while population, group sizes and need counts do not, so cases for each draw are matrix
products of the population (and group sizes) over ages and sexes with that draw's per-child rates. With no
draws the central values are used, and the results equal the deterministic plan's (tests check this).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from cyplan.model import cohorts, correlations
from cyplan.model.build import (
    Arrays,
    Dims,
    build,
    codes,
    empty,
    level_cells,
    share_cells,
    trend,
    with_ratios,
    years_from_start,
)
from cyplan.model.demand import hours_per_case
from cyplan.model.need import trended, uplift_factor
from cyplan.model.supply import (
    Rates,
    annuity,
    arrivals,
    flows,
    joiners_needed,
    project,
    project_moving,
    retirement_rate,
    with_caseload_shares,
)
from cyplan.model.uncertainty import Distribution, draw, in_parts, triangular_quantile
from cyplan.schema import KINDS, SEXES
from cyplan.schema.supply import SECTORS


@dataclass(frozen=True)
class SupplyDetail:
    """Each census row's drivers, as drawn, so that its flows can be worked out when a view asks for them
    (they are several times the size of the stock), with the training pipelines and central inflows."""

    rates: Rates  # [row, draw]
    cyp: np.ndarray  # CYP share [row, draw]
    cyp_central: np.ndarray  # [row]
    agency: np.ndarray  # agency FTE [row]
    pipelines: pl.DataFrame  # the training pipelines (central), each with its census row as `row`
    inflow: np.ndarray  # central FTE for this population joining from training or recruited [area, role, year]
    n_years: int
    agency_path: np.ndarray | None = None  # agency FTE [row, year, draw] when staff move into or out of agency


@dataclass(frozen=True)
class BandCounts:
    """The people of each age band, every level together: cases of need drawn as the demand's [area, year, band,
    draw] (before coverage: the need model's cases), and the population [area, year, band] and vulnerable
    groups' children [area, year, group, band], which are not drawn."""

    cases: np.ndarray
    population: np.ndarray
    groups: np.ndarray


@dataclass(frozen=True)
class Simulation:
    dims: Dims
    draws: int  # 0: central values only (one "draw")
    demand: np.ndarray  # FTE [area, year, role, draw]
    total_supply: np.ndarray  # FTE [area, year, role, draw]
    census: np.ndarray  # FTE of each census row [row, year, draw]; rows are unique (area, role, sector)
    census_cells: tuple[np.ndarray, np.ndarray, np.ndarray]  # each row's (area, role, sector) index
    cost_per_fte: np.ndarray  # [role]
    joiners: np.ndarray  # FTE joining a year today, for this population [area, role]
    stock0: np.ndarray  # FTE in post for this population, first year [area, role]
    leaving: np.ndarray  # central leaver + retirement rate, weighted by FTE [area, role]
    warnings: tuple[str, ...]
    detail: SupplyDetail | None = None  # what the census rows' flows are made from (None: no census)
    productive: np.ndarray | None = None  # hours of direct work a year one FTE gives [draw or 1, role]
    ratio: np.ndarray | None = None  # [role, role]: FTE planned by ratio to each role's (build.role_ratio)
    bands: BandCounts | None = None  # by age band, when simulate() is asked for them

    @property
    def supply(self) -> np.ndarray:
        """FTE by sector [area, year, role, sector, draw], made when asked for (it is mostly empty)."""
        area, role, sector = self.census_cells
        out = np.zeros((len(self.dims.areas), len(self.dims.years), len(self.dims.roles), len(SECTORS),
                        self.census.shape[-1]))
        out[area, :, role, sector] = self.census  # the census key is unique: one row per cell
        return out

    @property
    def gap(self) -> np.ndarray:
        return self.demand - self.total_supply

    @property
    def share_met(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.demand > 0, np.minimum(self.total_supply / self.demand, 1.0), 1.0)

    @property
    def cost_to_close(self) -> np.ndarray:
        return np.maximum(self.gap, 0.0) * self.cost_per_fte[None, None, :, None]

    def joiners_to_close(self, target_year: int) -> np.ndarray:
        """Extra joiners a year (central) that close each area and role's gap by `target_year`. [area, role]"""
        t = self.dims.years.index(target_year)
        demand = np.median(self.demand[:, t], axis=-1)
        # demand is for this population; the stock formula runs on staff in post, so undo the CYP share
        need = joiners_needed(self.stock0, self.leaving, np.zeros_like(self.leaving), demand - self._agency, t) \
            if t > 0 else np.maximum(demand - self.stock0 - self._agency, 0.0)
        return np.maximum(need - self.joiners - self._inflow_as_joiners(t), 0.0)

    def _inflow_as_joiners(self, t: int) -> np.ndarray:
        """Joiners from training and recruitment into vacancies by year t, as the steady joiners a year that
        would leave the same FTE in post at t (each year's inflow shrinks by the leaving rate until t). [area, role]"""
        if self.detail is None or t == 0 or not self.detail.inflow.any():
            return np.zeros_like(self.stock0)
        a = 1.0 - self.leaving
        left = np.sum(self.detail.inflow[:, :, 1:t + 1] * a[..., None] ** np.arange(t - 1, -1, -1), axis=-1)
        return left / annuity(a, t)

    @property
    def _agency(self) -> np.ndarray:
        return self.total_supply[:, 0].mean(axis=-1) - self.stock0


Given = Mapping[tuple[str, str], np.ndarray]  # (input, value column) → its values [draws, rows], as given


def simulate(frames: dict[str, pl.DataFrame], draws: int = 0, seed: int = 1,
             distribution: Distribution = "triangular", by_band: bool = False, given: Given | None = None,
             kept: CasesKept | None = None) -> Simulation:
    """`by_band` adds each band's cases, population and groups (BandCounts), from the same draws; without it
    nothing more is worked out, so the demand and its random numbers are the same either way.

    `kept` (one per set of runs, e.g. a board paper's scenarios) hands the demand's cases of need from an earlier
    run whose need arrays were equal to this one's, value for value, instead of working them out again.

    `given` (the sensitivity analysis, model/sensitivity.py) sets the values of each draw instead of drawing
    them: an (input, value column) it holds takes its [draws, rows] values from it, every other its central
    values in every draw; nothing is drawn at random and the correlations input is not applied."""
    a = build(frames, "central")
    # an input not given is an input with no rows (made only then: 47 empty frames were a tenth of `cyplan need`'s
    # model, issue 17 part 3)
    frames = {k: frames[k] if k in frames else empty(k) for k in KINDS}
    rng = np.random.default_rng(seed)
    tied = _tied(frames, draws, seed) if draws and given is None else {}

    def values(kind: str, central: str = "central") -> np.ndarray:
        """[draws, rows] of an input's value column: its central values alone when there are no draws."""
        frame = _ordered(frames, kind)
        low, high = KINDS[kind].range_of(central) or (central, central)
        c = frame[central].to_numpy().astype(float)
        if given is not None:
            return given[(kind, central)] if (kind, central) in given else np.tile(c, (max(draws, 1), 1))
        if draws == 0:
            return c[None]
        lo = frame[low].fill_null(frame[central]).to_numpy().astype(float)
        hi = frame[high].fill_null(frame[central]).to_numpy().astype(float)
        out = draw(rng, lo, c, hi, draws, distribution)
        for row, u in tied.get((kind, central), ()):  # rows the correlations input ties to others
            if distribution == "triangular":  # the copula's u through the row's own inverse CDF
                out[:, row] = triangular_quantile(u, lo[row], c[row], hi[row])
            else:  # PERT has no inverse CDF in NumPy: the row's own draws, put in the copula's rank order
                out[:, row] = np.sort(out[:, row])[np.argsort(np.argsort(u))]
        return out

    d = a.dims
    prevalence = trended(level_cells(frames["prevalence"], d, values("prevalence")),
                         trend(frames["prevalence_trends"], d, values=values("prevalence_trends")),
                         years_from_start(d))  # [draw, year, level, age, sex]
    rr = _relative_risk(frames["group_risks"], a, values("group_risks"))  # [draw, group, level]
    step_hours = values("pathway_steps")  # [draw, step], in pathway order
    if a.step_share is not None:
        step_hours = step_hours * a.step_share  # each step serves its care profile's share of the level's cases
    need_shares = values("need_shares")  # [draw, row]
    counted = _counted(a, frames["need_shares"], need_shares)
    frames["workforce"] = with_caseload_shares(frames["workforce"], frames["caseloads"])
    drawn = {key: values(*key) for key in SUPPLY_DRAWS} if frames["workforce"].height else {}
    # drawn after every other input, so that a workspace without these ranges draws exactly what it did before
    productive = _productive_hours(frames["roles"], a, values)  # [draw, role]
    # every random number drawn, in the order above: demand and supply are worked out at once, supply in a thread of
    # its own (NumPy lets go of the GIL while it computes), on the 2 cores the targets are set on (issue 17 part 5)
    with ThreadPoolExecutor(1) as pool:
        supplied = pool.submit(_supply, frames, d, lambda *key: drawn[key], max(draws, 1))
        demand = with_ratios(_demand(a, prevalence, rr, step_hours, productive, counted, kept), a.ratio, axis=2)
        census, cells, total, stock0, joiners, leaving, detail = supplied.result()
    return Simulation(dims=d, draws=draws, demand=demand, total_supply=total, census=census, census_cells=cells,
                      cost_per_fte=a.roles.cost_per_fte, joiners=joiners, stock0=stock0, leaving=leaving,
                      warnings=a.warnings, detail=detail, productive=productive, ratio=a.ratio,
                      bands=_band_counts(a, prevalence, rr, frames["need_shares"], need_shares) if by_band else None)


# the census's and training pipelines' drawn inputs, in the order _supply asks for them (and they were drawn in
# before demand and supply were worked out side by side): the same random numbers for each
SUPPLY_DRAWS = (("workforce", "leaver_rate"), ("workforce", "joiners_per_year"), ("workforce", "fte_in_post"),
                ("workforce", "cyp_share"), ("training_pipelines", "completion_rate"),
                ("training_pipelines", "share_taking_post_here"))


def _ordered(frames: dict[str, pl.DataFrame], kind: str) -> pl.DataFrame:
    """An input's rows in the order they are drawn (pathway steps in pathway order)."""
    return frames[kind] if kind != "pathway_steps" else frames[kind].sort(["level", "order"])


def _tied(frames: dict[str, pl.DataFrame], draws: int, seed: int) -> dict[tuple[str, str], list]:
    """(input, value column) → [(row, cumulative probabilities [draws])] for each row the correlations input
    names, from their own random numbers (a stream apart: the other rows' draws are those of a run without
    correlations, so adding one changes no other row)."""
    given = correlations.pairs(frames["correlations"])
    if not given:
        return {}
    refs, rank = correlations.rank_matrix(given)
    rows = correlations.locate({r.input: _ordered(frames, r.input) for r in refs}, refs)
    u = correlations.uniforms(np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0]), draws, rank)
    out: dict[tuple[str, str], list] = {}
    for i, (ref, row) in enumerate(zip(refs, rows, strict=True)):
        out.setdefault((ref.input, ref.column), []).append((row, u[:, i]))
    return out


def _relative_risk(frame: pl.DataFrame, a: Arrays, vals: np.ndarray) -> np.ndarray:
    out = np.ones((vals.shape[0], len(a.dims.groups), len(a.dims.levels)))
    if frame.height:
        out[:, codes(frame, "group", a.dims.groups), codes(frame, "level", a.dims.levels)] = vals
    return out


def _counted(a: Arrays, shares: pl.DataFrame, vals: np.ndarray) -> np.ndarray | None:
    """Cases from need counts [area, year, level, draw], each draw with its own shares, × the coverage of their
    level and age where the coverage input gives it by age (as plan.covered_cases); None without counts."""
    if not a.count_groups or a.counted is None:
        return None
    share = share_cells(shares, a.count_groups, a.dims, vals)  # [draw, count group, level]
    if a.coverage_cells is None:
        return np.einsum("ayg,dgl->ayld", a.counted.sum(axis=(3, 4)), share)
    return np.einsum("aygx,dgl,lx->ayld", a.counted.sum(axis=4), share, a.coverage_cells)


def _productive_hours(frame: pl.DataFrame, a: Arrays, values: Callable[..., np.ndarray]) -> np.ndarray:
    """Hours of direct work a year one FTE gives [draw, role]: the central value alone unless a role has a range
    on its direct work share or sickness days (no random numbers are drawn then)."""
    def ranged(value: str, bound: str) -> bool:
        return bound in frame.columns and bool((frame[bound].fill_null(frame[value]) != frame[value]).any())

    if not any(ranged(v, lo) or ranged(v, hi) for v, lo, hi in KINDS["roles"].ranges):
        return a.roles.productive_hours[None]
    share, sickness = values("roles", "direct_work_share"), values("roles", "sickness_days")
    return replace(a.roles, direct_share=share, sickness=sickness).productive_hours


def _demand(a: Arrays, prevalence: np.ndarray, rr: np.ndarray, step_hours: np.ndarray,
            productive: np.ndarray, counted: np.ndarray | None = None, kept: CasesKept | None = None) -> np.ndarray:
    """FTE [area, year, role, draw]; `counted` [area, year, level, draw] adds cases from need counts."""
    cases, coverage = kept.cases(a, prevalence, rr) if kept is not None else _cases(a, prevalence, rr)
    if counted is not None:
        cases = cases + counted  # a new array: the cases may be kept for another run
    per_case = hours_per_case(a.step_level, step_hours, a.mix, prevalence.shape[2])  # [draw, level, role]
    hours = np.einsum("ayld,l,dlr->ayrd", cases, coverage, per_case, optimize=True)
    hours /= productive.T[None, None]  # in place: the einsum's result is ours
    return hours


def _cases(a: Arrays, prevalence: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cases of need reached [area, year, level, draw] (before need counts) and the coverage [level] still to
    apply to them (ones where coverage by age and group is applied here): most of a simulation's time."""
    n_draw, n_year, n_level = prevalence.shape[:3]
    cells = a.population.shape[2] * len(SEXES)
    cases = np.empty((len(a.dims.areas), n_year, n_level, n_draw))
    # coverage by age and group (plan.covered_cases) is in each year's rates: the levels' coverage is then 1
    coverage = a.coverage if a.coverage_cells is None else np.ones_like(a.coverage)
    # rates outside the groups get the groups' uplift; a level's rates at one age and sex share a basis
    # (validated), so the cap over levels is the same as need.py's
    added = (~a.average)[..., None].astype(float)  # [level, age, sex, 1]
    grouped = added.any() or a.coverage_cells is not None

    def year(y: int) -> None:  # one matrix product over every area and draw
        p = prevalence[:, y].reshape(n_draw, n_level, cells)  # [draw, level, cell]
        factor = uplift_factor(prevalence[:, y], rr) if grouped else None  # [draw, level, age, sex, group]
        if factor is not None and not added.all():  # × 1 everywhere would change no value
            factor *= added  # in place: 1.7 million values a year at national scale
        if a.coverage_cells is not None:  # cases reached
            p, factor = _covered(a, prevalence[:, y], factor)
        base = a.population[:, y].reshape(len(a.dims.areas), cells) @ p.reshape(-1, cells).T
        if factor is not None:  # population averages add nothing: their cases are population × prevalence
            groups = np.moveaxis(a.group_size[:, y], 1, -1).reshape(len(a.dims.areas), -1)  # [area, cell·group]
            base += groups @ factor.reshape(n_draw * n_level, -1).T
        cases[:, y] = base.reshape(-1, n_draw, n_level).transpose(0, 2, 1)

    # the years are independent, each written to its own rows of `cases`: shared between two threads (NumPy lets go
    # of the GIL), as the demand took most of a simulation's time and the supply's thread little (issue 17 part 4)
    in_parts(lambda part: [year(y) for y in range(n_year)[part]], n_year)
    return cases, coverage


class CasesKept:
    """The cases of need of each run so far, with the arrays they were worked out from (held, not copied: the
    model makes them afresh each run and never changes them after). A scenario that changes no need input (the
    workforce, training, pay) has the baseline's population, coverage, prevalence and relative risks drawn from the
    same random numbers, equal value for value, so its cases are the baseline's: handed out, not worked out again.
    Equal is tested, not assumed, so a scenario that does change a need input gets its own."""

    def __init__(self) -> None:
        self._runs: list[tuple[tuple[np.ndarray | None, ...], tuple[np.ndarray, np.ndarray]]] = []

    @staticmethod
    def _of(a: Arrays, prevalence: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # everything _cases reads
        return (a.population, a.group_size, a.average, a.coverage, a.coverage_cells, a.group_coverage, prevalence,
                rr)

    def cases(self, a: Arrays, prevalence: np.ndarray, rr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = self._of(a, prevalence, rr)
        for seen, out in self._runs:
            if all(_same(x, y) for x, y in zip(seen, key, strict=True)):
                return out
        out = _cases(a, prevalence, rr)
        self._runs.append((key, out))
        return out


def _same(x: np.ndarray | None, y: np.ndarray | None) -> bool:
    """Equal shape, type and values (NaN where the other has NaN): the same inputs to the same arithmetic."""
    if x is None or y is None:
        return x is y
    return x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f")


def _band_counts(a: Arrays, prevalence: np.ndarray, rr: np.ndarray, shares: pl.DataFrame,
                 share_draws: np.ndarray) -> BandCounts:
    """Each band's cases of need, every level together, as need.py counts them (population × prevalence, the
    groups' uplift where a rate is one outside the groups, and cases from need counts) but on the draws of
    `_demand`; a loop over the few years, each an einsum over every area, band and draw."""
    d = a.dims
    in_band = (d.band_of_age[:, None] == np.arange(len(d.bands))[None]).astype(float)  # [age, band]
    added = (~a.average).astype(float)  # [level, age, sex]
    cases = np.zeros((len(d.areas), len(d.years), len(d.bands), prevalence.shape[0]))
    for y in range(len(d.years)):
        p = prevalence[:, y]  # [draw, level, age, sex]
        cases[:, y] = np.einsum("aks,dlks,kb->abd", a.population[:, y], p, in_band, optimize=True)
        if added.any():
            factor = uplift_factor(p, rr) * added[..., None]  # [draw, level, age, sex, group]
            cases[:, y] += np.einsum("agks,dlksg,kb->abd", a.group_size[:, y], factor, in_band, optimize=True)
    if a.count_groups and a.counted is not None:
        share = share_cells(shares, a.count_groups, d, share_draws).sum(axis=-1)  # [draw, count group]
        cases += np.einsum("aygks,dg,kb->aybd", a.counted, share, in_band, optimize=True)
    return BandCounts(cases, np.einsum("ayks,kb->ayb", a.population, in_band),
                      np.einsum("aygks,kb->aygb", a.group_size, in_band))


def _covered(a: Arrays, prevalence: np.ndarray, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The per-child rates of cases reached: prevalence [draw, level, age, sex] × coverage, flattened to
    [draw, level, cell], and the group factor [draw, level, age, sex, group] made into a group's cases reached
    beyond its children's share of the base: uplift × cov_g + p × (cov_g − cov)."""
    assert a.coverage_cells is not None and a.group_coverage is not None
    cov = a.coverage_cells[:, :, None]  # [level, age, 1]
    cov_g = np.transpose(a.group_coverage, (1, 2, 0))[:, :, None, :]  # [level, age, 1, group]
    p = (prevalence * cov).reshape(prevalence.shape[0], prevalence.shape[1], -1)
    return p, factor * cov_g + prevalence[..., None] * (cov_g - cov[..., None])


def _supply(frames: dict[str, pl.DataFrame], d: Dims, values: Callable[..., np.ndarray],
            n_draws: int) -> tuple:
    """Each census row's FTE for this population [row, year, draw], its cell, the total by role
    [area, year, role, draw], (central) stock, joiners and leaving rate by [area, role], and the detail the
    flows are made from."""
    frame, years = frames["workforce"], d.years
    shape = (len(d.areas), len(d.roles))
    total = np.zeros((len(d.areas), len(years), len(d.roles), n_draws))
    if not frame.height:
        none = np.zeros(0, dtype=np.int64)
        return (np.zeros((0, len(years), n_draws)), (none, none, none), total, *(np.zeros(shape) for _ in range(3)),
                None)
    leaver = values("workforce", "leaver_rate")  # [draw, row]
    joiners = values("workforce", "joiners_per_year")
    drawn_fte = values("workforce", "fte_in_post")  # drawn after the rest: today's draws stay as they were
    drawn_cyp = values("workforce", "cyp_share")
    retire = retirement_rate(frame["share_aged_55_plus"].to_numpy().astype(float),
                             frame["retirement_rate"].to_numpy().astype(float))
    cyp = frame["cyp_share"].to_numpy().astype(float)
    fte0 = frame["fte_in_post"].to_numpy().astype(float)
    agency = frame["agency_fte"].to_numpy().astype(float)
    pipelines = _pipelines(frames["training_pipelines"], frame)
    qualify = values("training_pipelines", "completion_rate") * values("training_pipelines", "share_taking_post_here")
    qualify = qualify[:, pipelines["row"].is_not_null().to_numpy()]  # a pipeline with no census row joins no one
    pipelines = pipelines.filter(pl.col("row").is_not_null())
    central_leaver = frame["leaver_rate"].to_numpy().astype(float)
    moves = (frames["workforce_ages"], frames["sector_flows"])
    rates = _rates(frame, fte0, drawn_fte.T, leaver.T, retire, joiners.T, pipelines, qualify, years,
                   _moves(frame, moves, leaver.T, central_leaver, retire))
    agency_path = None
    if rates.moving:  # age bands, transfers or a part-time trend: agency FTE can move too
        census, agency_path = project_moving(rates, len(years))
    else:
        census = project(rates, len(years))  # [row, year, draw]
    area, role, sector = codes(frame, "area", d.areas), codes(frame, "role", d.roles), codes(frame, "sector", SECTORS)
    _for_population(census, agency_path if rates.moving else agency[:, None, None], drawn_cyp.T, total, area, role)
    retire_now = cohorts.retirement_by_row(rates.cohorts, retire)  # the age bands' in the first year
    stock0, joined, leaving = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    np.add.at(stock0, (area, role), fte0 * cyp)
    np.add.at(joined, (area, role), frame["joiners_per_year"].to_numpy() * cyp)
    np.add.at(leaving, (area, role), (frame["leaver_rate"].to_numpy() + retire_now) * fte0 * cyp)
    with np.errstate(divide="ignore", invalid="ignore"):
        leaving = np.where(stock0 > 0, leaving / stock0, 0.0)
    central = _rates(frame, fte0, fte0[:, None], frame["leaver_rate"].to_numpy().astype(float)[:, None], retire,
                     frame["joiners_per_year"].to_numpy().astype(float)[:, None], pipelines,
                     (pipelines["completion_rate"] * pipelines["share_taking_post_here"]).to_numpy()[None], years,
                     _moves(frame, moves, central_leaver[:, None], central_leaver, retire))
    inflow = np.zeros((*shape, len(years)))
    if pipelines.height or central.fill.any():
        flows = _central_inflow(central, len(years)) * cyp[:, None]
        np.add.at(inflow, (area, role), flows)
    detail = SupplyDetail(rates=rates, cyp=drawn_cyp.T, cyp_central=cyp, agency=agency, pipelines=pipelines,
                          inflow=inflow, n_years=len(years),
                          agency_path=None if rates.transfers is None else agency_path)
    return census, (area, role, sector), total, stock0, joined, leaving, detail


BLOCK_ROWS = 16  # census rows a block in _for_population: [16, year, draw] is 1.4 MB at 11 years × 1,000 draws


def _for_population(census: np.ndarray, agency: np.ndarray, cyp: np.ndarray, total: np.ndarray, area: np.ndarray,
                    role: np.ndarray) -> None:
    """Each census row's FTE for this population, in place: (staff in post + agency FTE [row, year or 1, draw or 1])
    × the CYP share [row, draw], then added into its area and role's total [area, year, role, draw], a role's sectors
    in row order. A block of rows at a time, so that the three steps find it in the core's cache rather than each
    passing over the whole census (230 MB at national scale; issue 17 part 5): the same operations on each value."""
    cyp = np.ascontiguousarray(cyp)  # each row's draws together, as the census's lie
    for lo in range(0, census.shape[0], BLOCK_ROWS):
        block = slice(lo, lo + BLOCK_ROWS)
        census[block] += agency[block]
        census[block] *= cyp[block, None, :]
        for i in range(lo, min(lo + BLOCK_ROWS, census.shape[0])):  # a role's sectors into its total
            total[area[i], :, role[i]] += census[i]


def _pipelines(pipelines: pl.DataFrame, census: pl.DataFrame) -> pl.DataFrame:
    """The training pipelines, each with the index of the census row its staff join (`row`)."""
    key = ["area", "role", "sector"]
    rows = census.select(key).with_row_index("row")
    return pipelines.join(rows, on=key, how="left", maintain_order="left")


def _rates(frame: pl.DataFrame, fte0: np.ndarray, drawn_fte: np.ndarray, leaver: np.ndarray, retire: np.ndarray,
           joiners: np.ndarray, pipelines: pl.DataFrame, qualify: np.ndarray, years: tuple[int, ...],
           moves: dict | None = None) -> Rates:
    """The census rows' drivers, [row, draw] (central values when given one draw)."""
    vacant = frame["vacant_fte"].to_numpy().astype(float)
    fill = np.nan_to_num(frame["vacancy_fill_rate"].to_numpy().astype(float), nan=0.0)
    last = pipelines["end_year"].fill_null(years[-1]).to_numpy() if pipelines.height else np.zeros(0)
    come = arrivals(pipelines["row"].to_numpy().astype(np.int64), pipelines["start_year"].to_numpy(), last,
                    pipelines["places"].to_numpy().astype(float), pipelines["course_years"].to_numpy(), qualify,
                    years, frame.height) if pipelines.height \
        else np.broadcast_to(np.zeros(1), (frame.height, len(years), joiners.shape[1]))
    return Rates(fte0=drawn_fte, leaver=leaver, retire=retire[:, None], joiners=joiners,
                 establishment=(fte0 + vacant)[:, None], fill=fill[:, None], arrivals=come, **(moves or {}))


def _moves(frame: pl.DataFrame, moves: tuple[pl.DataFrame, pl.DataFrame], leaver: np.ndarray,
           central_leaver: np.ndarray, retire: np.ndarray) -> dict:
    """Rates' age bands, transfers, part-time trend and first agency FTE (issue 13 parts 3 and 4); none of them
    when the workspace has no age bands, no sector flows and no trend, so today's engine runs unchanged."""
    ages, flows_ = moves
    out = {"cohorts": cohorts.cohorts(frame, ages, leaver, central_leaver, retire),
           "transfers": cohorts.transfers(frame, flows_), "pattern": cohorts.pattern(frame)}
    if not any(v is not None for v in out.values()):
        return {}
    return out | {"agency": frame["agency_fte"].to_numpy().astype(float)[:, None]}


def _central_inflow(r: Rates, n_years: int) -> np.ndarray:
    """FTE in post joining from training or recruited into vacancies, central, by census row and year."""
    f = flows(r, n_years)
    return (f["from_training"] + f["recruited"])[:, :, 0]
