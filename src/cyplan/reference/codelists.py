"""Code lists: the valid categories of each categorical field, and the aliases that mean them.

A code list is data (reference/returns/<field>.csv: category, aliases separated by '|', source). A
workspace may hold its own in <workspace>/codelists/<field>.csv, which replaces the default for that
field. Matching ignores case and surrounding spaces; the categories' order is the tables' row order.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from cyplan.io.problems import InputError, Problem

# the referral fields that have a code list, in the order the tables show them (returns/fields.py takes them from
# here: code lists are reference data, which the readers in io/ may use without depending on returns/)
CATEGORICAL = ("service", "gender", "ethnicity", "religion", "referral_source", "education_status",
               "accommodation", "trauma_category")
DEFAULTS = Path(__file__).parent / "returns"
WORKSPACE_FOLDER = "codelists"


def match_key(value: str) -> str:
    """The form values are matched in: case and surrounding spaces do not count."""
    return value.strip().lower()


@dataclass(frozen=True)
class CodeList:
    field: str
    categories: tuple[str, ...]
    aliases: tuple[tuple[str, int], ...]  # (match key, 1-based category code), categories included

    def code(self, value: str | None) -> int:
        """0 for blank, 1..n for a category, -1 for a value not on the list."""
        if value is None or not value.strip():
            return 0
        return dict(self.aliases).get(match_key(value), -1)


def build(field: str, rows: list[tuple[str, str]], file: str = "") -> CodeList:
    categories: list[str] = []
    aliases: dict[str, int] = {}
    problems = []
    for i, (category, alias_text) in enumerate(rows, start=2):
        if not category.strip():
            problems.append(Problem(file, i, "category", "a category cannot be blank"))
            continue
        categories.append(category.strip())
        for alias in [category, *alias_text.split("|")]:
            key = match_key(alias)
            if key and aliases.setdefault(key, len(categories)) != len(categories):
                problems.append(Problem(file, i, "aliases", f"'{alias.strip()}' already means "
                                        f"'{categories[aliases[key] - 1]}'"))
    if problems:
        raise InputError(problems)
    return CodeList(field, tuple(categories), tuple(aliases.items()))


def read(path: Path, field: str) -> CodeList:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "category" not in reader.fieldnames:
            raise InputError([Problem(str(path), 1, None, "a code list needs a 'category' column")])
        rows = [(r.get("category") or "", r.get("aliases") or "") for r in reader]
    return build(field, rows, str(path))


def load(workspace: Path | None = None) -> dict[str, CodeList]:
    """Every categorical field's code list: the workspace's own where it has one, else the default."""
    lists = {}
    for field in CATEGORICAL:
        own = workspace / WORKSPACE_FOLDER / f"{field}.csv" if workspace else None
        lists[field] = read(own if own and own.exists() else DEFAULTS / f"{field}.csv", field)
    return lists
