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
from dataclasses import dataclass

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

def _with_totals(label: str, names: Sequence[str], columns: Sequence[str], counts: np.ndarray,
                 total_row: bool = True) -> pl.DataFrame:
    counts = np.column_stack([counts, counts.sum(axis=1)])
    names = list(names)
    if total_row:
        counts = np.vstack([counts, counts.sum(axis=0)])
        names.append(TOTAL)
    data = {label: names} | {c: counts[:, j].astype(np.int64) for j, c in enumerate([*columns, TOTAL])}
    return pl.DataFrame(data)


@dataclass(frozen=True)
class TableCounts:
    """What every table is made from: counts by quarter (columns: `quarters`, the quarter keys in order).

    received: 2 × quarters — accepted, not accepted (every referral);
    by_category: field → (categories + 2) × quarters — accepted referrals by category in code-list order,
        then invalid, then blank;
    age_gender: (AGE_GROUPS + 1) × 3 — accepted referrals by age group (then unknown age) and gender
        (female, male, anything else or blank);
    milestones: MILESTONE_LABELS × 3 — accepted referrals answering yes, no, blank (an invalid answer counts
        as blank)."""
    quarters: Sequence[int]
    received: np.ndarray
    by_category: Mapping[str, np.ndarray]
    age_gender: np.ndarray
    milestones: np.ndarray


def category_row(codes: np.ndarray, n: int) -> np.ndarray:
    """A category code (0 blank, -1 invalid, k the k-th of n categories) → its table row (categories, then
    Invalid, then blank)."""
    return np.where(codes == 0, n + 1, np.where(codes < 0, n, codes - 1))


def gender_column(codes: np.ndarray, genders: Sequence[str]) -> np.ndarray:
    """A gender code → its column of the age and gender table: 0 female, 1 male, 2 anything else or blank."""
    lower = [g.lower() for g in genders]
    female = lower.index("female") + 1 if "female" in lower else -99
    male = lower.index("male") + 1 if "male" in lower else -99
    return np.where(codes == female, 0, np.where(codes == male, 1, 2))


def age_group_of(ages: np.ndarray) -> np.ndarray:
    """An age (−1: blank or not valid) → its index into AGE_GROUPS, or len(AGE_GROUPS) for an unknown age."""
    out = np.full(len(ages), len(AGE_GROUPS), dtype=np.int64)
    for i, (_, first, last) in enumerate(AGE_GROUPS):
        out[(ages >= first) & (ages <= last)] = i
    return out


def milestone_column(codes: np.ndarray) -> np.ndarray:
    """A milestone code (1 yes, 2 no, 0 blank, −1 invalid) → 0 yes, 1 no, 2 blank (an invalid answer too)."""
    return np.where(codes == YES, 0, np.where(codes == NO, 1, 2))


def tables_from_counts(counts: TableCounts, categories: Mapping[str, Sequence[str]]) -> dict[str, pl.DataFrame]:
    """Every table of the report from its counts (see TableCounts), keyed by its file name (without .csv)."""
    labels = [quarter_label(k) for k in counts.quarters]
    summary = _with_totals("measure", ["Accepted", "Not accepted"], labels, counts.received)
    out = {"summary": summary.with_columns(pl.col("measure").replace(TOTAL, SUMMARY_TOTAL_ROW))}
    for field in CATEGORY_TABLES:
        out[field] = _with_totals("category", [*categories[field], INVALID, BLANK], labels, counts.by_category[field])
    out["age_gender"] = _with_totals("age_group", [g for g, _, _ in AGE_GROUPS] + [UNKNOWN_AGE], GENDER_COLUMNS,
                                     counts.age_gender)
    milestones = _with_totals("milestone", list(MILESTONE_LABELS.values()), ["yes", "no", BLANK], counts.milestones,
                              total_row=False)
    out["milestones"] = with_shares(milestones, MILESTONE_SHARES)
    return out


MILESTONE_SHARES = {"% yes": ("yes", TOTAL), "% blank": (BLANK, TOTAL)}
SUMMARY_TOTAL_ROW = "Received"


def with_shares(table: pl.DataFrame, shares: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    """Percentages (1 decimal place) of one column over another; null where the denominator is 0."""
    return table.with_columns(
        pl.when(pl.col(den) > 0).then((pl.col(num) / pl.col(den) * 100).round(1)).alias(name)
        for name, (num, den) in shares.items())


def _count(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Counts of (row index, column index) pairs, as an n_rows × n_cols matrix (one bincount, no loop)."""
    return np.bincount(rows.astype(np.int64) * n_cols + cols, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


def table_counts(records: pl.DataFrame, categories: Mapping[str, Sequence[str]]) -> TableCounts:
    """The counts of every table from coded records (see the module's docstring)."""
    records = with_quarter(records)
    keys = quarters(records)
    column = records[QUARTER].replace_strict(keys, list(range(len(keys))), return_dtype=pl.Int64).to_numpy()
    accepted = records["accepted"].to_numpy()
    nq = len(keys)
    received = _count(np.where(accepted, 0, 1), column, 2, nq)
    kept = records.filter(pl.Series(accepted))
    at = column[accepted]
    by_category = {f: _count(category_row(kept[f].to_numpy().astype(np.int64), len(categories[f])), at,
                             len(categories[f]) + 2, nq) for f in CATEGORY_TABLES}
    ages = kept["age"].fill_null(-1).to_numpy().astype(np.int64)
    age_gender = _count(age_group_of(ages), gender_column(kept["gender"].to_numpy(), categories["gender"]),
                        len(AGE_GROUPS) + 1, 3)
    milestones = np.array([np.bincount(milestone_column(kept[m].to_numpy()), minlength=3) for m in MILESTONE_LABELS])
    return TableCounts(keys, received, by_category, age_gender, milestones.reshape(len(MILESTONE_LABELS), 3))


def tables(records: pl.DataFrame, categories: Mapping[str, Sequence[str]]) -> dict[str, pl.DataFrame]:
    """Every table of the report from coded records, keyed by its file name (without .csv)."""
    return tables_from_counts(table_counts(records, categories), categories)


# -- equality: who the services reach, against the area's population ---------------------------------------

Z95 = 1.959964


def equality(referrals: Sequence[int], population: Sequence[float], categories: Sequence[str],
             total: tuple[float, float] | None = None, years: float = 1.0) -> pl.DataFrame:
    """Referral rate per 10,000 a year in each category, with a 95% interval (Byar's method), and its ratio to
    the whole area's rate, with a 95% interval on the log scale: var(log RR) = 1/a − 1/A, a category's a
    referrals being part of the area's A (docs/method.md, "Equality"). The area's (referrals, population) are the
    categories' sums unless `total` gives them (a published view, whose categories are not all shown).
    `years` is the time the referrals were counted over: the rates and their intervals are divided by it (a
    year's population against 18 months of referrals would overstate every rate by half); the ratios, the
    same factor above and below, are not changed."""
    a = np.asarray(referrals, dtype=float)
    n = np.asarray(population, dtype=float)
    big_a, big_n = total if total is not None else (a.sum(), n.sum())
    per = 10_000 / years  # per 10,000 people a year
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = a / n * per
        lo = np.where(a > 0, a * (1 - 1 / (9 * np.maximum(a, 1)) - Z95 / (3 * np.sqrt(np.maximum(a, 1)))) ** 3, 0.0)
        hi = (a + 1) * (1 - 1 / (9 * (a + 1)) + Z95 / (3 * np.sqrt(a + 1))) ** 3
        area_rate = big_a / big_n
        ratio = (a / n) / area_rate
        se = np.sqrt(np.maximum(1 / a - 1 / big_a, 0))
        rr_lo = np.where(a > 0, ratio * np.exp(-Z95 * se), np.nan)
        rr_hi = np.where(a > 0, ratio * np.exp(Z95 * se), np.nan)
    frame = pl.DataFrame({
        "category": [*categories, TOTAL], "referrals": np.append(a, big_a).astype(np.int64),
        "population": np.append(n, big_n), "rate_per_10000": np.append(rate, area_rate * per),
        "rate_low": np.append(lo / n * per, np.nan), "rate_high": np.append(hi / n * per, np.nan),
        "rate_ratio": np.append(ratio, 1.0), "ratio_low": np.append(rr_lo, np.nan),
        "ratio_high": np.append(rr_hi, np.nan)})
    return frame.with_columns(pl.col(pl.Float64).fill_nan(None).round(3))
