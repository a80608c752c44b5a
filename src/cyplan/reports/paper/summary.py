"""The summary: the findings in a few sentences, each with its note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.display import shown
from cyplan.reports.paper.document import Paragraph, Run, Section
from cyplan.reports.paper.words import (
    interval,
    whole,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("summary", "Summary")
    given = b.details.get("summary")
    if given:
        s.blocks = [Paragraph((t,)) for t in given]
    else:
        s.blocks.append(Paragraph((
            f"This report brings together the need for support among children and young people in {b.name}, "
            "the services commissioned to meet it, the workforce it takes and the gap, and who the services "
            "reach, so that the Board can agree how to close the gap.",)))
        runs: list[Run] = []
        if "need" in b.findings:
            n = b.findings["need"]
            runs += [f"There are an estimated {whole(n['cases'])} cases of need among children and young people in "
                     f"{n['first']}",
                     n["ref"], ". "]
        if "services" in b.findings:
            v = b.findings["services"]
            j = v.get("judgement")
            agreed = (f" (the partnership's own rating, agreed by {j.agreed_by} on {j.date}: {j.rating})"
                      if j and j.rating != v["rating"] else "")
            runs += [f"Early intervention services are rated {v['rating']} out of 4{agreed}", v["ref"], ". "]
        if "workforce" in b.findings:
            w = b.findings["workforce"]
            runs += [f"By {w['last']} meeting the need takes {interval(w['later'], 'demand_fte', b.draws, ' FTE')}: a "
                     f"gap of {shown(w['later'], 'gap_fte')} FTE, costing {shown(w['later'], 'cost_to_close')} a year "
                     "to close", w["ref"], ". "]
        if "reach" in b.findings:
            r = b.findings["reach"]
            runs += [f"{r['received']} referrals were received in the returns", r["ref"], "."]
        if runs:
            s.blocks.append(Paragraph(tuple(runs)))
    if b.detail("plan_theme"):
        s.blocks.append(Paragraph((f"Plan theme: {b.detail('plan_theme')}",)))
    return s
