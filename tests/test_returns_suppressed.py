"""Small areas: when more than half of the published quarterly counts with any referrals are withheld (*),
`cyplan returns tables --publish` and the board paper suggest combining quarters. Defined on the counts that
have referrals (a 0 has nothing to hide), every quarter column, every row but the totals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl

from cyplan.reports.paper import Paragraph, build_paper
from cyplan.returns import service
from cyplan.store.workspace import Workspace

SMALL = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"


def _table(cells: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame({"category": ["A", "B", "Total"], **cells})


def test_more_than_half_withheld_is_counted_by_hand() -> None:
    """Catches zeros, totals or non-quarter columns counted as cells, and the threshold taken as 'at least half'."""
    mostly = {"ethnicity": _table({"2024/25 Q1": ["*", "0", "9"], "2024/25 Q2": ["*", "10", "15"],
                                   "Total": ["*", "10", "25"]}),
              "age_gender": pl.DataFrame({"age_group": ["4 to 6", "Total"], "Female": ["*", "*"],
                                          "Total": ["*", "*"]}),
              "summary": pl.DataFrame({"measure": ["Accepted", "Received"], "2024/25 Q1": ["*", "*"],
                                       "2024/25 Q2": ["20", "25"], "Total": ["20", "30"]})}
    # quarterly cells with referrals, totals left out: ethnicity *, *, 10 and summary *, *, 20, 25: 4 of 7
    assert service.suppressed_counts(mostly) == (4, 7)
    advice = service.combine_quarters_advice(mostly)
    assert advice is not None and advice.startswith("4 of the 7 quarterly counts with any referrals (57%) are withheld")
    assert "combine quarters" in advice
    half = {"ethnicity": _table({"2024/25 Q1": ["*", "0", "9"], "2024/25 Q2": ["12", "*", "15"],
                                 "2024/25 Q3": ["0", "10", "10"], "Total": ["*", "*", "30"]})}
    assert service.suppressed_counts(half) == (2, 4)  # exactly half: not more than half
    assert service.combine_quarters_advice(half) is None
    assert service.combine_quarters_advice({"summary": _table({"2024/25 Q1": ["0", "0", "0"]})}) is None


def test_cli_suggests_combining_quarters_for_a_small_area(tmp_path: Path, run_cli: Callable) -> None:
    """End to end on Smalltown's eight records: every quarterly count is withheld, and the command says what to do;
    the unpublished tables, which withhold nothing, say nothing."""
    ws = tmp_path / "small"
    assert run_cli(["init", ws])[0] == 0
    code, _, err = run_cli(["returns", "import", SMALL, "-w", ws, "--today", "2024-01-01"])
    assert code == 0, err
    code, out, err = run_cli(["returns", "tables", "-w", ws, "--publish", "-o", tmp_path / "published"])
    assert code == 0, err
    words = re.sub(r"\s+", " ", out + err)  # said as the command's other messages are
    assert "quarterly counts with any referrals (100%) are withheld (*)" in words
    assert "combine quarters: publish the tables for half-years or whole years" in words
    code, out, err = run_cli(["returns", "tables", "-w", ws, "-o", tmp_path / "exact"])
    assert code == 0 and "Wrote 10 tables" in out + err and "combine quarters" not in out + err


def test_the_paper_suggests_combining_quarters_for_a_small_area(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "small")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        paper = build_paper(ws, draws=0, today=dt.date(2026, 6, 1))
    finally:
        ws.close()
    reach = next(s for s in paper.sections if s.key == "reach")
    text = " ".join(block.text for block in reach.blocks if isinstance(block, Paragraph))
    assert "For an area this small, combine quarters" in text


def test_the_demo_is_not_told_to_combine_quarters(demo_workspace: Path, run_cli: Callable, tmp_path: Path) -> None:
    """The demo's 2,400 referrals: few counts are withheld, so no advice (no cry of wolf)."""
    from cyplan import reference

    assert run_cli(["returns", "import", reference.DEMO / "returns" / "referrals.csv", "-w", demo_workspace])[0] == 0
    code, out, err = run_cli(["returns", "tables", "-w", demo_workspace, "--publish", "-o", tmp_path / "t"])
    assert code == 0, err
    assert "Wrote 10 tables for publication" in out + err and "combine quarters" not in out + err
