"""Checks across inputs: every reference names a row that exists once the import is applied."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cyplan.io.problems import Found, Problem, problem_run
from cyplan.io.read import ROW, text_like
from cyplan.io.validate_backtest import check_snapshots
from cyplan.io.validate_correlations import check_correlation_rows
from cyplan.io.validate_skills import check_target_years
from cyplan.schema import KINDS, Reference


@dataclass(frozen=True)
class Origin:
    """Where a kind's new rows came from, so that problems point at the user's file."""

    file: str
    sheet: str | None
    columns: tuple[tuple[str, str], ...] = ()  # (cyplan's column, the file's own name for it), where they differ
    hint: str = ""  # said after each broken reference the file's rows make: what to do about it

    def column(self, name: str) -> str:
        return dict(self.columns).get(name, name)


def check_references(state: dict[str, pl.DataFrame], origins: dict[str, Origin],
                     skip: set[str] | None = None) -> list[Found]:
    """Problems with references in `state`, for kinds in `origins` (the ones being imported).

    Kinds in `skip` are left out. A broken reference is reported on the row that makes it when that
    row is being imported; when only the target is being imported (it drops a row still in use), it
    is reported on the target's file, with how many rows in the workspace still use it.
    """
    problems: list[Found] = []
    skip = skip or set()  # kinds whose file could not be read: their references would only mislead
    for name, kind in KINDS.items():
        for ref in kind.references:
            if (name in origins or ref.target in origins) and not {name, ref.target} & skip:
                problems += _check(name, ref, state, origins)
    if "correlations" not in skip:  # rows picked out by 'column=value' pairs, not by a key
        problems += check_correlation_rows(state, {k: (o.file, o.sheet) for k, o in origins.items()
                                                   if k not in skip})
    return problems + check_target_years(state, origins, skip) + check_snapshots(state, origins, skip)


def _check(name: str, ref: Reference, state: dict[str, pl.DataFrame], origins: dict[str, Origin]) -> list[Found]:
    source = state[name]
    # only the columns the check and its message need: the filter copies what it keeps, and an input of
    # millions of rows would be copied whole
    source = source.select(*ref.columns, *([ROW] if ROW in source.columns else []))
    given = pl.all_horizontal(pl.col(c).is_not_null() & (pl.col(c) != "") for c in ref.columns)
    pairs = zip(ref.columns, ref.target_columns, strict=True)
    targets = text_like(state[ref.target].select([pl.col(t).alias(c) for c, t in pairs]).unique(), source)
    if len(ref.columns) == 1:  # one filter, not the rows that give a value copied out first (a big file's every row)
        column = pl.col(ref.columns[0])
        missing = source.filter(given & ~column.is_in(targets.to_series().implode()))
    else:
        missing = source.filter(given).join(targets, on=list(ref.columns), how="anti")
    if missing.is_empty():
        return []
    target_title = KINDS[ref.target].title.lower()
    if name in origins and ROW in missing.columns:
        origin = origins[name]
        # one problem a row of the file: a row made several (an ONS row's years, an age band's ages) is one fault
        missing = missing.unique([ROW, *ref.columns], keep="first", maintain_order=True)
        return problem_run(origin.file, origin.sheet, origin.column(ref.columns[-1]), missing,
                           lambda r: f"{_describe(ref.columns, r)} is not in the {target_title}{origin.hint}",
                           f"rows name {_plural(ref.columns)} not in the {target_title}")
    origin = origins[ref.target]
    counts = missing.group_by(list(ref.columns), maintain_order=True).len()
    return [Problem(origin.file, None, None,
                    f"{_describe(ref.columns, r)} is missing from this file, but {r['len']} row(s) of "
                    f"{KINDS[name].title.lower()} in the workspace still use it: import them again "
                    "without it first, or keep it", origin.sheet)
            for r in counts.iter_rows(named=True)]


def _plural(columns: tuple[str, ...]) -> str:
    return " and ".join(f"{'an' if c[0] in 'aeiou' else 'a'} {c}" for c in columns)


def _describe(columns: tuple[str, ...], row: dict[str, object]) -> str:
    return ", ".join(f"{c} '{row[c]}'" for c in columns)
