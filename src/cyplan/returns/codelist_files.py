"""The files that edit a workspace's code lists: an area's own list for a field (code, label, aliases) and a
filled-in mapping template (field, value_found, count, map_to). Each is read with the one reader (io/read.py)
and checked whole: a bad row is an error naming its file, row and column, and nothing is stored."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from cyplan.io.problems import InputError, Problem
from cyplan.io.read import ROW, RawTable, read_table
from cyplan.io.validate import CONTROL, CONTROL_MESSAGE
from cyplan.reference import codelists as C

LIST_COLUMNS = ("code", "label", "aliases")
# a list is kept as each code with its label and aliases joined by '|', so a '|' inside a label would split it
# into names of their own (one of which could mean another category)
LABEL_BAR = "the label holds '|', which separates the other names a category is accepted as: give a label without it"
MAPPING_COLUMNS = ("field", "value_found", "count", "map_to")


def _rows(raw: RawTable, needed: tuple[str, ...]) -> list[dict[str, str]]:
    """The table's rows as text ('' for a blank), with ROW; InputError if a needed column is missing."""
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError([raw.problem(raw.header_row, c, f"this column is missing; the columns are: "
                                      f"{', '.join(needed)}") for c in missing])
    frame = raw.frame.with_columns(pl.col(c).cast(pl.String).fill_null("").str.strip_chars()
                                   for c in raw.columns)
    return frame.to_dicts()


def has_control(text: str) -> bool:
    """Whether `text` holds a control character: the one rule every input file's cells are checked by."""
    return re.search(CONTROL, text) is not None


def _control_problems(raw: RawTable, rows: list[dict[str, str]], columns: tuple[str, ...]) -> list[Problem]:
    return [raw.problem(r[ROW], c, CONTROL_MESSAGE) for r in rows for c in columns if has_control(r.get(c, ""))]


def read_list(path: Path, field: str) -> list[C.Entry]:
    """An area's own list for `field`: a column code (or category), and label and aliases ('|' between them)
    if given. Every code and label means one category only."""
    raw = read_table(path)
    code = "code" if "code" in raw.columns or "category" not in raw.columns else "category"
    rows = _rows(raw, (code,))
    problems = _control_problems(raw, rows, (code, "label", "aliases"))
    if problems:  # refused before anything else: the text is echoed in the other messages
        raise InputError(problems)
    means: dict[str, tuple[str, int]] = {}  # match key → (code, row)
    codes: dict[str, int] = {}  # a code's match key → its row
    entries = []
    for r in rows:
        row, value = r[ROW], r[code]
        if not value:
            if any(r.get(c) for c in ("label", "aliases")):
                problems.append(raw.problem(row, code, "the code is blank: give each category a code"))
            continue
        if (first := codes.setdefault(C.match_key(value), row)) != row:
            problems.append(raw.problem(row, code, f"the code '{value}' is on row {first} too: give each category "
                                        "one row"))
            continue
        entry = C.Entry(value, r.get("label", ""), r.get("aliases", ""))
        if "|" in entry.label:
            problems.append(raw.problem(row, "label", LABEL_BAR))
            continue
        named = ((code, value), ("label", entry.label), *(("aliases", a) for a in entry.aliases.split("|")))
        for column, text in named:
            key = C.match_key(text)
            if not key:
                continue
            seen = means.setdefault(key, (value, row))
            if seen[0] != value:
                problems.append(raw.problem(row, column, f"'{text.strip()}' already means '{seen[0]}' (row {seen[1]})"))
        entries.append(entry)
    if not entries and not problems:
        problems.append(raw.problem(None, None, f"the file holds no categories for {field}"))
    if problems:
        raise InputError(problems)
    return entries


def read_mapping(path: Path, lists: dict[str, C.CodeList]) -> dict[str, dict[str, str]]:
    """A filled-in mapping template: field → value found → the category (its code) it means. Rows with map_to
    blank are not filled in yet and are left out."""
    raw = read_table(path)
    rows = _rows(raw, ("field", "value_found", "map_to"))
    problems = _control_problems(raw, rows, ("field", "value_found", "map_to"))
    if problems:
        raise InputError(problems)
    out: dict[str, dict[str, str]] = {}
    where: dict[tuple[str, str], int] = {}
    for r in rows:
        row, field, value, to = r[ROW], r["field"].lower(), r["value_found"], r["map_to"]
        if not to:
            continue
        if field not in lists:
            problems.append(raw.problem(row, "field", f"'{r['field']}' is not a field with a code list; they are: "
                                        f"{', '.join(C.CATEGORICAL)}"))
            continue
        codelist = lists[field]
        code = codelist.code(to)
        if not value:
            problems.append(raw.problem(row, "value_found", "value_found is blank: a blank is not mapped"))
        elif code == -1:
            problems.append(raw.problem(row, "map_to", f"'{to}' is not on the {field.replace('_', ' ')} code list; "
                                        f"its categories are: {', '.join(codelist.categories)}"))
        elif (already := codelist.code(value)) > 0 and already != code:
            problems.append(raw.problem(row, "value_found", f"'{value}' is already on the {field.replace('_', ' ')} "
                                        f"code list as '{codelist.categories[already - 1]}'"))
        elif (field, C.match_key(value)) in where and out[field][_key_of(out[field], value)] != \
                codelist.categories[code - 1]:
            problems.append(raw.problem(row, "value_found", f"'{value}' is mapped twice: also on row "
                                        f"{where[(field, C.match_key(value))]}"))
        else:
            where.setdefault((field, C.match_key(value)), row)
            out.setdefault(field, {})[value] = codelist.categories[code - 1]
    if problems:
        raise InputError(problems)
    return out


def _key_of(mapping: dict[str, str], value: str) -> str:
    """The value as first written in `mapping` that matches `value`."""
    return next(v for v in mapping if C.match_key(v) == C.match_key(value))
