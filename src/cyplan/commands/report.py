"""`cyplan report`: the board paper for one area, as a standalone HTML file, an A4 PDF or a Word document
(docs/decisions/0010-board-paper-docx.md)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import results
from cyplan.commands.audit import files, record
from cyplan.commands.workforce import DRAWS, SEED, DrawsOpt, SeedOpt
from cyplan.io.write import write_bytes
from cyplan.reports import kept
from cyplan.store.workspace import Workspace
from cyplan.terminal import WorkspaceOpt, err, fail, open_workspace, say, warn, writing


class PaperFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    docx = "docx"


KINDS = {PaperFormat.html: "an HTML page", PaperFormat.pdf: "a PDF", PaperFormat.docx: "a Word document"}


def report(
    workspace: WorkspaceOpt = Path("."),
    area: Annotated[str | None, typer.Option("--area", help="Area code (default: the first area).")] = None,
    fmt: Annotated[PaperFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False, help="html (one file that works offline), pdf (A4) or docx (Word, "
        "for committee services); default: from --out's ending, else html.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: "
                                                  "board-paper-AREA.html, .pdf or .docx in this folder).")] = None,
    draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED,
) -> None:
    """The board paper: purpose, summary, recommendations, contact details, background, need, services,
    workforce, who services reach, financial and equalities implications, next steps — every figure with a
    note saying where it comes from. Meeting and contact details come from the paper_details input."""
    fmt = paper_format(fmt, out_file)
    with open_workspace(workspace) as ws:
        code = area.strip().upper() if area else None
        frames = ws.read_all()
        today = dt.date.today()
        key = kept.key(ws, frames, code or _first(frames), fmt.value, draws, seed, today)
        made = kept.kept(ws, key, fmt.value)  # the same data, options and day: the paper made before, at once
        if made is None:
            made = _make(ws, code, fmt, draws, seed, today)
            kept.keep(ws, key, fmt.value, made)
    for title, missing in made.missing:
        warn(f"{title}: {missing}")
    path = out_file or Path(f"board-paper-{made.area or 'area'}.{fmt.value}")
    with writing(path):
        write_bytes(made.content, path)
    record(workspace, "report", {"format": fmt.value, "draws": draws, "seed": seed, "files": files([path])},
           made.area)
    say(f"Wrote the board paper for {made.area_name} to {path} ({made.charts} charts, {made.notes} notes).")


def _first(frames: dict[str, pl.DataFrame]) -> str | None:
    codes = frames["areas"]["code"]
    return codes[0] if codes.len() else None


def _make(ws: Workspace, area: str | None, fmt: PaperFormat, draws: int, seed: int, today: dt.date) -> kept.Made:
    # imported here: the paper's charts (Altair) are ~50 MB of memory that every other command would carry, and a
    # paper kept needs none of it
    from cyplan.reports.paper import UnknownArea, build_paper
    from cyplan.reports.paper.made import made, printing

    with printing(fmt.value) as printer:  # a PDF's browser starts now, while the figures are worked out
        try:
            with err.status("Working out the paper's figures…"):
                paper = build_paper(ws, area, draws=draws, seed=seed, today=today)
        except UnknownArea as e:
            fail(str(e), 2)
        except results.NotReady as e:  # pragma: no cover - build_paper says what is missing in the paper
            fail(str(e), e.exit_code)
        with err.status(f"Writing the {KINDS[fmt].split(' ', 1)[1]}…"):
            return made(paper, fmt.value, printer=printer)


def paper_format(fmt: PaperFormat | None, out_file: Path | None) -> PaperFormat:
    """The format asked for, else the one --out's ending names, else HTML. A Word or PDF ending with another
    format asked for is refused before any work: the file would not open in what its name promises."""
    named = next((f for f in PaperFormat if out_file and out_file.suffix.lower() == f".{f.value}"), None)
    if fmt is None and named is None and out_file is not None and out_file.suffix.lower() not in ("", ".htm"):
        # an HTML paper named .doc or .odt would be opened by Word as something it is not
        fail(f"--out {out_file}: cyplan writes the paper as .html, .pdf or .docx, not {out_file.suffix}; end the "
             "file name in one of those, or give --format", 2)
    if fmt is not None and named is not None and fmt is not named:
        fail(f"--out {out_file} ends in .{named.value} but --format is {fmt.value}: {KINDS[fmt]} named "
             f".{named.value} would not open. Give --format {named.value}, or an --out ending in .{fmt.value}.", 2)
    return fmt or named or PaperFormat.html
