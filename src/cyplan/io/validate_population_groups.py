"""Checks for the population by category (population_groups) that one table can settle: each category is
on its field's code list, matched as the referral returns are (codelists.CodeList.code: case and spaces at
either end do not count, an alias means its category), and no category is given twice under two spellings.

The lists are the workspace's own (its code lists, as `cyplan returns codelist` keeps them) when the import
names them with `checked_against` (transfer.py does, for every import into a workspace), else the defaults.

This module does not import cyplan.io.validate: validate imports it to register the check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import polars as pl

from cyplan.io.checks import rows as _rows  # one definition of a problem per failing row
from cyplan.io.problems import Found
from cyplan.io.read import ROW, RawTable
from cyplan.reference import codelists

CODE = "_code"  # the column category_codes adds

# the lists of the workspace being imported into: the checks registered with validate take only the table, so
# the workspace's lists reach them this way rather than through every check's arguments
_IN_FORCE: ContextVar[Mapping[str, codelists.CodeList] | None] = ContextVar("population_group_lists", default=None)


@contextmanager
def checked_against(lists: Mapping[str, codelists.CodeList]) -> Iterator[None]:
    """Check population_groups against these lists (a workspace's) inside the block."""
    token = _IN_FORCE.set(lists)
    try:
        yield
    finally:
        _IN_FORCE.reset(token)


def category_codes(frame: pl.DataFrame, lists: Mapping[str, codelists.CodeList]) -> pl.Series:
    """Each row's category as its field's code: 1..n for the n-th category of the list, -1 for a value not on
    it, 0 for a blank, null where the field is unknown (or not parsed)."""
    codes = [lists[f].code(c) if f in lists else None
             for f, c in zip(frame["field"].to_list(), frame["category"].to_list(), strict=True)]
    return pl.Series(CODE, codes, dtype=pl.Int64)


def check_population_groups(raw: RawTable, frame: pl.DataFrame,
                            lists: Mapping[str, codelists.CodeList] | None = None) -> list[Found]:
    lists = lists if lists is not None else _IN_FORCE.get() or codelists.load()
    coded = frame.with_columns(category_codes(frame, lists))
    off = coded.filter(pl.col(CODE) == -1)
    problems = _rows(raw, off, "category", lambda r: f"'{r['category']}' is not on the {r['field']} code list; its "
                     f"categories are: {', '.join(lists[str(r['field'])].categories)}")
    same = (coded.filter(pl.col(CODE) > 0)
            .with_columns(pl.col(ROW).fill_null(0))
            .with_columns(pl.col(ROW).min().over(["area", "year", "field", CODE]).alias("first"))
            .with_columns(pl.col("category").filter(pl.col(ROW) == pl.col("first")).first()
                          .over(["area", "year", "field", CODE]).alias("first_category"))
            # the same spelling twice is the key's duplicate, reported with every input's
            .filter((pl.col(ROW) != pl.col("first")) & (pl.col("category") != pl.col("first_category"))))
    problems += _rows(raw, same, "category", lambda r: f"'{r['category']}' is the {r['field']} category "
                      f"'{lists[str(r['field'])].categories[int(r[CODE]) - 1]}', already given as "
                      f"'{r['first_category']}' for {r['area']} in {r['year']} "
                      + (f"on row {r['first']}" if r["first"] else "by a row already in the workspace"))
    return problems


POPULATION_GROUP_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "population_groups": check_population_groups,
}
