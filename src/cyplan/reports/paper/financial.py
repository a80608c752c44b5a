"""The financial implications: the staff cost of the need, and the cost of closing the gap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan import results
from cyplan.display import CENTRAL_PLAN, shown
from cyplan.model.gap import staff_cost
from cyplan.model.plan import cost_table, demand_table, has_cost_lines
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    interval,
    measure,
    stop,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("financial", "Financial implications")
    try:
        plan = results.plan(b.frames)
    except results.NotReady as e:
        s.missing = f"No costs can be given yet: {stop(str(e))}"
        return s
    first = plan.dims.years[0]
    lines = has_cost_lines(plan)  # issue 12 part 4: non-pay costs and overheads counted beside pay
    what = "salary plus on-costs" + (", non-pay costs and overheads" if lines else "")
    if "workforce" in b.findings:  # the draws were run: state the cost as the workforce headline is stated
        w = b.findings["workforce"]
        cost = staff_cost(w["sim"], [b.area] if b.area else None, [first])
        row = cost.row(0, named=True)
        s.blocks.append(Paragraph((
            f"Meeting the need in full in {first} takes {shown(w['now'], 'demand_fte')} FTE at a staff cost, {what}, "
            f"of {interval(row, 'cost', b.draws, ' a year')}", b.demand_note(), w["ref"],
            ".")))
    else:
        demand = demand_table(plan, [], [b.area] if b.area else None, [first])
        s.blocks.append(Paragraph((
            f"On the {CENTRAL_PLAN}, meeting the need in full in {first} takes "
            f"{measure('demand_fte', float(demand['fte'].sum()))} FTE at a staff cost of "
            f"£{float(demand['cost'].sum()):,.0f} a year ({what})", b.demand_note(), ".")))
    if lines:
        c = cost_table(plan, [b.area] if b.area else None, [first]).sum()
        s.blocks.append(Paragraph((
            f"As budget lines on the {CENTRAL_PLAN}, that is £{float(c['pay'][0]):,.0f} pay, "
            f"£{float(c['non_pay'][0]):,.0f} non-pay costs of staff, £{float(c['overheads'][0]):,.0f} overheads and "
            f"£{float(c['case_costs'][0]):,.0f} non-pay costs per case: £{float(c['total'][0]):,.0f} a year in all; "
            "the staff cost above is the first three, and the cost to close the gap counts them too",
            b.demand_note(), ".")))
    if "workforce" in b.findings:
        w = b.findings["workforce"]
        s.blocks.append(Paragraph((
            f"The cost of closing the gap is the staff cost of the FTE short in each role: in {w['last']}, "
            f"{interval(w['later'], 'cost_to_close', b.draws, ' a year')} under the baseline", w["ref"],
            ". It is a cost of staff, not a budget: it leaves out recruitment, training, accommodation"
            + ("" if lines else " and overheads") + ", and assumes the staff can be found.")))
    if "scenario_table" in b.findings:
        rows, sref = b.findings["scenario_table"]
        year = b.findings["scenarios"]["year"]
        s.blocks.append(Table(f"Cost to close the gap by scenario, {year}: median ± Monte Carlo error (90% interval)",
                              ("Scenario", "Cost to close a year", "Gap FTE"), (False, True, True),
                              tuple((r[0], r[4], r[2]) for r in rows), (sref.number,)))
        s.blocks.append(b.figure(f"Cost to close the gap by scenario, {year}",
                                    b.findings["scenario_cost_chart"], [sref]))
    else:
        s.blocks.append(Paragraph(("No scenarios could be costed (see ‘Workforce: the gap and the options’).",)))
    services = b.frames["services"]
    if services.height:
        live = services.filter(pl.col("status") == "in place")
        funded = live.filter(pl.col("funding").is_not_null())
        s.blocks.append(Paragraph((
            f"The {live.height} service{'s' if live.height != 1 else ''} in place in the register "
            f"{'are' if live.height != 1 else 'is'} funded at £{float(funded['funding'].sum()):,.0f} a year"
            + (f" ({live.height - funded.height} give no funding)" if live.height > funded.height else ""),
            b.rating_note(), ".")))
    return s
