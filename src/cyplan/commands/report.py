"""`cyplan report`: the board paper for one area, as a standalone HTML file or an A4 PDF."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cyplan import results
from cyplan.commands.audit import files, record
from cyplan.commands.workforce import DRAWS, SEED, DrawsOpt, SeedOpt
from cyplan.io.write import write_bytes
from cyplan.terminal import WorkspaceOpt, err, fail, open_workspace, say, warn, writing


class PaperFormat(StrEnum):
    html = "html"
    pdf = "pdf"


def report(
    workspace: WorkspaceOpt = Path("."),
    area: Annotated[str | None, typer.Option("--area", help="Area code (default: the first area).")] = None,
    fmt: Annotated[PaperFormat, typer.Option("--format", "-f", help="html (one file that works offline) or "
                                             "pdf (A4).")] = PaperFormat.html,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: "
                                                  "board-paper-AREA.html or .pdf in this folder).")] = None,
    draws: DrawsOpt = DRAWS, seed: SeedOpt = SEED,
) -> None:
    """The board paper: purpose, summary, recommendations, contact details, background, need, services,
    workforce, who services reach, financial and equalities implications, next steps — every figure with a
    note saying where it comes from. Meeting and contact details come from the paper_details input."""
    # imported here: the paper's charts (Altair) are ~50 MB of memory that every other command would carry
    from cyplan.reports.paper import UnknownArea, build_paper, render_html, render_pdf

    with open_workspace(workspace) as ws:
        try:
            with err.status("Working out the paper's figures…"):
                paper = build_paper(ws, area, draws=draws, seed=seed)
        except UnknownArea as e:
            fail(str(e), 2)
        except results.NotReady as e:  # pragma: no cover - build_paper says what is missing in the paper
            fail(str(e))
    for s in paper.sections:
        if s.missing and s.key != "contact":
            warn(f"{s.title}: {s.missing}")
    path = out_file or Path(f"board-paper-{paper.area or 'area'}.{fmt.value}")
    with err.status(f"Writing {path}…"):
        content = render_pdf(paper) if fmt is PaperFormat.pdf else render_html(paper).encode("utf-8")
    with writing(path):
        write_bytes(content, path)
    record(workspace, "report", {"format": fmt.value, "draws": draws, "seed": seed, "files": files([path])},
           paper.area)
    say(f"Wrote the board paper for {paper.area_name} to {path} ({len(paper.figures)} charts, "
        f"{len(paper.footnotes)} notes).")
