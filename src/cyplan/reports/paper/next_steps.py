"""The next steps, drafted from the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.reports.paper.document import Paragraph, Section
from cyplan.reports.paper.services import recommended
from cyplan.reports.paper.words import (
    join,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("next_steps", "Next steps")
    given = b.details.get("next_steps")
    if given:
        s.blocks = [Paragraph((t,)) for t in given]
        return s
    sc = b.findings.get("scenarios")
    if sc and sc["chosen"]:
        s.blocks.append(Paragraph(("Officers will build the Board's decision on the scenarios into the workforce "
                                   "plan, and report the gap against it each year with the new workforce "
                                   "census.",)))
    elif "workforce" in b.findings:
        s.blocks.append(Paragraph(("Officers will model further options to close the workforce gap and bring "
                                   "them back to the Board.",)))
    if "services" in b.findings:
        top = recommended(b)
        if top.height:
            s.blocks.append(Paragraph((f"Officers will take forward the action list, starting with "
                                       f"{join(top['label'].to_list())}, and rate the services again once they "
                                       "are in place.",)))
    if "reach" in b.findings:
        s.blocks.append(Paragraph(("The referral returns will be brought up to date each quarter, and who the "
                                   "services reach reported to the Board again.",)))
    missing = [sec for sec in ("need", "services", "workforce", "reach") if sec not in b.findings]
    if missing:
        what = {"need": "the need inputs", "services": "the service register", "workforce": "the workforce census",
                "reach": "the referral returns"}
        s.blocks.append(Paragraph((f"Officers will load {join([what[m] for m in missing])}, which this paper "
                                   "lacks, so that the next paper can report on them.",)))
    return s
