"""Check a table of text cells against its input kind and turn it into typed columns.

Every problem is collected, none stops the check early, and each names the row and column as
the user sees them. Checks that need several inputs at once (references) are in `references`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import polars as pl

from cyplan.io.age_bands import band_hint, split_bands
from cyplan.io.checks import SUM_TOLERANCE
from cyplan.io.checks import fmt as _fmt
from cyplan.io.checks import rows as _rows
from cyplan.io.problems import FAILS, RUN_SHOWN, Found, ProblemRun
from cyplan.io.read import ROW, RawTable
from cyplan.io.spellings import (
    THOUSANDS,
    UK_DATE,
    read_date,
    spellings,
)
from cyplan.model.demand import WEEKS_PER_YEAR
from cyplan.schema import AGES, SEXES, Column, InputKind

GSS_CODE = r"^[EKNSW]\d{8}$"
CUSTOM_CODE = r"^[A-Za-z0-9_\-]{1,20}$"
# C0 and C1 controls but tab, line feed and carriage return; and the bidirectional overrides and isolates
# (U+202A–U+202E, U+2066–U+2069), which make a label read backwards in a page or a paper ("Trojan Source")
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
# refused, not shown: a cell's text is echoed in messages, and an escape (ESC [2J…) would work the terminal
CONTROL_MESSAGE = ("contains a control character (an invisible character such as a vertical tab or a right-to-left "
                   "override): retype the cell")
MIN_DIRECT_HOURS = 1  # hours of direct work a year one FTE of a role gives (demand in FTE divides by it)

# For estimate columns the message names the quantity: "central prevalence 1.4 is above 1".
QUANTITY = {"prevalence": "prevalence", "group_risks": "relative risk", "pathway_steps": "hours per case",
            "prevalence_trends": "trend", "need_shares": "need share"}

POLARS_TYPE = {"text": pl.String, "code": pl.String, "enum": pl.String, "integer": pl.Int64,
               "number": pl.Float64, "share": pl.Float64}


def validate(raw: RawTable, kind: InputKind, consume: bool = False, codes: bool = False,
             split_age_bands: bool = False) -> tuple[pl.DataFrame, list[Found]]:
    """The typed table (schema column order, plus ROW) and every problem found in it. With `consume`, each of
    the raw table's columns is dropped from its frame once checked (the frame keeps ROW): a big file's cells
    are not held beside their typed values, which would double the memory an import takes. With `codes`, a CSV's
    text columns are given as they are checked, dictionary codes (Categorical: 4 bytes a cell, where a string a
    cell takes 16 to 43), not strings; join or stack them with strings through `io.read.text_like`. A column named
    by an exact alias ('FTE' for fte_in_post) is read as that column, and with `split_age_bands` the population's
    age bands ('0-4') are split into single years: each is said in `raw.notes`."""
    raw = _aliased(raw, kind, consume)
    if split_age_bands and kind.name == "population":
        raw = split_bands(raw)
    frame, problems = _checked(raw, kind, consume)
    if not codes:
        frame = frame.with_columns(pl.col(pl.Categorical).cast(pl.String))
    return frame, problems


def _checked(raw: RawTable, kind: InputKind, consume: bool) -> tuple[pl.DataFrame, list[Found]]:
    problems = _header_problems(raw, kind)
    columns: dict[str, pl.Series] = {ROW: raw.frame[ROW]}
    # each row's key as one number, to find repeated keys without hashing text (None: a key column is not given)
    keys = KeyNumbers(raw.frame.height) if all(k in raw.columns for k in kind.key) else None
    for col in kind.columns:
        if col.name in raw.columns:
            series, ids, found = _parse_column(raw, kind, col)
            problems += found
            if keys is not None and ids is not None:
                keys.add_parts(_row_ids(raw.frame[col.name], ids), int(ids["id"].max() or 0))
            if consume:
                raw.frame.drop_in_place(col.name)
        else:
            value = _parse_default(col)
            series = pl.repeat(value, raw.frame.height, dtype=POLARS_TYPE[col.type], eager=True).alias(col.name)
        columns[col.name] = series
    frame = pl.DataFrame(columns)
    missing = any(c.required and c.name not in raw.columns for c in kind.columns)
    if missing:
        return frame, problems
    if kind.estimates or kind.ranges:
        frame, found = _check_estimates(raw, kind, frame)
        problems += found
    if kind.age_range:
        problems += _rows(raw, frame.filter(pl.col("age_from") > pl.col("age_to")), "age_from",
                          lambda r: f"age_from {r['age_from']} is after age_to {r['age_to']}")
    problems += _duplicate_keys(raw, kind, frame, keys)
    problems += KIND_CHECKS.get(kind.name, lambda r, f: [])(raw, frame)
    return frame, problems


def _header_problems(raw: RawTable, kind: InputKind) -> list[Found]:
    expected = ", ".join(kind.column_names)
    problems = [raw.problem(raw.header_row, c, f"unknown column for {kind.title.lower()}"
                            f"{_did_you_mean(c, kind, raw.columns)}; the columns are: {expected}")
                for c in raw.columns if c not in kind.column_names]
    problems += [raw.problem(raw.header_row, c.name, f"required column '{c.name}' is missing")
                 for c in kind.columns if c.required and c.name not in raw.columns]
    return problems


# -- files as councils have them: column aliases, NHS and ONS spellings, UK dates, age bands -----------------

# a header name as NHS and ONS tables give it → the column it is, where the input has that column (every input)
COMMON_ALIASES = {"gender": "sex", "area_code": "area", "geography_code": "area", "la_code": "area"}
# and for one input only, where the name could mean something else in another
ALIASES: dict[str, dict[str, str]] = {
    "population": {"population": "count", "persons": "count", "people": "count", "value": "count",
                   "obs_value": "count", "code": "area", "mid_year": "year"},
    "workforce": {"fte": "fte_in_post", "wte": "fte_in_post", "staff_in_post": "headcount", "head_count": "headcount",
                  "vacancies": "vacant_fte"},
    "group_sizes": {"population": "count"},
}


def aliases(kind: InputKind) -> dict[str, str]:
    """The input's aliases: a header name → the column it is read as."""
    table = {**COMMON_ALIASES, **ALIASES.get(kind.name, {})}
    return {alias: column for alias, column in table.items() if column in kind.column_names}


def known_headers(kind: InputKind) -> tuple[str, ...]:
    """Every header name the input knows, its columns' and their aliases': a title row above the header names none
    of them (io.read.header_below_title)."""
    return (*kind.column_names, *aliases(kind))


def _aliased(raw: RawTable, kind: InputKind, consume: bool) -> RawTable:
    """The table with each column named by an exact alias renamed to its column, and a note saying so (in
    `raw.notes`, which the table returned shares), unless the file also has that column or two of its columns are
    aliases of it: then the header's problem suggests it. With `consume` the frame is renamed in place, so that
    dropping each column once checked frees it (the caller's table is being used up anyway)."""
    table = aliases(kind)
    wanted = [table.get(c) for c in raw.columns if c not in kind.column_names]
    renames = {c: table[c] for c in raw.columns if c not in kind.column_names and c in table
               and table[c] not in raw.columns and wanted.count(table[c]) == 1}
    if not renames:
        return raw
    frame = raw.frame
    if consume:
        frame.columns = [renames.get(c, c) for c in frame.columns]
    else:
        frame = frame.rename(renames)
    raw.notes.extend(f"column '{raw.as_written(c)}' was read as '{to}'" for c, to in renames.items())
    written = {renames.get(c, c): name for c, name in raw.written.items()}
    return dataclasses.replace(raw, columns=tuple(renames.get(c, c) for c in raw.columns), frame=frame,
                               written=written)


def _did_you_mean(name: str, kind: InputKind, columns: tuple[str, ...]) -> str:
    """'; did you mean 'count'?' for a header name close to a column's name or an alias's; for an alias not taken
    (see _aliased), why not; else ''."""
    table = aliases(kind)
    if name in table:
        to = table[name]
        other = f"the file has '{to}' too" if to in columns else "so would another of the file's columns"
        return f"; it would be read as '{to}', but {other}: keep one of them"
    close = difflib.get_close_matches(name, [*kind.column_names, *table], n=1, cutoff=0.6)
    guess = table.get(name) or (table.get(close[0], close[0]) if close else None)
    return f"; did you mean '{guess}'?" if guess else ""


# how NHS and ONS files spell the values of a coded column (any case): each spelling → the value it is
def _date_note(col: Column, texts: pl.Series) -> str | None:
    """Once for a column: that its dates were read day first, with an example (one that could be read either way,
    if there is one)."""
    uk = [t for t in texts.drop_nulls().to_list() if UK_DATE.match(t) and read_date(t)]
    if not uk:
        return None
    example = next((t for t in uk if int(UK_DATE.match(t)[1]) <= 12), uk[0])  # type: ignore[index]
    day = read_date(example)
    return (f"column '{col.name}': dates such as {example} were read as day/month/year (UK), so {example} is "
            f"{day.day} {day:%B %Y}" if day else None)


def _parse_default(col: Column) -> object:
    if col.default is None or col.default == "":
        return "" if col.type == "text" else None
    return {"integer": int, "number": float, "share": float}.get(col.type, str)(col.default)


def _parse_column(raw: RawTable, kind: InputKind,
                  col: Column) -> tuple[pl.Series, pl.DataFrame | None, list[Found]]:
    """The column's typed values, for a key column each distinct cell's value id (CELL, "id": 1, 2, …; 0 for no
    value; see _duplicate_keys), and the column's problems. Each distinct cell is trimmed, parsed and checked
    once, and the results are given to the rows by a join: a big file's column (Categorical from a CSV) is never
    made into a string a cell, nor a regex run on every row."""
    cells = raw.frame[col.name]
    distinct = _distinct_cells(cells, col)
    rows = pl.DataFrame({ROW: raw.frame[ROW], CELL: cells})
    note = _date_note(col, distinct["text"]) if col.date else None
    if note:
        raw.notes.append(note)

    def failing(which: pl.Expr) -> pl.DataFrame:
        """The rows whose cell is one of the distinct cells `which` picks, with that cell's text and value."""
        bad = distinct.filter(which)
        if not bad.height:
            return rows.clear().join(bad, on=CELL, how="left")
        found = rows.filter(pl.col(CELL).is_in(bad[CELL].implode(), nulls_equal=True))
        return found.join(bad, on=CELL, how="left", maintain_order="left", nulls_equal=True)

    problems: list[Found] = []
    if col.type != "text" or not col.blank_ok:
        if not col.blank_ok:
            problems += _rows(raw, failing(pl.col("blank")), col.name, lambda r: _blank(raw, col, r[ROW]))
        problems += _rows(raw, failing(~pl.col("blank") & pl.col("value").is_null()), col.name,
                          lambda r: _not_a(col, r["text"]))
    if col.type in ("integer", "number", "share"):
        problems += _range_problems(raw, kind, col, failing)
    else:
        problems += _rows(raw, failing(pl.col("text").str.contains(CONTROL)), col.name, lambda r: CONTROL_MESSAGE)
    typed = distinct.select(CELL, pl.when(pl.col("blank")).then(pl.lit("" if col.type == "text" else None))
                            .otherwise(pl.col("value")).cast(POLARS_TYPE[col.type], strict=False).alias("typed"))
    ids = None
    if col.name in kind.key:
        ids = typed.select(CELL, pl.col("typed").rank("dense").fill_null(0).cast(pl.UInt32).alias("id"))
    if cells.dtype == pl.Categorical and POLARS_TYPE[col.type] == pl.String:
        # text stays dictionary codes, as read, through every check (issue 11, part 7: see validate's `codes`)
        typed = typed.with_columns(pl.col("typed").cast(pl.Categorical))
    return _spread(cells, typed)["typed"].alias(col.name), ids, problems


_PART = 1 << 20  # rows of a key column whose value ids are made at a time


def _row_ids(cells: pl.Series, ids: pl.DataFrame) -> Iterator[pl.Series]:
    """Each row's value id (from `ids`, a distinct cell's id), a part of the column at a time: folded into the key
    numbers as they come, the ids of a whole column are never held (4 bytes a row)."""
    for start in range(0, len(cells), _PART):
        yield _spread(cells.slice(start, _PART), ids)["id"]


CELL = "__cell"  # a column's cell as read, in the frames that give each row its distinct cell's results


def _spread(cells: pl.Series, distinct: pl.DataFrame) -> pl.DataFrame:
    """Each cell's results, from `distinct`'s row for it (CELL: each distinct cell once). Categorical cells (a CSV)
    are looked up by their dictionary codes, which takes a number a cell beside the results; other cells by a
    join, which takes several."""
    results = distinct.drop(CELL)
    if cells.dtype != pl.Categorical or cells.null_count() or distinct[CELL].null_count():
        return pl.DataFrame({CELL: cells}).join(distinct, on=CELL, how="left", maintain_order="left",
                                                nulls_equal=True).drop(CELL)
    if cells.is_empty():
        return results.clear()
    codes = cells.to_physical()  # not copied: Polars gathers by them, where NumPy took two copies of 4 bytes a row
    known = distinct[CELL].to_physical().to_numpy()
    position = np.zeros(max(int(codes.max()), int(known.max(initial=0))) + 1, dtype=np.uint32)
    position[known] = np.arange(distinct.height, dtype=np.uint32)  # code → its row in `distinct`
    return results[position].select(pl.all().gather(codes))  # one row a code, then a row a cell


def _distinct_cells(cells: pl.Series, col: Column) -> pl.DataFrame:
    """Each distinct cell (CELL) with its text (trimmed; the default if blank), whether it is blank, and its
    value (null if it does not parse)."""
    # shrunk: Polars' unique() of a Categorical column keeps a buffer as long as the column (14 MB on a 200 MB
    # file) behind its few values, for as long as they are held
    distinct = cells.unique().shrink_to_fit()
    text = distinct.cast(pl.String).str.strip_chars()
    if col.default is not None:
        text = pl.select(pl.when(text == "").then(pl.lit(col.default)).otherwise(text)).to_series()
    return pl.DataFrame({CELL: distinct, "text": text, "value": _convert(text, col), "blank": text == ""})


def _blank(raw: RawTable, col: Column, row: int) -> str:
    formula = raw.unsaved_formulas.get((row, col.name))
    if formula:
        return (f"the cell holds a formula ({formula}) with no saved value: open the file in Excel so that it "
                "calculates, then save it")
    return "blank; a value is required"


def _convert(text: pl.Series, col: Column) -> pl.Series:
    if col.type == "text" and col.date:  # a day is kept as YYYY-MM-DD; text that is not one is left for its check
        return text.map_elements(lambda t: str(read_date(t) or t), return_dtype=pl.String, skip_nulls=True)
    if col.type == "text":
        return text
    if col.type == "code":
        return text.str.to_uppercase()
    if col.type == "enum":
        return text.str.to_lowercase().replace_strict(spellings(col.allowed), default=None, return_dtype=pl.String)
    plain = pl.select(pl.when(text.str.contains(THOUSANDS)).then(text.str.replace_all(",", ""))
                      .otherwise(text)).to_series()
    if col.type == "share":
        percent = plain.str.ends_with("%")
        number = plain.str.strip_suffix("%").str.strip_chars().cast(pl.Float64, strict=False)
        # divide by a series, not by the number 100: polars multiplies by 0.01, and 62.75% became 0.6275000000000001
        hundredths = number / pl.Series([100.0] * number.len())
        number = pl.select(pl.when(percent).then(hundredths).otherwise(number)).to_series()
    else:
        number = plain.cast(pl.Float64, strict=False)
    number = pl.select(pl.when(number.is_finite()).then(number)).to_series()
    if col.type == "integer":
        # kept as a float until its range is checked: 1e20 is a whole number too big for Int64, and is
        # reported as above the column's maximum, not cast (which raised) — see _parse_column
        return pl.select(pl.when(number == number.floor()).then(number)).to_series()
    return number


def _not_a(col: Column, text: str) -> str:
    band = band_hint(text) if col.name == "age" else None
    if band:
        return band
    if col.type == "integer":
        return f"'{text}' is not a whole number"
    if col.type == "share":
        return f"'{text}' is not a share: write it as 0.16 or 16%"
    if col.type == "enum":
        also = [s for s in spellings(col.allowed) if s not in {a.lower() for a in col.allowed}]
        return f"'{text}' is not one of: {', '.join(col.allowed)}" + (f" (also read: {', '.join(also)})"
                                                                      if also else "")
    return f"'{text}' is not a number"


# what to write instead of a 0 that is refused, where the 0 is what an analyst would naturally put
ZERO_HINTS = {("roles", "direct_work_share"): "; a role planned by ratio in role_ratios (an administrator, a team "
              "leader) does no direct work of its own and its share is not used there: write its share if it has "
              "one, or 1"}


def _range_problems(raw: RawTable, kind: InputKind, col: Column,
                    failing: Callable[[pl.Expr], pl.DataFrame]) -> list[Found]:
    name = f"{col.name} {QUANTITY[kind.name]}" if kind.estimates and col.name in ("low", "central", "high") \
        else col.name.replace("_", " ")
    v = pl.col("value")
    problems: list[Found] = []
    minimum = 0 if col.minimum is None and col.type == "share" else col.minimum
    if minimum is not None:
        if col.above_minimum:
            hint = ZERO_HINTS.get((kind.name, col.name.removesuffix("_low").removesuffix("_high")), "")
            problems += _rows(raw, failing(v <= minimum), col.name,
                              lambda r: f"{name} {r['text']} must be more than {_num(minimum)}{hint}")
        elif minimum == 0:
            problems += _rows(raw, failing(v < 0), col.name,
                              lambda r: f"{name} {r['text']} is negative; it must be 0 or more")
        else:
            problems += _rows(raw, failing(v < minimum), col.name,
                              lambda r: f"{name} {r['text']} is below {_num(minimum)}")
    if col.maximum is not None:
        hint = " (a share is from 0 to 1: write 16% or 0.16)" if col.type == "share" else ""
        problems += _rows(raw, failing(v > col.maximum), col.name,
                          lambda r: f"{name} {r['text']} is above {_num(col.maximum)}{hint}")
    return problems


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _where(first: object) -> str:
    return f"on row {first}" if first else "by a row already in the workspace"


def _check_estimates(raw: RawTable, kind: InputKind, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Found]]:
    """Every value with a range (low / central / high, or a kind's declared ranges): a blank low or high is
    the value itself, and low ≤ value ≤ high."""
    problems: list[Found] = []
    pairs = [("central", "low", "high")] if kind.estimates else []
    q = f" {QUANTITY[kind.name]}" if kind.estimates else ""
    for value, low, high in [*pairs, *kind.ranges]:
        v = pl.col(value)
        frame = frame.with_columns(pl.col(low).fill_null(v), pl.col(high).fill_null(v))
        problems += _rows(raw, frame.filter(pl.col(low) > v), low,
                          lambda r, lo=low, va=value: f"{lo}{q} {_fmt(r[lo])} is above {va} {_fmt(r[va])}")
        problems += _rows(raw, frame.filter(pl.col(high) < v), high,
                          lambda r, hi=high, va=value: f"{hi}{q} {_fmt(r[hi])} is below {va} {_fmt(r[va])}")
    return frame, problems


def _duplicate_keys(raw: RawTable, kind: InputKind, frame: pl.DataFrame, keys: KeyNumbers | None) -> list[Found]:
    key = list(kind.key)
    # every row's first row with its key, and the rows after it marked, not copied out: a file that repeats
    # every key would be copied whole; worded by Polars, not row by row, for the same reason
    first = keys.first_rows(frame[ROW]) if keys is not None else None
    if first is None:  # a key column not in the file, or too many distinct keys to number: Polars' hashing
        marked = frame.select(ROW, *key).with_columns(pl.col(ROW).min().over(key).alias("first"))
        marked = marked.with_columns((pl.all_horizontal(pl.col(k).is_not_null() for k in key)
                                      & (pl.col(ROW) != pl.col("first"))).alias(FAILS))
    else:
        marked = frame.select(ROW, *key).with_columns(first.alias("first"))
        marked = marked.with_columns((pl.col("first").is_not_null() & (pl.col(ROW) != pl.col("first"))).alias(FAILS))
    words = pl.format("duplicate: " + ", ".join(f"{k} '{{}}'" for k in key) + " is already on row {}", *key, "first")
    return _rows(raw, marked, key[0], words, "rows repeat a key already on an earlier row")


def _first_rows(rows: pl.Series, ids: list[pl.Series]) -> pl.Series | None:
    """Each row's first row with the same key (null if a key value is missing), from each key column's value
    ids (0: no value); None if the keys are too many to number in 63 bits. See KeyNumbers."""
    numbers = KeyNumbers(len(rows))
    for column in ids:
        numbers.add(column)
    return numbers.first_rows(rows)


class KeyNumbers:
    """One number a row for its key, folded in as each key column's value ids (1, 2, …; 0: no value) are made,
    so that only one number a row is held, not an id a column. The first row of each number is then found with
    NumPy: Polars' hashing of several text columns took more memory than the file (issue 11, part 7)."""

    def __init__(self, height: int) -> None:
        # 4 bytes a row while the numbers fit, else 8; None: too many keys to number
        self.combined: np.ndarray | None = np.zeros(height, dtype=np.uint32)
        self.valid = np.ones(height, dtype=bool)
        self.size = 1

    def add(self, ids: pl.Series) -> None:
        """A key column's value ids, one a row."""
        self.add_parts([ids], int(ids.max() or 0))

    def add_parts(self, parts: Iterable[pl.Series], top: int) -> None:
        """A key column's value ids in parts of consecutive rows, from the first row on; `top` is the largest."""
        n = top + 1
        if self.combined is None or self.size * n >= 2**63:
            self.combined = None
            return
        if self.size * n >= 2**32 and self.combined.dtype == np.uint32:
            self.combined = self.combined.astype(np.uint64)
        start = 0
        for part in parts:
            values = part.to_numpy()
            end = start + len(values)
            combined = self.combined[start:end]  # a view: changed in place
            combined *= combined.dtype.type(n)
            combined += values
            self.valid[start:end] &= values > 0
            start = end
        self.size *= n

    def first_rows(self, rows: pl.Series) -> pl.Series | None:
        """Each row's first row with its key (null if a key value is missing); None if there were too many keys.
        The numbers are let go: they are not held beside the first rows."""
        combined, size, valid = self.combined, self.size, self.valid
        self.combined = None
        if combined is None:
            return None
        if size > 4 * len(rows) + 1024:  # sparse numbers: number the keys present instead
            _, combined = np.unique(combined, return_inverse=True)
            size = int(combined.max(initial=0)) + 1
        row = rows.to_numpy()
        small = np.int32 if len(row) and row.max() < 2**31 and row.min() >= 0 else np.int64  # 4 bytes a row if it fits
        first = np.full(size, np.iinfo(small).max, dtype=small)
        if valid.all():
            np.minimum.at(first, combined, row)
        else:
            np.minimum.at(first, combined[valid], row[valid])
        out = np.empty(len(row), dtype=small)
        for start in range(0, len(row), _PART):  # a part at a time: no second array of 8 bytes a row
            out[start : start + _PART] = first[combined[start : start + _PART]]
        del combined
        found = pl.Series("first", out)
        return found if valid.all() else found.set(pl.Series(~valid), None)


def _ages(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per single year of age in each row's range (valid ranges only: an age outside 0–25 is reported
    by its range check, and a range from -10**18 would be a list too long to make)."""
    ok = frame.filter(pl.col("age_from").is_not_null() & pl.col("age_to").is_not_null()
                      & (pl.col("age_from") <= pl.col("age_to"))
                      & (pl.col("age_from") >= min(AGES)) & (pl.col("age_to") <= max(AGES)))
    return ok.with_columns(pl.int_ranges("age_from", pl.col("age_to") + 1).alias("age")).explode("age")


def _overlaps(raw: RawTable, frame: pl.DataFrame, by: list[str],
              what: Callable[[dict[str, object]], str]) -> list[Found]:
    ages = _ages(frame).with_columns(pl.col(ROW).min().over([*by, "age"]).alias("first"))
    clash = (ages.filter(pl.col(ROW) != pl.col("first"))
             .group_by([ROW, "first", *by], maintain_order=True)
             .agg(pl.col("age").min().alias("lo"), pl.col("age").max().alias("hi")))
    return _rows(raw, clash, "age_from", lambda r: f"ages {r['lo']} to {r['hi']} are already covered "
                 f"{what(r)} {_where(r['first'])}")


def _matches(frame: pl.DataFrame, column: str, pattern: str) -> pl.Expr:
    """Whether each row's text in `column` matches the regex `pattern` (null for no text), the regex run on the
    column's distinct values: a CSV's text is dictionary codes, and is not made a string a row to be matched."""
    values = frame[column].unique().drop_nulls()
    hits = values.filter(values.cast(pl.String).str.contains(pattern))
    return pl.col(column).is_in(hits.implode())


def _check_areas(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    custom = pl.col("kind") == "custom"
    code = pl.col("code")
    bad_gss = frame.filter(code.is_not_null() & ~custom & ~_matches(frame, "code", GSS_CODE))
    bad_custom = frame.filter(code.is_not_null() & custom & ~_matches(frame, "code", CUSTOM_CODE))
    own_parent = frame.filter(code == pl.col("parent"))
    return (_rows(raw, bad_gss, "code", lambda r: f"'{r['code']}' is not an ONS GSS code (a letter and eight "
                  "digits, e.g. E10000003); give kind 'custom' to an area without one")
            + _rows(raw, bad_custom, "code", lambda r: f"'{r['code']}' is not a usable code: up to 20 letters, "
                    "digits, '-' or '_'")
            + _rows(raw, own_parent, "parent", lambda r: "an area cannot be its own parent"))


def _check_age_bands(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    problems = _overlaps(raw, frame, [], lambda r: "by the band")
    covered = set(_ages(frame)["age"].to_list())
    gaps = [a for a in AGES if a not in covered]
    if gaps and not problems:
        problems.append(raw.problem(None, None, "no band covers age" + ("s " if len(gaps) > 1 else " ")
                                    + _spans(gaps) + "; the bands must cover every age from 0 to 25"))
    return problems


def _spans(ages: Iterable[int]) -> str:
    out: list[list[int]] = []
    for a in sorted(ages):
        if out and a == out[-1][1] + 1:
            out[-1][1] = a
        else:
            out.append([a, a])
    return ", ".join(f"{lo}" if lo == hi else f"{lo} to {hi}" for lo, hi in out)


def _check_prevalence(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    sexes = pl.DataFrame({"sex": SEXES}, schema={"sex": frame.schema["sex"]})  # the file's text type, to stack
    both = frame.filter(pl.col("sex") == "all").drop("sex").join(sexes, how="cross")
    each = pl.concat([frame.filter(pl.col("sex") != "all"), both.select(frame.columns)])
    problems = _overlaps(raw, each, ["level", "sex"], lambda r: f"for level '{r['level']}', {r['sex']}")
    return problems + _check_rate_basis(raw, each) + _check_net_of(raw, frame, each)


def _check_rate_basis(raw: RawTable, each: pl.DataFrame) -> list[Found]:
    """Every level's rate at one age and sex has the same basis: a group's cases across levels are capped
    together, and the cap cannot mix a rate that includes the groups with one that leaves them out."""
    ages = _ages(each.filter(pl.col("rate_basis").is_not_null()).sort(ROW)).with_columns(
        pl.col("rate_basis").first().over(["age", "sex"]).alias("basis"),
        pl.col("level").first().over(["age", "sex"]).alias("by"),
        pl.col(ROW).first().over(["age", "sex"]).alias("first"))
    clash = (ages.filter(pl.col("rate_basis") != pl.col("basis"))
             .group_by([ROW, "first", "sex", "basis", "by"], maintain_order=True)
             .agg(pl.col("age").min().alias("lo"), pl.col("age").max().alias("hi")))
    return _rows(raw, clash, "rate_basis", lambda r: f"ages {r['lo']} to {r['hi']} ({r['sex']}) have rate_basis "
                 f"'{r['basis']}' for level '{r['by']}' {_where(r['first'])}: every level's rate at an age and sex "
                 "must have the same basis, because a group's cases across levels are capped together")


def _check_net_of(raw: RawTable, frame: pl.DataFrame, each: pl.DataFrame) -> list[Found]:
    """A level given net of another names a different level, one not itself given net of a third, whose rows
    cover every age and sex this row covers."""
    net = frame.filter(pl.col("net_of").is_not_null() & (pl.col("net_of") != ""))
    if not net.height:
        return []
    own = net.filter(pl.col("net_of") == pl.col("level"))
    derived = set(net["level"].to_list())
    chained = net.filter(pl.col("net_of").is_in(list(derived)) & (pl.col("net_of") != pl.col("level")))
    # level and net_of may be dictionary codes or strings (a CSV's, a workbook's, the workspace's kept rows in
    # a merge): compared as strings, which the few prevalence rows make cheap
    covered = _ages(each).select(pl.col("level").cast(pl.String).alias("net_of"), "age", "sex").unique()
    wanted = _ages(each.filter(pl.col("net_of").is_not_null() & (pl.col("net_of") != ""))) \
        .with_columns(pl.col("net_of").cast(pl.String))
    gaps = (wanted.join(covered, on=["net_of", "age", "sex"], how="anti")
            .group_by([ROW, "net_of", "sex"], maintain_order=True)
            .agg(pl.col("age").min().alias("lo"), pl.col("age").max().alias("hi")))
    # a total below the part it is net of leaves this level nothing (the model cuts it to 0 in every draw)
    parts = _ages(each).select(pl.col("level").cast(pl.String).alias("net_of"), "age", "sex",
                               pl.col("central").alias("part"))
    below = (wanted.join(parts, on=["net_of", "age", "sex"]).filter(pl.col("central") < pl.col("part"))
             .group_by([ROW, "net_of", "sex", "central", "part"], maintain_order=True)
             .agg(pl.col("age").min().alias("lo"), pl.col("age").max().alias("hi")))
    return (_rows(raw, own, "net_of", lambda r: "a level cannot be given net of itself")
            + _rows(raw, chained, "net_of", lambda r: f"level '{r['net_of']}' is itself given net of another level: "
                    "give it as its own share, or give this level net of the level that one is net of")
            + _rows(raw, gaps, "net_of", lambda r: f"level '{r['net_of']}' has no prevalence row for ages {r['lo']} "
                    f"to {r['hi']} ({r['sex']}): give its share there, so that this level is the total less it")
            + _rows(raw, below, "central", lambda r: f"the total {_fmt(r['central'])} is below the "
                    f"{_fmt(r['part'])} of level '{r['net_of']}' at ages {r['lo']} to {r['hi']} ({r['sex']}), so this "
                    "level would have no cases there: a total given net of a level must be at least that level"))


def _check_group_sizes(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    return _overlaps(raw, frame, ["area", "group"], lambda r: f"for group '{r['group']}' in {r['area']}")


def _check_need_counts(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    return _overlaps(raw, frame, ["area", "year", "need", "status"],
                     lambda r: f"for '{r['need']}, {r['status']}' in {r['area']} in {r['year']}")


def _check_pathway_steps(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    dup = (frame.filter(pl.col("order").is_not_null())
           .with_columns(pl.col(ROW).min().over(["level", "order"]).alias("first"))
           .filter(pl.col(ROW) != pl.col("first")))
    return _rows(raw, dup, "order", lambda r: f"order {r['order']} is already used for level '{r['level']}' "
                 f"{_where(r['first'])}")


def _check_role_mix(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    sums = (frame.filter(pl.col("level").is_not_null() & pl.col("step").is_not_null())
            .group_by(["level", "step"], maintain_order=True)
            .agg(pl.col("share").sum().alias("total"), pl.col("share").is_null().any().alias("incomplete"),
                 pl.col(ROW).filter(pl.col(ROW) > 0).min().alias(ROW))
            .filter(~pl.col("incomplete") & ((pl.col("total") - 1).abs() > SUM_TOLERANCE)))
    return _rows(raw, sums, "share", lambda r: f"role mix for step '{r['step']}' (level '{r['level']}') sums "
                 f"to {r['total']:.2f}, not 1")


def _check_roles(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    # at the high end of sickness and the low end of direct work, which the Monte Carlo draws reach
    frame = frame.with_columns(pl.col("sickness_days_high").fill_null(pl.col("sickness_days")).alias("sickness_days"),
                               pl.col("direct_work_share_low").fill_null(pl.col("direct_work_share"))
                               .alias("direct_work_share"))
    days_off = pl.col("annual_leave_days") + pl.col("public_holiday_days") + pl.col("sickness_days") \
        + pl.col("training_days")
    possible = WEEKS_PER_YEAR * pl.col("working_days_per_week")
    short = frame.with_columns(days_off.alias("off"), possible.alias("possible")).filter(
        pl.col("off") >= pl.col("possible"))
    problems = _rows(raw, short, "annual_leave_days", lambda r: f"leave, public holidays, sickness and training add "
                     f"up to {_fmt(r['off'])} days, which leaves no working days of the {_fmt(r['possible'])} in a "
                     f"year ({WEEKS_PER_YEAR} weeks × {_fmt(r['working_days_per_week'])} days)")
    # demand in FTE is hours divided by these: a tiny but positive share or week (1e-300) made it inf, then nan
    direct = ((possible - days_off) * pl.col("contracted_hours_per_week") / pl.col("working_days_per_week")
              * pl.col("direct_work_share"))
    little = frame.with_columns(days_off.alias("off"), possible.alias("possible"), direct.alias("direct")).filter(
        (pl.col("off") < pl.col("possible")) & (pl.col("direct") < MIN_DIRECT_HOURS)  # 0 is reported on its own cell
        & (pl.col("contracted_hours_per_week") > 0) & (pl.col("direct_work_share") > 0))
    return problems + _rows(raw, little, "contracted_hours_per_week", lambda r: f"one FTE of this role gives "
                            f"{_fmt(r['direct'])} hours of direct work a year (working days × hours a day × direct "
                            f"work share): it must give at least {MIN_DIRECT_HOURS}")


def _check_role_ratios(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    # staff by ratio are counted from staff by pathway hours, in one step: a ratio to a ratio role has no base
    by_ratio = frame["role"].drop_nulls().unique().implode()
    chained = frame.filter(pl.col("per_role").is_in(by_ratio) & (pl.col("per_role") != pl.col("role")))
    own = frame.filter(pl.col("per_role") == pl.col("role"))
    return (_rows(raw, own, "per_role", lambda r: f"role '{r['role']}' cannot be a ratio to itself")
            + _rows(raw, chained, "per_role", lambda r: f"per_role '{r['per_role']}' is itself planned by ratio "
                    "in this file: give the ratio to the clinical roles it depends on (per_role blank) instead"))


def _check_care_profiles(raw: RawTable, frame: pl.DataFrame) -> list[Found]:
    sums = (frame.filter(pl.col("level").is_not_null())
            .group_by("level", maintain_order=True)
            .agg(pl.col("share").sum().alias("total"), pl.col("share").is_null().any().alias("incomplete"),
                 pl.col(ROW).filter(pl.col(ROW) > 0).min().alias(ROW))
            .filter(~pl.col("incomplete") & ((pl.col("total") - 1).abs() > SUM_TOLERANCE)))
    return _rows(raw, sums, "share", lambda r: f"care profile shares for level '{r['level']}' sum to "
                 f"{r['total']:.2f}, not 1")


KIND_CHECKS: dict[str, Callable[[RawTable, pl.DataFrame], list[Found]]] = {
    "role_ratios": _check_role_ratios,
    "care_profiles": _check_care_profiles,
    "roles": _check_roles,
    "areas": _check_areas,
    "age_bands": _check_age_bands,
    "prevalence": _check_prevalence,
    "group_sizes": _check_group_sizes,
    "need_counts": _check_need_counts,
    "pathway_steps": _check_pathway_steps,
    "role_mix": _check_role_mix,
}

def rules_broken(kind: str, frame: pl.DataFrame, where: str) -> list[str]:
    """The import's checks between columns and rows (KIND_CHECKS) on an input changed since it was imported (by
    a scenario): a change can keep each value within its bounds and still break a rule between them, such as a
    direct-work share so small that a post gives no hours, or care profile shares that no longer sum to 1."""
    check = KIND_CHECKS.get(kind)
    if check is None:
        return []
    rows = frame.with_columns(pl.lit(0, pl.Int64).alias(ROW))  # row 0: not a row of a file
    found = check(RawTable(where, None, tuple(rows.columns), rows, 1), rows)
    return [str(p) for f in found for p in (f.first(RUN_SHOWN) if isinstance(f, ProblemRun) else [f])]


from cyplan.io.validate_services import SERVICE_CHECKS  # noqa: E402 (needs nothing above; kept with its hook)

KIND_CHECKS.update(SERVICE_CHECKS)

from cyplan.io.validate_population_groups import POPULATION_GROUP_CHECKS  # noqa: E402 (as above)

KIND_CHECKS.update(POPULATION_GROUP_CHECKS)

from cyplan.io.validate_correlations import CORRELATION_CHECKS  # noqa: E402 (as above)

KIND_CHECKS.update(CORRELATION_CHECKS)

from cyplan.io.validate_supply import SUPPLY_CHECKS  # noqa: E402 (as above)

KIND_CHECKS.update(SUPPLY_CHECKS)

from cyplan.io.validate_evidence import EVIDENCE_CHECKS  # noqa: E402 (as above)

KIND_CHECKS.update(EVIDENCE_CHECKS)

from cyplan.io.validate_areas import AREAS_CHECKS  # noqa: E402 (as above)

KIND_CHECKS.update(AREAS_CHECKS)
