"""`cyplan returns codelist`: the code lists a workspace's referral returns are checked against, shown and
edited. Each edit is checked whole before anything is written, then written in one transaction."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cyplan.io.problems import InputError, Problem
from cyplan.io.validate import CONTROL_MESSAGE
from cyplan.reference import codelists as C
from cyplan.returns.codelist_files import LABEL_BAR, has_control, read_list, read_mapping
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
        if codelist.faults:  # shown as it is read: the faulty rows left out
            entries = C.usable(entries)
        mapped: dict[int, list[str]] = {}
        for value, to in mappings.get(f, {}).items():
            if (code := codelist.code(to)) > 0:
                mapped.setdefault(code, []).append(value)
        for i, e in enumerate(entries, start=1):
            rows.append((f, e.code, e.label or e.code, " | ".join(a for a in e.aliases.split("|") if a.strip()),
                         " | ".join(mapped.get(i, [])), origin))
    return pl.DataFrame(rows, schema=["field", "code", "label", "also_accepted", "mapped", "source"], orient="row")


def faults(ws: Workspace, field: str | None) -> list[str]:
    """What is wrong with each own list (of `field`, or every field) that is not a valid list as stored."""
    lists = own_lists.lists(ws)
    return [fault for f in ([field] if field else FIELDS) for fault in lists[f].faults]


def _replace(ws: Workspace, field: str, entries: list[C.Entry]) -> str:
    """Make `entries` the field's own list (none: back to the register's or the default), and drop, in the same
    transaction, the kept mappings whose map_to the list the field then uses does not have: a note naming them
    (a mapping to a category no longer on the list would otherwise stop applying without a word)."""
    own = own_lists.own_entries(ws.engine)
    own[field] = entries
    found, origin, file = C.field_entries(field, ws.path, own,
                                          C.register_entries(own_lists.register(ws.read("services"))))
    codelist = C.from_entries(field, found, origin, file)
    off = {v: to for v, to in own_lists.stored_mappings(ws.engine).get(field, {}).items() if codelist.code(to) == -1}
    with ws.engine.begin() as conn:
        own_lists.replace_list(conn, field, entries)
        own_lists.drop_mappings(conn, field, list(off))
    if not off:
        return ""
    n = len(off)
    return (f" Dropped {n} kept mapping{'s' if n != 1 else ''} to a category not on this list: "
            f"{', '.join(f'{v!r} → {to!r}' for v, to in sorted(off.items()))}; those values are queried again "
            "(keep a new mapping with --mapping to read them as a category on the list).")


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
    C.from_entries(field, entries, C.OWN, str(path), strict=True)  # read_list checks all this; made sure of here
    dropped = _replace(ws, field, entries)
    return (f"The {field.replace('_', ' ')} code list is now the workspace's own: {len(entries):,} categories "
            f"from {path}." + _off_the_list(ws, field) + dropped)


def add(ws: Workspace, field: str, code: str, label: str) -> str:
    """Add a category to the field's list (the list in use becomes the workspace's own, with it added)."""
    entries, origin = current(ws, field)
    codelist = C.from_entries(field, entries, origin)
    where = f"cyplan returns codelist {field} --add"
    if not code.strip():
        raise InputError([Problem(where, None, "code", "the code is blank")])
    for column, text in (("code", code), ("label", label)):
        if has_control(text):  # the rule every file's cells are checked by
            raise InputError([Problem(where, None, column, CONTROL_MESSAGE)])
    if "|" in label:
        raise InputError([Problem(where, None, "label", LABEL_BAR)])
    for column, text in (("code", code), ("label", label)):
        if text.strip() and (known := codelist.code(text)) > 0:
            raise InputError([Problem(where, None, column, f"'{text.strip()}' is already on the "
                                      f"{field.replace('_', ' ')} code list as '{codelist.categories[known - 1]}'")])
    # an own list is read as stored (faulty rows left out, see C.from_entries); a list in use that is not valid
    # is not built on: it is put right with --import or --reset first
    if codelist.faults:
        raise InputError([Problem(where, None, None, codelist.faults[0])])
    _replace(ws, field, [*entries, C.Entry(code.strip(), label.strip())])
    return f"Added '{code.strip()}' ({label.strip() or code.strip()}) to the {field.replace('_', ' ')} code list."


def reset(ws: Workspace, field: str) -> str:
    dropped = _replace(ws, field, [])
    _, origin = current(ws, field)
    then = "the services in the register" if origin == C.REGISTER else "the default list"
    return f"The {field.replace('_', ' ')} code list is {then} again." + _off_the_list(ws, field) + dropped


def keep_mapping(ws: Workspace, path: Path) -> str:
    """Keep a filled-in mapping template for every later import; InputError (located, nothing written) if a row
    maps to a category not on its list."""
    mapping = read_mapping(path, own_lists.lists(ws))
    with ws.engine.begin() as conn:
        own_lists.store_mappings(conn, mapping)
    n = sum(len(m) for m in mapping.values())
    return f"Kept {n:,} mapping{'s' if n != 1 else ''} from {path}: those values are read as their category on " \
        "every import, and in the tables and quality report of the records already stored."
