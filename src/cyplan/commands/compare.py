"""`cyplan compare AREA`: an area against its statistical neighbours, its region or every area held of its kind —
need, demand and supply FTE per 1,000 children and young people, share of need met, cost per child, the referral
rate per 1,000 with its funnel limits, and the services rating (model/comparison.py, docs/method.md)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.display import COMPARE_FORMATS, COMPARE_HEADINGS, THIS_AREA
from cyplan.returns import service
from cyplan.terminal import Format, FormatOpt, OutOpt, WorkspaceOpt, emit, fail, open_workspace, say, warn


class Against(StrEnum):
    neighbours = "neighbours"
    region = "region"
    all = "all"


SHOWN = ("name", "chosen", "need_per_1000", "demand_fte_per_1000", "supply_fte_per_1000", "share_met",
         "cost_per_child", "referral_rate_per_1000", "funnel", "rating")  # on screen; a file has every column


def compare(area: Annotated[str, typer.Argument(help="The area's code, as in the areas input.")],
            against: Annotated[Against, typer.Option("--against", help="neighbours (statistical neighbours), region "
                                                     "(the other areas of its region) or all (every area held of "
                                                     "its kind).")] = Against.all,
            year: Annotated[int | None, typer.Option("--year", help="The year (default: the plan's first).")] = None,
            workspace: WorkspaceOpt = Path("."), fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Compare an area with its statistical neighbours, its region or all areas held: need, demand and supply FTE
    per 1,000 children and young people, share of need met, cost per child, the referral rate per 1,000 with
    funnel limits (95% and 99.8%), and the services rating."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
        codes = frames["areas"]["code"].to_list()
        if area not in codes:
            fail(f"there is no area '{area}' in the workspace; its areas are {', '.join(codes) or 'none yet'}", 2)
        referrals, why = service.workspace_referrals(ws, codes)
    try:
        figures, target = results.comparison_figures(frames, year, referrals)
        table, group = results.compare_with(frames, figures, area, against.value)
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    if group.note:
        warn(f"Nothing to compare {area} with ({results.AGAINST[group.against]}): {group.note}.")
    missing = results.referrals_missing(frames, target, figures, why)
    if missing:
        warn(f"No referral rates: {missing}.")
    out = table.with_columns(pl.lit(target).alias("year")).select("area", "year", pl.exclude("area", "year"))
    name = table["name"][0] or area
    if fmt is Format.table and out_file is None:
        say(f"{name} against {group.words}, {target}. Referral counts as published (disclosure-controlled); the "
            "funnel limits are around the group's pooled rate (docs/method.md, 'Comparing areas').")
        out = out.select(*SHOWN).with_columns(pl.when(pl.col("chosen")).then(pl.lit(THIS_AREA))
                                              .otherwise(pl.lit("")).alias("chosen"))
    emit(out, fmt, out_file, f"Comparison of {name} with {group.words}", labels={}, formats=COMPARE_FORMATS,
         headings=COMPARE_HEADINGS, totals=False)
