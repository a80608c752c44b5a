"""Property tests: the financial-year quarter of a date, and code-list matching (value by value and gathered, alike)."""

from __future__ import annotations

import datetime as dt

import numpy as np
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


field_value = st.one_of(st.sampled_from(["yes", "no", " No ", "Female", "2024-04-01"]), st.text(max_size=6), st.none())


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_coded_gives_each_record_its_value_and_each_value_its_count(data: st.DataObject) -> None:
    """Catches the one query that counts every field at once (stage._coded) mixing fields up, listing values out of
    code order (their counts, or their labels, would then go to the wrong records), dropping or double-counting the
    blanks, or a null code that is a real value's code. Checked against Python's own count of the values."""
    from collections import Counter

    from cyplan.returns import fields as F
    from cyplan.returns.stage import CODED, _coded

    n = data.draw(st.integers(0, 40))
    columns = {c: data.draw(st.lists(field_value, min_size=n, max_size=n)) for c in CODED}
    frame = pl.DataFrame({F.ID: [f"R{i}" for i in range(n)], **{c: pl.Series(v, dtype=pl.Categorical)
                                                                 for c, v in columns.items()}})
    worked, coded = _coded(frame, [pl.col(F.ID).alias("id")])
    assert worked["id"].to_list() == frame[F.ID].to_list()
    for c, values in columns.items():
        found = coded[c]
        codes = found.codes.to_numpy()
        by_code = found.by_code(np.array([None, *found.values], dtype=object))
        assert by_code[codes].tolist() == values  # every record's value, blanks as None
        counted = Counter(v for v in values if v is not None)
        assert dict(zip(found.values, found.count.tolist(), strict=True)) == counted
        assert len(found.values) == len(counted)  # each distinct value once
        assert found.nulls == values.count(None)
        assert list(found.present) == sorted(found.present)  # in code order, as by_code assumes


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["2024-04-01", " 2024-4-1 ", "01/02/2022", "", "x", "2023-13-01", "yes",
                                          " No", "12", "12.5", "  "]), max_size=8), min_size=1, max_size=4))
def test_remembered_answers_are_duckdbs_answers(calls: list[list[str]]) -> None:
    """Catches DuckDB's answers remembered wrongly from one chunk to the next (classify._sql asks only about values
    it has not met): each call must give what a fresh rule gives, even when the memory is cleared between calls."""
    import cyplan.returns.classify as classify

    for expression in ("coalesce(try_cast(v AS DATE), try_cast(trim(v) AS DATE)), trim(v)", "try_cast(v AS INTEGER)"):
        remembering = classify._sql(expression)
        for values in calls:
            assert remembering(values) == classify._sql(expression)(values)
    old = classify.KNOWN
    classify.KNOWN = 3  # cleared whenever more than 3 values would be known
    try:
        remembering = classify._sql("nullif(trim(v), '')")
        for values in calls:
            assert remembering(values) == classify._sql("nullif(trim(v), '')")(values)
    finally:
        classify.KNOWN = old
