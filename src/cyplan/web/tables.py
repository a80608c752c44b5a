"""Result frames as tables for a page: codes shown as labels, numbers formatted as on the command line,
and intervals under their medians."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import polars as pl

from cyplan.display import (
    ERROR_SUFFIX,
    HEADINGS,
    MEASURE_FORMATS,
    MEASURE_HEADINGS,
    NUMBER_FORMATS,
    SERVICE_FORMATS,
    SERVICE_HEADINGS,
    SHOWN_UNITS,
)
from cyplan.display import cell as drawn_cell

FORMATS = {**NUMBER_FORMATS, **MEASURE_FORMATS, **SERVICE_FORMATS}
ALL_HEADINGS = {**HEADINGS, **MEASURE_HEADINGS, **SERVICE_HEADINGS, "scenario": "Scenario", "category": "Category"}
Labels = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    interval: str = ""  # "5th – 95th percentile" under a median


@dataclass(frozen=True)
class Table:
    caption: str
    headings: list[tuple[str, bool]]  # (heading, numeric)
    rows: list[list[Cell]]

    @property
    def empty(self) -> bool:
        return not self.rows


def _text(value: object, column: str, labels: Labels, formats: Mapping[str, str] = FORMATS) -> Cell:
    if value is None:
        return Cell("")
    if column in labels:
        return Cell(str(labels[column].get(str(value), value)))
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, int | float):
        fmt = formats.get(column, "{:,}" if isinstance(value, int) and column != "year" else "{}")
        if isinstance(value, float) and column not in formats:
            fmt = "{:,.2f}"
        return Cell(fmt.format(value), numeric=True)
    if isinstance(value, list):
        return Cell("; ".join(map(str, value)))
    return Cell(str(value))


def _published(text: str) -> str:
    """A count as published ('*', or a rounded count as text) with thousands separators."""
    return f"{int(text):,}" if text.isdigit() else text


def table(frame: pl.DataFrame, caption: str, labels: Labels | None = None,
          headings: Mapping[str, str] | None = None, formats: Mapping[str, str] | None = None,
          numeric: Collection[str] = ()) -> Table:
    """A table of the frame's columns; `x_p5` and `x_p95` columns become the interval under `x`. `headings` and
    `formats` add to (or override) the shared ones, for columns only this table has. `numeric` columns are set
    as numbers though they hold text (published counts: '*' or a rounded count). A measure drawn by Monte Carlo
    (with `x_mcse` columns) is shown as the CLI shows it: rounded to what the draws support (display.cell)."""
    labels = labels or {}
    formats = {**FORMATS, **(formats or {})}
    names = {**ALL_HEADINGS, **(headings or {})}
    shown = [c for c in frame.columns if not c.endswith(("_p5", "_p95", ERROR_SUFFIX))]
    is_numeric = {c: (frame.schema[c].is_numeric() and c != "year") or c in numeric for c in shown}
    rows = []
    for row in frame.iter_rows(named=True):
        cells = []
        for c in shown:
            cell = _text(row[c], c, labels, formats)
            if c in numeric:
                cell = Cell(_published(cell.text), True)
            if c in SHOWN_UNITS and f"{c}{ERROR_SUFFIX}" in row and row[c] is not None:
                text, spread = drawn_cell(row, c)
                cells.append(Cell(text, True, spread))
                continue
            if f"{c}_p5" in row and row[c] is not None and row[f"{c}_p5"] is not None:
                low, high = _text(row[f"{c}_p5"], c, labels, formats), _text(row[f"{c}_p95"], c, labels, formats)
                cell = Cell(cell.text, True, f"{low.text} – {high.text}")
            cells.append(cell)
        rows.append(cells)
    return Table(caption, [(names.get(c, c.replace("_", " ").capitalize()), is_numeric[c]) for c in shown], rows)
