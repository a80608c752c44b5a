"""`cyplan skills`: the staff to train in each area of the Common Core to reach the skills census's targets, and
the cost (docs/method.md, 'Skills')."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.display import SKILLS_FORMATS, SKILLS_HEADINGS
from cyplan.model.skills import training_summary
from cyplan.terminal import AreaOpt, Format, FormatOpt, OutOpt, WorkspaceOpt, YearOpt, emit, fail, open_workspace

BY_YEAR_COLUMNS = ("area", "role", "skill_area", "year", "phase", "to_train", "cost", "share_after")


def skills(workspace: WorkspaceOpt = Path("."), area: AreaOpt = None, year: YearOpt = None,
           by_year: Annotated[bool, typer.Option("--by-year", help="Year by year: the staff to train, the cost and "
                                                 "the share trained after each year.")] = False,
           fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Training needs: how many staff of each role to train in each area of the Common Core of Skills and
    Knowledge, a year, to reach the skills census's target share by its target year, and what it costs."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    try:
        needs = results.skills(frames, area)
    except results.NotReady as e:
        fail(str(e), e.exit_code)
    unknown = [a for a in area or [] if a not in set(frames["skills"]["area"])]
    if unknown:
        fail(f"no skills census for area {', '.join(unknown)}; it covers "
             f"{', '.join(sorted(set(frames['skills']['area'])))}", 2)
    if year and not by_year:
        fail("--year goes with --by-year (the summary runs from the census to each target year)", 2)
    labels = results.labels(frames)
    labels = {"area": labels["area"], "role": labels["role"], "skill_area": labels["skill_area"]}
    if by_year:
        missing = [y for y in year or [] if y not in set(needs["year"])]
        if missing:
            fail(f"no training year {', '.join(map(str, missing))}; the years are {needs['year'].min()} to "
                 f"{needs['year'].max()} (training starts the year after the census)", 2)
        frame = needs.select(BY_YEAR_COLUMNS)
        frame = frame.filter(pl.col("year").is_in(list(year))) if year else frame
        title = "Training needs by year: staff to train and cost"
    else:
        frame = training_summary(needs)
        title = "Training needs: staff to train to reach each target, and the cost"
        if fmt is Format.table and frame["area"].n_unique() == 1:  # one area: named once, in the title
            title += f" — {labels['area'].get(frame['area'][0], frame['area'][0])}"
            frame = frame.drop("area")
    # no total row: shares trained do not add up
    emit(frame, fmt, out_file, title, labels=labels, formats=SKILLS_FORMATS, headings=SKILLS_HEADINGS,
         totals=False)
