"""The services: the rating against the early intervention specification and the first actions (docs/services.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan import results
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    stop,
)

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

ACTIONS_SHOWN = 8
RECOMMENDED = 3  # the gaps the recommendations ask the Board to start with


def recommended(b: Builder) -> pl.DataFrame:
    """The first gaps of the action list, which the recommendations, the evidence and the next steps name: one
    definition, so that the three speak of the same gaps. Empty without a register."""
    if "services" not in b.findings:
        return pl.DataFrame()
    return b.findings["services"]["actions"].head(RECOMMENDED)


def section(b: Builder) -> Section:
    s = Section("services", "Services: the rating and the gaps")
    try:
        rating = results.rating(b.frames)
        actions = results.action_list(b.frames)
    except results.NotReady as e:
        s.missing = (f"The services cannot be rated yet: {stop(str(e))} Without a register this paper "
                     "cannot say which of the services the specification asks for are in place.")
        return s
    ref, act = b.rating_note(), b.actions_note()
    m = rating.measures
    b.findings["services"] = {"rating": rating.rating, "title": rating.title, "ref": ref,
                                 "actions": actions, "act": act, "judgement": rating.judgement}
    s.blocks.append(Paragraph((
        f"Against the early intervention specification the area's services are rated {rating.rating} out of 4: "
        f"‘{rating.title}’", ref, f" Plans and protocols in place: {m['plans_in_place']:.0f} of "
        f"{m['plans']:.0f}. Cells of the specification (age band × level × provision) with a service in place "
        f"across the whole area: {m['cells_in_place_whole_area']:.0f} of {m['cells']:.0f}; in part of the area: "
        f"{m['cells_in_place_part_of_area']:.0f}; planned or being developed: {m['cells_planned']:.0f}; "
        f"nothing: {m['cells_nothing']:.0f}. Age band and vulnerable group pairs reached across the whole area: "
        f"{m['band_groups_whole_area']:.0f} of {m['band_groups']:.0f}.")))
    s.blocks.append(Paragraph((
        f"How near the rating is to the levels either side: {rating.nearness}. The thresholds are cyplan's: the "
        "specification's own guide to applying the scale (its Figure 6) is missing from the published text", ref,
        ".")))
    j = rating.judgement
    s.blocks.append(Paragraph((j.difference,) if j else (
        "No rating agreed by the partnership is recorded beside the computed one.",)))
    if not rating.reasons.is_empty():
        held = rating.reasons.height
        s.blocks.append(Paragraph((
            f"{held} gap{'s' if held != 1 else ''} keep{'s' if held == 1 else ''} the rating from "
            f"{rating.rating + 1}. The action list puts them first, then the other gaps by need; its first "
            f"{min(ACTIONS_SHOWN, actions.height)} of {actions.height} are below", act, ".")))
    bands = b.labels["band"]
    rows = []
    for r in actions.head(ACTIONS_SHOWN).iter_rows(named=True):
        band = bands.get(r["band"], r["band"] or "")
        rows.append((str(r["rank"]), f"{band}: {r['label']}" if band else r["label"], r["state"],
                     f"{r['covered']:.0%}", "—" if r["need_share"] is None else f"{r['need_share']:.0%}",
                     "yes" if r["holds_rating"] else "no"))
    if rows:
        s.blocks.append(Table("The first actions", ("#", "Gap", "State", "Area covered", "Share of need",
                                                     "Holds the rating back"),
                              (True, False, False, True, True, False), tuple(rows), (act.number,)))
    return s
