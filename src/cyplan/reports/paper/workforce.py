"""The workforce: demand against supply, the gap by role, and the scenarios that close it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan import results
from cyplan.display import backtest_headline, shown, workforce_headline
from cyplan.model.flows import establishment_table, flows_table, pipeline_table
from cyplan.model.gap import gap_table
from cyplan.model.scenarios import BASELINE, ScenarioError
from cyplan.model.simulate import Simulation
from cyplan.model.skills import training_summary
from cyplan.reference.skills import SKILL_AREAS, SKILL_LABELS
from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    METHOD,
    SPECIFICATION,
    WORKFORCE_EVIDENCE,
    cell_interval,
    inputs_note,
    interval,
    join,
    stop,
    whole,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("workforce", "Workforce: the gap and the options")
    try:
        sim = b.simulation()
    except results.NotReady as e:
        s.missing = f"The workforce gap cannot be worked out yet: {stop(str(e))}"
        return s
    except ScenarioError as e:  # pragma: no cover - the baseline has no changes
        s.missing = str(e)
        return s
    a = [b.area] if b.area else None
    years = sim.dims.years
    first, last = years[0], years[-1]
    ref = b.workforce_note()
    totals = gap_table(sim, [], a, errors=True)
    row0 = totals.filter(pl.col("year") == first).row(0, named=True)
    row1 = totals.filter(pl.col("year") == last).row(0, named=True)
    b.findings["workforce"] = {"first": first, "last": last, "now": row0, "later": row1, "ref": ref, "sim": sim}
    s.blocks.append(Paragraph((
        f"Meeting the need takes {interval(row0, 'demand_fte', b.draws, ' full-time equivalent staff (FTE)')} in "
        f"{first}; the workforce working with this population is {interval(row0, 'supply_fte', b.draws, ' FTE')}, "
        f"so {shown(row0, 'share_met')} of the need can be met", ref, f". {workforce_headline(row1, last, b.draws)} "
        "This assumes today's rates of leaving, retiring and joining.")))
    _backtest(b, s)
    s.blocks.append(b.figure("Workforce demand and supply", charts.workforce_by_year(totals, b.name), [ref]))
    by_role = gap_table(sim, ["role"], a, [last], errors=True)
    roles = b.labels["role"]
    rows = [(roles.get(r["role"], r["role"]), cell_interval(r, "demand_fte"), cell_interval(r, "supply_fte"),
             cell_interval(r, "gap_fte"), shown(r, "share_met"), cell_interval(r, "cost_to_close"))
            for r in by_role.sort("gap_fte", descending=True).iter_rows(named=True)]
    rows.append(("Total", cell_interval(row1, "demand_fte"), cell_interval(row1, "supply_fte"),
                 cell_interval(row1, "gap_fte"), shown(row1, "share_met"), cell_interval(row1, "cost_to_close")))
    s.blocks.append(Table(f"The gap by role, {last}: median ± Monte Carlo error (90% interval)",
                          ("Role", "Demand FTE", "Supply FTE", "Gap FTE", "Need met", "Cost to close a year"),
                          (False, True, True, True, True, True), tuple(rows), (ref.number,), total=True))
    s.blocks.append(b.figure(f"The gap by role, {last}", charts.gap_by_role(by_role, roles, last), [ref]))
    _stock_and_flow(b, s, sim, a, years[1] if len(years) > 1 else last, last)
    _scenarios(b, s, last, sim)
    _skills(b, s)
    return s


def _moves(f: dict) -> str:
    """The flows' moves between sectors and agency and the change in hours per head, as words (none without
    age bands, sector flows or a part-time trend)."""
    if "transfers_in" not in f:
        return ""
    came, went, hours = f["transfers_in"] + f["from_agency"], f["transfers_out"] + f["to_agency"], f["working_pattern"]
    return (f"; {whole(came)} move in from other sectors or agency work and {whole(went)} move out to them, and "
            f"changes in hours per head {'add' if hours >= 0 else 'take away'} {whole(abs(hours))} FTE")


def _stock_and_flow(b: Builder, s: Section, sim: Simulation, a: list[str] | None, year: int, last: int) -> None:
    """The flows of one year as a waterfall, funded establishment against staff in post against need, and the
    training pipeline: what a board funds and what it can change."""
    if sim.detail is None:
        return
    ref = b.workforce_note()
    flows = flows_table(sim, a, together=True).group_by("year", maintain_order=True).agg(pl.exclude("area", "role")
                                                                                           .sum())
    f = flows.filter(pl.col("year") == year).row(0, named=True)
    joined = f["from_training"] + f["other_joiners"] + f["recruited"]
    s.blocks.append(Paragraph((
        f"In {year} the workforce starts with {whole(f['start_fte'])} FTE in post; {whole(joined)} join "
        f"({whole(f['from_training'])} from training, {whole(f['other_joiners'])} from elsewhere and "
        f"{whole(f['recruited'])} recruited into vacant posts) and {whole(f['leavers'] + f['retirements'])} leave "
        f"({whole(f['leavers'])} leavers, {whole(f['retirements'])} retirements){_moves(f)}, ending the year with "
        f"{whole(f['end_fte'])} FTE (means over the draws, so that the flows add up)", ref, ".")))
    s.blocks.append(b.figure(f"Who joins and who leaves, {year}", charts.flows_waterfall(flows, year, b.name), [ref]))
    est = establishment_table(sim, a, together=True)
    if b.area is None:
        est = est.group_by("year", maintain_order=True).agg(pl.exclude("area", "role").sum())
    e = est.filter(pl.col("year") == last).row(0, named=True)
    s.blocks.append(Paragraph((
        f"The funded establishment is {whole(e['establishment_fte'])} FTE (staff in post and vacant posts). By "
        f"{last}, {interval(e, 'in_post_fte', b.draws, ' FTE')} are projected in post, leaving "
        f"{interval(e, 'vacant_fte', b.draws, ' FTE')} of funded posts empty; the need is "
        f"{interval(e, 'demand_fte', b.draws, ' FTE')}, so even a full establishment would leave "
        f"{interval(e, 'unfunded_fte', b.draws, ' FTE')} of need without a funded post", ref, ".")))
    s.blocks.append(b.figure("Funded establishment, staff in post and need", charts.establishment_by_year(
        est, b.name), [ref]))
    by_role = establishment_table(sim, a, [last])
    roles = b.labels["role"]
    rows = tuple((roles.get(r["role"], r["role"]), whole(r["establishment_fte"]), cell_interval(r, "in_post_fte"),
                  cell_interval(r, "vacant_fte"), cell_interval(r, "demand_fte"), cell_interval(r, "unfunded_fte"))
                 for r in by_role.iter_rows(named=True))
    s.blocks.append(Table(f"Establishment, staff in post and need by role, {last}: median (90% interval)",
                          ("Role", "Funded FTE", "In post FTE", "Vacant FTE", "Need FTE", "Need beyond funded FTE"),
                          (False, True, True, True, True, True), rows, (ref.number,)))
    pipeline = pipeline_table(sim, a)
    if pipeline.height:
        p = pipeline.filter(pl.col("year") == last)
        s.blocks.append(Paragraph((
            f"Training places commissioned bring {whole(p['joining_here'].sum())} qualified staff a year into post "
            f"here by {last}, from {whole(p['places_starting'].sum())} places starting that year; each role's "
            f"staff qualify a course length after they start", ref, ".")))
        s.blocks.append(b.figure("Training pipeline", charts.pipeline_by_year(pipeline, b.name), [ref]))


def _backtest(b: Builder, s: Section) -> None:
    """One sentence on how well the supply model reproduced the past census snapshots, when there are any: how far
    to trust the projection above."""
    try:
        bt = results.backtest(b.frames, [b.area] if b.area else None)
    except results.NotReady:
        return  # no past snapshots: the paper says nothing it cannot back
    if bt.by_year.is_empty():
        return
    ref = b.notes.ref(
        f"Back-test ({METHOD}, ‘Back-test’): the earliest past census snapshot projected a year at a time by "
        "the supply method used here (leavers, retirements, joiners and recruitment into vacancies, on that "
        "census's central rates, without training pipelines) and compared with the FTE in post each later snapshot "
        "counted; error % = (projected − counted) ÷ counted, averaged without its sign over roles and years. "
        f"Inputs: {inputs_note(b.frames, ('workforce_history',), b.area)}.")
    s.blocks.append(Paragraph((backtest_headline(bt.by_year, bt.from_year, b.labels["role"]), ref)))


def _skills(b: Builder, s: Section) -> None:
    """Training needs in the Common Core's six areas, every role together: a paragraph and a table by skill area."""
    try:
        needs = results.skills(b.frames, [b.area] if b.area else None)
    except results.NotReady as e:
        s.blocks.append(Paragraph((f"Skills: no training needs are worked out: {stop(str(e))}",)))
        return
    if needs.is_empty():
        s.blocks.append(Paragraph(("Skills: the skills census has no rows for this area, so no training needs are "
                                   "worked out.",)))
        return
    ref = b.skills_note()
    by_area = skills_by_area(training_summary(needs))
    areas = b.labels.get("skill_area", SKILL_LABELS)
    low = by_area.sort("share_trained").row(0, named=True)
    total = by_area.select(pl.col("to_target", "cost_to_target", "then_a_year").sum()).row(0, named=True)
    by = by_area["target_year"].max()
    s.blocks.append(Paragraph((
        f"Skills. {SPECIFICATION} asks that “issues around workforce development … are being considered in a "
        "coherent way across children's services”, and the Common Core of Skills and Knowledge sets out six areas "
        f"that everyone working with children needs ({WORKFORCE_EVIDENCE}, para 5.21). The skills census finds the "
        "least training in "
        f"{areas.get(low['skill_area'], low['skill_area']).lower()}, where {low['share_trained']:.0%} of the "
        f"{low['staff']:,.0f} staff are trained. Reaching every target takes {total['to_target']:,.0f} places on "
        f"training (one person trained in one area is one place) by {by}, costing £{total['cost_to_target']:,.0f}",
        ref, f", and then about {total['then_a_year']:,.0f} places a year to keep the shares there as staff leave and "
        "joiners not yet trained replace them.")))
    rows = [(areas.get(r["skill_area"], r["skill_area"]), f"{r['staff']:,.0f}", f"{r['share_trained']:.0%}",
             f"{r['target_share']:.0%}", str(r["target_year"]), f"{r['to_target']:,.1f}",
             f"£{r['cost_to_target']:,.0f}", f"{r['then_a_year']:,.1f}") for r in by_area.iter_rows(named=True)]
    rows.append(("Total", "", "", "", str(by), f"{total['to_target']:,.1f}", f"£{total['cost_to_target']:,.0f}",
                 f"{total['then_a_year']:,.1f}"))
    s.blocks.append(Table("Training needs in the Common Core's six areas, every role together",
                          ("Skill area", "Staff", "Trained now", "Target", "By", "To train in all", "Cost to target",
                           "Then a year"),
                          (False, True, True, True, True, True, True, True), tuple(rows), (ref.number,), total=True))


def skills_by_area(summary: pl.DataFrame) -> pl.DataFrame:
    """The training summary by skill area, every role (and area) together: shares weighted by staff, the latest
    target year, and the people to train and the cost summed."""
    staff = pl.col("staff")
    weighted = pl.when(staff.sum() > 0)
    return summary.group_by("skill_area", maintain_order=True).agg(
        staff.sum(),
        weighted.then((pl.col("share_trained") * staff).sum() / staff.sum()).otherwise(pl.col("share_trained").mean()),
        weighted.then((pl.col("target_share") * staff).sum() / staff.sum()).otherwise(pl.col("target_share").mean()),
        pl.col("target_year").max(),
        pl.col("to_target", "cost_to_target").sum(),
        pl.col("then_a_year").fill_null(0.0).sum()
    ).sort(pl.col("skill_area").replace_strict(SKILL_AREAS, list(range(len(SKILL_AREAS))), default=len(SKILL_AREAS)))


def _scenarios(b: Builder, s: Section, year: int, baseline: Simulation) -> None:
    if b.frames["scenarios"].is_empty():
        s.blocks.append(Paragraph(("No scenarios are loaded, so this paper sets out no options to close the gap: "
                                   "import them with 'cyplan import scenarios FILE'.",)))
        return
    try:
        def run(name: str) -> Simulation:  # the baseline is already run
            return baseline if name == BASELINE else b.simulation(name)

        skipped: list[str] = []
        compare, year = results.compare_scenarios(b.frames, None, year, [b.area] if b.area else None,
                                                  draws=b.draws, seed=b.seed, run=run, errors=True, skipped=skipped)
    except (results.NotReady, ScenarioError) as e:
        s.blocks.append(Paragraph((f"The scenarios cannot be run: {e}.",)))
        return
    if skipped:
        s.blocks.append(Paragraph((f"Left out of the options below, as they cannot be run: the scenario "
                                   f"{'; the scenario '.join(skipped)}.",)))
    compare = compare.group_by("scenario", maintain_order=True).agg(pl.exclude("area", "year").first()) \
        if b.area is None else compare
    ref = b.scenario_note()
    described = dict(b.frames["scenarios"].group_by("scenario", maintain_order=True)
                     .agg(pl.col("description").drop_nulls().first()).iter_rows())
    base = compare.filter(pl.col("scenario") == BASELINE).row(0, named=True)
    options = compare.filter(pl.col("scenario") != BASELINE)
    preferred = b.detail("preferred_scenario")
    if preferred and preferred in options["scenario"].to_list():
        chosen = options.filter(pl.col("scenario") == preferred).row(0, named=True)
    else:
        best = options.sort("cost_to_close").row(0, named=True) if options.height else None
        chosen = best if best and best["cost_to_close"] < base["cost_to_close"] else None
    b.findings["scenarios"] = {"year": year, "base": base, "chosen": chosen, "ref": ref,
                                  "described": described, "preferred": bool(preferred)}
    names = [f"‘{n}’ ({described.get(n) or 'no description'})" for n in options["scenario"].to_list()]
    if chosen:
        why = "(the preferred scenario)" if preferred else "leaves the lowest cost to close:"
        verdict = (f"Of the options, ‘{chosen['scenario']}’ {why} a gap of {shown(chosen, 'gap_fte')} FTE "
                   f"costing {interval(chosen, 'cost_to_close', b.draws, ' a year')} to close, against "
                   f"{shown(base, 'cost_to_close')} under the baseline.")
    else:
        verdict = "None of the scenarios lowers the cost to close the gap below the baseline's."
    s.blocks.append(Paragraph((
        f"{len(names)} scenario{'s were' if len(names) != 1 else ' was'} run beside the baseline: "
        f"{join(names)}. In {year} the baseline leaves a gap of {interval(base, 'gap_fte', b.draws, ' FTE')}", ref,
        ". " + verdict)))
    rows = tuple((r["scenario"], described.get(r["scenario"]) or ("today's rates" if r["scenario"] == BASELINE
                                                                  else ""),
                  cell_interval(r, "gap_fte"), shown(r, "share_met"),
                  cell_interval(r, "cost_to_close")) for r in compare.iter_rows(named=True))
    s.blocks.append(Table(f"The scenarios in {year}: median ± Monte Carlo error (90% interval)",
                          ("Scenario", "What changes", "Gap FTE", "Need met", "Cost to close a year"),
                          (False, False, True, True, True), rows, (ref.number,)))
    b.findings["scenario_table"] = (rows, ref)
    b.findings["scenario_chart"] = charts.scenarios(compare, "gap_fte", year)
    b.findings["scenario_cost_chart"] = charts.scenarios(compare, "cost_to_close", year)
    s.blocks.append(b.figure(f"The gap by scenario, {year}", b.findings["scenario_chart"], [ref]))
