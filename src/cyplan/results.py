"""The results a user asks for, from a workspace's inputs: one place that the CLI, the web app and the board
paper all call, so each number is worked out the same way wherever it is shown.

Functions take the workspace's input frames (`Workspace.read_all()`) and return frames or model results.
When an input a result needs is missing they raise `NotReady`, whose message says what to load and how;
the CLI turns it into an error message, the web app into a page that says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from cyplan.model.plan import Plan, cost_table, demand_table, has_cost_lines, need_table, run
from cyplan.model.sanity import prevalence_warnings, starter_gaps, workforce_warnings
from cyplan.model.scenarios import BASELINE, ScenarioError, apply, commissions, names
from cyplan.reference import starter
from cyplan.reference.skills import SKILL_LABELS
from cyplan.reference.specification import specification

if TYPE_CHECKING:
    from cyplan.model import evidence
    from cyplan.model.neighbours import Neighbours
    from cyplan.model.services import Rating, Register, Rules
    from cyplan.model.simulate import BandCounts, CasesKept, Simulation

# What `cyplan need`, `demand` and `costs` do not use (the input rules, the simulation, the gap, the service
# register, the evidence library, the backtest, the skills, the neighbours and the comparison of areas) is imported
# where it is used: not paid for before the plan's numbers (issue 17 part 3).

Frames = dict[str, pl.DataFrame]
DRAWS, SEED, DISTRIBUTION = 1000, 1, "triangular"
NEED_INPUTS = ("areas", "population", "levels", "prevalence")


NATIONAL_RATE = ("probable mental disorder, NHS England's 'Mental Health of Children and Young People in England, "
                 "2023 - wave 4 follow up to the 2017 survey'")


class NotReady(Exception):
    """A result needs an input the workspace does not hold yet."""

    exit_code = 1  # the CLI's, as docs/user-guide.md lists them: the workspace lacks an input


class NotHeld(NotReady):
    """An area or year asked for that the workspace does not hold: the question is wrong (the CLI's exit code 2),
    not the workspace short of an input (exit code 1). A NotReady, so that a page showing why there is no result
    shows this too."""

    exit_code = 2


def missing_need_inputs(frames: Frames) -> list[str]:
    missing = [k for k in NEED_INPUTS if frames[k].is_empty()]
    counts = frames.get("need_counts")
    if "prevalence" in missing and counts is not None and not counts.is_empty():
        missing.remove("prevalence")  # need from counts instead (docs/method.md, 'Need from counts')
    return missing


def national_inputs(frames: Frames) -> list[str]:
    """The inputs holding national starting values (`cyplan init --starter`), each to be replaced with local data."""
    return [kind for kind, frame in frames.items() if starter.marked(frame)]


def national_checks(frames: Frames) -> list[str]:
    """Warnings from checking the inputs against national figures (model/sanity.py)."""
    return (prevalence_warnings(frames["prevalence"], starter.national_prevalence(), NATIONAL_RATE)
            + workforce_warnings(frames["workforce"], frames["population"], starter.national_workforce()))


def still_missing(frames: Frames) -> list[str]:
    """For a workspace started from national values, what no national figure gives and the user must supply."""
    return starter_gaps(frames) if national_inputs(frames) else []


def sanity_warnings(frames: Frames) -> list[str]:
    """The checks against national figures, then what is still missing: the CLI, the web app and the board paper
    all show these."""
    return national_checks(frames) + still_missing(frames)


def plan(frames: Frames, estimate: str = "central") -> Plan:
    """The need and demand model on the central (or low or high) inputs."""
    empty = missing_need_inputs(frames)
    if empty:
        raise NotReady(f"the workspace has no {', '.join(empty)} yet: import them with 'cyplan import KIND FILE'")
    return run(frames, estimate)


def ready_to_simulate(frames: Frames) -> None:
    """Raises `NotReady`, saying what to import, unless the workspace has what a simulation needs."""
    if frames["workforce"].is_empty():
        raise NotReady("the workspace has no workforce census yet: import it with 'cyplan import workforce FILE'")
    empty = missing_need_inputs(frames)
    if empty:
        raise NotReady(f"the workspace has no {', '.join(empty)} yet: import them with 'cyplan import KIND FILE'")


def simulation(frames: Frames, scenario: str = BASELINE, draws: int = DRAWS, seed: int = SEED,
               distribution: str = DISTRIBUTION, by_band: bool = False, kept: CasesKept | None = None) -> Simulation:
    """Demand and supply with their uncertainty, under the baseline or a named scenario. A scenario's
    `commission` rows add the chosen interventions' staff to its demand (model/evidence.py), on its own draws.
    `by_band` keeps each band's cases too (what `evidence_for_actions` reads), from the same draws: the demand
    and supply are the same either way. `kept` (model/simulate.CasesKept), shared by the runs of one set of
    scenarios, hands a run the cases of need of an earlier one whose need inputs it has unchanged: the same figures.

    Raises `ScenarioError` for a scenario that cannot be applied."""
    from cyplan.io.validate import rules_broken
    from cyplan.model.simulate import simulate

    ready_to_simulate(frames)
    applied = apply(frames, frames["scenarios"], scenario)
    broken = [m for kind, frame in applied.items() if frame is not frames[kind]
              for m in rules_broken(kind, frame, f"scenario '{scenario}', {kind}")]
    if broken:  # each value in its bounds, but a rule between them broken: the model would give nan or nonsense
        raise ScenarioError("; ".join(broken))
    chosen = commissions(frames["scenarios"], scenario)
    if chosen.is_empty():
        return simulate(applied, draws, seed, distribution, by_band=by_band, kept=kept)
    sim = simulate(applied, draws, seed, distribution, by_band=True, kept=kept)
    return dataclasses.replace(sim, demand=sim.demand + _commissioned(frames, scenario, chosen, sim))


def _commissioned(frames: Frames, scenario: str, chosen: pl.DataFrame, sim: Simulation) -> np.ndarray:
    """The FTE a scenario's commissioned interventions add to demand [area, year, role, draw]: each chosen
    (gap, intervention) as the action list's evidence works it out, on the scenario's own draws."""
    from cyplan.model import evidence

    fits = _fits(frames, action_list(frames))
    pairs = chosen.join(fits, left_on=["gap", "intervention"], right_on=["item", "intervention"], how="left",
                        maintain_order="left")
    defined = frames["interventions"]["intervention"].to_list()
    for row in pairs.filter(~pl.col("intervention").is_in(defined)).iter_rows(named=True):  # a typo, not a misfit
        raise ScenarioError(f"scenario '{scenario}', commission of '{row['intervention']}': there is no "
                            f"intervention '{row['intervention']}' in the library; its interventions are: "
                            f"{', '.join(defined) or 'none yet'}")
    for row in pairs.filter(pl.col("rank").is_null()).iter_rows(named=True):
        known = fits.filter(pl.col("item") == row["gap"])["intervention"].to_list()
        why = (f"it fits {', '.join(known)}" if known else "no intervention in the library fits it") \
            if row["gap"] in set(action_list(frames)["item"]) else "it is not a gap of the services action list"
        raise ScenarioError(f"scenario '{scenario}', commission of '{row['intervention']}' for gap '{row['gap']}': "
                            f"the intervention does not fit that gap ({why})")
    for row in pairs.filter(~pl.col("intervention").is_in(list(_delivered(frames)))).iter_rows(named=True):
        raise ScenarioError(f"scenario '{scenario}', commission of '{row['intervention']}': the library does not say "
                            "what delivering it takes (no hours by role in intervention_delivery, no cost per case): "
                            "add them, or it would add nothing")
    years = sim.dims.years
    late = pairs.filter(~pl.col("from_year").is_between(years[0], years[-1]))
    if late.height:
        raise ScenarioError(f"scenario '{scenario}', commission of '{late['intervention'][0]}': from year "
                            f"{late['from_year'][0]} is outside the plan's years, {years[0]} to {years[-1]}")
    assert sim.bands is not None
    return evidence.added_demand(pairs.rename({"gap": "item"}), pairs["from_year"].to_numpy(),
                                 frames["intervention_delivery"], frames["interventions"],
                                 _reach(sim.bands, sim, (0, 1)), _staffing(sim), years)


def _staffing(sim: Simulation) -> evidence.Staffing:
    from cyplan.model import evidence

    assert sim.productive is not None
    return evidence.Staffing(sim.dims.roles, sim.productive, sim.cost_per_fte, sim.ratio)


def _reach(bands: BandCounts, sim: Simulation, keep: tuple[int, ...]) -> evidence.Reach:
    """People by band with the area and year axes moved behind the band, as the evidence model reads them: kept
    (`keep` (0, 1)), or summed over the areas in year `keep[0]` of the plan when given one year index."""
    from cyplan.model import evidence

    if keep == (0, 1):
        cases, pop, groups = (np.moveaxis(bands.cases, 2, 0), np.moveaxis(bands.population, 2, 0)[..., None],
                              np.moveaxis(bands.groups, (2, 3), (0, 1))[..., None])
    else:
        t = keep[0]
        cases, pop = bands.cases[:, t].sum(axis=0), bands.population[:, t].sum(axis=0)[:, None]
        groups = bands.groups[:, t].sum(axis=0)[..., None]
    return evidence.Reach(sim.dims.bands, sim.dims.groups, cases, pop, groups)


def scenario_names(frames: Frames) -> list[str]:
    """The baseline, then the workspace's scenarios in the order they were given."""
    return [BASELINE, *[n for n in names(frames["scenarios"]) if n != BASELINE]]


def compare_scenarios(frames: Frames, chosen: Sequence[str] | None = None, year: int | None = None,
                      areas: Sequence[str] | None = None, by_role: bool = False, draws: int = DRAWS,
                      seed: int = SEED, distribution: str = DISTRIBUTION,
                      run: Callable[[str], Simulation] | None = None,
                      errors: bool = False, skipped: list[str] | None = None) -> tuple[pl.DataFrame, int]:
    """(the gap under the baseline and each scenario in one year, that year). Every scenario runs on the
    same random numbers, so differences between them are the scenarios' doing, not chance. `run(name)`, if
    given, supplies each scenario's simulation (the web app passes its cached ones, made with the defaults);
    `errors` adds each figure's Monte Carlo error (gap_table). With `skipped` (a list) and no scenarios
    chosen, a scenario that cannot run is left out and named there with why, rather than stopping the others:
    one bad scenario should not hide every other option from a board."""
    from cyplan.model.gap import gap_table

    every = not chosen
    chosen = list(chosen) if chosen else names(frames["scenarios"])
    if not chosen:
        raise NotReady("the workspace has no scenarios yet: import them with 'cyplan import scenarios FILE'")
    rows, target = [], year
    for name in [BASELINE, *[n for n in chosen if n != BASELINE]]:
        try:
            sim = run(name) if run is not None else simulation(frames, name, draws, seed, distribution)
        except ScenarioError as e:
            if skipped is None or not every or name == BASELINE:
                raise
            skipped.append(f"'{name}': {e}")
            continue
        target = year if year is not None else sim.dims.years[-1]
        unknown = [a for a in areas or [] if a not in sim.dims.areas]
        if unknown:
            raise NotHeld(f"unknown area {', '.join(unknown)}; the areas are {', '.join(sim.dims.areas)}")
        if target not in sim.dims.years:
            raise NotHeld(f"no population for year {target}; the years are {sim.dims.years[0]} to "
                           f"{sim.dims.years[-1]}")
        table = gap_table(sim, ["role"] if by_role else [], areas, [target], errors)
        rows.append(table.with_columns(pl.lit(name).alias("scenario")))
    return pl.concat(rows).select("scenario", pl.exclude("scenario")), int(target)  # type: ignore[arg-type]


def need_by_band(frames: Frames, year: int | None = None) -> pl.DataFrame | None:
    """Cases by age band in one year (default: the first), every area together; None when the workspace has
    no need inputs (the caller says that gaps are then not weighed by need)."""
    if missing_need_inputs(frames):
        return None
    result = run(frames)
    years = result.dims.years
    if year is not None and year not in years:
        raise NotHeld(f"no population for year {year}; the years are {years[0]} to {years[-1]}")
    table = need_table(result, ["age-band"], None, [year if year is not None else years[0]])
    # in need_table's order: the action list sums the bands' shares, and a sum in another order each run differed
    # in its last digit from run to run
    return table.group_by("age_band", maintain_order=True).agg(pl.col("cases").sum()).rename({"age_band": "band"})


def register(frames: Frames) -> Register:
    from cyplan.model.services import Register

    if frames["services"].is_empty() and frames["plans"].is_empty():
        raise NotReady("the workspace has no services or plans yet: import a register with "
                       "'cyplan services import FILE'")
    return Register.from_frames(frames)


def rules(whole_area: float = 1.0, most: float = 0.5, plans_in_place: float = 1.0, full_range: float = 0.9) -> Rules:
    """The rating's thresholds; a ValueError names the one out of range."""
    from cyplan.model.services import Rules

    return Rules(whole_area, most, plans_in_place, full_range)


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists (of services, provisions) as one '; '-separated cell, for a screen, a page or a file."""
    return frame.with_columns(pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List))


def labels(frames: Frames) -> dict[str, dict[str, str]]:
    """Display names for codes: areas, roles, age bands, groups, levels."""
    return {"area": dict(frames["areas"].select("code", "name").iter_rows()),
            "role": dict(frames["roles"].select("role", "label").iter_rows()),
            "band": dict(frames["age_bands"].select("band", "label").iter_rows()),
            "group": dict(frames["groups"].select("group", "label").iter_rows()),
            "level": dict(frames["levels"].select("level", "label").iter_rows()),
            "skill_area": dict(SKILL_LABELS)}


def rating(frames: Frames, rules: Rules | None = None) -> Rating:
    """The services' rating (1–4) with the reasons that keep it from the next level, and the partnership's own
    judgement beside it when the workspace records one."""
    from cyplan.model.services import Rules, latest_judgement, rate

    spec = specification()
    computed = rate(register(frames), spec.provisions, spec.band_groups, rules or Rules())
    return dataclasses.replace(computed, judgement=latest_judgement(frames["rating_judgement"], computed.rating))


def action_list(frames: Frames, year: int | None = None, rules: Rules | None = None) -> pl.DataFrame:
    """The gaps in order of priority: what holds the rating back first, then by need in the age band. Without
    need inputs every band weighs the same."""
    from cyplan.model.services import Rules, actions

    spec = specification()
    need = need_by_band(frames, year)
    if need is None:
        need = frames["age_bands"].select("band").with_columns(pl.lit(0.0).alias("cases"))
    return actions(register(frames), spec.provisions, spec.band_groups, spec.prerequisites, need, rules or Rules())


def _fits(frames: Frames, actions: pl.DataFrame) -> pl.DataFrame:
    """The library's interventions that fit each gap (model/evidence.py, `fitting`)."""
    from cyplan.model import evidence
    from cyplan.model.evidence_ratings import evidence_summary

    summary = evidence_summary(frames)
    return evidence.fitting(actions, frames["interventions"], frames["intervention_cells"],
                            frames["intervention_groups"], summary, frames["age_bands"])


NO_FIT = "no intervention in the library fits this gap"


def evidence_for_actions(frames: Frames, year: int | None = None, rules: Rules | None = None, draws: int = DRAWS,
                         seed: int = SEED, distribution: str = DISTRIBUTION,
                         sim: Simulation | None = None) -> pl.DataFrame:
    """The action list's rows, each cell and band × group gap repeated for every intervention that fits it
    (strongest evidence first; a gap nothing fits kept once, with no intervention), with what delivering it
    in year `year` (default: the first) would take: people, FTE by role and in all, and cost a year, each a
    median with its 90% interval (_p5, _p95) over the model's draws, and the sentence that says so
    (`in_words`). Without interventions in the workspace: the action list exactly as `action_list` gives it.

    `sim`, if given, is the baseline's simulation with band counts (`simulation(frames, by_band=True)`, the same
    draws, seed and distribution), used instead of running one more: the board paper has run it already."""
    from cyplan.model import evidence
    from cyplan.model.simulate import simulate

    actions = action_list(frames, year, rules)
    if frames["interventions"].is_empty():
        return actions
    empty = missing_need_inputs(frames)
    if empty or frames["roles"].is_empty():
        raise NotReady(f"what an intervention takes comes from the need model and the roles: the workspace has no "
                       f"{', '.join(empty or ['roles'])} yet: import them with 'cyplan import KIND FILE'")
    # the cost rating (1–5) kept apart from the pounds a year that summary_table writes as 'cost': one name for
    # both left only the pounds in a file, under the heading the evidence list gives the rating
    fits = _fits(frames, actions).rename({"cost": "cost_rating"})
    if sim is None:
        sim = simulate(frames, draws, seed, distribution, by_band=True)  # type: ignore[arg-type]
    elif sim.bands is None:
        raise ValueError("evidence_for_actions needs the baseline's simulation with band counts (by_band=True)")
    t = sim.dims.years.index(year) if year is not None else 0
    assert sim.bands is not None
    reach = _reach(sim.bands, sim, (t,))
    table = evidence.summary_table(fits, evidence.requirements(fits, frames["intervention_delivery"],
                                                               frames["interventions"], reach, _staffing(sim)),
                                   sim.dims.roles)
    table = table.with_columns(pl.Series("in_words", _in_words(frames, table, sim.dims.roles), dtype=pl.String))
    unknown = ~pl.col("intervention").is_in(list(_delivered(frames)))  # nothing entered is not "0 FTE, £0"
    table = table.with_columns(pl.when(unknown).then(None).otherwise(pl.col(c)).alias(c) for c in table.columns
                               if c.startswith(("fte", "cost")) and c != "cost_rating")
    shown = table.drop("kind", "item", "band", "covered", "level", "provision", "group")
    out = actions.join(shown, on="rank", how="left").sort("rank", "fit")
    return out.with_columns(pl.when(pl.col("kind").is_in(["cell", "group"]) & pl.col("intervention").is_null())
                            .then(pl.lit(NO_FIT)).otherwise(pl.col("in_words")).alias("in_words"))


def _delivered(frames: Frames) -> set[str]:
    """The interventions the library says what delivering takes: hours by role, or a cost per case."""
    priced = frames["interventions"].filter(pl.col("cost_per_case").fill_null(0) > 0)["intervention"]
    return set(frames["intervention_delivery"]["intervention"].to_list()) | set(priced.to_list())


def _in_words(frames: Frames, table: pl.DataFrame, roles: tuple[str, ...]) -> list[str]:
    """Each pair's sentence (model/evidence.py, `sentence`); a loop over the rows shown, for words only."""
    from cyplan.model import evidence

    names = labels(frames)
    known = _delivered(frames)
    out = []
    for row in table.iter_rows(named=True):
        if row["intervention"] not in known:  # nothing entered is not "no more staff, £0"
            gap = evidence.gap_words(row["kind"], row["item"], names["group"].get(row["group"] or "", ""))
            out.append(f"The {gap}, closed with {row['name']}: not known, as the library does not say what "
                       "delivering it takes (no hours in intervention_delivery, no cost per case).")
            continue
        staff = sorted(((names["role"].get(r, r), row[f"fte_{r}"]) for r in roles if row[f"fte_{r}"] > 0),
                       key=lambda x: -x[1])
        gap = evidence.gap_words(row["kind"], row["item"], names["group"].get(row["group"] or "", ""))
        out.append(evidence.sentence(gap, row["name"], staff, (row["fte_p5"], row["fte_p95"]), row["cost"],
                                     (row["cost_p5"], row["cost_p95"])))
    return out


def skills(frames: Frames, area: Sequence[str] | None = None) -> pl.DataFrame:
    """Staff to train in each area of the Common Core, and the cost, by area, role, skill area and year
    (model/skills.py). NotReady without a skills census, a workforce census or a population to give the years."""
    if frames["skills"].is_empty():
        raise NotReady("the workspace has no skills census yet: import it with 'cyplan import skills FILE' "
                       "(its columns are in the data formats guide, under 'skills')")  # said in the paper too
    if frames["workforce"].is_empty():
        raise NotReady("the workspace has no workforce census yet, so the skills census has no staff to count: "
                       "import it with 'cyplan import workforce FILE'")
    years = tuple(sorted(set(frames["population"]["year"].to_list())))
    if len(years) < 2:
        raise NotReady("the plan needs a population for at least two years to spread training over: import it "
                       "with 'cyplan import population FILE'")
    chosen = frames["skills"].filter(pl.col("area").is_in(list(area))) if area else frames["skills"]
    outside = sorted(set(chosen.filter((pl.col("target_year") <= years[0]) | (pl.col("target_year") > years[-1]))
                         ["target_year"].to_list()))
    if outside:  # the skills census was checked on import; a population imported since has other years
        raise NotReady(f"the skills census aims at target year(s) {', '.join(map(str, outside))}, outside the plan's "
                       f"years after the first ({years[1]} to {years[-1]}): import the skills census again with "
                       "target years inside the plan")
    from cyplan.model.skills import training_needs

    return training_needs(chosen, frames["workforce"], years)


@dataclasses.dataclass(frozen=True)
class Backtest:
    """The back-test (model/backtest.py): projected against actual FTE in post by area, role and year, and each
    role's mean absolute percentage error."""

    by_year: pl.DataFrame
    summary: pl.DataFrame
    from_year: int
    years: tuple[int, ...]  # the later snapshots' years, compared with the projection


def backtest(frames: Frames, area: Sequence[str] | None = None) -> Backtest:
    """The back-test for the chosen areas (all by default). NotReady without past census snapshots of two years."""
    from cyplan.model import backtest as back

    snapshots = frames["workforce_history"]
    if snapshots["year"].n_unique() < 2:
        raise NotReady("the workspace has no past workforce census snapshots of two or more years to back-test the "
                       "supply model on: import them with 'cyplan import workforce_history FILE' "
                       "(docs/data-formats.md, 'workforce_history')")
    first = int(snapshots["year"].min())
    chosen = snapshots.filter(pl.col("area").is_in(list(area))) if area else snapshots
    by_year = back.backtest(chosen)
    return Backtest(by_year, back.summary(by_year, first), first,
                    tuple(sorted(y for y in set(snapshots["year"].to_list()) if y > first)))


# -- comparing areas (issue 16 part 1; model/comparison.py) -------------------------------------------------------

AGAINST = {"neighbours": "statistical neighbours", "region": "region", "all": "all areas"}


@dataclasses.dataclass(frozen=True)
class Group:
    """A comparator group: the areas (the chosen one not among them), what they are in words, and why there are
    none when there are none."""

    against: str
    areas: tuple[str, ...]
    words: str
    note: str = ""


def comparator_group(frames: Frames, area: str, against: str) -> Group:
    """The areas `area` is compared with: its statistical neighbours (neighbours_of), the other areas of its region
    (the same parent, when that parent is of kind region) or every other area held of its kind. NotReady for an
    area the workspace has not; ValueError for an `against` not in AGAINST."""
    if against not in AGAINST:
        raise ValueError(f"cannot compare against '{against}': choose one of {', '.join(AGAINST)}")
    areas = frames["areas"]
    known = areas.filter(pl.col("code") == area)
    if known.is_empty():
        raise NotHeld(f"unknown area {area}; the areas are {', '.join(areas['code'].to_list()) or 'none yet'}")
    me = known.row(0, named=True)
    same_kind = areas.filter((pl.col("kind") == me["kind"]) & (pl.col("code") != area))
    if against == "all":
        return Group(against, tuple(same_kind["code"].to_list()), f"all areas held of kind {me['kind']}",
                     "" if same_kind.height else f"the workspace holds no other area of kind {me['kind']}")
    if against == "region":
        parent = areas.filter((pl.col("code") == (me["parent"] or "")) & (pl.col("kind") == "region"))
        if parent.is_empty():
            return Group(against, (), "its region", "the areas input gives it no parent of kind region")
        name = parent["name"][0]
        codes = same_kind.filter(pl.col("parent") == me["parent"])["code"].to_list()
        return Group(against, tuple(codes), f"the other areas of {name}",
                     "" if codes else f"the workspace holds no other area of {name}")
    return _neighbour_group(frames, area)


def _neighbour_group(frames: Frames, area: str) -> Group:
    """The statistical neighbours as a group (neighbours_of): published or computed, or none with why."""
    found = neighbours_of(frames, area)
    codes = tuple(found.table["neighbour"].to_list())
    words = "its statistical neighbours"
    if codes and found.method == "published":
        words += f" ({found.source})"
    elif codes:  # the source says every indicator and the method: too long for a heading
        words += f" (its {len(codes)} nearest, computed from the area indicators)"
    return Group("neighbours", codes, words, "" if codes else found.note)


def comparison_figures(frames: Frames, year: int | None = None, referrals: pl.DataFrame | None = None,
                       sim: Simulation | None = None, with_rating: bool = True) -> tuple[pl.DataFrame, int]:
    """(every area's figures for model/comparison.py in one year, that year: the first of the plan by default).
    Need and cost from the central plan, demand, supply and share met as medians of the draws (`sim`, or run here)
    when there is a workforce census, accepted referrals from the referral counts input and the workspace's records
    (`referrals`: area, referrals, years_counted; referral_counts), the services rating (the workspace's register:
    one for all its areas) when there is a register."""
    from cyplan.model.gap import gap_table

    central = plan(frames)
    years = central.dims.years
    target = year if year is not None else years[0]
    if target not in years:
        raise NotHeld(f"no population for year {target}; the years are {years[0]} to {years[-1]}")
    need = need_table(central, [], None, [target]).select("area", "population", "cases")
    cost = (cost_table(central, None, [target]).select("area", pl.col("total").alias("cost"))
            if has_cost_lines(central) else demand_table(central, [], None, [target]).select("area", "cost"))
    out = need.join(cost, on="area", how="left", maintain_order="left")
    if not frames["workforce"].is_empty():
        sim = sim if sim is not None else simulation(frames)
        gap = gap_table(sim, [], None, [target]).select("area", "demand_fte", "supply_fte", "share_met")
        out = out.join(gap, on="area", how="left", maintain_order="left")
    else:  # no census: demand from the central plan, no supply to meet it
        fte = demand_table(central, [], None, [target]).select("area", pl.col("fte").alias("demand_fte"))
        out = out.join(fte, on="area", how="left", maintain_order="left")
    counted = referral_counts(frames, int(target), referrals)
    if counted.height:
        out = out.join(counted, on="area", how="left", maintain_order="left")
    if with_rating and not (frames["services"].is_empty() and frames["plans"].is_empty()):
        out = out.with_columns(pl.lit(rating(frames).rating).alias("rating"))
    from cyplan.model import comparison

    figures = comparison.FIGURES
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in figures.items() if c not in out.columns]
    return out.with_columns(missing).select(list(figures)).cast(figures), int(target)  # type: ignore[arg-type]


def referral_counts(frames: Frames, year: int, from_records: pl.DataFrame | None = None) -> pl.DataFrame:
    """Accepted referrals by area for comparing rates (area, referrals, years_counted): the referral counts input's
    for `year`, and for an area it has none for, the workspace's own records' (`from_records`: returns/service.py,
    referrals_by_area) when given."""
    given = frames["referral_counts"].filter(pl.col("year") == year).select(
        "area", pl.col("referrals").cast(pl.Float64), pl.lit(1.0).alias("years_counted"))
    if from_records is None or from_records.is_empty():
        return given
    own = from_records.filter(~pl.col("area").is_in(given["area"].to_list())).select(given.columns)
    return pl.concat([given, own.cast(dict(given.schema))])


def referrals_missing(frames: Frames, year: int, figures: pl.DataFrame, records_note: str) -> str:
    """Why no area has a referral rate in `year` ("" when one has)."""
    if figures["referrals"].is_not_null().any():
        return ""
    years = sorted(set(frames["referral_counts"]["year"].to_list()))
    if years:
        return (f"the referral counts input has no counts for {year} (its years: {', '.join(map(str, years))}), "
                f"and {records_note or 'the referral records give none'}")
    return (f"{records_note or 'the referral records give none'}; import each area's yearly counts as "
            "referral_counts (docs/data-formats.md)")


def compare_with(frames: Frames, figures: pl.DataFrame, area: str, against: str) -> tuple[pl.DataFrame, Group]:
    """(the comparison table of `area` with a comparator group, with each area's name; the group):
    model/comparison.compare on comparison_figures' figures."""
    group = comparator_group(frames, area, against)
    from cyplan.model import comparison

    table = comparison.compare(figures, area, group.areas)
    names = frames["areas"].select(pl.col("code").alias("area"), "name")
    return table.join(names, on="area", how="left", maintain_order="left").select(
        "area", "name", pl.exclude("area", "name")), group


def neighbours_of(frames: Frames, area: str, n: int | None = None) -> Neighbours:
    """An area's statistical neighbours: the published list when one names the area's, otherwise the n nearest
    (model/neighbours.py's DEFAULT_N when not given) areas of the same kind computed from the area indicators
    (model/neighbours.py); method "none", with a note saying what to import, when there is neither. Raises
    `NotReady` for an area the workspace does not hold."""
    from cyplan.model.neighbours import DEFAULT_N, computed, published

    n = DEFAULT_N if n is None else n
    areas = frames["areas"]
    kind = areas.filter(pl.col("code") == area)["kind"]
    if kind.is_empty():
        codes = areas["code"].to_list()
        shown = ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")
        raise NotHeld(f"there is no area '{area}' in the workspace; its areas are: {shown or 'none yet'} (import "
                       "them with 'cyplan import areas FILE')")
    lists = frames["statistical_neighbours"]
    if lists.filter(pl.col("area") == area).height:
        return published(area, lists, n)
    codes = sorted(areas.filter(pl.col("kind") == kind[0])["code"])  # all areas of the same kind
    return computed(area, codes, frames["area_indicators"], frames["indicator_weights"], n)


def drivers(frames: Frames, areas: Sequence[str] | None = None, year: int | None = None,
            measure: str = "gap") -> tuple[pl.DataFrame, int]:
    """(which inputs drive the measure in a year, that year): each uncertain input at its low and at its high,
    the rest central, the widest swing first, for `areas` together (default: every area) and every role; the
    year defaults to the last. A few hundred model runs in one batch (cyplan.sweep), quick enough for a page.
    `cyplan sensitivity` gives the same table, and Sobol indices."""
    from cyplan import sweep  # the sensitivity analysis, imported only where it is shown
    from cyplan.model.sensitivity import Spec

    ready_to_simulate(frames)
    dims = plan(frames).dims  # the areas and years, without a simulation
    if year is not None and year not in dims.years:
        raise NotHeld(f"no population for year {year}; the years are {dims.years[0]} to {dims.years[-1]}")
    target = year if year is not None else dims.years[-1]
    codes = list(areas) if areas else list(dims.areas)
    spec = Spec(measure, dims.years.index(target), tuple(dims.areas.index(c) for c in codes))  # type: ignore[arg-type]
    return sweep.analyse(frames, spec, codes, labels(frames), "oat").table.drop("area", strict=False), target
