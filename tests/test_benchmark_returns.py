"""The pieces of the returns benchmark (benchmarks/returns_scale.py), on a few thousand records: the pandas pipeline
it times gives exactly cyplan's published tables, queries, counts and errors, so that its time is for the same
work. pandas is a dev dependency: without it these tests fail (they do not skip)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas  # noqa: F401  (the baseline is written with pandas: without it this file fails, it does not skip)
import polars as pl
import pytest

from conftest import load_benchmark
from cyplan.store.workspace import Workspace

bench = load_benchmark("returns_scale")


def both(tmp_path: Path, errors: float = 0.0, n: int = 3000) -> tuple[dict[str, object], dict[str, object]]:
    path = tmp_path / "referrals.csv"
    bench.generate(path, n, errors=errors)
    ws = Workspace.create(tmp_path / "ws")
    try:
        ours = bench.cyplan_comparable(bench.cyplan_pipeline(path, ws))
    finally:
        ws.close()
    return ours, bench.pandas_comparable(bench.pandas_pipeline(path))


def test_pandas_gives_cyplans_tables_queries_and_counts(tmp_path: Path) -> None:
    """Catches a baseline that drops the unknown-age row, the categories or quarters with no referrals, or any
    query or count: pandas would then be timed on less work than cyplan does."""
    ours, theirs = both(tmp_path)
    assert bench.differences(ours, theirs) == []
    ages = ours["age_gender"]
    assert isinstance(ages, pl.DataFrame)
    unknown = ages.filter(pl.col("age_group") == "Unknown age")
    assert unknown.height == 1 and int(unknown["Total"].item()) > 0  # blank, "ten" and 99 are unknown ages
    messages = " | ".join(m for _, _, m in ours["queries"])  # type: ignore[attr-defined]
    for kind in ("is not on the", "is not a whole number of years", "is outside 0 to 30", "is in the future",
                 "is not yes, no or blank", "yes on a referral that was not accepted"):
        assert kind in messages, kind  # every kind of query is in the data, so every path is timed


def test_pandas_gives_cyplans_errors(tmp_path: Path) -> None:
    """Catches a baseline that finds other errors than cyplan (or none) in a file cyplan refuses."""
    ours, theirs = both(tmp_path, errors=0.02)
    assert list(ours) == ["errors"]
    assert bench.differences(ours, theirs) == []
    messages = " | ".join(m for _, _, m in ours["errors"])  # type: ignore[attr-defined]
    for kind in ("referral_id is blank", "is also on row", "received_date is blank",
                 "is not a date written as YYYY-MM-DD", "accepted is blank", "is not yes or no"):
        assert kind in messages, kind


def test_differences_notices_a_changed_cell_a_lost_query_and_a_lost_table(tmp_path: Path) -> None:
    ours, theirs = both(tmp_path, n=500)
    changed = dict(theirs)
    table = theirs["religion"]
    assert isinstance(table, pl.DataFrame)
    changed["religion"] = table.with_columns(pl.col("Total").reverse())
    assert [d.split(":")[0] for d in bench.differences(ours, changed)] == ["religion"]
    lost = dict(theirs, queries=theirs["queries"][1:])  # type: ignore[index]
    assert [d.split(":")[0] for d in bench.differences(ours, lost)] == ["queries"]
    del lost["age_gender"]
    assert "age_gender: only cyplan has it" in bench.differences(ours, lost)


def test_the_benchmark_checks_before_it_reports(tmp_path: Path) -> None:
    """End to end, as it is run: it says the two agree, then labels every ratio as measured."""
    run = subprocess.run([sys.executable, bench.__file__, "--records", "2000", "--repeat", "1"], capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    checked = next(i for i, line in enumerate(lines) if line.startswith("checked: pandas gives what cyplan gives"))
    timed = next(i for i, line in enumerate(lines) if "median" in line)
    assert checked < timed
    ratios = [line for line in lines if "×" in line]
    assert len(ratios) >= 2
    for line in ratios:
        assert "measured" in line, line


@pytest.mark.parametrize("errors", [0.0, 0.05])
def test_generate_is_reproducible(tmp_path: Path, errors: float) -> None:
    """Catches generated data that changes from run to run (figures from different runs would not compare)."""
    bench.generate(tmp_path / "a.csv", 300, errors=errors)
    bench.generate(tmp_path / "b.csv", 300, errors=errors)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_before_checks_both_trees_agree_before_it_reports(tmp_path: Path) -> None:
    """--before, end to end with this tree as the earlier one: it must say the two trees' results are the same
    before any time, and label every ratio as measured (a ratio made with a figure from another run would not be)."""
    src = Path(bench.__file__).resolve().parents[1] / "src"
    run = subprocess.run([sys.executable, bench.__file__, "--records", "1500", "--repeat", "1", "--no-pandas",
                          "--before", str(src)], capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    checked = next(i for i, line in enumerate(lines) if line.startswith("checked: both trees give the same"))
    assert checked < next(i for i, line in enumerate(lines) if "median" in line)
    ratios = [line for line in lines if "×" in line]
    assert len(ratios) == 3  # before and after to the scan, before ÷ after
    for line in ratios:
        assert line.count("×") == line.count("× measured"), line


def test_digest_notices_a_changed_cell_and_a_lost_query(tmp_path: Path) -> None:
    """Catches a --before check that would call two trees' results the same when one published cell or one query
    differs."""
    path = tmp_path / "referrals.csv"
    bench.generate(path, 500)
    ws = Workspace.create(tmp_path / "ws")
    try:
        out = bench.cyplan_pipeline(path, ws)
    finally:
        ws.close()
    table = out["religion"]
    assert isinstance(table, pl.DataFrame)
    changed = dict(out, religion=table.with_columns(pl.col("Total").reverse()))
    result = out["result"]
    lost = dict(out, result=type(result)(**{**result.__dict__, "queries": result.queries[1:]}))  # type: ignore[attr-defined]
    assert len({bench.digest(out), bench.digest(changed), bench.digest(lost)}) == 3
    assert bench.digest(out) == bench.digest(dict(out))
