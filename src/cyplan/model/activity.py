"""Referral activity: coded referral records → the quarterly tables of seed 004's Framework for
Integrated Care (Community) report. Pure and vectorised (Polars); no I/O.

Records arrive coded (see `returns.stage`): each categorical field is 0 for blank, -1 for a value
not on its code list, k for the code list's k-th category; each milestone is 1 yes, 2 no, 0 blank,
-1 invalid; `age` is null when blank, not a number or outside the accepted range. Tables count
accepted referrals; only `summary` counts every referral received.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

INVALID = "Invalid - Provided response did not match valid options"  # the seed's own wording
BLANK = "(blank)"
TOTAL = "Total"
FY_START_MONTH = 4  # financial year April to March: Q1 = April–June
QUARTER = "quarter"

AGE_GROUPS: tuple[tuple[str, int, int], ...] = (  # (label, first age, last age): seed 004's age groups
    ("Nursery", 0, 3), ("4 to 6", 4, 6), ("7 to 9", 7, 9), ("10 to 11", 10, 11), ("12 to 15", 12, 15),
    ("16 to 17", 16, 17), ("18", 18, 18), ("19", 19, 19), ("20 to 24", 20, 24), ("25+", 25, 10_000),
)
UNKNOWN_AGE = "Unknown age"
GENDER_COLUMNS = ("Female", "Male", "Other or unknown gender")
MILESTONE_LABELS = {"advocate_assigned": "Advocate assigned", "care_plan": "Formulation-based care plan",
                    "advice_consultation": "Advice and consultation", "concluded": "Intervention concluded"}
YES, NO = 1, 2

# the tables, in the order they are written, and the categorical field each one counts
CATEGORY_TABLES = ("service", "ethnicity", "religion", "referral_source", "education_status", "accommodation",
                   "trauma_category")


# -- financial-year quarters ---------------------------------------------------------------------------------

def fy_quarter(date: pl.Expr) -> pl.Expr:
    """A date's financial-year quarter as one sortable integer: 4 × (year the FY starts) + (quarter − 1)."""
    months = date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - FY_START_MONTH
    return (months // 3).alias(QUARTER)


def quarter_label(key: int) -> str:
    """4 × 2022 + 0 → '2022/23 Q1'."""
    year, q = divmod(key, 4)
    return f"{year}/{(year + 1) % 100:02d} Q{q + 1}"


def quarter_bounds(key: int) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter."""
    year, q = divmod(key, 4)
    first_month = FY_START_MONTH + 3 * q  # may run past 12 into the next calendar year
    start = dt.date(year + (first_month - 1) // 12, (first_month - 1) % 12 + 1, 1)
    after = FY_START_MONTH + 3 * (q + 1)
    end = dt.date(year + (after - 1) // 12, (after - 1) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def with_quarter(records: pl.DataFrame) -> pl.DataFrame:
    return records.with_columns(fy_quarter(pl.col("received_date")))


def quarters(records: pl.DataFrame) -> list[int]:
    """The quarters present in the records (with_quarter applied), in order."""
    return sorted(records[QUARTER].unique().to_list())


# -- tables --------------------------------------------------------------------------------------------------

def _cross(rows: pl.Series, cols: pl.Series, n_rows: int, n_cols: int) -> np.ndarray:
    """Counts of (row index, column index) pairs, as an n_rows × n_cols matrix (one bincount, no loop)."""
    flat = rows.cast(pl.Int64).to_numpy() * n_cols + cols.cast(pl.Int64).to_numpy()
    return np.bincount(flat, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


def _with_totals(label: str, names: Sequence[str], columns: Sequence[str], counts: np.ndarray,
                 total_row: bool = True) -> pl.DataFrame:
    counts = np.column_stack([counts, counts.sum(axis=1)])
    names = list(names)
    if total_row:
        counts = np.vstack([counts, counts.sum(axis=0)])
        names.append(TOTAL)
    data = {label: names} | {c: counts[:, j].astype(np.int64) for j, c in enumerate([*columns, TOTAL])}
    return pl.DataFrame(data)


def category_table(accepted: pl.DataFrame, column: pl.Series, field: str, categories: Sequence[str],
                   labels: Sequence[str]) -> pl.DataFrame:
    """Accepted referrals by category (code-list order, then Invalid, then blank) and quarter (`column`: each
    record's quarter as an index into `labels`)."""
    n = len(categories)
    code = accepted[field]
    row = pl.select(pl.when(code == 0).then(n + 1).when(code < 0).then(n).otherwise(code - 1)).to_series()
    counts = _cross(row, column, n + 2, len(labels))
    return _with_totals("category", [*categories, INVALID, BLANK], labels, counts)


def age_group_index(age: pl.Expr) -> pl.Expr:
    """Index into AGE_GROUPS, or len(AGE_GROUPS) for an unknown age."""
    expr = pl.lit(len(AGE_GROUPS))
    for i, (_, first, last) in reversed(list(enumerate(AGE_GROUPS))):
        expr = pl.when(age.is_between(first, last)).then(i).otherwise(expr)
    return expr


def age_gender_table(accepted: pl.DataFrame, genders: Sequence[str]) -> pl.DataFrame:
    """Accepted referrals by age group and gender (Female, Male, anything else or blank)."""
    lower = [g.lower() for g in genders]
    female = lower.index("female") + 1 if "female" in lower else -99
    male = lower.index("male") + 1 if "male" in lower else -99
    gender = pl.when(pl.col("gender") == female).then(0).when(pl.col("gender") == male).then(1).otherwise(2)
    pairs = accepted.select(age_group_index(pl.col("age")).alias("r"), gender.alias("c"))
    counts = _cross(pairs["r"], pairs["c"], len(AGE_GROUPS) + 1, 3)
    return _with_totals("age_group", [g for g, _, _ in AGE_GROUPS] + [UNKNOWN_AGE], GENDER_COLUMNS, counts)


def milestones_table(accepted: pl.DataFrame) -> pl.DataFrame:
    """Per milestone: yes, no, blank (an invalid answer counts as blank), total, % yes and % blank."""
    counts = np.array([[(accepted[m] == YES).sum(), (accepted[m] == NO).sum(),
                        ((accepted[m] != YES) & (accepted[m] != NO)).sum()] for m in MILESTONE_LABELS])
    table = _with_totals("milestone", list(MILESTONE_LABELS.values()), ["yes", "no", BLANK],
                         counts.reshape(len(MILESTONE_LABELS), 3), total_row=False)
    return with_shares(table, MILESTONE_SHARES)


MILESTONE_SHARES = {"% yes": ("yes", TOTAL), "% blank": (BLANK, TOTAL)}


def with_shares(table: pl.DataFrame, shares: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    """Percentages (1 decimal place) of one column over another; null where the denominator is 0."""
    return table.with_columns(
        pl.when(pl.col(den) > 0).then((pl.col(num) / pl.col(den) * 100).round(1)).alias(name)
        for name, (num, den) in shares.items())


def summary_table(records: pl.DataFrame, column: pl.Series, labels: Sequence[str]) -> pl.DataFrame:
    """Referrals received by quarter and how many were accepted (received is the total row)."""
    row = pl.select(pl.when(records["accepted"]).then(0).otherwise(1)).to_series()
    counts = _cross(row, column, 2, len(labels))
    table = _with_totals("measure", ["Accepted", "Not accepted"], labels, counts)
    return table.with_columns(pl.col("measure").replace(TOTAL, "Received"))


SUMMARY_TOTAL_ROW = "Received"


def tables(records: pl.DataFrame, categories: Mapping[str, Sequence[str]]) -> dict[str, pl.DataFrame]:
    """Every table of the report, keyed by its file name (without .csv)."""
    records = with_quarter(records)
    keys = quarters(records)
    labels = [quarter_label(k) for k in keys]
    # each record's quarter as a column index, and the accepted records, worked out once for every table
    column = records[QUARTER].replace_strict(keys, list(range(len(keys))), return_dtype=pl.Int64)
    accepted_mask = records["accepted"]
    accepted = records.filter(accepted_mask)
    accepted_column = column.filter(accepted_mask)
    out = {"summary": summary_table(records, column, labels)}
    for field in CATEGORY_TABLES:
        out[field] = category_table(accepted, accepted_column, field, categories[field], labels)
    out["age_gender"] = age_gender_table(accepted, categories["gender"])
    out["milestones"] = milestones_table(accepted)
    return out


# -- equality: who the services reach, against the area's population ---------------------------------------

Z95 = 1.959964


def equality(referrals: Sequence[int], population: Sequence[float], categories: Sequence[str],
             total: tuple[float, float] | None = None) -> pl.DataFrame:
    """Referral rate per 10,000 in each category, with a 95% interval (Byar's method), and its ratio to the
    whole area's rate, with a 95% interval on the log scale: var(log RR) = 1/a − 1/A, a category's a
    referrals being part of the area's A (docs/method.md, "Equality"). The area's (referrals, population) are the
    categories' sums unless `total` gives them (a published view, whose categories are not all shown)."""
    a = np.asarray(referrals, dtype=float)
    n = np.asarray(population, dtype=float)
    big_a, big_n = total if total is not None else (a.sum(), n.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = a / n * 10_000
        lo = np.where(a > 0, a * (1 - 1 / (9 * np.maximum(a, 1)) - Z95 / (3 * np.sqrt(np.maximum(a, 1)))) ** 3, 0.0)
        hi = (a + 1) * (1 - 1 / (9 * (a + 1)) + Z95 / (3 * np.sqrt(a + 1))) ** 3
        area_rate = big_a / big_n
        ratio = (a / n) / area_rate
        se = np.sqrt(np.maximum(1 / a - 1 / big_a, 0))
        rr_lo = np.where(a > 0, ratio * np.exp(-Z95 * se), np.nan)
        rr_hi = np.where(a > 0, ratio * np.exp(Z95 * se), np.nan)
    frame = pl.DataFrame({
        "category": [*categories, TOTAL], "referrals": np.append(a, big_a).astype(np.int64),
        "population": np.append(n, big_n), "rate_per_10000": np.append(rate, area_rate * 10_000),
        "rate_low": np.append(lo / n * 10_000, np.nan), "rate_high": np.append(hi / n * 10_000, np.nan),
        "rate_ratio": np.append(ratio, 1.0), "ratio_low": np.append(rr_lo, np.nan),
        "ratio_high": np.append(rr_hi, np.nan)})
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None).round(3))
