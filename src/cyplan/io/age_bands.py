"""Age bands such as 0-4 or 25 to 29, as ONS publishes population, split into single years of age on request
(`--split-age-bands`): each year of a band given an equal share of its count, an assumption said in a warning."""

from __future__ import annotations

import dataclasses
import re

import polars as pl

from cyplan.io.read import ROW, RawTable
from cyplan.io.spellings import THOUSANDS
from cyplan.schema import AGES

# case written into the pattern: Polars (split_bands) is given the pattern's text, not Python's flags
AGE_BAND = re.compile(r"(?i)^(?:aged\s+)?([0-9]{1,3})\s*(?:-|–|to)\s*([0-9]{1,3})$")
OPEN_BAND = re.compile(r"(?i)^(?:aged\s+)?([0-9]{1,3})\s*(?:\+|and over|plus)$")
BAND_ASSUMPTION = "each year of a band given an equal share of its count"


def split_bands(raw: RawTable) -> RawTable:
    """The population with each row whose age is a band ('0-4', '5 to 9') and whose count is a number made one row
    a year of the band, each with an equal share of the count, on the band's own row; a note says so. Years above
    the plan's oldest age are left out with a note (ONS's '25-29' keeps a fifth of its count, for age 25), since
    every mid-year file has bands past 25. A band with a negative count keeps the count as written, on one row of
    its first year, so that the message names the file's -5, not a share of it. Other rows are kept as they are,
    for their cells' own messages (a band with a count that is not a number is left whole)."""
    if "age" not in raw.columns or "count" not in raw.columns:
        return raw
    oldest = max(AGES)
    age = pl.col("age").cast(pl.String).str.strip_chars()
    lo = age.str.extract(AGE_BAND.pattern, 1).cast(pl.Int64)
    hi = age.str.extract(AGE_BAND.pattern, 2).cast(pl.Int64)
    count = pl.col("count").cast(pl.String).str.strip_chars()
    number = pl.when(count.str.contains(THOUSANDS)).then(count.str.replace_all(",", "")).otherwise(count) \
        .cast(pl.Float64, strict=False)
    split = (lo <= hi) & number.is_finite()
    negative = number < 0
    frame = raw.frame.with_columns(split.fill_null(False).alias("__split"),
                                   (split & ~negative & (lo > oldest)).fill_null(False).alias("__above"),
                                   (split & ~negative & (hi > oldest)).fill_null(False).alias("__past"))
    bands = frame.filter("__split").height
    if not bands:
        return raw
    dropped = frame.filter("__past")
    years = pl.when(negative).then(pl.concat_list(lo)).otherwise(pl.int_ranges(lo, pl.min_horizontal(hi, oldest) + 1))
    frame = frame.filter(~pl.col("__above")).with_columns(
        pl.when("__split").then(years.cast(pl.List(pl.String))).otherwise(pl.concat_list(age)).alias("age"),
        pl.when(pl.col("__split") & ~negative).then((number / (hi - lo + 1)).cast(pl.String)).otherwise(count)
        .alias("count"),
    ).explode("age").drop("__split", "__above", "__past")
    raw.notes.append(f"{bands:,} row{'s' if bands != 1 else ''} gave an age band; each was split into single "
                     f"years of age, {BAND_ASSUMPTION} (an assumption: replace it with single-year estimates when "
                     "you have them)")
    if dropped.height:
        raw.notes.append(_past_oldest_note(dropped, oldest))
    return dataclasses.replace(raw, frame=frame)


def _past_oldest_note(dropped: pl.DataFrame, oldest: int) -> str:
    """What was left out of bands above the plan's oldest age: the rows, and the part of a band that straddles it."""
    rows = dropped[ROW].to_list()
    where = f"row{'s' if len(rows) != 1 else ''} " + ", ".join(map(str, rows[:5])) + (" …" if len(rows) > 5 else "")
    return (f"cyplan plans ages 0 to {oldest}, so the years above {oldest} in the age bands on {where} were left out "
            f"(a band such as '{oldest}-{oldest + 4}' keeps only age {oldest}'s equal share, a fifth of its count)")


def band_hint(text: str) -> str | None:
    """What to do with an age band in a column of single years, or None if `text` is not a band."""
    if OPEN_BAND.match(text):
        return (f"'{text}' is an open-ended age band, which cannot be split into single years: cyplan plans ages 0 "
                "to 25, so give single years up to 25 and leave out the rows above")
    if AGE_BAND.match(text):
        return (f"'{text}' is an age band, not a single year of age: import with --split-age-bands (on the Data "
                f"page: tick 'Split age bands') to split each band into single years, {BAND_ASSUMPTION}, or give "
                "one row a year")
    return None
