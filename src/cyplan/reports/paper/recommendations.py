"""The recommendations: what the Board is asked to note and agree, drafted from the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.display import shown
from cyplan.reports.paper.document import Paragraph, Run, Section
from cyplan.reports.paper.services import recommended
from cyplan.reports.paper.words import (
    interval,
    join,
    whole,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("recommendations", "Recommendations")
    given = b.details.get("recommendations")
    if given:
        s.blocks.append(Paragraph(("That the Board:",), tuple((t,) for t in given)))
        return s
    items: list[tuple[Run, ...]] = []
    if "need" in b.findings:
        n = b.findings["need"]
        items.append((f"Note that there are an estimated {whole(n['cases'])} cases of need among children and young "
                      f"people in {b.name} in {n['first']} (low {whole(n['low'])}, high {whole(n['high'])})"
                      # one year of population: no 'and 25,117 by 2025' of the same year
                      + (f", and {whole(n['later'])} by {n['last']}" if n["last"] != n["first"] else ""),
                      n["ref"], ";"))
    if "services" in b.findings:
        v = b.findings["services"]
        top = recommended(b)["label"].to_list()
        items.append((f"Note the services' rating of {v['rating']} out of 4", v["ref"], ", and agree the action "
                      f"list to raise it, starting with {join(top)}" if top else "", v["act"], ";"))
    sc = b.findings.get("scenarios")
    if sc and sc["chosen"]:
        c = sc["chosen"]
        items.append((f"Agree scenario ‘{c['scenario']}’ ({sc['described'].get(c['scenario']) or 'as modelled'}) "
                      f"as the basis of the workforce plan: it leaves a gap of {shown(c, 'gap_fte')} FTE "
                      f"in {sc['year']} at {interval(c, 'cost_to_close', b.draws, ' a year')} to close, against "
                      f"{shown(sc['base'], 'cost_to_close')} under the baseline", sc["ref"], ";"))
    elif sc:
        items.append((f"Note that none of the scenarios modelled lowers the cost of closing the gap, "
                      f"{shown(sc['base'], 'cost_to_close')} a year in {sc['year']}, and ask officers for further "
                      "options", sc["ref"], ";"))
    elif "workforce" in b.findings:
        w = b.findings["workforce"]
        items.append((f"Note the workforce gap of {interval(w['later'], 'gap_fte', b.draws, ' FTE')} by "
                      f"{w['last']} and ask officers to model options to close it", w["ref"], ";"))
    lows = [(f"{join(e['below'])} ({by.replace('_', ' ')})", e["ref"])
            for by, e in b.findings.get("equality", {}).items() if e["below"]]
    if lows:
        runs: list[Run] = ["Ask officers to find out why some groups are referred at rates below the area's, and "
                           "what would reach them: "]
        for i, (words, ref) in enumerate(lows):
            runs += [("; " if i else "") + words, ref]
        items.append((*runs, ";"))
    if not items:
        items.append(("Note this report, and ask officers to load the inputs it lacks (see each section).",))
    last = items[-1]
    if isinstance(last[-1], str) and last[-1] == ";":
        items[-1] = (*last[:-1], ".")
    s.blocks.append(Paragraph(("That the Board:",), tuple(items)))
    return s
