"""`cyplan returns codelist`: the code lists a workspace's referral returns are checked against, shown and
edited. Each edit is checked whole before anything is written, then written in one transaction."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cyplan.io.problems import InputError, Problem
from cyplan.reference import codelists as C
from cyplan.returns.codelist_files import read_list, read_mapping
from cyplan.store import codelists as own_lists
from cyplan.store.workspace import Workspace

FIELDS = C.CATEGORICAL


def current(ws: Workspace, field: str) -> tuple[list[C.Entry], str]:
    """The entries of the list `field` uses now, and where it comes from (own, register or default)."""
    found, origin, _ = C.field_entries(field, ws.path, own_lists.own_entries(ws.engine),
                                       C.register_entries(own_lists.register(ws.read("services"))))
    return found, origin


def shown(ws: Workspace, field: str | None) -> pl.DataFrame:
    """field, code, label, also_accepted, mapped (values a kept mapping reads as it), source: one row a category."""
    mappings = own_lists.stored_mappings(ws.engine)
    rows = []
    for f in [field] if field else FIELDS:
        entries, origin = current(ws, f)
        codelist = C.from_entries(f, entries, origin)
        mapped: dict[int, list[str]] = {}
        for value, to in mappings.get(f, {}).items():
            if (code := codelist.code(to)) > 0:
                mapped.setdefault(code, []).append(value)
        for i, e in enumerate(entries, start=1):
            rows.append((f, e.code, e.label or e.code, " | ".join(a for a in e.aliases.split("|") if a.strip()),
                         " | ".join(mapped.get(i, [])), origin))
    return pl.DataFrame(rows, schema=["field", "code", "label", "also_accepted", "mapped", "source"], orient="row")


def _replace(ws: Workspace, field: str, entries: list[C.Entry]) -> None:
    with ws.engine.begin() as conn:
        own_lists.replace_list(conn, field, entries)


def _off_the_list(ws: Workspace, field: str) -> str:
    """A note naming the population_groups categories of `field` the list (as it now is) does not have: they
    were checked against the list when imported, and a changed list can leave them off it."""
    groups = ws.read("population_groups").filter(pl.col("field") == field)
    if not groups.height:
        return ""
    codelist = own_lists.lists(ws)[field]
    off = sorted({c for c in groups["category"].to_list() if codelist.code(c) == -1})
    if not off:
        return ""
    return (f" Note: your population by category has {field.replace('_', ' ')} categories not on this list "
            f"({', '.join(off)}): the equality view lists them without referrals until you import "
            "population_groups again with the list's categories.")


def import_list(ws: Workspace, field: str, path: Path) -> str:
    """Make the file the field's own list; InputError (located, nothing written) if a row is wrong."""
    entries = read_list(path, field)
    _replace(ws, field, entries)
    return (f"The {field.replace('_', ' ')} code list is now the workspace's own: {len(entries):,} categories "
            f"from {path}." + _off_the_list(ws, field))


def add(ws: Workspace, field: str, code: str, label: str) -> str:
    """Add a category to the field's list (the list in use becomes the workspace's own, with it added)."""
    entries, _ = current(ws, field)
    codelist = C.from_entries(field, entries, "")
    where = f"cyplan returns codelist {field} --add"
    if not code.strip():
        raise InputError([Problem(where, None, "code", "the code is blank")])
    for column, text in (("code", code), ("label", label)):
        if text.strip() and (known := codelist.code(text)) > 0:
            raise InputError([Problem(where, None, column, f"'{text.strip()}' is already on the "
                                      f"{field.replace('_', ' ')} code list as '{codelist.categories[known - 1]}'")])
    _replace(ws, field, [*entries, C.Entry(code.strip(), label.strip())])
    return f"Added '{code.strip()}' ({label.strip() or code.strip()}) to the {field.replace('_', ' ')} code list."


def reset(ws: Workspace, field: str) -> str:
    _replace(ws, field, [])
    _, origin = current(ws, field)
    then = "the services in the register" if origin == C.REGISTER else "the default list"
    return f"The {field.replace('_', ' ')} code list is {then} again." + _off_the_list(ws, field)


def keep_mapping(ws: Workspace, path: Path) -> str:
    """Keep a filled-in mapping template for every later import; InputError (located, nothing written) if a row
    maps to a category not on its list."""
    mapping = read_mapping(path, own_lists.lists(ws))
    with ws.engine.begin() as conn:
        own_lists.store_mappings(conn, mapping)
    n = sum(len(m) for m in mapping.values())
    return f"Kept {n:,} mapping{'s' if n != 1 else ''} from {path}: those values are read as their category on " \
        "every import, and in the tables and quality report of the records already stored."
