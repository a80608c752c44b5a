"""The annex of practice guides: for each practice guide topic of the interventions 'What the evidence says' names
(every topic, when the library has few), the six things Foundations' practice guides set out — what works, why and
how, who it works for, barriers and enablers, beneficiaries' perspectives, cost-benefit — each under its heading,
in the library's words, with the guide's citation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan.reports.paper.document import Block, Heading, Paragraph, Section

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

FIELDS = (("what_works", "What works"), ("why_how", "Why and how it works"),
          ("who_for", "Who it works for, and differences between groups"),
          ("barriers_enablers", "Barriers and enablers of putting it in place"),
          ("perspectives", "What children, young people and families say"),
          ("cost_benefit", "Costs and benefits"))
EVERY_TOPIC_UP_TO = 3  # a library with this many topics or fewer has them all in the annex
NOT_RECORDED = "Not recorded in the library."
TITLE_ONLY = ("The library holds this guide's title and citation but none of its six parts yet (what works, why and "
              "how, who it works for, barriers and enablers, perspectives, costs and benefits): see the source.")


def topics(b: Builder) -> pl.DataFrame:
    """The practice guides the annex holds: every one when there are few (by title), else those of the
    interventions that fit the recommended gaps (in the order the evidence section names them)."""
    guides = b.frames["practice_guides"]
    if guides.height <= EVERY_TOPIC_UP_TO:
        return guides.sort("title")
    fits = b.findings.get("evidence", {}).get("fits")
    if fits is None or fits.is_empty():
        return guides.clear()
    named = (fits.select("intervention").join(b.frames["interventions"].select("intervention", "topic"),
                                              on="intervention", maintain_order="left")["topic"]
             .drop_nulls().unique(maintain_order=True))
    return named.to_frame().join(guides, on="topic", maintain_order="left")


def section(b: Builder) -> Section | None:
    """The annex, or None (left out) when there is no practice guide to put in it."""
    chosen = topics(b)
    if chosen.is_empty():
        return None
    s = Section("practice_guides", "Annex: practice guides", numbered=False, annex=True)
    which = "the topics of the interventions named in ‘What the evidence says’" \
        if chosen.height < b.frames["practice_guides"].height else "every topic in the area's evidence library"
    s.blocks.append(Paragraph((f"What is known about {which}, set out as Foundations' practice guides set it out, "
                               "in the library's own words and with the publication each comes from.",)))
    for guide in chosen.iter_rows(named=True):
        s.blocks += _guide(guide)
    return s


def _guide(guide: dict[str, str]) -> list[Block]:
    """The topic's title, its six fields each under its heading, and its citation; a guide with none of the six
    filled in says so once, rather than six headings over nothing."""
    given = {field: (guide[field] or "").strip() for field, _ in FIELDS}
    blocks: list[Block] = [Heading(guide["title"], 3)]
    if not any(given.values()):
        blocks.append(Paragraph((TITLE_ONLY,)))
    else:
        for field, heading in FIELDS:
            blocks += [Heading(heading, 4), Paragraph((given[field] or NOT_RECORDED,))]
    return [*blocks, Paragraph((_cited(guide),))]


def _cited(guide: dict[str, str]) -> str:
    parts = [(guide.get("citation") or "").strip() or "No citation recorded"]
    if (guide.get("url") or "").strip():
        parts.append(guide["url"].strip())
    if (guide.get("retrieved") or "").strip():
        parts.append(f"retrieved {guide['retrieved'].strip()}")
    return "Source: " + ", ".join(parts) + "."
