"""Rank correlation between uncertain inputs, drawn by a Gaussian copula (docs/method.md, "Inputs that move
together").

The correlations input names pairs of input rows (an input, a row picked by 'column=value' pairs, and a value
column) and Spearman's rank correlation ρ between them. For each draw, one normal score per named row is drawn
with Pearson correlation r = 2 sin(π ρ / 6) (the Gaussian copula whose rank correlation is ρ), turned into a
cumulative probability u = Φ(z), and the row's value is its own distribution's inverse CDF at u: each row keeps
its low, central and high (its marginal), and only how the rows move together changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from cyplan.model.scenarios import parse_where

PSD_TOLERANCE = 1e-9  # an eigenvalue this far below 0 is rounding, not a matrix that cannot hold


class CorrelationError(ValueError):
    """Correlations that cannot be drawn; the message names the row and what is wrong."""


@dataclass(frozen=True)
class Reference:
    input: str
    where: str
    column: str

    def __str__(self) -> str:
        return f"{self.input} row '{self.where}'" + (f" ({self.column})" if self.column != "central" else "")


def pairs(frame: pl.DataFrame) -> list[tuple[Reference, Reference, float]]:
    def ref(row: dict[str, object], prefix: str) -> Reference:
        column = str(row[f"{prefix}column"] or "central")
        return Reference(str(row[f"{prefix}input"]), str(row[f"{prefix}where"]).strip(), column)

    return [(ref(r, ""), ref(r, "with_"), float(r["rho"])) for r in frame.iter_rows(named=True)]


def rank_matrix(given: list[tuple[Reference, Reference, float]]) -> tuple[list[Reference], np.ndarray]:
    """The rows named (in order of first mention) and their rank correlations (1 on the diagonal, 0 where no
    pair is given)."""
    refs = list(dict.fromkeys(r for a, b, _ in given for r in (a, b)))
    index = {r: i for i, r in enumerate(refs)}
    rho = np.eye(len(refs))
    for a, b, value in given:
        rho[index[a], index[b]] = rho[index[b], index[a]] = value
    return refs, rho


def pearson(rank: np.ndarray) -> np.ndarray:
    """The normal scores' correlation r that gives Spearman's ρ under a Gaussian copula: r = 2 sin(π ρ / 6)."""
    return 2 * np.sin(np.pi * rank / 6)


def smallest_eigenvalue(rank: np.ndarray) -> float:
    """Below −PSD_TOLERANCE, the correlations cannot all hold at once (the matrix is not positive semi-definite)."""
    return float(np.linalg.eigvalsh(pearson(rank)).min()) if rank.size else 0.0


def normal_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * np.vectorize(math.erfc, otypes=[float])(-z / math.sqrt(2))


def uniforms(rng: np.random.Generator, draws: int, rank: np.ndarray) -> np.ndarray:
    """[draws, rows] cumulative probabilities with the Gaussian copula of rank correlations `rank`."""
    values, vectors = np.linalg.eigh(pearson(rank))
    factor = vectors * np.sqrt(np.clip(values, 0.0, None))  # a square root of a semi-definite matrix
    z = rng.standard_normal((draws, len(rank))) @ factor.T
    return normal_cdf(z)


def match(frame: pl.DataFrame, ref: Reference) -> np.ndarray:
    """Positions in `frame` of the rows `ref` picks out."""
    try:
        where = parse_where(ref.where)
    except ValueError as e:
        raise CorrelationError(f"{ref}: {e}") from None
    unknown = [c for c in where if c not in frame.columns]
    if unknown:
        raise CorrelationError(f"{ref}: {ref.input} has no column {', '.join(unknown)}")
    picked = pl.all_horizontal([pl.col(c).cast(pl.String) == v for c, v in where.items()] or [pl.lit(True)])
    return frame.with_row_index("__position").filter(picked)["__position"].to_numpy()


def locate(frames: dict[str, pl.DataFrame], refs: list[Reference]) -> list[int]:
    """Each reference's row position in its (ordered) input; an error unless it picks out exactly one row."""
    out = []
    for ref in refs:
        rows = match(frames[ref.input], ref)
        if len(rows) != 1:
            raise CorrelationError(f"{ref}: picks out {len(rows)} rows of {ref.input}; it must pick out exactly "
                                   "one (add 'column=value' pairs, separated by ';')")
        out.append(int(rows[0]))
    return out
