"""Checks for the correlations input. Within the file: each reference's column is one that is drawn, its
'column=value' pairs read, no row is tied to itself, a pair is given once, and the correlations can all hold
at once (the matrix is positive semi-definite). Across inputs (`check_correlation_rows`, run with the other
references): each reference picks out exactly one row of its input.

This module does not import cyplan.io.validate: validate imports it to register the checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from cyplan.io.problems import Found, Problem, problem_run
from cyplan.io.read import ROW, RawTable
from cyplan.model import correlations
from cyplan.model.scenarios import parse_where
from cyplan.schema.supply import CORRELATED


def _rows(raw: RawTable, failing: pl.DataFrame, column: str | None,
          message: Callable[[dict[str, object]], str]) -> list[Found]:
    return problem_run(raw.file, raw.sheet, column, failing, message)


def check_correlations(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    # a blank or unparsed cell is reported by the checks every input has, not again here
    ok = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in ("input", "with_input", "rho"))
                      & (pl.col("where").fill_null("") != "") & (pl.col("with_where").fill_null("") != ""))
    problems: list[Found] = []
    for prefix in ("", "with_"):
        where = pl.col(f"{prefix}where")
        drawn = pl.struct(f"{prefix}input", f"{prefix}column").map_elements(
            lambda r, p=prefix: r[f"{p}column"] in CORRELATED[r[f"{p}input"]], return_dtype=pl.Boolean)
        problems += _rows(raw, ok.filter(~drawn), f"{prefix}column", lambda r, p=prefix: (
            f"'{r[f'{p}column']}' is not a drawn value of {r[f'{p}input']}: use "
            + " or ".join(CORRELATED[str(r[f"{p}input"])])))
        unreadable = ok.filter(where.map_elements(_unreadable, return_dtype=pl.String) != "")
        problems += _rows(raw, unreadable, f"{prefix}where", lambda r, p=prefix: _unreadable(r[f"{p}where"]))
    refs = [(r[ROW], *pair) for r, pair in zip(ok.iter_rows(named=True), correlations.pairs(ok), strict=True)]
    problems += [raw.problem(row, "with_where", f"{a} is tied to itself: name two different rows")
                 for row, a, b, _ in refs if a == b]
    seen: dict[frozenset, int] = {}
    for row, a, b, _ in refs:
        first = seen.setdefault(frozenset((a, b)), row)
        if first != row:
            problems.append(raw.problem(row, "input", f"{a} and {b} are already tied on row {first}"))
    if problems or not refs:
        return problems
    names, rank = correlations.rank_matrix([pair for _, *pair in refs])
    low = correlations.smallest_eigenvalue(rank)
    if low < -correlations.PSD_TOLERANCE:
        rows = _clashing(refs, names, rank)
        shown = ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}" if len(rows) > 1 else str(rows[0])
        problems.append(raw.problem(rows[0], "rho", f"the correlations on rows {shown} cannot all hold at once (as a "
                                    "matrix they are not positive semi-definite: its smallest eigenvalue is "
                                    f"{low:.3g}); make the largest ones nearer 0, or tie fewer rows together"))
    return problems


def _clashing(refs: list[tuple[int, correlations.Reference, correlations.Reference, float]],
              names: list[correlations.Reference], rank: np.ndarray) -> list[int]:
    """The file's rows that tie together the values the matrix's most negative direction is made of: the rows to
    look at first (the ones whose correlations cannot hold together)."""
    values, vectors = np.linalg.eigh(correlations.pearson(rank))
    weight = np.abs(vectors[:, int(np.argmin(values))])
    involved = {names[i] for i in np.flatnonzero(weight >= 0.2 * weight.max())}
    rows = sorted({row for row, a, b, _ in refs if a in involved and b in involved})
    return rows or sorted(row for row, *_ in refs)


def _unreadable(text: str | None) -> str:
    if not text or not str(text).strip():
        return "blank: name the row with 'column=value' pairs separated by ';'"
    try:
        parse_where(str(text))
    except ValueError as e:
        return str(e)
    return ""


def check_correlation_rows(state: dict[str, pl.DataFrame], origins: dict[str, tuple[str, str | None]]) -> list[Found]:
    """Each reference of the correlations picks out exactly one row of its input, as the workspace will hold it.
    `origins`: the kinds being imported, with their (file, sheet). Reported on the correlations file when it is
    being imported, else on the file of the input that no longer has the row."""
    frame = state.get("correlations")
    if frame is None or not frame.height or not ({"correlations", *CORRELATED} & set(origins)):
        return []
    # rows with a cell that did not parse are reported by their own check, not here
    frame = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in ("input", "where", "with_input",
                                                                             "with_where", "rho")))
    problems: list[Found] = []
    for r, pair in zip(frame.iter_rows(named=True), correlations.pairs(frame), strict=True):
        for prefix, ref in zip(("", "with_"), pair[:2], strict=True):
            if ref.input not in state or _unreadable(ref.where):
                continue
            try:
                correlations.locate(state, [ref])
            except correlations.CorrelationError as e:
                if "correlations" in origins:
                    file, sheet = origins["correlations"]
                    problems.append(Problem(file, r.get(ROW) or None, f"{prefix}where", str(e), sheet))
                elif ref.input in origins:
                    file, sheet = origins[ref.input]
                    problems.append(Problem(file, None, None, f"the correlations in the workspace name {e}: import "
                                            "the correlations again without it first, or keep the row", sheet))
    return problems


CORRELATION_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "correlations": check_correlations,
}
