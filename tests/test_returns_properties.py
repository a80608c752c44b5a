"""Property tests: the financial-year quarter of a date, and code-list matching (Python and DuckDB agree)."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.model.activity import fy_quarter, quarter_bounds, quarter_label
from cyplan.returns import codelists as C
from cyplan.returns.classify import classify

LISTS = C.load()


@given(st.lists(st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31)), min_size=1, max_size=50))
def test_each_date_falls_in_its_financial_quarter(dates: list[dt.date]) -> None:
    keys = pl.select(fy_quarter(pl.Series(dates))).to_series().to_list()
    for d, k in zip(dates, keys, strict=True):
        first, last = quarter_bounds(k)
        assert first <= d <= last
        fy = d.year if d.month >= 4 else d.year - 1
        q = (d.month - 4) % 12 // 3 + 1
        assert quarter_label(k) == f"{fy}/{(fy + 1) % 100:02d} Q{q}"
        assert quarter_bounds(k + 1)[0] == last + dt.timedelta(days=1)  # quarters follow on, no gaps


def test_q1_is_april_to_june() -> None:
    keys = pl.select(fy_quarter(pl.Series([dt.date(2022, 4, 1), dt.date(2022, 6, 30), dt.date(2023, 3, 31)])))
    assert [quarter_label(k) for k in keys.to_series()] == ["2022/23 Q1", "2022/23 Q1", "2022/23 Q4"]


categories = st.sampled_from([c for cl in LISTS.values() for c in cl.categories])
case = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
spaces = st.sampled_from(["", " ", "  ", "\t"])


@given(categories, case, spaces, spaces)
def test_matching_ignores_case_and_surrounding_spaces(category: str, change, before: str, after: str) -> None:
    for cl in LISTS.values():
        if category in cl.categories:
            assert cl.code(before + change(category) + after) == cl.categories.index(category) + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(categories.map(lambda c: f" {c.upper()} "), st.text(max_size=12), st.none()), max_size=30))
def test_duckdb_classification_agrees_with_the_python_rule(values: list[str | None]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, " + ", ".join(f"{f} VARCHAR" for f in LISTS) + ")")
    rows = [(i, *([v.strip() or None if v is not None else None] * len(LISTS))) for i, v in enumerate(values)]
    if rows:
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * (len(LISTS) + 1))})", rows)
    view = classify(con, "t", LISTS)
    got = con.execute(f"SELECT i, {', '.join(f'{f}_code' for f in LISTS)} FROM {view} ORDER BY i").fetchall()
    for (i, *codes) in got:
        value = rows[i][1]
        assert codes == [cl.code(value) for cl in LISTS.values()]
