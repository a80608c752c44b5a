"""Property tests: the financial-year quarter of a date, and code-list matching (value by value and gathered, alike)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.model.activity import fy_quarter, quarter_bounds, quarter_label
from cyplan.reference import codelists as C
from cyplan.returns.classify import category_codes
from cyplan.returns.stage import category_labels, dictionary, relabel

LISTS = C.load()


@settings(deadline=None)  # a busy machine is no failure
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


@settings(deadline=None)
@given(categories, case, spaces, spaces)
def test_matching_ignores_case_and_surrounding_spaces(category: str, change, before: str, after: str) -> None:
    for cl in LISTS.values():
        if category in cl.categories:
            assert cl.code(before + change(category) + after) == cl.categories.index(category) + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(categories.map(lambda c: f" {c.upper()} "), st.text(max_size=12), st.none()), max_size=30))
def test_dictionary_classification_agrees_with_the_python_rule(values: list[str | None]) -> None:
    """Each distinct value matched once and gathered back gives every record the code `CodeList.code` gives."""
    series = pl.Series(values, dtype=pl.String)
    for cl in LISTS.values():
        column = relabel(*dictionary(series), category_labels(cl))
        assert category_codes(column, cl)[column.ids].tolist() == [cl.code(v) for v in values]
