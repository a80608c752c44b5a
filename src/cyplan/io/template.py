"""The workbook template that teaches: a README sheet, then one sheet per input with its header, a note on each
column, an example row and drop-down lists, all taken from the one schema definition (cyplan.schema).

The notes are cell comments on the header, not a row under it, so that the readers see an ordinary table. The
example row is row 2, its source reading EXAMPLE_SOURCE: it is never imported (`example_problems`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from cyplan.io.problems import Problem
from cyplan.io.read import ROW, RawTable
from cyplan.io.write import replacing
from cyplan.schema import KINDS, Column, InputKind

README = "README"  # the template's first sheet; a whole-workbook import passes over it
EXAMPLE_SOURCE = "Example row: write over it or delete it"
LAST_ROW = 1_048_576  # Excel's last row: a drop-down covers every row a user may fill
LIST_ROWS = 10_000  # rows of a sheet a reference's drop-down offers the values of

TYPE_WORDS = {"text": "text", "code": "a code", "integer": "a whole number", "number": "a number",
              "share": "a share from 0 to 1 (or a percentage, e.g. 30%)", "enum": "one of a list"}


def fill_order() -> list[str]:
    """Every input, each after the inputs its columns refer to (a sheet's names must be in the sheet they come
    from); otherwise in the schema's order."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for ref in KINDS[name].references:
            if ref.target != name:
                visit(ref.target)
        order.append(name)

    for name in KINDS:
        visit(name)
    return order


def example_row(kind: InputKind) -> dict[str, str]:
    """The template's example row as text: the schema's example of each column, the source marking it."""
    return {c.name: EXAMPLE_SOURCE if c.name == "source" else c.example for c in kind.columns}


def column_note(kind: InputKind, column: Column) -> str:
    """What a header cell's comment says: meaning, type and unit, allowed values, bounds, whether it may be blank."""
    lines = [column.description, f"Type: {TYPE_WORDS[column.type]}."]
    if column.allowed:
        lines.append("Allowed values: " + ", ".join(column.allowed) + ".")
    bounds = _bounds(column)
    if bounds:
        lines.append(bounds)
    ref = next((r for r in kind.references if column.name in r.columns and r.target != kind.name), None)
    if ref is not None:
        lines.append(f"Must name a row of the {ref.target} sheet.")
    if not column.required:
        lines.append("Optional column" + (f" (blank means {column.default})." if column.default else "."))
    elif column.blank_ok:
        lines.append("May be left blank.")
    else:
        lines.append("Required in every row.")
    return "\n".join(lines)


def _bounds(column: Column) -> str:
    if column.type not in ("integer", "number", "share") or (column.minimum is None and column.maximum is None):
        return ""
    low = "" if column.minimum is None else f"{'above' if column.above_minimum else 'at least'} {column.minimum:g}"
    high = "" if column.maximum is None else f"at most {column.maximum:,g}"
    return "Value: " + " and ".join(b for b in (low, high) if b) + "."


def write_template(path: Path) -> None:
    """The blank workbook: README first, then a sheet per input in the order to fill them."""
    import openpyxl

    book = openpyxl.Workbook()
    _readme(book.active)
    for name in fill_order():
        _input_sheet(book.create_sheet(name), KINDS[name])
    with replacing(path) as staged:
        book.save(staged)


def _input_sheet(ws: Any, kind: InputKind) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    example = example_row(kind)
    grey = Font(italic=True, color="595959")
    for i, column in enumerate(kind.columns, start=1):
        header = ws.cell(1, i, column.name)
        header.font = Font(bold=True)
        note = Comment(column_note(kind, column), "cyplan")
        note.width, note.height = 320, 160
        header.comment = note
        cell = ws.cell(2, i, _typed(column, example[column.name]))
        cell.font = grey
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(column.name) + 4,
                                                                    len(str(example[column.name])) + 4))
        _drop_down(ws, kind, column, get_column_letter(i))
    # the example is marked in a note too: paper_details has no source column to say so
    ws["A2"].comment = Comment(f"{EXAMPLE_SOURCE}. It is never imported.", "cyplan")
    ws.freeze_panes = "A2"


def _typed(column: Column, text: str) -> object:
    """A number as a number (so that Excel does not flag it as text), anything else as it is written."""
    if column.type in ("integer", "number", "share") and text:
        number = float(text)
        return int(number) if number.is_integer() else number
    return text


def _drop_down(ws: Any, kind: InputKind, column: Column, letter: str) -> None:
    """A list for a coded column, enforced; for a column naming a row of another sheet, that sheet's values
    offered but not enforced (the workspace may hold them already, not this workbook)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if column.allowed:
        rule = DataValidation(type="list", formula1='"' + ",".join(column.allowed) + '"', allow_blank=True,
                              showErrorMessage=True, errorTitle=f"Not a {column.name}",
                              error=f"{column.name} is one of: " + ", ".join(column.allowed))
    else:
        ref = next((r for r in kind.references if r.columns == (column.name,) and r.target != kind.name), None)
        if ref is None:
            return
        target = KINDS[ref.target]
        at = get_column_letter(target.column_names.index(ref.target_columns[0]) + 1)
        rule = DataValidation(type="list", formula1=f"{ref.target}!${at}$2:${at}${LIST_ROWS}", allow_blank=True,
                              showErrorMessage=False)
    rule.add(f"{letter}2:{letter}{LAST_ROW}")
    ws.add_data_validation(rule)


def _readme(ws: Any) -> None:
    from openpyxl.styles import Alignment, Font

    ws.title = README
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 90
    ws.column_dimensions["D"].width = 40
    row = 1
    for text in README_TEXT:
        ws.cell(row, 1, text).font = Font(bold=True, size=14) if row == 1 else Font()
        row += 1
    row += 1
    for i, heading in enumerate(("Order", "Sheet", "What it holds", "Fill in after"), start=1):
        ws.cell(row, i, heading).font = Font(bold=True)
    for n, name in enumerate(fill_order(), start=1):
        kind = KINDS[name]
        after = sorted({r.target for r in kind.references if r.target != name})
        row += 1
        ws.cell(row, 1, n)
        ws.cell(row, 2, name)
        ws.cell(row, 3, f"{kind.title}: {kind.description}").alignment = Alignment(wrap_text=True)
        ws.cell(row, 4, ", ".join(after) or "—")


README_TEXT = (
    "cyplan input workbook",
    "This workbook holds every input cyplan plans from: one sheet per input, named after it, in the order to fill "
    "them in (the table below). Fill in the sheets you have data for, then import the whole workbook with "
    "'cyplan import all FILE.xlsx', or upload it on the web app's Data page.",
    "Row 1 of each sheet is its header: keep it as it is. Point at a column's name to read what it means, its unit "
    "and the values it takes. Coded columns (sex, yes or no, sector and the like) have a drop-down list; a column "
    "that names a row of another sheet (area, level, role …) offers that sheet's values.",
    f"Row 2 of each sheet is an example, in grey, its source reading '{EXAMPLE_SOURCE}'. Write your first row over "
    "it, or delete it. It is never imported: a sheet holding only its header and example row is left out of the "
    "import (the workspace keeps what it holds for that input), and an example row left in beside rows of your own "
    "stops the import with a message naming it.",
    "Fill the sheets in order: a sheet's names (an area's code, a level, a role) must be in the sheet they come "
    "from, so fill that one first (the 'Fill in after' column). This README sheet is not imported.",
    "Where starting values come from: 'cyplan init' loads the specification's age bands and vulnerable groups. "
    "'cyplan init --starter england' adds national starting values for England (prevalence by age and sex, the "
    "groups' relative risks, pathway hours, pay and on-costs, staff turnover), each row citing its published "
    "source and marked as a national value to replace with local data. Population (ONS mid-year estimates), the "
    "workforce census, the service register and the referral returns are local: only you have them.",
)


def example_problems(raw: RawTable, kind: InputKind) -> tuple[bool, list[Problem]]:
    """Whether every row of the table is the template's untouched example row, and a problem for each row that is
    the example, or still carries its source (written over but not finished). Where the kind has a source column a
    row is the example by its source alone (real rows never carry that text), so a file of one's own that happens
    to hold the example's values, without that source, is never refused."""
    example = example_row(kind)
    if "source" in example:
        if "source" not in raw.columns:
            return False, []
        marked = raw.frame.filter(_equals(raw.frame["source"], EXAMPLE_SOURCE, kind.column("source")))
        what = f"(its source reads '{EXAMPLE_SOURCE}'): delete the row, or write your own values and where they " \
               "come from in source"
    else:
        marked = raw.frame.filter(_all_equal(raw.frame, example, kind))
        what = "(every cell as the template wrote it): delete the row, or write your own values over it"
    if not marked.height:
        return False, []
    untouched = marked.height == raw.frame.height and bool(_all_equal(marked, example, kind).all())
    return untouched, [raw.problem(row, None, f"this is the template's example row {what}") for row in marked[ROW]]


def _all_equal(frame: pl.DataFrame, example: dict[str, str], kind: InputKind) -> pl.Series:
    same = pl.Series([True] * frame.height, dtype=pl.Boolean)
    for name in frame.columns:
        if name in example:
            same &= _equals(frame[name], example[name], kind.column(name))
    return same


def _equals(cells: pl.Series, text: str, column: Column) -> pl.Series:
    """Where a column's cells hold `text` (spaces at either end and case aside; a number as any spelling of its
    value), worked out on the column's distinct values: a big file's column holds few."""
    values = cells.unique()
    shown = values.cast(pl.String).str.strip_chars()
    if column.type in ("integer", "number", "share") and text:
        hits = shown.cast(pl.Float64, strict=False) == float(text)
    else:
        hits = shown.str.to_lowercase() == text.strip().lower()
    matching = values.filter(hits.fill_null(False))
    return cells.is_in(matching.implode()) if len(matching) else pl.Series([False] * len(cells), dtype=pl.Boolean)
