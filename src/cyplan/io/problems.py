"""What is wrong with an input, located as the user sees it in their spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    row: int | None  # numbered as in the spreadsheet: the header is row 1
    column: str | None
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column,
                "message": self.message}


class InputError(Exception):
    """Raised with every problem found in one or more input files; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_order)
        super().__init__(f"{len(self.problems)} problem(s) in the input")


def _order(p: Problem) -> tuple[str, str, int, str]:
    return (p.file, p.sheet or "", p.row if p.row is not None else -1, p.column or "")
