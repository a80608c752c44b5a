"""Code lists: the valid categories of each categorical field, and the aliases that mean them.

A code list is data (reference/returns/<field>.csv: category, aliases separated by '|', source). Which list
a field uses (see `resolve`): the workspace's own (stored by `cyplan returns codelist`, or an older workspace's
<workspace>/codelists/<field>.csv), else, for the service, the services in the workspace's register, else the
default. Matching ignores case and surrounding spaces; the categories' order is the tables' row order.

The resolving is here, not in store/ or returns/, so that the readers in io/ (population_groups) and the
referral returns check against the same lists.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cyplan.io.problems import InputError, Problem

# the referral fields that have a code list, in the order the tables show them (returns/fields.py takes them from
# here: code lists are reference data, which the readers in io/ may use without depending on returns/)
CATEGORICAL = ("service", "gender", "ethnicity", "religion", "referral_source", "education_status",
               "accommodation", "trauma_category")
DEFAULTS = Path(__file__).parent / "returns"
WORKSPACE_FOLDER = "codelists"
# where a field's list comes from, as `cyplan returns codelist` shows it
OWN, REGISTER, DEFAULT = "own", "register", "default"


def match_key(value: str) -> str:
    """The form values are matched in: case and surrounding spaces do not count."""
    return value.strip().lower()


@dataclass(frozen=True)
class CodeList:
    field: str
    categories: tuple[str, ...]
    aliases: tuple[tuple[str, int], ...]  # (match key, 1-based category code), categories included
    labels: tuple[str, ...] = ()  # how each category is shown, where it has a label of its own (else its name)
    origin: str = DEFAULT  # OWN, REGISTER or DEFAULT
    # what is wrong with a workspace's own list that could not be read as stored (one kept by an older version,
    # which checked less): it is read with the faulty rows or names left out, and the user is told this
    faults: tuple[str, ...] = ()

    def label(self, i: int) -> str:
        """The label of the i-th category (0-based)."""
        return self.labels[i] if self.labels and self.labels[i] else self.categories[i]

    @property
    def names(self) -> tuple[str, ...]:
        """How the tables show each category: its label (a register's service by its name, not its code)."""
        return tuple(self.label(i) for i in range(len(self.categories)))

    def code(self, value: str | None) -> int:
        """0 for blank, 1..n for a category, -1 for a value not on the list."""
        if value is None or not value.strip():
            return 0
        return dict(self.aliases).get(match_key(value), -1)


def build(field: str, rows: list[tuple[str, str]], file: str = "") -> CodeList:
    """The list of rows (category, aliases); InputError naming each blank category and each name meaning two
    categories, by its row in `file` (with no file: by its entry, 1, 2, … as the workspace keeps the list)."""
    word, first = ("row", 2) if file else ("entry", 1)
    categories: list[str] = []
    row_of: list[int] = []  # each category's row
    aliases: dict[str, int] = {}
    problems = []
    for i, (category, alias_text) in enumerate(rows, start=first):
        if not category.strip():
            problems.append(Problem(file, i, "category", "a category cannot be blank"))
            continue
        categories.append(category.strip())
        row_of.append(i)
        for j, alias in enumerate([category, *alias_text.split("|")]):
            key = match_key(alias)
            if key and (had := aliases.setdefault(key, len(categories))) != len(categories):
                again = j == 0 and match_key(categories[had - 1]) == key  # the same category twice
                problems.append(Problem(file, i, "category" if j == 0 else "aliases",
                                        f"the category '{alias.strip()}' is on {word} {row_of[had - 1]} too" if again
                                        else f"'{alias.strip()}' already means '{categories[had - 1]}' ({word} "
                                        f"{row_of[had - 1]})"))
    if problems:
        raise InputError(problems)
    return CodeList(field, tuple(categories), tuple(aliases.items()))


@dataclass(frozen=True)
class Entry:
    """One category of a list: its code (the category as stored and tabled), how it is shown (blank: as its
    code), and the other values that mean it ('|' between them)."""
    code: str
    label: str = ""
    aliases: str = ""


def read_rows(path: Path) -> list[Entry]:
    """A code-list file's rows (category, aliases) as entries."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "category" not in reader.fieldnames:
            raise InputError([Problem(str(path), 1, None, "a code list needs a 'category' column")])
        return [Entry(r.get("category") or "", "", r.get("aliases") or "") for r in reader]


def read(path: Path, field: str) -> CodeList:
    return from_entries(field, read_rows(path), DEFAULT, str(path))


def from_entries(field: str, entries: Sequence[Entry], origin: str, file: str = "", strict: bool = False) -> CodeList:
    """A code list from its entries (rows 2, 3, … of `file`): each label is accepted as well as the code. A
    workspace's own list that is not a valid list (a code twice, a name meaning two categories, a blank code) is
    read without the faulty rows or names, with `faults` saying what is wrong, so that a list stored by an older
    version cannot stop every page and command that reads the lists; a default list (or any, if `strict`) must
    be valid."""
    try:
        return _from_entries(field, entries, origin, file)
    except InputError as e:
        if origin != OWN or strict:
            raise
        fixed = _from_entries(field, usable(entries), origin, file)
        return replace(fixed, faults=tuple(_fault(field, p, file) for p in e.problems))


def _from_entries(field: str, entries: Sequence[Entry], origin: str, file: str) -> CodeList:
    built = build(field, [(e.code, "|".join(a for a in (e.label, e.aliases) if a.strip())) for e in entries], file)
    labels = tuple(e.label.strip() for e in entries if e.code.strip())
    return CodeList(field, built.categories, built.aliases, labels if any(labels) else (), origin)


def usable(entries: Sequence[Entry]) -> list[Entry]:
    """The entries with a blank code, or a code an earlier entry already means, left out, and a label or alias
    an earlier entry already means dropped (the first meaning is kept)."""
    taken: set[str] = set()
    out = []
    for e in entries:
        if not match_key(e.code) or match_key(e.code) in taken:
            continue
        label = e.label if match_key(e.label) not in taken else ""
        aliases = "|".join(a for a in e.aliases.split("|") if match_key(a) not in taken)
        out.append(Entry(e.code, label, aliases))
        taken |= {match_key(t) for t in (e.code, label, *aliases.split("|"))} - {""}
    return out


def _fault(field: str, problem: Problem, file: str) -> str:
    name = field.replace("_", " ")
    where = f"{file}, row {problem.row}" if file else f"the {name} code list kept in the workspace, entry {problem.row}"
    fix = f"put {file} right (or remove it to go back to the standard list)" if file else \
        (f"import a corrected list with 'cyplan returns codelist {field} --import FILE', or go back to the "
         f"standard list with 'cyplan returns codelist {field} --reset'")
    return f"{where}: {problem.message}; it is read with that left out (the first meaning kept) until you {fix}"


def register_entries(services: Sequence[tuple[str, str | None]]) -> list[Entry]:
    """The service code list taken from a services register: (service, label) rows, each service once."""
    seen: dict[str, Entry] = {}
    for service, label in services:
        if service and service.strip() and match_key(service) not in seen:
            seen[match_key(service)] = Entry(service.strip(), (label or "").strip())
    return list(seen.values())


def field_entries(field: str, workspace: Path | None = None, own: Mapping[str, Sequence[Entry]] | None = None,
                  register: Sequence[Entry] = ()) -> tuple[list[Entry], str, str]:
    """(the entries of the list a field uses, where it comes from (OWN, REGISTER or DEFAULT), the file it was
    read from, if any): the workspace's own where it has one (`own`, as stored, else an older workspace's
    codelists/<field>.csv), else for the service the register's services (when it holds any; else the
    vanguards of seed 004), else the default."""
    folder = workspace / WORKSPACE_FOLDER / f"{field}.csv" if workspace else None
    if own and own.get(field):
        return list(own[field]), OWN, ""
    if folder and folder.exists():
        return read_rows(folder), OWN, str(folder)
    if field == "service" and register:
        return list(register), REGISTER, ""
    path = DEFAULTS / f"{field}.csv"
    return read_rows(path), DEFAULT, str(path)


def resolve(workspace: Path | None = None, own: Mapping[str, Sequence[Entry]] | None = None,
            services: Sequence[tuple[str, str | None]] = ()) -> dict[str, CodeList]:
    """Every categorical field's code list (see field_entries for which)."""
    register = register_entries(services)
    lists = {}
    for field in CATEGORICAL:
        found, origin, file = field_entries(field, workspace, own, register)
        lists[field] = from_entries(field, found, origin, file)
    return lists


def load(workspace: Path | None = None) -> dict[str, CodeList]:
    """Every field's list from the defaults and an older workspace's codelists/ folder only, for a caller with
    no workspace database; with one, store.codelists.lists adds the own lists and the register."""
    return resolve(workspace)


def with_mapping(codelist: CodeList, mapped: Mapping[str, int]) -> CodeList:
    """The list with more values meaning its categories (value → 1-based category code), as a filled-in
    mapping template gives them: such values are stored as their category, as an alias's are."""
    aliases = dict(codelist.aliases)
    for value, code in mapped.items():
        aliases.setdefault(match_key(value), code)
    return replace(codelist, aliases=tuple(aliases.items()))
