"""ONS population files as ONS publishes them, turned into cyplan's population input.

Two layouts are recognised by their header (docs/data-formats.md, "ONS population files as published", says where
each was confirmed):

- subnational population projections (SNPP, the z1 files such as '2018 SNPP Population females.csv'): AREA_CODE,
  AREA_NAME, COMPONENT, SEX, AGE_GROUP, then one column per year ('2018' … '2043'); AGE_GROUP is 0 to 89, '90 and
  over' and 'All ages'; SEX is 'females', 'males' or 'persons'.
- mid-year estimates in their detailed time series (MYEB1): ladcodeYY, lanameYY, country, sex (1 male, 2 female;
  M and F in later editions), age (0 to 90, where 90 is 90 and over), then population_YYYY columns.

The table is checked where the file has it (rows and columns as the user sees them), then made the rows of the
population input (area, year, age 0 to 25, sex, count, source), which is validated as any population file is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from cyplan.io.checks import rows as _rows
from cyplan.io.problems import Found, Problem
from cyplan.io.read import ROW, RawTable
from cyplan.io.spellings import SEX_SPELLINGS, THOUSANDS
from cyplan.schema import AGES
from cyplan.schema.columns import MAX_PEOPLE

SNPP_COLUMNS = ("area_code", "area_name", "component", "sex", "age_group")
# header names the layouts share with no year in them: a title row above the header names none (read_table's expect)
HEADERS = (*SNPP_COLUMNS, "country", "age")
MYE_CODE = re.compile(r"^ladcode\d{2}$")
MYE_NAME = re.compile(r"^lad?_?name_?\d{2}$")
MYE_YEAR = re.compile(r"^population_(\d{4})$")
SNPP_YEAR = re.compile(r"^(\d{4})$")
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the population input's own bounds on year

GSS = r"^[A-Z]\d{8}$"  # a letter, two digits (the kind of area), six digits (which one)
# kinds of area cyplan plans for or compares with, and how the areas input calls them
PLANNED = {"E06": "council", "E08": "council", "E09": "council", "E10": "council", "E54": "ICB", "E12": "region",
           "E92": "region"}
KIND_NAMES = {"E06": "unitary authority", "E08": "metropolitan district", "E09": "London borough",
              "E10": "county", "E54": "integrated care board", "E12": "region", "E92": "England"}
# real kinds the published files hold that are not children's services areas: left out, with why
LEFT_OUT = {"E07": "non-metropolitan districts (not upper tier: their county, an E10 code, runs children's services)",
            "E11": "metropolitan counties (no council of their own: their districts, E08 codes, run children's "
                   "services)",
            "E13": "Inner and Outer London (groups of boroughs, not councils)"}
OUTSIDE_ENGLAND = "KWSN"  # the UK, Great Britain, Wales, Scotland and Northern Ireland: cyplan plans for England
# small areas whose children's services statistics DfE gives with a neighbour: small area → the area it joins
MERGED = {"E09000001": "E09000033", "E06000053": "E06000052"}
MERGED_NAMES = {"E09000001": "City of London", "E09000033": "Westminster", "E06000053": "Isles of Scilly",
                "E06000052": "Cornwall"}
ALL_AGES = -1  # in the age column while checking: the 'All ages' row
PERSONS = "persons"


@dataclass(frozen=True)
class Layout:
    """Where an ONS layout keeps each thing, by the file's (normalised) column names."""

    title: str  # what the output says the file was read as
    area: str
    name: str
    sex: str
    age: str
    component: str | None
    years: dict[str, int]  # year column → its year


def layout(raw: RawTable) -> Layout | None:
    """The ONS layout the table's header has, or None: then it is read as cyplan's own population file."""
    cols = raw.columns
    if set(SNPP_COLUMNS) <= set(cols):
        years = {c: int(m[1]) for c in cols if (m := SNPP_YEAR.match(c))}
        return Layout("ONS subnational population projections", "area_code", "area_name", "sex", "age_group",
                      "component", years)
    code = next((c for c in cols if MYE_CODE.match(c)), None)
    if code and {"sex", "age"} <= set(cols) and any(MYE_YEAR.match(c) for c in cols):
        name = next((c for c in cols if MYE_NAME.match(c)), "")
        years = {c: int(m[1]) for c in cols if (m := MYE_YEAR.match(c))}
        return Layout("ONS mid-year population estimates (detailed time series)", code, name, "sex", "age", None,
                      years)
    return None


@dataclass(frozen=True)
class Converted:
    table: RawTable  # cyplan's population columns as text, each row on the ONS file's row
    areas: pl.DataFrame  # code, name, kind: the areas the population is for, once merged


def convert(raw: RawTable, found: Layout, merge: bool = True) -> tuple[Converted | None, list[Found]]:
    """The ONS table as the population input, and the problems in it (then no table). With `merge`, the City of
    London is added to Westminster and the Isles of Scilly to Cornwall, as DfE does. What was left out, and how the
    file was read, is said in the notes of the table returned."""
    long, notes, problems = _checked(raw, found)
    if problems:
        return None, problems
    kept, why = _kept(raw, long, found)
    if why:
        return None, [why]
    notes += _dropped_notes(long)
    kept, said, moves = _merged(kept) if merge else (kept, [], {})
    kept = kept.sort(ROW, "year")
    areas = kept.select("area", "name").unique("area", keep="first", maintain_order=True)
    years = sorted(found.years.values())
    read_as = f"read as {found.title} ({_based(found)}): {areas.height:,} area{'s' if areas.height != 1 else ''}, " \
        f"{years[0]}–{years[-1]}"
    table = _population(raw, found, kept, moves, [read_as, *notes, *said])
    return Converted(table, _area_rows(areas)), []


def _checked(raw: RawTable, found: Layout) -> tuple[pl.DataFrame, list[str], list[Found]]:
    """Every cell of the file's population rows, one a row (area, name, sex, age, year, count), what was left out
    (notes), and the problems found, check by check: a check whose cells an earlier one refused is not made."""
    problems = _header_problems(raw, found)
    if problems:
        return pl.DataFrame(), [], problems
    frame, notes = _components(_tidy(raw, found), found)
    frame, problems, left = _codes(raw, frame, found)
    frame, found_cells = _cells(raw, frame, found)
    problems += found_cells
    if problems:
        return frame, notes + left, problems
    long, problems = _counts(raw, frame, found)
    problems += _duplicates(raw, frame, found)
    if not problems:
        problems = _missing_ages(raw, long, found) + _sum_problems(raw, long, found) + \
            _persons_problems(raw, long, found) + _sexes_missing(raw, long, found)
    return long, notes + left, problems


def _population(raw: RawTable, found: Layout, kept: pl.DataFrame, moves: dict[str, str],
                notes: list[str]) -> RawTable:
    """The population input's columns as text, each row on the ONS file's row, the source naming the publication,
    the file and any small area merged in."""
    merged = {big: f"; includes {MERGED_NAMES[small]} ({small}), as DfE gives it" for small, big in moves.items()}
    table = kept.select(
        pl.col("area"), pl.col("year").cast(pl.String), pl.col("age").cast(pl.String), pl.col("sex"),
        pl.col("count").cast(pl.String),
        (pl.lit(_source(raw, found)) + pl.col("area").replace_strict(merged, default="")).alias("source"),
        pl.col(ROW))
    return RawTable(raw.file, raw.sheet, tuple(c for c in table.columns if c != ROW), table, raw.header_row,
                    notes=[*raw.notes, *notes])


def _based(found: Layout) -> str:
    """Projections are named by the year they start from, their first year column."""
    first = min(found.years.values())
    return f"{first}-based" if found.component else f"mid-{first} to mid-{max(found.years.values())}"


def _source(raw: RawTable, found: Layout) -> str:
    what = f"ONS subnational population projections, {_based(found)}" if found.component else \
        f"ONS mid-year population estimates, {_based(found)}"
    return f"{what} ({Path(raw.file).name})"


def _header_problems(raw: RawTable, found: Layout) -> list[Found]:
    """Every column that is neither one the layout names nor a year: a year column must be a year alone."""
    named = {found.area, found.name, found.sex, found.age, found.component, "country"}
    problems: list[Found] = []
    for c in raw.columns:
        if c in named or c in found.years:
            continue
        what = "a year alone, such as '2030'" if found.component else "population_ and a year, such as " \
            "'population_2030'"
        problems.append(raw.problem(raw.header_row, c, f"this column is not a year: {found.title} has a column "
                                    f"per year, headed {what} (from {FIRST_YEAR} to {LAST_YEAR}); rename it, or "
                                    "delete the column"))
    for c, year in found.years.items():
        if not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(raw.problem(raw.header_row, c, f"the year {year} is not from {FIRST_YEAR} to {LAST_YEAR}"))
    if not found.years:
        problems.append(raw.problem(raw.header_row, None, f"no year columns: {found.title} has a column per year"))
    return problems


def _tidy(raw: RawTable, found: Layout) -> pl.DataFrame:
    """The table's cells as trimmed strings (a CSV's are dictionary codes)."""
    wanted = [c for c in (found.area, found.name, found.sex, found.age, found.component) if c] + list(found.years)
    return raw.frame.select(pl.col(ROW), *(pl.col(c).cast(pl.String).fill_null("").str.strip_chars() for c in wanted))


def _components(frame: pl.DataFrame, found: Layout) -> tuple[pl.DataFrame, list[str]]:
    """The rows of the population, and a note on the other components (births, deaths, migration) left out."""
    if found.component is None:
        return frame, []
    is_population = pl.col(found.component).str.to_lowercase() == "population"
    others = frame.filter(~is_population)
    if not others.height:
        return frame, []
    names = others[found.component].unique(maintain_order=True).to_list()
    shown = ", ".join(f"'{n}'" for n in names[:5]) + (" …" if len(names) > 5 else "")
    rows = f"{others.height:,} row{'s' if others.height != 1 else ''}"
    return frame.filter(is_population), [f"{rows} of other components ({shown}) left out: cyplan reads the "
                                         "population only"]


def _codes(raw: RawTable, frame: pl.DataFrame, found: Layout) -> tuple[pl.DataFrame, list[Found], list[str]]:
    """Problems with codes that are not GSS codes of a kind cyplan reads (one at each code's first row), and the
    rows of real kinds that are not children's services areas left out, with a note saying why."""
    code = pl.col(found.area).str.to_uppercase()
    frame = frame.with_columns(code.alias(found.area), code.str.slice(0, 3).alias("__kind"))
    firsts = frame.group_by(found.area, maintain_order=True).agg(pl.col(ROW).first(), pl.len().alias("n"),
                                                                 pl.col("__kind").first())
    problems: list[Found] = []
    for r in firsts.iter_rows(named=True):
        text, kind = r[found.area], r["__kind"]
        others = f" (and its {r['n'] - 1:,} other rows)" if r["n"] > 1 else ""
        if not text:
            problems.append(raw.problem(r[ROW], found.area, "the area code is blank"))
        elif not re.match(GSS, text):
            problems.append(raw.problem(r[ROW], found.area, f"'{text}' is not a GSS code (a letter, two digits for "
                                        f"the kind of area and six for the area, such as E10000003){others}"))
        elif kind not in PLANNED and kind not in LEFT_OUT and text[0] not in OUTSIDE_ENGLAND:
            problems.append(raw.problem(r[ROW], found.area, f"'{text}' is not a code of a kind cyplan reads: "
                                        f"{kind} is not among {', '.join(f'{k} ({v})' for k, v in KIND_NAMES.items())}"
                                        f"{others}"))
    notes = []
    for kind, why in LEFT_OUT.items():
        n = frame.filter(pl.col("__kind") == kind)[found.area].n_unique()
        if n:
            notes.append(f"{n:,} {kind} area{'s' if n != 1 else ''} left out: {why}")
    outside = frame.filter(pl.col(found.area).str.slice(0, 1).is_in(list(OUTSIDE_ENGLAND)))[found.area].n_unique()
    if outside:
        notes.append(f"{outside:,} area{'s' if outside != 1 else ''} outside England left out (codes starting K, W, "
                     "S or N): cyplan plans children's services in England")
    keep = pl.col("__kind").is_in(list(PLANNED))
    return frame.filter(keep | ~pl.col(found.area).str.contains(GSS)).drop("__kind"), problems, notes


def _cells(raw: RawTable, frame: pl.DataFrame, found: Layout) -> tuple[pl.DataFrame, list[Found]]:
    """Sex and age read as ONS writes them; a problem for each row whose sex or age is neither."""
    sexes = {**SEX_SPELLINGS, "persons": PERSONS, "all": PERSONS}
    sex = pl.col(found.sex).str.to_lowercase().replace_strict(sexes, default=None, return_dtype=pl.String)
    age_text = pl.col(found.age).str.to_lowercase()
    top = 90  # ONS's oldest: '90 and over' in projections, 90 in the estimates (meaning 90 and over)
    whole = age_text.cast(pl.Int64, strict=False)
    if found.component:
        age = pl.when(age_text == "all ages").then(pl.lit(ALL_AGES)).when(age_text == "90 and over").then(pl.lit(top)) \
            .when(whole.is_between(0, top - 1) & age_text.str.contains(r"^\d+$")).then(whole)
        ages = "a whole number from 0 to 89, '90 and over' or 'All ages'"
    else:
        age = pl.when(whole.is_between(0, top) & age_text.str.contains(r"^\d+$")).then(whole)
        ages = "a whole number from 0 to 90 (90 meaning 90 and over)"
    frame = frame.with_columns(sex.alias("__sex"), age.alias("__age"))
    spellings = "females, males or persons" if found.component else "1 (male), 2 (female), M or F"
    problems = _rows(raw, frame.filter(pl.col("__sex").is_null()).select(ROW, pl.col(found.sex).alias("t")),
                     found.sex, lambda r: f"'{r['t']}' is not a sex ONS writes: {spellings}")
    problems += _rows(raw, frame.filter(pl.col("__age").is_null()).select(ROW, pl.col(found.age).alias("t")),
                      found.age, lambda r: f"'{r['t']}' is not an age: {ages}")
    return frame, problems


def _counts(raw: RawTable, frame: pl.DataFrame, found: Layout) -> tuple[pl.DataFrame, list[Found]]:
    """One row a cell: area, name, sex, age, year, count (and its column, and the decimals it was written with)."""
    long = frame.unpivot(index=[ROW, found.area, *([found.name] if found.name else []), "__sex", "__age"],
                         on=list(found.years), variable_name="column", value_name="text")
    text = pl.col("text")
    plain = pl.when(text.str.contains(THOUSANDS)).then(text.str.replace_all(",", "")).otherwise(text)
    long = long.with_columns(plain.cast(pl.Float64, strict=False).alias("count"),
                             pl.col("column").replace_strict(found.years, return_dtype=pl.Int64).alias("year"),
                             plain.str.extract(r"\.(\d+)$").str.len_chars().fill_null(0).alias("decimals"))
    long = long.rename({found.area: "area", "__sex": "sex", "__age": "age"})
    long = long.with_columns((pl.col(found.name) if found.name else pl.lit("")).alias("name"))
    bad = long.filter(~pl.col("count").is_finite().fill_null(False) | (pl.col("count") < 0)
                      | (pl.col("count") > MAX_PEOPLE))
    problems: list[Found] = []
    for column in found.years:  # a problem names its year column
        cells = bad.filter(pl.col("column") == column).select(ROW, "text", "count")
        problems += _rows(raw, cells, column, lambda r: _bad_count(str(r["text"]), r["count"]))
    return long.select(ROW, "area", "name", "sex", "age", "year", "column", "count", "decimals"), problems


def _bad_count(text: str, count: object) -> str:
    if not text:
        return "the count is blank: every year's cell needs a number"
    if not isinstance(count, float) or not math.isfinite(count):  # NaN is above nothing: it is no number
        return f"'{text}' is not a number"
    return f"count {text} is negative" if count < 0 else f"count {text} is above {MAX_PEOPLE:,}"


def _duplicates(raw: RawTable, frame: pl.DataFrame, found: Layout) -> list[Found]:
    """A row given twice (one area, sex and age) would be counted twice: a problem on the later one."""
    # the first row is found before the later ones are kept: found after, it was each later row itself
    again = frame.with_columns(pl.col(ROW).min().over(found.area, "__sex", "__age").alias("first")) \
        .filter(pl.col(ROW) != pl.col("first"))
    return _rows(raw, again.select(ROW, "first", pl.col(found.area).alias("a")), found.age,
                 lambda r: f"area {r['a']}'s row for this sex and age is given twice (first on row {r['first']})")


def tolerance(cells: int, decimals: int) -> float:
    """How far a sum of `cells` values may be from a total given beside them through rounding alone: each value and
    the total rounded to `decimals` places is at most half a unit of that place off."""
    return (cells + 1) * 0.5 * 10.0 ** -decimals


def _allowed(cells: pl.Expr, places: pl.Expr) -> pl.Expr:
    """`tolerance` on every row at once."""
    return (cells + 1) * 0.5 * pl.lit(10.0).pow(-places.cast(pl.Float64))


def _sum_problems(raw: RawTable, long: pl.DataFrame, found: Layout) -> list[Found]:
    """Ages 0 to 89 and '90 and over' must add up to 'All ages', for each area, sex and year the file gives."""
    if not found.component:
        return []  # the mid-year estimates give no 'All ages' row
    keys = ["area", "sex", "column"]
    parts = long.filter(pl.col("age") != ALL_AGES).group_by(keys).agg(
        pl.col("count").sum().alias("sum"), pl.len().alias("cells"), pl.col("decimals").max().alias("d"))
    totals = long.filter(pl.col("age") == ALL_AGES).select(*keys, ROW, "count", pl.col("decimals").alias("td"))
    both = totals.join(parts, on=keys, how="left").with_columns(pl.col("sum").fill_null(0.0),
                                                                 pl.col("cells").fill_null(0), pl.col("d").fill_null(0))
    both = both.with_columns(pl.max_horizontal("d", "td").alias("places"))
    both = both.with_columns(_allowed(pl.col("cells"), pl.col("places")).alias("allowed"))
    wrong = both.filter((pl.col("sum") - pl.col("count")).abs() > pl.col("allowed") + 1e-9 * pl.col("count"))
    problems: list[Found] = []
    for column in found.years:
        rows = wrong.filter(pl.col("column") == column)
        problems += _rows(raw, rows, column, lambda r: (
            f"ages 0 to 89 and '90 and over' add up to {_n(r['sum'])}, not the {_n(r['count'])} this 'All ages' row "
            f"gives for {r['area']} ({r['sex']}): a difference of {_n(abs(r['sum'] - r['count']))}, more than "
            f"rounding allows ({_n(r['allowed'])} for {r['cells']} ages and the total written to {r['places']} "
            "decimal places); check no age row is missing or changed"))
    return problems


def _missing_ages(raw: RawTable, long: pl.DataFrame, found: Layout) -> list[Found]:
    """Each area and sex the file gives must have a row for every age cyplan plans: a missing one would count as no
    children, and a file without 'All ages' rows (or the mid-year estimates, which have none) has no sum to show it.
    Located on the first row of the area and sex, as the missing row has none."""
    planned = list(range(max(AGES) + 1))
    groups = (long.filter(pl.col("sex").is_in(["female", "male"]))
              .group_by("area", "sex", maintain_order=True)
              .agg(pl.col(ROW).min(), pl.col("age").unique().cast(pl.Int64).alias("ages")))
    if not groups.height:
        return []  # no females or males: _kept says why
    groups = (groups
              .with_columns(pl.lit(planned, dtype=pl.List(pl.Int64)).list.set_difference("ages").alias("missing"))
              .filter(pl.col("missing").list.len() > 0))
    return _rows(raw, groups, found.age, lambda r: (
        f"{r['area']} ({r['sex']}) has no row for age{'s' if len(r['missing']) > 1 else ''} "
        f"{_age_spans(r['missing'])}: cyplan needs every age 0 to {max(AGES)}, or those children count as none "
        "(this is the first of its rows; check no row was deleted)"))


def _age_spans(ages: list[int]) -> str:
    """7, 9 to 12 for [7, 9, 10, 11, 12]."""
    spans: list[list[int]] = []
    for a in sorted(ages):
        if spans and a == spans[-1][1] + 1:
            spans[-1][1] = a
        else:
            spans.append([a, a])
    return ", ".join(f"{lo}" if lo == hi else f"{lo} to {hi}" for lo, hi in spans)


def _persons_problems(raw: RawTable, long: pl.DataFrame, found: Layout) -> list[Found]:
    """Where a file gives females, males and persons, persons must be females + males (to rounding)."""
    keys = ["area", "age", "column"]
    by_sex = long.filter(pl.col("sex").is_in(["female", "male"])).group_by(keys).agg(
        pl.col("count").sum().alias("sum"), pl.len().alias("cells"), pl.col("decimals").max().alias("d"))
    persons = long.filter(pl.col("sex") == PERSONS).select(*keys, ROW, "count", pl.col("decimals").alias("td"))
    both = persons.join(by_sex.filter(pl.col("cells") == 2), on=keys, how="inner") \
        .with_columns(pl.max_horizontal("d", "td").alias("places"))
    if not both.height:
        return []
    both = both.with_columns(_allowed(pl.lit(2), pl.col("places")).alias("allowed"))
    wrong = both.filter((pl.col("sum") - pl.col("count")).abs() > pl.col("allowed") + 1e-9 * pl.col("count"))
    problems: list[Found] = []
    for column in found.years:
        problems += _rows(raw, wrong.filter(pl.col("column") == column), column, lambda r: (
            f"persons {_n(r['count'])} is not females + males ({_n(r['sum'])}) for {r['area']} at age "
            f"{_age(r['age'])}: a difference of {_n(abs(r['sum'] - r['count']))}, more than rounding allows "
            f"({_n(r['allowed'])})"))
    return problems


def _sexes_missing(raw: RawTable, long: pl.DataFrame, found: Layout) -> list[Found]:
    """An area that gives persons must give females and males too: persons rows are not imported (cyplan's
    population is by sex), so an area's persons with its females alone would import half its children, its males
    left out unseen. Located on the area's first persons row. A file of persons only is left to _kept, which says
    what to import instead."""
    if not long.filter(pl.col("sex") != PERSONS).height:
        return []
    areas = long.group_by("area", maintain_order=True).agg(
        pl.col(ROW).filter(pl.col("sex") == PERSONS).min(),
        (pl.col("sex") == "female").any().alias("female"), (pl.col("sex") == "male").any().alias("male"))
    short = areas.filter(pl.col(ROW).is_not_null() & ~(pl.col("female") & pl.col("male")))
    return _rows(raw, short, found.sex, lambda r: _sexes_message(str(r["area"]), bool(r["female"]), bool(r["male"])))


def _sexes_message(area: str, female: bool, male: bool) -> str:
    if not (female or male):
        return (f"{area} gives persons but neither females nor males: persons rows are not imported (cyplan's "
                "population is by sex), so the area would have no children; give its females and males, or delete "
                "its persons rows")
    given, missing = ("females", "males") if female else ("males", "females")
    return (f"{area} gives persons and {given} but no {missing}: persons rows are not imported (cyplan's population "
            f"is by sex), so its {missing} would be missing; delete the persons rows and import ONS's {missing} file "
            f"after this one (with --mode merge), or import one file that gives females, males and persons")


def _age(age: int) -> str:
    return "'All ages'" if age == ALL_AGES else "'90 and over'" if age == 90 else str(age)


def _n(x: float) -> str:
    """A number as a message shows it: 1,234.5, not 1234.4999999."""
    return f"{round(x, 6):,.6f}".rstrip("0").rstrip(".")


def _kept(raw: RawTable, long: pl.DataFrame, found: Layout) -> tuple[pl.DataFrame, Problem | None]:
    """The cells of the population cyplan plans: female and male, ages 0 to 25; a problem if none is left."""
    kept = long.filter(pl.col("sex").is_in(["female", "male"]) & pl.col("age").is_between(0, max(AGES)))
    if kept.height:
        return kept, None
    if long.filter(pl.col("sex") == PERSONS).height and not long.filter(pl.col("sex") != PERSONS).height:
        why = ("the file gives persons only (both sexes together), and cyplan's population is by sex: import ONS's "
               "females and males files (the second with --mode merge), or one file holding both")
    elif not long.height:
        why = "no rows of an area cyplan reads are left (see the warnings on what was left out)"
    else:
        why = f"no rows for ages 0 to {max(AGES)} of females or males"
    return kept, raw.problem(None, None, why)


def _dropped_notes(long: pl.DataFrame) -> list[str]:
    notes = []
    if long.filter(pl.col("age") > max(AGES)).height:
        notes.append(f"ages over {max(AGES)} were left out: cyplan plans ages 0 to {max(AGES)}")
    if long.filter(pl.col("sex") == PERSONS).height:
        notes.append("the persons rows were used only to check that females and males add up to them")
    return notes


def _merged(kept: pl.DataFrame) -> tuple[pl.DataFrame, list[str], dict[str, str]]:
    """The City of London's counts added to Westminster's, and the Isles of Scilly's to Cornwall's, as DfE gives
    children's services statistics; a small area whose neighbour is not in the file is kept as it is, with a note."""
    present = set(kept["area"].unique().to_list())
    notes = []
    moves = {}
    for small, big in MERGED.items():
        if small not in present:
            continue
        if big in present:
            moves[small] = big
            notes.append(f"{MERGED_NAMES[small]} ({small}) was added to {MERGED_NAMES[big]} ({big}), as DfE gives "
                         "children's services statistics (import with --no-merge-small-areas to keep it apart)")
        else:
            notes.append(f"{MERGED_NAMES[small]} ({small}) is kept as an area of its own: {MERGED_NAMES[big]} ({big}), "
                         "which DfE adds it to, is not in the file")
    if not moves:
        return kept, notes, moves
    columns = kept.columns
    small = pl.col("area").is_in(list(moves)).alias("__small")
    kept = kept.with_columns(small).with_columns(pl.col("area").replace(moves))
    # the receiving area's row and name (its rows sorted first, wherever the file has it); both areas' counts summed
    summed = kept.sort("__small", ROW).group_by(["area", "sex", "age", "year"], maintain_order=True).agg(
        pl.col(ROW).first(), pl.col("name").first(), pl.col("count").sum().round(6), pl.col("column").first(),
        pl.col("decimals").max())
    return summed.select(columns), notes, moves


def _area_rows(areas: pl.DataFrame) -> pl.DataFrame:
    """The areas as the areas input has them: code, name, kind (by the code's kind; England is written as a region,
    the areas input having no kind for a country)."""
    return areas.select(pl.col("area").alias("code"), pl.col("name"),
                        pl.col("area").str.slice(0, 3).replace_strict(PLANNED, default="council").alias("kind"))


# said after "area 'E06000999' is not in the areas" for a population read from an ONS file
AREAS_HINT = ("; add it to the areas input: `cyplan ons areas FILE --out areas.csv` writes the areas of an ONS file "
              "for `cyplan import areas areas.csv` (or import the areas and the population together)")


def areas_table(raw: RawTable, merge: bool = True) -> tuple[pl.DataFrame | None, list[Found], list[str]]:
    """The areas input's rows for the areas an ONS file gives (code, name, kind, parent, source), its problems and its
    notes: for `cyplan ons areas`."""
    found = layout(raw)
    if found is None:
        return None, [raw.problem(raw.header_row, None, "this is not an ONS population file as published: the "
                                  "header must be that of ONS's subnational population projections (AREA_CODE, "
                                  "AREA_NAME, COMPONENT, SEX, AGE_GROUP, then a column per year) or of its mid-year "
                                  "estimates (ladcode, laname, country, sex, age, population_YYYY)")], []
    converted, problems = convert(raw, found, merge)
    if converted is None:
        return None, problems, []
    sources = converted.table.frame.select(pl.col("area").alias("code"), "source").unique("code")
    frame = converted.areas.with_columns(pl.lit("").alias("parent")).join(sources, on="code", how="left")
    return frame, [], converted.table.notes

