"""Make examples/inputs.xlsx from the CSV files in examples/inputs/: one sheet per input, named after it.

Run it from anywhere after changing a CSV file:

    .venv/bin/python examples/make_workbook.py

Numbers are written as numbers (not text), as they would be in a workbook someone typed by hand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from cyplan.schema import KINDS

HERE = Path(__file__).parent
INPUTS = HERE / "inputs"
WORKBOOK = HERE / "inputs.xlsx"


def cell(text: str) -> object:
    """A whole number as int, another number as float, anything else as the text itself."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def main() -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)  # start with no sheets
    for kind in KINDS:  # the schema's order
        if not (INPUTS / f"{kind}.csv").exists():  # an input whose example is a folder of its own (neighbours/)
            continue
        sheet = book.create_sheet(title=kind)
        with (INPUTS / f"{kind}.csv").open(encoding="utf-8-sig", newline="") as f:
            for i, row in enumerate(csv.reader(f)):
                sheet.append(row if i == 0 else [cell(v) for v in row])
    book.save(WORKBOOK)
    print(f"Wrote {WORKBOOK} with sheets: {', '.join(book.sheetnames)}")


if __name__ == "__main__":
    main()
