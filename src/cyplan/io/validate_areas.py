"""Checks for the statistical neighbours' inputs (issue 16 part 2) that one table can settle: an area is not its own
neighbour, one area's list gives each rank once, and an indicator is not named as a column of the neighbours' table.
Areas named are checked as references (the schema declares them); weights below 0 by the column's bounds.

A weight for an indicator no area has is not an error (the indicators may come later) but is said: `unused_weights`.

This module does not import cyplan.io.validate: validate imports it to register the checks.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from cyplan.io.checks import rows
from cyplan.io.problems import Found
from cyplan.io.read import ROW, RawTable
from cyplan.schema.areas import RESERVED_INDICATORS


def check_statistical_neighbours(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    own = frame.filter(pl.col("area") == pl.col("neighbour"))
    ranked = frame.filter(pl.col("area").is_not_null() & pl.col("rank").is_not_null())
    first = ranked.with_columns(pl.col(ROW).min().over("area", "rank").alias("first"))
    first = first.join(first.select(pl.col(ROW).alias("first"), pl.col("neighbour").alias("first_neighbour")),
                       on="first", how="left")
    repeated = first.filter(pl.col(ROW) != pl.col("first"))
    return (rows(raw, own, "neighbour", lambda r: f"'{r['area']}' is given as its own neighbour")
            + rows(raw, repeated, "rank", lambda r: f"rank {r['rank']} of area '{r['area']}' is already given to "
                   f"'{r['first_neighbour']}' on row {r['first']}: each rank once in an area's list"))


def check_area_indicators(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    clash = frame.filter(pl.col("indicator").is_in(RESERVED_INDICATORS))
    return rows(raw, clash, "indicator", lambda r: f"'{r['indicator']}' cannot name an indicator: the neighbours' "
                f"table uses {', '.join(RESERVED_INDICATORS)} for its own columns; call it something else")


def unused_weights(indicators: pl.DataFrame, weights: pl.DataFrame) -> list[str]:
    """A warning for each weight given to an indicator that no area has (a typo, or indicators not yet imported)."""
    held = set(indicators["indicator"])
    unused = [x for x in weights["indicator"] if x not in held]
    if not unused:
        return []
    return [f"indicator_weights: no area has {'indicator' if len(unused) == 1 else 'indicators'} "
            f"{', '.join(repr(x) for x in unused)}, so {'its weight does' if len(unused) == 1 else 'their weights do'}"
            " nothing; the indicators held are: " + (", ".join(sorted(held)) or "none yet")]


def other_kind_neighbours(areas: pl.DataFrame, lists: pl.DataFrame) -> list[str]:
    """A warning for each published neighbour of another kind than its area (a council's region, an ICB): the
    comparison page shows it among the area's neighbours, with no figures of the area's kind to set beside them."""
    kind = dict(zip(areas["code"], areas["kind"], strict=True))
    odd = [(a, n) for a, n in zip(lists["area"], lists["neighbour"], strict=True)
           if a in kind and n in kind and kind[a] != kind[n]]
    shown = ", ".join(f"{n} ({kind[n]}) for {a} ({kind[a]})" for a, n in odd[:5]) + \
        (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
    return [f"statistical_neighbours: a neighbour of another kind than its area: {shown}; the comparison shows it "
            "beside the area as given (check the list's codes)"] if odd else []


AREAS_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "statistical_neighbours": check_statistical_neighbours,
    "area_indicators": check_area_indicators,
}
