"""The background: what the paper covers and how its figures are made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.reports.paper.document import Paragraph, Section
from cyplan.reports.paper.words import (
    METHOD,
    SPECIFICATION,
    sim_words,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("background", "Background")
    for text in b.details.get("background", []):
        s.blocks.append(Paragraph((text,)))
    # say only what this workspace's inputs cover: a model without a register or returns (e.g. the SEND
    # therapy demo) is not rated against the mental-health specification nor read from its returns
    register = not b.frames["services"].is_empty()
    returns = "reach" in b.findings
    counts = not b.frames["need_counts"].is_empty()
    s.blocks.append(Paragraph((
        f"This paper sets out, from {b.name}'s own data, how much need for support there is among children and "
        "young people, "
        + ("whether the services commissioned cover the early intervention specification, " if register else "")
        + "the workforce that meeting the need takes against the workforce there is and will be, the options to "
        "close the gap and what they cost" + (", and who the services reach." if returns else "."),)))
    s.blocks.append(Paragraph((
        "Need is estimated from the population and the prevalence of each level of need, with the extra need of "
        "vulnerable groups"
        + (", and from the counts of children with each need and the share of them at each level" if counts else "")
        + "; the workforce it takes follows the needs-based model of Segal et al. (2018): cases × care pathway "
        "hours × role mix, divided by each role's hours of direct work. "
        + (f"The services are rated 1 to 4 against the specification and rating of {SPECIFICATION}. "
           if register else "")
        + ("The referral figures are the quarterly tables of the Framework for Integrated Care returns. "
           if returns else "")
        + f"Every formula is set out in {METHOD}.",)))
    s.blocks.append(Paragraph((
        "Workforce figures are uncertain and are given as a median with a 90% interval: "
        f"{sim_words(b.draws, b.seed)}. Every figure has a note saying which inputs, and which of their "
        "sources, it comes from.",)))
    if b.ws.info().get("demo") == "yes":
        s.blocks.append(Paragraph((
            "These are demonstration data for a made-up area: no figure in this paper describes a real place.",)))
    return s
