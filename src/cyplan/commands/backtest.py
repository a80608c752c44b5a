"""`cyplan supply backtest`: how well the supply model reproduces the past — the earliest past census snapshot
projected year by year and compared with the later ones (docs/method.md, 'Back-test'); and `supply_app`, the
`cyplan supply` group it belongs to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.commands import workforce
from cyplan.commands.workforce import from_command_line
from cyplan.display import BACKTEST_FORMATS, BACKTEST_HEADINGS
from cyplan.terminal import AreaOpt, Format, FormatOpt, OutOpt, WorkspaceOpt, YearOpt, emit, fail, open_workspace


def backtest(ctx: typer.Context, workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
             summary: Annotated[bool, typer.Option("--summary", help="One row per role: the mean absolute "
                                                   "percentage error over the years compared.")] = False,
             fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Back-test the supply model: project the earliest past census snapshot with today's supply method and
    compare it with each later snapshot's FTE in post, by role and year (error in FTE and %; + means the model
    projected too many). With --summary, each role's mean absolute percentage error."""
    if isinstance(ctx.obj, Path) and not from_command_line(ctx, "workspace"):
        workspace = ctx.obj  # `cyplan supply -w FOLDER backtest`: the folder given before the subcommand
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    try:
        bt = results.backtest(frames, area)
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    known = set(frames["workforce_history"]["area"].to_list())
    unknown = [a for a in area or [] if a not in known]
    if unknown:
        fail(f"no past census snapshots for area {', '.join(unknown)}; they cover {', '.join(sorted(known))}", 2)
    missing = [y for y in year or [] if y not in bt.years]
    if missing:
        fail(f"no later snapshot for year {', '.join(map(str, missing))}: the back-test projects from "
             f"{bt.from_year} and compares {', '.join(map(str, bt.years))}", 2)
    if summary and year:
        fail("--year goes without --summary (the summary is over every year compared)", 2)
    labels = {k: v for k, v in results.labels(frames).items() if k in ("area", "role")}
    compared = " and ".join(map(str, bt.years)) if len(bt.years) < 3 else f"{bt.years[0]} to {bt.years[-1]}"
    if summary:
        frame, title = bt.summary, (f"Back-test: mean absolute percentage error of FTE in post projected from the "
                                    f"{bt.from_year} census, over {compared}")
    else:
        frame = bt.by_year.filter(pl.col("year").is_in(list(year))) if year else bt.by_year
        title = (f"Back-test: FTE in post projected from the {bt.from_year} census against the census of "
                 f"{compared} (error = projected − actual)")
    emit(frame, fmt, out_file, title, labels=labels, formats=BACKTEST_FORMATS, headings=BACKTEST_HEADINGS,
         totals=False)


supply_app = typer.Typer(no_args_is_help=False, add_completion=False)
supply_app.callback(invoke_without_command=True)(workforce.supply)  # `cyplan supply` as it was, with a subcommand
supply_app.command("backtest")(backtest)
