"""Referral returns at scale (issue 5): 1,000,000 referral records from CSV to every table, checked and
disclosure-controlled, against DuckDB merely scanning the same CSV and against a plain pandas pipeline.

Run alone:  .venv/bin/python benchmarks/returns_scale.py [--records 1000000] [--repeat 5]
Targets: cyplan under 5 s, within 2× of the DuckDB scan, ≥ 5× faster than pandas, peak memory < 1.5 GB.

The DuckDB scan, two ways. `SELECT count(*)` is the old baseline, but it is not a scan of the values:
DuckDB only has to find where each record ends, and parses no column. "Merely to scan" means reading
every value of every column, and nothing more, so the fair scan is one aggregate per column,
`SELECT count(c1), …, count(c16)`: each value is parsed into a vector and looked at, nothing is kept.
(Loading the file into a table, CREATE TABLE AS SELECT *, would be more than a scan: it also keeps
every value, which cyplan avoids doing on purpose.) The 2× target is judged against the fair scan;
the count(*) figure is printed beside it.

The workspace each cyplan run imports into is made before the clock starts: `cyplan init` is done once,
not per import, and it is not returns work (it is the workspace database's migrations). The pandas
pipeline does every check, query (with its message), count and table cyplan does, but does not store
the records or read them back, which cyplan does: that favours pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from cyplan.model.activity import AGE_GROUPS, BLANK, CATEGORY_TABLES, MILESTONE_SHARES
from cyplan.model.disclosure import disclose
from cyplan.returns import codelists as C
from cyplan.returns import fields as F
from cyplan.returns import service
from cyplan.store.workspace import Workspace

TODAY = dt.date(2024, 1, 1)


def generate(path: Path, n: int, seed: int = 5) -> None:
    """A realistic mix: categories skewed like seed 004, ~20% blanks and ~2% invalid values per field."""
    rng = np.random.default_rng(seed)
    lists = C.load()

    def column(categories: tuple[str, ...], blank: float = 0.2, invalid: float = 0.02) -> pl.Series:
        weights = 1 / np.arange(1, len(categories) + 1)  # a few common categories, a long tail
        values = np.array(categories, dtype=object)[rng.choice(len(categories), n, p=weights / weights.sum())]
        u = rng.random(n)
        values[u < blank] = ""
        values[(u >= blank) & (u < blank + invalid)] = "Not a listed value"
        return pl.Series(values.astype(str))

    days = rng.integers(0, 730, n)
    dates = (np.datetime64("2021-04-01") + days).astype(str)
    accepted = np.where(rng.random(n) < 0.93, "yes", "no")
    ages = rng.integers(0, 26, n).astype(str).astype(object)
    u = rng.random(n)
    ages[u < 0.08] = ""
    ages[(u >= 0.08) & (u < 0.1)] = "99"
    data = {F.ID: pl.Series([f"R{i:08d}" for i in range(n)]), "service": column(lists["service"].categories, 0, 0.0),
            F.DATE: pl.Series(dates), F.ACCEPTED: pl.Series(accepted), F.AGE: pl.Series(ages.astype(str)),
            **{c: column(lists[c].categories) for c in F.CATEGORICAL if c != "service"},
            **{m: column(("yes", "no")) for m in F.MILESTONES}}
    pl.DataFrame(data).select(F.COLUMNS).write_csv(path)


def duckdb_count(path: Path) -> None:
    """The old baseline: count(*) finds the records but parses no value."""
    duckdb.connect().execute("SELECT count(*) FROM read_csv(?, header=true, all_varchar=true)",
                             [str(path)]).fetchall()


def duckdb_scan(path: Path) -> None:
    """The fair scan: every value of every column parsed and looked at (one count per column), none kept."""
    counts = ", ".join(f"count({c})" for c in F.COLUMNS)
    duckdb.connect().execute(f"SELECT {counts} FROM read_csv(?, header=true, all_varchar=true)",
                             [str(path)]).fetchall()


def cyplan_pipeline(path: Path, ws: Workspace) -> dict[str, pl.DataFrame]:
    """What `cyplan returns import` then `cyplan returns tables --publish` do, into a new workspace."""
    service.import_returns(ws, path, today=TODAY)  # read, errors, the quality report (queries, counts), store
    return service.publishable(service.tables(ws))


def pandas_pipeline(path: Path) -> dict[str, object]:
    """The same work written the straightforward pandas way (the baseline users would otherwise write):
    every error check, every query with its message, blank and invalid counts, every table, disclosure."""
    import pandas as pd

    lists = C.load()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df = df.apply(lambda s: s.str.strip())
    date = pd.to_datetime(df[F.DATE], format="%Y-%m-%d", errors="coerce")
    errors = date.isna().sum() + df[F.ID].duplicated().sum() + (~df[F.ACCEPTED].str.lower().isin(["yes", "no"])).sum()
    assert errors == 0
    accepted = df[F.ACCEPTED].str.lower() == "yes"
    queries, counts = [], {}
    for c in F.CATEGORICAL:
        mapping = {k: lists[c].categories[code - 1] for k, code in lists[c].aliases}
        low = df[c].str.lower()
        canon = low.map(mapping)
        bad = canon.isna() & (df[c] != "")
        what = c.replace("_", " ")
        queries.append(pd.DataFrame({"row": df.index[bad] + 2, "column": c,
                                     "message": "'" + df[c][bad] + f"' is not on the {what} code list"}))
        counts[c] = ((df[c] == "").sum(), bad.sum())
        df[c] = canon.where(~bad, "Invalid").where(df[c] != "", "(blank)")
    age = pd.to_numeric(df[F.AGE], errors="coerce")
    not_number = age.isna() & (df[F.AGE] != "")
    outside = age.notna() & ~age.between(F.MIN_AGE, F.MAX_AGE)
    queries.append(pd.DataFrame({"row": df.index[not_number] + 2, "column": F.AGE,
                                 "message": "'" + df[F.AGE][not_number] + "' is not a whole number of years"}))
    queries.append(pd.DataFrame({"row": df.index[outside] + 2, "column": F.AGE,
                                 "message": "age " + df[F.AGE][outside] + f" is outside {F.MIN_AGE} to {F.MAX_AGE}"}))
    counts[F.AGE] = ((df[F.AGE] == "").sum(), (not_number | outside).sum())
    for m in F.MILESTONES:
        value = df[m].str.lower()
        bad = ~value.isin(["yes", "no", ""])
        queries.append(pd.DataFrame({"row": df.index[bad] + 2, "column": m,
                                     "message": "'" + df[m][bad] + "' is not yes, no or blank"}))
        queries.append(pd.DataFrame({"row": df.index[(value == "yes") & ~accepted] + 2, "column": m,
                                     "message": "yes on a referral that was not accepted"}))
        counts[m] = ((value == "").sum(), bad.sum())
        df[m] = value.where(~bad, "")
    future = date > pd.Timestamp(TODAY)
    queries.append(pd.DataFrame({"row": df.index[future] + 2, "column": F.DATE,
                                 "message": "received_date " + df[F.DATE][future] + " is in the future"}))
    months = date.dt.year * 12 + date.dt.month - 4
    df["quarter"] = months // 3
    acc = df[accepted]
    out: dict[str, object] = {"queries": pd.concat(queries).sort_values(["row", "column"]), "counts": counts}

    def published(t: pd.DataFrame, **kw: object) -> pl.DataFrame:
        t.columns = [str(x) for x in t.columns]
        return disclose(pl.DataFrame({k: t[k].tolist() for k in t.columns}), **kw)  # type: ignore[arg-type]

    for c in CATEGORY_TABLES:
        out[c] = published(pd.crosstab(acc[c], acc["quarter"], margins=True, margins_name="Total").reset_index())
    bins = [-1] + [last for _, _, last in AGE_GROUPS]
    group = pd.cut(age[accepted].where(age[accepted] <= F.MAX_AGE), bins=bins, labels=[g for g, _, _ in AGE_GROUPS])
    gender = acc["gender"].where(acc["gender"].isin(["Female", "Male"]), "Other")
    out["age_gender"] = published(pd.crosstab(group.astype(str), gender, margins=True,
                                              margins_name="Total").reset_index())
    milestones = pd.DataFrame({m: acc[m].value_counts() for m in F.MILESTONES}).T.fillna(0).astype(int)
    milestones = milestones.rename(columns={"": BLANK})[["yes", "no", BLANK]]
    milestones["Total"] = milestones.sum(axis=1)
    out["milestones"] = published(milestones.reset_index(), total_row=None, shares=MILESTONE_SHARES)
    summary = pd.crosstab(accepted.map({True: "Accepted", False: "Not accepted"}), df["quarter"], margins=True,
                          margins_name="Total").reset_index()
    out["summary"] = published(summary)
    return out


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-pandas", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "referrals.csv"
        start = time.perf_counter()
        generate(csv_path, args.records)
        print(f"generated {args.records:,} records ({csv_path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        # in turns (count, scan, cyplan; count, scan, cyplan; …), so that the machine's ups and downs fall on
        # all three alike; each cyplan run imports into a workspace made before the clock starts (untimed)
        count, scan, ours = [], [], []
        for i in range(args.repeat):
            count += timed(lambda: duckdb_count(csv_path), 1)
            scan += timed(lambda: duckdb_scan(csv_path), 1)
            ws = Workspace.create(Path(tmp) / f"ws{i}")
            ours += timed(lambda ws=ws: cyplan_pipeline(csv_path, ws), 1)
            ws.close()
            shutil.rmtree(Path(tmp) / f"ws{i}")  # its files are not kept from one turn to the next
        before_pandas = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        base = [] if args.no_pandas else timed(lambda: pandas_pipeline(csv_path), 1)
    c, s, o = statistics.median(count), statistics.median(scan), statistics.median(ours)

    def runs_of(times: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in times)

    print(f"DuckDB count(*) of the CSV (old baseline): median {c:.2f} s  ({runs_of(count)})")
    print(f"DuckDB fair scan, count(col) of every column: median {s:.2f} s  ({runs_of(scan)})")
    print(f"cyplan import→quality→tables→publish: median {o:.2f} s  ({runs_of(ours)})"
          f"  target < 5 s: {'met' if o < 5 else 'NOT met'}")
    pairs = statistics.median(ours[i] / scan[i] for i in range(len(scan)))
    print(f"  ratio to the fair scan: {o / s:.2f}×  (target ≤ 2×: {'met' if o / s <= 2 else 'NOT met'}); "
          f"median of each turn's ratio {pairs:.2f}×; to count(*): {o / c:.2f}×")
    if base:
        p = statistics.median(base)
        print(f"pandas pipeline:                  {p:.2f} s  → cyplan is {p / o:.1f}× faster "
              f"(goal ≥ 5×: {'met' if p / o >= 5 else 'NOT met'})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak memory (whole process): {peak:,.0f} MB with pandas, {before_pandas:,.0f} MB before pandas ran "
          "(target < 1,500 MB)")


if __name__ == "__main__":
    main()
