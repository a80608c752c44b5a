"""ONS population files as ONS publishes them (issue 16 part 3), read by `cyplan import population` and written as
areas by `cyplan ons areas`. The files in tests/data/ons are made up in exactly ONS's layouts:

- snpp.csv, subnational projections for 2028-2030: Cornwall (E06000052, base 3000), the Isles of Scilly (E06000053,
  base 20) and a made-up district (E07000999, base 500), each with females, males, persons, ages 0-89, '90 and over'
  and 'All ages'. A female aged a in year 2028 + j is base + a + j; a male base + 2a + j; persons their sum; 'All
  ages' the sum of the 91 ages. The file's row 1 is the header; Cornwall's females are rows 2 (age 0) to 92 ('90 and
  over') and 93 ('All ages'); its males rows 94-185, its persons rows 186-277; Scilly's females start at row 278.
  Its last row is a Births row for Cornwall.
- myeb1.csv, mid-year estimates (MYEB1 layout) for 2020-2021: Cornwall and a Welsh area; sex 1 (male, 2000 + age +
  j) and 2 (female, 2100 + age + j), ages 0-90.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import folder_bytes, write_workbook
from cyplan.io.ons import areas_table, convert, layout, tolerance
from cyplan.io.problems import InputError
from cyplan.io.read import read_table
from cyplan.store.workspace import Workspace

DATA = Path(__file__).parent / "data" / "ons"
EXAMPLE = Path(__file__).parents[1] / "examples" / "ons" / "2018 SNPP Population made-up.csv"
Run = Callable[[Sequence[object]], tuple[int, str, str]]


def cell(path: Path, row: int, column: str) -> str:
    """The file's own cell, read with the csv module (not cyplan's reader): row as a spreadsheet numbers it."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows[row - 1][rows[0].index(column)]


def edited(tmp_path: Path, name: str, row: int, column: str, value: str, source: Path = DATA / "snpp.csv") -> Path:
    """A copy of `source` with one cell (row as a spreadsheet numbers it; row 1 the header) written over."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def converted(path: Path, merge: bool = True) -> tuple[pl.DataFrame | None, list[str], list[str]]:
    """The population rows an ONS file becomes (typed), its problems as the user reads them, and its notes."""
    raw = read_table(path)
    found = layout(raw)
    assert found is not None
    result, problems = convert(raw, found, merge)
    if result is None:
        return None, [str(p) for p in InputError(problems)], []
    frame = result.table.frame.with_columns(pl.col("year", "age").cast(pl.Int64), pl.col("count").cast(pl.Float64))
    return frame, [], result.table.notes


def count(frame: pl.DataFrame, area: str, sex: str, age: int, year: int) -> float:
    got = frame.filter((pl.col("area") == area) & (pl.col("sex") == sex) & (pl.col("age") == age)
                       & (pl.col("year") == year))["count"]
    assert got.len() == 1, got
    return float(got[0])


# -- conversion, by hand -----------------------------------------------------------------------------------------------

def test_a_cell_is_the_files_cell_and_scilly_is_added_to_cornwall() -> None:
    """Catches a wrong cell taken (the wrong age, sex or year column), Scilly not added to Cornwall, or the City of
    London / Scilly merge on by default going wrong. Cornwall female 25 in 2030: 3000 + 25 + 2 = 3027 (row 27);
    Scilly's: 20 + 25 + 2 = 47 (row 303); merged, 3074. Male 25 in 2028: 3000 + 50 = 3050 and 20 + 50 = 70."""
    assert cell(DATA / "snpp.csv", 27, "2030") == "3027"
    assert cell(DATA / "snpp.csv", 303, "2030") == "47"
    frame, problems, notes = converted(DATA / "snpp.csv")
    assert not problems and frame is not None
    assert count(frame, "E06000052", "female", 25, 2030) == 3027 + 47
    assert count(frame, "E06000052", "male", 25, 2028) == 3050 + 70
    assert set(frame["area"]) == {"E06000052"}  # Scilly merged; the district left out
    assert any("Isles of Scilly (E06000053) was added to Cornwall (E06000052)" in n for n in notes)
    assert "includes Isles of Scilly (E06000053)" in frame["source"][0]
    assert "ONS subnational population projections, 2028-based (snpp.csv)" in frame["source"][0]


def test_the_merged_area_keeps_its_own_name_and_row_wherever_the_file_has_it(tmp_path: Path) -> None:
    """Catches the merged area named (or located) by the small area when the small area comes first in the file:
    Scilly's rows moved above Cornwall's, the area is still 'Cornwall', its female 25 row Cornwall's (now row 303)."""
    lines = (DATA / "snpp.csv").read_text(encoding="utf-8").splitlines()
    cornwall = [x for x in lines if x.startswith("E06000052,Cornwall,Population")]
    scilly = [x for x in lines if x.startswith("E06000053,")]
    path = tmp_path / "snpp.csv"
    path.write_text("\n".join([lines[0], *scilly, *cornwall]) + "\n", encoding="utf-8")
    frame, problems, _ = converted(path)
    assert not problems and frame is not None
    row = frame.filter((pl.col("sex") == "female") & (pl.col("age") == 25) & (pl.col("year") == 2030))
    assert row["count"].to_list() == [3074] and row["__row"].to_list() == [1 + 276 + 26]
    areas, _, _ = areas_table(read_table(path))
    assert areas is not None and areas.select("code", "name", "kind").rows() == [("E06000052", "Cornwall", "council")]


def test_areas_are_written_with_the_kind_their_code_says(tmp_path: Path) -> None:
    """Catches a region, England or an ICB written as a council (the areas input's kind by the code's first three
    characters: E12 and E92 region, E54 ICB, E06 council)."""
    text = (DATA / "snpp.csv").read_text(encoding="utf-8").replace("E06000053,", "E12000009,") \
        .replace("E07000999,", "E54000036,").replace("E06000052,", "E92000001,")
    path = tmp_path / "snpp.csv"
    path.write_text(text, encoding="utf-8")
    areas, problems, _ = areas_table(read_table(path))
    assert not problems and areas is not None
    assert sorted(areas.select("code", "kind").rows()) == [("E12000009", "region"), ("E54000036", "ICB"),
                                                           ("E92000001", "region")]


def test_no_merge_keeps_scilly_apart() -> None:
    """Catches --no-merge-small-areas still merging: Cornwall female 25 in 2030 is 3027 and Scilly's 47."""
    frame, problems, _ = converted(DATA / "snpp.csv", merge=False)
    assert not problems and frame is not None
    assert count(frame, "E06000052", "female", 25, 2030) == 3027
    assert count(frame, "E06000053", "female", 25, 2030) == 47
    assert "includes" not in frame["source"][0]


def test_ages_over_25_persons_other_components_and_districts_are_left_out_with_a_note() -> None:
    """Catches ages 26+ or '90 and over' kept, persons rows counted as a sex, births read as population, or a
    district (E07, not upper tier) kept: one area x 26 ages x 2 sexes x 3 years = 156 rows."""
    frame, _, notes = converted(DATA / "snpp.csv")
    assert frame is not None
    assert frame.height == 26 * 2 * 3
    assert frame["age"].max() == 25 and set(frame["sex"]) == {"female", "male"}
    assert count(frame, "E06000052", "female", 0, 2028) == 3000 + 20  # not the Births row's 1500
    said = " | ".join(notes)
    assert "read as ONS subnational population projections (2028-based): 1 area, 2028–2030" in said
    assert "ages over 25 were left out" in said
    assert "1 row of other components ('Births') left out" in said
    assert "1 E07 area left out: non-metropolitan districts (not upper tier" in said


def test_the_mid_year_estimates_layout() -> None:
    """Catches sex 1/2 read the wrong way round (1 is male), age 90 taken as a single year kept, or a Welsh area
    kept: Cornwall male 25 in 2021 is 2000 + 25 + 1 = 2026, female 2100 + 25 + 1 = 2126."""
    frame, problems, notes = converted(DATA / "myeb1.csv")
    assert not problems and frame is not None
    assert count(frame, "E06000052", "male", 25, 2021) == 2026
    assert count(frame, "E06000052", "female", 25, 2021) == 2126
    assert set(frame["area"]) == {"E06000052"} and frame.height == 26 * 2 * 2
    assert "read as ONS mid-year population estimates (detailed time series) (mid-2020 to mid-2021)" in notes[0]
    assert any("outside England left out" in n for n in notes)


def test_the_mid_year_workbook_with_its_title_row_reads_from_header_row_2(run_cli: Run, tmp_path: Path) -> None:
    """Catches the MYEB1 sheet as ONS publishes it in a workbook (a title on row 1, the header on row 2, numbers as
    numbers, sex as M and F) not read: the first try says where the header is; with --header-row 2 Cornwall female
    25 in 2021 is 2100 + 25 + 1 = 2126."""
    rows: list[list[object]] = [["Mid-year population estimates, made up for a test"]]
    for i, line in enumerate(csv.reader(io.StringIO((DATA / "myeb1.csv").read_text(encoding="utf-8")))):
        rows.append(line if i == 0 else [*line[:3], {"1": "M", "2": "F"}[line[3]], *map(int, line[4:])])
    book = write_workbook(tmp_path / "myebtables.xlsx", {"MYEB1 (2021 Geography)": rows})
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    areas = tmp_path / "areas.csv"
    code, _, err = run_cli(["ons", "areas", book, "--out", areas])
    assert code == 2 and "the header seems to be row 2 — use `--header-row 2`" in err
    assert run_cli(["ons", "areas", book, "--header-row", "2", "--out", areas])[0] == 0
    assert run_cli(["import", "areas", areas, "-w", ws])[0] == 0
    code, _, err = run_cli(["import", "population", book, "-w", ws, "--sheet", "MYEB1 (2021 Geography)"])
    assert code == 2 and "the header seems to be row 2" in err
    code, _, err = run_cli(["import", "population", book, "-w", ws, "--sheet", "MYEB1 (2021 Geography)",
                            "--header-row", "2"])
    assert code == 0, err
    assert count(Workspace.open(ws).read("population"), "E06000052", "female", 25, 2021) == 2126


def test_no_merge_small_areas_on_the_cli_keeps_scilly(run_cli: Run, tmp_path: Path) -> None:
    """Catches --no-merge-small-areas not reaching the reader from `cyplan import` and `cyplan ons areas`."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    areas = tmp_path / "areas.csv"
    assert run_cli(["ons", "areas", DATA / "snpp.csv", "--out", areas, "--no-merge-small-areas"])[0] == 0
    assert run_cli(["import", "areas", areas, "-w", ws])[0] == 0
    code, _, err = run_cli(["import", "population", DATA / "snpp.csv", "-w", ws, "--no-merge-small-areas"])
    assert code == 0, err
    held = Workspace.open(ws).read("population")
    assert count(held, "E06000053", "female", 25, 2030) == 47 and count(held, "E06000052", "female", 25, 2030) == 3027


# -- checks: located errors ------------------------------------------------------------------------------------------

def test_ages_that_do_not_add_up_to_all_ages_are_refused_at_the_all_ages_row(tmp_path: Path) -> None:
    """Catches the sum check missing, or located on the wrong row or column: Cornwall female age 10 in 2029 (row 12)
    made 100 more, 3011 → 3111, leaves 'All ages' (row 93, 91 x 3001 + 4095 = 277,186) 100 short, past the 46
    rounding allows for 91 whole numbers and their total."""
    path = edited(tmp_path, "snpp.csv", 12, "2029", "3111")
    _, problems, _ = converted(path)
    assert len(problems) == 2  # and persons at age 10 (row 196) is no longer females + males
    assert problems[1].startswith(f"{path}, row 196, column '2029': persons 6,032 is not females + males (6,132)")
    assert problems[0].startswith(f"{path}, row 93, column '2029': ages 0 to 89 and '90 and over' add up to 277,286, "
                                  "not the 277,186 this 'All ages' row gives for E06000052 (female): a difference of "
                                  "100, more than rounding allows (46 for 91 ages")


def _without(tmp_path: Path, source: Path, drop: Callable[[list[str]], bool]) -> Path:
    """A copy of `source` without the data rows `drop` picks (the header kept)."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([rows[0], *(r for r in rows[1:] if not drop(r))])
    path = tmp_path / source.name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_an_age_missing_with_no_all_ages_row_to_show_it_is_refused(tmp_path: Path) -> None:
    """Catches a file without its 'All ages' rows (so no sum to check) and without Cornwall's females aged 7 being
    imported with those children counted as none (it was): refused at Cornwall's females' first row (2), column
    age_group, naming the area, the sex and the age."""
    path = _without(tmp_path, DATA / "snpp.csv", lambda r: r[4] == "All ages" or (r[0], r[3], r[4]) == (
        "E06000052", "females", "7"))
    frame, problems, _ = converted(path)
    assert frame is None
    assert problems == [f"{path}, row 2, column 'age_group': E06000052 (female) has no row for age 7: cyplan needs "
                        "every age 0 to 25, or those children count as none (this is the first of its rows; check no "
                        "row was deleted)"]


def test_ages_missing_from_the_mid_year_estimates_are_refused_as_spans(tmp_path: Path) -> None:
    """Catches the check made only where 'All ages' rows are (the mid-year estimates have none): Cornwall's males
    (sex 1, from row 2) without ages 3, 10 and 11 are refused, the ages given as '3, 10 to 11'."""
    path = _without(tmp_path, DATA / "myeb1.csv", lambda r: r[0] == "E06000052" and r[3] == "1"
                    and r[4] in ("3", "10", "11"))
    frame, problems, _ = converted(path)
    assert frame is None
    assert problems == [f"{path}, row 2, column 'age': E06000052 (male) has no row for ages 3, 10 to 11: cyplan "
                        "needs every age 0 to 25, or those children count as none (this is the first of its rows; "
                        "check no row was deleted)"]


def test_rounding_is_allowed_half_a_unit_a_cell() -> None:
    """Pins the tolerance as documented: 91 ages and a total in whole numbers may be (91 + 1) x 0.5 = 46 apart; to
    one decimal place 4.6."""
    assert tolerance(91, 0) == 46
    assert tolerance(91, 1) == pytest.approx(4.6)


def test_a_difference_within_rounding_is_accepted(tmp_path: Path) -> None:
    """Catches a sum check stricter than rounding: 40 more at one age (and in persons beside it) is within the 46
    allowed."""
    females = edited(tmp_path, "females.csv", 12, "2029", "3051")
    frame, problems, _ = converted(edited(tmp_path, "snpp.csv", 196, "2029", "6072", source=females))
    assert not problems and frame is not None


def test_persons_that_are_not_females_plus_males_are_refused(tmp_path: Path) -> None:
    """Catches the persons check missing: Cornwall persons at age 5 in 2028 (row 191) is 3005 + 3010 = 6015; 6030
    is 15 off, past the 1.5 rounding allows for two whole numbers and their total."""
    path = edited(tmp_path, "snpp.csv", 191, "2028", "6030")
    _, problems, _ = converted(path)
    assert f"{path}, row 191, column '2028': persons 6,030 is not females + males (6,015) for E06000052 at age 5: " \
           "a difference of 15, more than rounding allows (1.5)" in problems


@pytest.mark.parametrize("header", ["2029 (provisional)", "mid-2029", "29"])
def test_a_year_column_that_is_not_a_year_is_refused(tmp_path: Path, header: str) -> None:
    """Catches a year column taken from a header that is not a year alone (or read as a year it is not), and the
    column named as cyplan normalises it ('2029_(provisional)') rather than as the file writes it."""
    path = edited(tmp_path, "snpp.csv", 1, "2029", header)
    _, problems, _ = converted(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}, row 1, column '{header}': this column is not a year: "
                                  "ONS subnational population projections has a column per year, headed a year "
                                  "alone, such as '2030'")


def test_a_bad_year_header_through_the_cli_names_the_column_as_written(run_cli: Run, tmp_path: Path) -> None:
    """Catches the import naming the header cell '2029 (provisional)' as '2029_(provisional)', which is nowhere in
    the user's file; exit 2 and the workspace untouched."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    before = folder_bytes(ws)
    path = edited(tmp_path, "snpp.csv", 1, "2029", "2029 (provisional)")
    code, _, err = run_cli(["import", "population", path, "-w", ws])
    assert code == 2 and folder_bytes(ws) == before
    assert f"{path}, row 1, column '2029 (provisional)': this column is not a year" in err
    assert "2029_(provisional)" not in err


@pytest.mark.parametrize(("code", "words"), [
    ("E0600005", "'E0600005' is not a GSS code"),
    ("Cornwall", "'CORNWALL' is not a GSS code"),
    ("E99000052", "'E99000052' is not a code of a kind cyplan reads: E99 is not among E06 (unitary authority)"),
])
def test_a_code_that_is_not_a_gss_code_of_a_kind_cyplan_reads_is_refused_at_its_first_row(
        tmp_path: Path, code: str, words: str) -> None:
    """Catches a malformed code or an unknown kind passed through: named once, at its first row (Scilly's first,
    row 278), with how many other rows it has."""
    text = (DATA / "snpp.csv").read_text(encoding="utf-8").replace("E06000053,", f"{code},")
    path = tmp_path / "snpp.csv"
    path.write_text(text, encoding="utf-8")
    _, problems, _ = converted(path)
    assert problems == [f"{path}, row 278, column 'area_code': {words}" + problems[0].split(words)[1]]
    assert problems[0].endswith("(and its 275 other rows)")


def test_a_count_that_is_not_a_number_names_its_year_column(tmp_path: Path) -> None:
    """Catches a bad cell read as 0 or named by cyplan's column 'count' rather than the file's year column."""
    path = edited(tmp_path, "snpp.csv", 30, "2030", "n/a")
    _, problems, _ = converted(path)
    assert problems == [f"{path}, row 30, column '2030': 'n/a' is not a number"]


def test_a_persons_only_file_is_refused_with_what_to_import() -> None:
    """Catches a persons file imported as if it held a sex (or silently empty)."""
    rows = [line for line in (DATA / "snpp.csv").read_text(encoding="utf-8").splitlines()
            if ",persons," in line or line.startswith("AREA_CODE")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "persons.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        _, problems, _ = converted(path)
    assert problems == [f"{path}: the file gives persons only (both sexes together), and cyplan's population is by "
                        "sex: import ONS's females and males files (the second with --mode merge), or one file "
                        "holding both"]


def _of_sexes(tmp_path: Path, sexes: dict[str, tuple[str, ...]], name: str = "ons.csv") -> Path:
    """snpp.csv with only the rows of the sexes given for each area (an area not named keeps all its rows)."""
    lines = (DATA / "snpp.csv").read_text(encoding="utf-8").splitlines()
    kept = [lines[0], *(x for x in lines[1:] if x.split(",")[3] in sexes.get(x.split(",")[0], (x.split(",")[3],)))]
    path = tmp_path / name
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def _first_persons_row(path: Path, area: str) -> int:
    """The spreadsheet row of the area's first persons row, found with the csv module (not cyplan's reader)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return next(n for n, r in enumerate(rows, start=1) if r[0] == area and r[3] == "persons")


BOTH_AREAS = ("E06000052", "E06000053")


@pytest.mark.parametrize(("sexes", "words"), [
    (("females",), None), (("males",), None), (("females", "males"), None), (("females", "males", "persons"), None),
    (("females", "persons"), "gives persons and females but no males: persons rows are not imported (cyplan's "
     "population is by sex), so its males would be missing; delete the persons rows and import ONS's males file after "
     "this one (with --mode merge), or import one file that gives females, males and persons"),
    (("males", "persons"), "gives persons and males but no females: persons rows are not imported (cyplan's "
     "population is by sex), so its females would be missing; delete the persons rows and import ONS's females file "
     "after this one (with --mode merge), or import one file that gives females, males and persons"),
])
def test_persons_with_one_sex_are_refused_not_imported_as_that_sex_alone(
        tmp_path: Path, sexes: tuple[str, ...], words: str | None) -> None:
    """Catches a file of females and persons (no males) imported as the females alone, the persons rows said to be
    'used only to check' sums never made: the area's children half counted. One sex alone (ONS's females file) or
    all three is imported; the refusal is at each area's first persons row, in the sex column."""
    path = _of_sexes(tmp_path, dict.fromkeys(BOTH_AREAS, sexes))
    frame, problems, _ = converted(path)
    if words is None:
        assert not problems and frame is not None
        assert set(frame["sex"].unique()) == {s.removesuffix("s") for s in sexes if s != "persons"}
        return
    assert problems == [f"{path}, row {_first_persons_row(path, a)}, column 'sex': {a} {words}" for a in BOTH_AREAS]


def test_an_area_of_persons_only_beside_areas_by_sex_is_refused(tmp_path: Path) -> None:
    """Catches an area given as persons only in a file whose other areas are by sex left out without a word (the
    whole-file message on persons only does not fire: the other area has rows)."""
    path = _of_sexes(tmp_path, {"E06000053": ("persons",)})
    _, problems, _ = converted(path)
    assert problems == [f"{path}, row {_first_persons_row(path, 'E06000053')}, column 'sex': E06000053 gives persons "
                        "but neither females nor males: persons rows are not imported (cyplan's population is by sex), "
                        "so the area would have no children; give its females and males, or delete its persons rows"]


def test_females_and_persons_through_the_cli_exit_2_and_change_nothing(run_cli: Run, tmp_path: Path) -> None:
    """Catches `cyplan import` taking the females of a females-and-persons file as the whole population (exit 0),
    or refusing with a traceback or after writing."""
    path = _of_sexes(tmp_path, dict.fromkeys(BOTH_AREAS, ("females", "persons")))
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    assert run_cli(["ons", "areas", _of_sexes(tmp_path, {}, "all.csv"), "--out", tmp_path / "areas.csv"])[0] == 0
    assert run_cli(["import", "areas", tmp_path / "areas.csv", "-w", ws])[0] == 0
    before = folder_bytes(ws)
    code, _, err = run_cli(["import", "population", path, "-w", ws])
    assert code == 2 and folder_bytes(ws) == before and "Traceback" not in err
    assert f"row {_first_persons_row(path, 'E06000052')}, column 'sex': E06000052 gives persons and females but " \
           "no males" in err


# -- a property: any made-up SNPP table round-trips ------------------------------------------------------------------

@st.composite
def snpp_tables(draw: st.DrawFn) -> tuple[str, dict[tuple[str, str, int, int], float]]:
    """A made-up SNPP table in ONS's layout (CSV text) and its cells: (code, sex, age, year) → count. Counts are
    written to 0 to 3 decimal places, and 'All ages' is their sum written to the same places."""
    n_areas = draw(st.integers(1, 3))
    kinds = draw(st.lists(st.sampled_from(["E06", "E08", "E09", "E10", "E12", "E54"]), min_size=n_areas,
                          max_size=n_areas))
    codes = [f"{k}{900000 + i:06d}" for i, k in enumerate(kinds)]
    first = draw(st.integers(1990, 2090))
    years = list(range(first, first + draw(st.integers(1, 4))))
    places = draw(st.integers(0, 3))
    amount = st.integers(0, 10**6).map(lambda x: x / 10**places)  # 'All ages' stays under 100,000,000
    lines = ["AREA_CODE,AREA_NAME,COMPONENT,SEX,AGE_GROUP," + ",".join(map(str, years))]
    cells: dict[tuple[str, str, int, int], float] = {}
    for code in codes:
        for sex in ("females", "males"):
            values = {(age, y): draw(amount) for age in range(91) for y in years}
            for age in range(91):
                label = "90 and over" if age == 90 else str(age)
                lines.append(f"{code},Made up,Population,{sex},{label}," + ",".join(
                    f"{values[(age, y)]:.{places}f}" for y in years))
                for y in years:
                    cells[(code, sex.removesuffix("s"), age, y)] = values[(age, y)]
            lines.append(f"{code},Made up,Population,{sex},All ages," + ",".join(
                f"{sum(values[(a, y)] for a in range(91)):.{places}f}" for y in years))
    return "\n".join(lines) + "\n", cells


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snpp_tables())
def test_any_made_up_snpp_table_round_trips_to_the_same_counts(table: tuple[str, dict]) -> None:
    """Catches any cell lost, moved to another age, sex, year or area, or changed, and a sum check that refuses a
    table whose 'All ages' is its ages' sum rounded as they are."""
    text, cells = table
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snpp.csv"
        path.write_text(text, encoding="utf-8")
        frame, problems, _ = converted(path)
    assert not problems and frame is not None
    expected = {k: v for k, v in cells.items() if k[2] <= 25}
    got = {(r["area"], r["sex"], r["age"], r["year"]): r["count"] for r in frame.iter_rows(named=True)}
    assert got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(v, abs=1e-9) for k, v in expected.items())


# -- through the CLI, as a user would ----------------------------------------------------------------------------------

def test_a_new_user_imports_the_example_through_the_cli(run_cli: Run, tmp_path: Path) -> None:
    """Catches the import path not recognising the ONS header, `cyplan ons areas` writing areas `cyplan import areas`
    refuses, or the area error without its hint. The example's Exampleton female 25 in 2030 is the file's row 27."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    code, _, err = run_cli(["import", "population", EXAMPLE, "-w", ws])
    assert code == 2
    assert "column 'area_code'" in err and "area 'E06009991' is not in the areas; add it to the areas input: " \
        "`cyplan ons areas FILE --out areas.csv`" in err
    areas = tmp_path / "areas.csv"
    code, _, err = run_cli(["ons", "areas", EXAMPLE, "--out", areas])
    assert code == 0, err
    assert areas.read_text().splitlines()[1].startswith("E06009991,Exampleton (made up),council,")
    assert run_cli(["import", "areas", areas, "-w", ws])[0] == 0
    code, _, err = run_cli(["import", "population", EXAMPLE, "-w", ws])
    assert code == 0, err
    assert "read as ONS subnational population projections (2018-based): 2 areas, 2018–2043" in err
    population = Workspace.open(ws).read("population")
    got = population.filter((pl.col("area") == "E06009991") & (pl.col("sex") == "female") & (pl.col("age") == 25)
                            & (pl.col("year") == 2030))["count"]
    assert got.to_list() == [float(cell(EXAMPLE, 27, "2030"))]


def test_a_bad_ons_file_through_the_cli_exits_2_and_leaves_the_workspace_as_it_was(
        run_cli: Run, tmp_path: Path) -> None:
    """Catches a refused ONS file writing anything, or a traceback: the sum error is located, exit 2."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    before = folder_bytes(ws)
    bad = edited(tmp_path, "2018 SNPP Population females.csv", 12, "2029", "3111")
    code, _, err = run_cli(["import", "population", bad, "-w", ws])
    assert code == 2
    assert "row 93, column '2029': ages 0 to 89 and '90 and over' add up to 277,286" in err
    assert "Traceback" not in err
    assert folder_bytes(ws) == before
    code, _, err = run_cli(["ons", "areas", bad, "--out", tmp_path / "areas.csv"])
    assert code == 2 and not (tmp_path / "areas.csv").exists()


def test_ons_areas_refuses_a_file_that_is_not_ons(run_cli: Run, tmp_path: Path) -> None:
    """Catches `cyplan ons areas` writing something from a file of cyplan's own layout."""
    own = Path(__file__).parents[1] / "examples" / "inputs" / "population.csv"
    code, _, err = run_cli(["ons", "areas", own, "--out", tmp_path / "areas.csv"])
    assert code == 2 and "this is not an ONS population file as published" in err


def test_the_females_and_males_files_import_one_after_the_other(run_cli: Run, tmp_path: Path) -> None:
    """Catches the males file (imported with --mode merge, as the docs say) replacing the females' rows: both sexes
    held after, Cornwall female 25 2030 = 3074 (with Scilly) and male 25 2030 = 3052 + 72."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    lines = (DATA / "snpp.csv").read_text(encoding="utf-8").splitlines()
    for sex in ("females", "males"):
        (tmp_path / f"{sex}.csv").write_text("\n".join([lines[0], *[x for x in lines if f",{sex}," in x]]) + "\n")
    shutil.copy(tmp_path / "females.csv", tmp_path / "f.csv")
    assert run_cli(["ons", "areas", tmp_path / "f.csv", "--out", tmp_path / "areas.csv"])[0] == 0
    assert run_cli(["import", "areas", tmp_path / "areas.csv", "-w", ws])[0] == 0
    assert run_cli(["import", "population", tmp_path / "females.csv", "-w", ws])[0] == 0
    code, _, err = run_cli(["import", "population", tmp_path / "males.csv", "-w", ws, "--mode", "merge"])
    assert code == 0, err
    held = Workspace.open(ws).read("population")
    assert count(held, "E06000052", "female", 25, 2030) == 3074
    assert count(held, "E06000052", "male", 25, 2030) == 3052 + 72


def test_the_data_page_upload_reads_an_ons_file_the_same_way(demo_workspace: Path, tmp_path: Path) -> None:
    """Catches the web upload bypassing the ONS reader (the shared import path): the ONS error with its column and
    hint when the areas are missing, then, with the areas merged in, the file read and said to be ONS's."""
    from fastapi.testclient import TestClient

    from cyplan.web import security
    from cyplan.web.app import create_app
    from test_web_data import LOCAL, page_token

    app = create_app(demo_workspace)
    body = EXAMPLE.read_bytes()
    with TestClient(app, base_url=LOCAL) as client:
        client.get("/data")

        def upload(name: str, data: bytes, kind: str) -> tuple[int, str]:
            form = {"kind": kind, "mode": "merge", security.CSRF_FIELD: page_token(client)}
            r = client.post("/data/upload", data=form, files={"file": (name, data)})
            return r.status_code, r.text.replace("&#39;", "'")

        before = folder_bytes(demo_workspace)
        status, html = upload("2018 SNPP Population females.csv", body, "population")
        assert status == 422 and "column 'area_code'" in html and "cyplan ons areas FILE --out areas.csv" in html
        assert folder_bytes(demo_workspace) == before
        areas = "code,name,kind,parent,source\nE06009991,Exampleton (made up),council,,made up\n" \
                "E10009992,Sampleshire (made up),council,,made up\n"
        assert upload("areas.csv", areas.encode(), "areas")[0] == 200
        status, html = upload("2018 SNPP Population females.csv", body, "population")
        assert status == 200, html
        assert "read as ONS subnational population projections (2018-based): 2 areas, 2018–2043" in html
    app.state.workspace.close()
    held = Workspace.open(demo_workspace).read("population")
    assert count(held, "E06009991", "female", 25, 2030) == float(cell(EXAMPLE, 27, "2030"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
                         .filter(lambda t: "," not in t and '"' not in t), min_size=7, max_size=7),
                min_size=1, max_size=6),
       st.sampled_from(["AREA_CODE,AREA_NAME,COMPONENT,SEX,AGE_GROUP,2028,2029",
                        "ladcode21,laname21,country,sex,age,population_2020,population_2021"]))
def test_any_cells_in_an_ons_header_give_problems_or_rows_never_an_error(rows: list[list[str]], header: str) -> None:
    """Catches a crash (a traceback for the user) on cells ONS never writes: every table in an ONS layout is either
    refused with located problems or made population rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ons.csv"
        path.write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
        try:
            raw = read_table(path)
        except InputError:
            return  # the reader's own refusal (a blank file, say)
        found = layout(raw)
        assert found is not None
        result, problems = convert(raw, found)
        assert (result is None) == bool(problems)
        assert all(str(p).startswith(str(path)) for p in InputError(problems))
