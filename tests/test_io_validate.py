"""Checking a table against its input kind: one test per check, with the exact message and place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cyplan.io.problems import Problem
from cyplan.io.read import ROW, read_table
from cyplan.io.validate import validate
from cyplan.schema import KINDS

Check = Callable[[str, str], tuple[pl.DataFrame, list[Problem]]]

POPULATION = "area,year,age,sex,count\n"
PREVALENCE = "level,age_from,age_to,sex,low,central,high\n"
ROLES = ("role,label,staff_group,contracted_hours_per_week,working_days_per_week,annual_leave_days,"
         "public_holiday_days,sickness_days,training_days,direct_work_share,salary,on_cost_rate\n")
ROLE = "mh,MH practitioner,NHS,37.5,5,29,8,11,5,0.6,42000,0.35\n"


@pytest.fixture
def check(tmp_path: Path) -> Check:
    """check('population', csv_text) → (typed frame, problems); the file is <tmp>/<kind>.csv."""
    def run(kind: str, text: str) -> tuple[pl.DataFrame, list[Problem]]:
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        return validate(read_table(path), KINDS[kind])

    return run


def where(problems: list[Problem]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.message) for p in problems]


def one(problems: list[Problem]) -> tuple[int | None, str | None, str]:
    assert len(problems) == 1, problems
    return where(problems)[0]


# -- columns --------------------------------------------------------------------------------------


def test_a_valid_table_is_typed_in_schema_order(check: Check) -> None:
    frame, problems = check("population", "sex,count,age,year,area\nfemale,9412,7,2025,E10000001\n")
    assert problems == []
    assert frame.columns == [ROW, *KINDS["population"].column_names]
    assert frame.schema["year"] == pl.Int64 and frame.schema["count"] == pl.Float64
    assert frame.row(0, named=True) == {ROW: 2, "area": "E10000001", "year": 2025, "age": 7, "sex": "female",
                                        "count": 9412.0, "source": ""}


def test_missing_required_column(check: Check, tmp_path: Path) -> None:
    _, problems = check("population", "area,year,age,sex\nE10000001,2025,7,female\n")
    assert problems == [Problem(str(tmp_path / "population.csv"), 1, "count", "required column 'count' is missing")]


def test_several_missing_columns_are_each_named(check: Check) -> None:
    _, problems = check("population", "area,year\nE10000001,2025\n")
    assert where(problems) == [(1, c, f"required column '{c}' is missing") for c in ("age", "sex", "count")]


def test_unknown_column(check: Check) -> None:
    _, problems = check("population", "area,year,age,sex,count,colour\nE10000001,2025,7,female,1,red\n")
    assert one(problems) == (1, "colour", "unknown column for population; the columns are: area, year, age, sex, "
                             "count, source")


def test_unknown_column_on_the_header_row_where_it_is(check: Check) -> None:
    _, problems = check("levels", "\n\nlevel,label,coverage,notes\nt,T,1,\n")
    assert one(problems)[:2] == (3, "notes")


def test_absent_optional_columns_take_their_defaults(check: Check) -> None:
    header = ROLES.replace("working_days_per_week,", "")
    frame, problems = check("roles", header + ROLE.replace(",5,29,", ",29,"))
    assert problems == []
    assert frame["working_days_per_week"].to_list() == [5.0]
    assert frame["source"].to_list() == [""]


def test_blank_optional_cells_take_their_defaults(check: Check) -> None:
    frame, problems = check("roles", ROLES + ROLE.replace(",5,29,", ", ,29,"))
    assert problems == []
    assert frame["working_days_per_week"].to_list() == [5.0]


# -- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("7.5", "'7.5' is not a whole number"),
    ("seven", "'seven' is not a whole number"),
    ("1e400", "'1e400' is not a whole number"),
])
def test_wrong_type_integer(check: Check, text: str, message: str) -> None:
    _, problems = check("population", POPULATION + f"E10000001,2025,{text},female,1\n")
    assert one(problems) == (2, "age", message)


def test_whole_numbers_written_with_a_decimal_point_are_integers(check: Check) -> None:
    frame, problems = check("population", POPULATION + "E10000001,2025.0,7.0,female,1\n")
    assert problems == []
    assert (frame["year"][0], frame["age"][0]) == (2025, 7)


@pytest.mark.parametrize("text", ["lots", "nan", "inf", "-inf", "1.2.3", "12,34"])
def test_wrong_type_number(check: Check, text: str) -> None:
    _, problems = check("population", POPULATION + f'E10000001,2025,7,female,"{text}"\n')
    assert one(problems) == (2, "count", f"'{text}' is not a number")


@pytest.mark.parametrize("text", ["high", "16%%", "%", "0.1.6"])
def test_wrong_type_share(check: Check, text: str) -> None:
    _, problems = check("levels", f"level,label,coverage\nt,T,{text}\n")
    assert one(problems) == (2, "coverage", f"'{text}' is not a share: write it as 0.16 or 16%")


def test_wrong_type_enum(check: Check) -> None:
    _, problems = check("population", POPULATION + "E10000001,2025,7,women,1\n")
    assert one(problems) == (2, "sex", "'women' is not one of: female, male (also read: f, m, 2, 1, females, males)")


def test_enum_ignores_case_and_spaces(check: Check) -> None:
    frame, problems = check("areas", "code,name,kind\nE10000001,A, Council \nE10000002,B,icb\n")
    assert problems == []
    assert frame["kind"].to_list() == ["council", "ICB"]


def test_codes_are_upper_case(check: Check) -> None:
    frame, problems = check("areas", "code,name,kind\ne10000001,A,council\n")
    assert problems == []
    assert frame["code"].to_list() == ["E10000001"]


def test_text_is_trimmed(check: Check) -> None:
    frame, _ = check("levels", "level,label,coverage\n  tertiary , Tertiary level ,1\n")
    assert frame.row(0, named=True)["level"] == "tertiary"
    assert frame.row(0, named=True)["label"] == "Tertiary level"


# -- blanks and ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_where_a_value_is_required(check: Check, blank: str) -> None:
    _, problems = check("population", POPULATION + f"E10000001,2025,7,female,{blank}\n")
    assert one(problems) == (2, "count", "blank; a value is required")


def test_blank_required_text(check: Check) -> None:
    _, problems = check("levels", "level,label,coverage\ntertiary,,1\n")
    assert one(problems) == (2, "label", "blank; a value is required")


def test_negative_count(check: Check) -> None:
    _, problems = check("population", POPULATION + "E10000001,2025,7,female,-3\n")
    assert one(problems) == (2, "count", "count -3 is negative; it must be 0 or more")


def test_negative_group_size(check: Check) -> None:
    _, problems = check("group_sizes", "area,group,age_from,age_to,count\nE10000001,looked_after,0,17,-1\n")
    assert one(problems) == (2, "count", "count -1 is negative; it must be 0 or more")


def test_below_a_minimum_other_than_0(check: Check) -> None:
    _, problems = check("population", POPULATION + "E10000001,1989,7,female,1\n")
    assert one(problems) == (2, "year", "year 1989 is below 1990")


def test_above_a_maximum(check: Check) -> None:
    _, problems = check("population", POPULATION + "E10000001,2025,26,female,1\n")
    assert one(problems) == (2, "age", "age 26 is above 25")


def test_must_be_more_than_0(check: Check) -> None:
    _, problems = check("roles", ROLES + ROLE.replace("37.5", "0").replace(",0.6,", ",0,"))
    assert where(problems) == [
        (2, "contracted_hours_per_week", "contracted hours per week 0 must be more than 0"),
        (2, "direct_work_share", "direct work share 0 must be more than 0; a role planned by ratio in role_ratios "
         "(an administrator, a team leader) does no direct work of its own and its share is not used there: write "
         "its share if it has one, or 1"),
    ]


def test_share_above_1_has_the_hint(check: Check) -> None:
    _, problems = check("prevalence", PREVALENCE + "tertiary,12,17,all,,1.4,\n")
    assert one(problems) == (2, "central", "central prevalence 1.4 is above 1 (a share is from 0 to 1: write 16% "
                             "or 0.16)")


def test_share_above_1_as_a_percentage(check: Check) -> None:
    _, problems = check("levels", "level,label,coverage\nt,T,130%\n")
    assert one(problems) == (2, "coverage", "coverage 130% is above 1 (a share is from 0 to 1: write 16% or 0.16)")


@pytest.mark.parametrize(("text", "value"), [("16%", 0.16), ("16 %", 0.16), ("0.5%", 0.005), ("100%", 1.0),
                                             ("0.16", 0.16), ("0", 0.0), (".5", 0.5)])
def test_percentages(check: Check, text: str, value: float) -> None:
    frame, problems = check("levels", f"level,label,coverage\nt,T,{text}\n")
    assert problems == []
    assert frame["coverage"][0] == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("text", "value"), [("1,234", 1234.0), ("1,234,567.5", 1234567.5), ("12,345", 12345.0),
                                             ("1234", 1234.0), ("1.2e3", 1200.0)])
def test_thousands_separators(check: Check, text: str, value: float) -> None:
    frame, problems = check("population", POPULATION + f'E10000001,2025,7,female,"{text}"\n')
    assert problems == []
    assert frame["count"][0] == value


def test_thousands_separators_in_whole_numbers(check: Check) -> None:
    frame, problems = check("population", POPULATION + 'E10000001,"2,025",7,female,1\n')
    assert problems == []
    assert frame["year"][0] == 2025


# -- keys -----------------------------------------------------------------------------------------


def test_duplicate_keys_name_the_first_row(check: Check) -> None:
    text = POPULATION + ("E10000001,2025,7,female,1\nE10000001,2025,7,male,1\nE10000001,2025,7,Female,2\n"
                         "E10000001,2025,7,female,3\n")
    _, problems = check("population", text)
    message = "duplicate: area 'E10000001', year '2025', age '7', sex 'female' is already on row 2"
    assert where(problems) == [(4, "area", message), (5, "area", message)]


def test_duplicate_single_key(check: Check) -> None:
    _, problems = check("levels", "level,label,coverage\nt,T,1\nu,U,1\nt,T again,0.5\n")
    assert one(problems) == (4, "level", "duplicate: level 't' is already on row 2")


# -- estimates and age ranges ---------------------------------------------------------------------


def test_low_above_central(check: Check) -> None:
    _, problems = check("prevalence", PREVALENCE + "tertiary,12,17,all,0.2,0.16,0.18\n")
    assert one(problems) == (2, "low", "low prevalence 0.2 is above central 0.16")


def test_high_below_central(check: Check) -> None:
    _, problems = check("prevalence", PREVALENCE + "tertiary,12,17,all,0.14,16%,10%\n")
    assert one(problems) == (2, "high", "high prevalence 0.1 is below central 0.16")


@pytest.mark.parametrize(("kind", "text", "quantity"), [
    ("group_risks", "group,level,low,central,high\nlooked_after,tertiary,5,4,3\n", "relative risk"),
    ("pathway_steps", "level,step,order,low,central,high\ntertiary,triage,1,5,4,3\n", "hours per case"),
])
def test_estimates_name_the_quantity(check: Check, kind: str, text: str, quantity: str) -> None:
    _, problems = check(kind, text)
    assert where(problems) == [(2, "low", f"low {quantity} 5 is above central 4"),
                               (2, "high", f"high {quantity} 3 is below central 4")]


def test_blank_low_and_high_are_the_central_value(check: Check) -> None:
    frame, problems = check("prevalence", PREVALENCE + "tertiary,12,17,all,,0.16,\n")
    assert problems == []
    assert frame.select("low", "central", "high").row(0) == (0.16, 0.16, 0.16)


def test_age_from_after_age_to(check: Check) -> None:
    _, problems = check("prevalence", PREVALENCE + "tertiary,12,5,all,,0.16,\n")
    assert one(problems) == (2, "age_from", "age_from 12 is after age_to 5")


def test_overlapping_prevalence_ranges(check: Check) -> None:
    text = PREVALENCE + "tertiary,0,11,female,,0.1,\ntertiary,12,17,female,,0.1,\ntertiary,10,13,female,,0.1,\n"
    _, problems = check("prevalence", text)
    assert where(problems) == [
        (4, "age_from", "ages 10 to 11 are already covered for level 'tertiary', female on row 2"),
        (4, "age_from", "ages 12 to 13 are already covered for level 'tertiary', female on row 3"),
    ]


def test_sex_all_overlaps_female(check: Check) -> None:
    text = PREVALENCE + "tertiary,0,11,all,,0.1,\ntertiary,5,5,female,,0.1,\n"
    _, problems = check("prevalence", text)
    assert one(problems) == (3, "age_from", "ages 5 to 5 are already covered for level 'tertiary', female on row 2")


def test_ranges_that_do_not_overlap(check: Check) -> None:
    text = PREVALENCE + ("tertiary,0,11,female,,0.1,\ntertiary,0,11,male,,0.1,\ntertiary,12,25,all,,0.1,\n"
                         "targeted,0,25,all,,0.1,\n")
    assert check("prevalence", text)[1] == []


def test_overlapping_group_sizes(check: Check) -> None:
    text = "area,group,age_from,age_to,count\nE10000001,looked_after,0,17,10\nE10000001,looked_after,16,25,5\n"
    _, problems = check("group_sizes", text)
    assert one(problems) == (3, "age_from", "ages 16 to 17 are already covered for group 'looked_after' in "
                             "E10000001 on row 2")


def test_age_bands_with_gaps(check: Check) -> None:
    _, problems = check("age_bands", "band,label,age_from,age_to\na,A,0,4\nb,B,6,15\nc,C,16,20\n")
    assert one(problems) == (None, None, "no band covers ages 5, 21 to 25; the bands must cover every age from "
                             "0 to 25")


def test_age_bands_with_one_missing_age(check: Check) -> None:
    _, problems = check("age_bands", "band,label,age_from,age_to\na,A,0,4\nb,B,6,25\n")
    assert one(problems)[2] == "no band covers age 5; the bands must cover every age from 0 to 25"


def test_overlapping_age_bands(check: Check) -> None:
    _, problems = check("age_bands", "band,label,age_from,age_to\na,A,0,5\nb,B,5,25\n")
    assert one(problems) == (3, "age_from", "ages 5 to 5 are already covered by the band on row 2")


# -- checks of one input ----------------------------------------------------------------------------


def test_role_mix_must_sum_to_1(check: Check) -> None:
    text = ("level,step,role,share\ntertiary,triage,mh,1\ntertiary,core clinical management,mh,0.6\n"
            "tertiary,core clinical management,psychologist,0.3\n")
    _, problems = check("role_mix", text)
    assert one(problems) == (3, "share", "role mix for step 'core clinical management' (level 'tertiary') sums to "
                             "0.90, not 1")


def test_role_mix_in_percent_and_thirds(check: Check) -> None:
    text = ("level,step,role,share\nt,a,x,60%\nt,a,y,40%\nt,b,x,0.3333333333333333\nt,b,y,0.3333333333333333\n"
            "t,b,z,0.3333333333333334\n")
    assert check("role_mix", text)[1] == []


def test_role_mix_with_a_blank_share_is_not_summed(check: Check) -> None:
    _, problems = check("role_mix", "level,step,role,share\nt,a,x,0.6\nt,a,y,\n")
    assert one(problems) == (3, "share", "blank; a value is required")


def test_pathway_order_used_twice(check: Check) -> None:
    text = "level,step,order,central\ntertiary,a,1,3\ntertiary,b,1,4\ntargeted,c,1,2\n"
    _, problems = check("pathway_steps", text)
    assert one(problems) == (3, "order", "order 1 is already used for level 'tertiary' on row 2")


@pytest.mark.parametrize("code", ["E1000000", "E100000012", "X10000001", "E1000000A"])
def test_gss_codes(check: Check, code: str) -> None:
    _, problems = check("areas", f"code,name,kind\n{code},A,council\n")
    assert one(problems) == (2, "code", f"'{code}' is not an ONS GSS code (a letter and eight digits, e.g. "
                             "E10000003); give kind 'custom' to an area without one")


@pytest.mark.parametrize("code", ["E10000001", "W06000001", "S12000033", "N09000001", "K02000001"])
def test_good_gss_codes(check: Check, code: str) -> None:
    assert check("areas", f"code,name,kind\n{code},A,ICB\n")[1] == []


def test_custom_codes(check: Check) -> None:
    frame, problems = check("areas", "code,name,kind\nnorth-locality_1,North,custom\nmy area,Mine,custom\n"
                                     "ABCDEFGHIJKLMNOPQRSTU,Long,custom\n")
    assert frame["code"][0] == "NORTH-LOCALITY_1"
    message = "is not a usable code: up to 20 letters, digits, '-' or '_'"
    assert where(problems) == [(3, "code", f"'MY AREA' {message}"), (4, "code", f"'ABCDEFGHIJKLMNOPQRSTU' {message}")]


def test_area_its_own_parent(check: Check) -> None:
    _, problems = check("areas", "code,name,kind,parent\nE10000001,A,council,E10000001\n")
    assert one(problems) == (2, "parent", "an area cannot be its own parent")


# -- every problem at once ------------------------------------------------------------------------


def test_every_problem_in_a_file_is_reported_together(check: Check, tmp_path: Path) -> None:
    text = ("area,year,age,sex,count,colour\n"
            "E10000001,2025,7,female,10,\n"
            "E10000001,twenty,7,female,10,\n"  # not a whole number
            "E10000001,2025,8,woman,10,\n"  # not a sex
            "E10000001,2025,9,female,-1,\n"  # negative
            "E10000001,2025,7,female,11,\n")  # duplicate of row 2; plus the unknown column
    _, problems = check("population", text)
    assert where(problems) == [
        (1, "colour", "unknown column for population; the columns are: area, year, age, sex, count, source"),
        (3, "year", "'twenty' is not a whole number"),
        (4, "sex", "'woman' is not one of: female, male (also read: f, m, 2, 1, females, males)"),
        (5, "count", "count -1 is negative; it must be 0 or more"),
        (6, "area", "duplicate: area 'E10000001', year '2025', age '7', sex 'female' is already on row 2"),
    ]
    assert {p.file for p in problems} == {str(tmp_path / "population.csv")}


def test_several_problems_in_one_row_and_one_column(check: Check) -> None:
    text = PREVALENCE + "tertiary,x,5,all,2,1.5,\ntertiary,3,2,female,,,\n"
    _, problems = check("prevalence", text)
    assert sorted(where(problems), key=lambda p: (p[0], p[1])) == [
        (2, "age_from", "'x' is not a whole number"),
        (2, "central", "central prevalence 1.5 is above 1 (a share is from 0 to 1: write 16% or 0.16)"),
        (2, "low", "low prevalence 2 is above 1 (a share is from 0 to 1: write 16% or 0.16)"),
        (2, "low", "low prevalence 2 is above central 1.5"),
        (3, "age_from", "age_from 3 is after age_to 2"),
        (3, "central", "blank; a value is required"),
    ]


# -- checks added after review ----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "text", "column", "message"), [
    ("levels", "level,label,coverage\nt,T,-0.5\n", "coverage", "coverage -0.5 is negative; it must be 0 or more"),
    ("role_mix", "level,step,role,share\nt,s,a,-25%\n", "share", "share -25% is negative; it must be 0 or more"),
    ("roles", ROLES + ROLE.replace(",0.35\n", ",-0.1\n"), "on_cost_rate",
     "on cost rate -0.1 is negative; it must be 0 or more"),
])
def test_a_share_is_never_negative(check: Check, kind: str, text: str, column: str, message: str) -> None:
    _, problems = check(kind, text)
    assert (2, column, message) in where(problems)


def test_a_role_must_have_working_days_left(check: Check) -> None:
    # 52 × 5 = 260 possible days; 200 + 8 + 40 + 12 = 260 leaves none
    _, problems = check("roles", ROLES + "mh,MH,NHS,37.5,5,200,8,40,12,0.6,42000,0.35\n")
    assert one(problems) == (2, "annual_leave_days", "leave, public holidays, sickness and training add up to 260 "
                             "days, which leaves no working days of the 260 in a year (52 weeks × 5 days)")


@pytest.mark.parametrize("hidden", ["\x0b", "\x85", "\u202e", "\u2067"])
def test_control_characters_are_refused(check: Check, hidden: str) -> None:
    """Catches a vertical tab, a C1 control (NEL) or a bidirectional override (a label shown backwards in the
    paper, 'Trojan Source') kept in a label."""
    _, problems = check("levels", f"level,label,coverage\nt,Tier{hidden}one,1\n")
    assert one(problems) == (2, "label", "contains a control character (an invisible character such as a "
                             "vertical tab or a right-to-left override): retype the cell")


def test_ordinary_non_ascii_text_is_kept(check: Check) -> None:
    """Catches a control check too wide: accents, the pound sign, Welsh ŵ and an en dash are ordinary text."""
    _, problems = check("levels", "level,label,coverage\nt,Ŵyneb – £ café,1\n")
    assert problems == []


def test_the_default_sheet_is_found_in_any_case(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Levels")
    sheet.append(["level", "label", "coverage"])
    sheet.append(["t", "T", 1])
    book.save(tmp_path / "book.xlsx")
    raw = read_table(tmp_path / "book.xlsx", default_sheet="levels")
    assert raw.sheet == "Levels"


def test_a_run_of_problems_interleaves_with_single_ones_in_row_order() -> None:
    """Catches a run's problems being lost, reworded or put out of row order beside single problems: the web
    page and tests read them all as one sorted list; --problems saves the single ones, then the run's."""
    import polars as pl

    from cyplan.io.problems import ROW, InputError, Problem, problem_run

    rows = pl.DataFrame({ROW: list(range(26, 1, -1)), "v": list(range(25))})  # 25 rows, given out of order
    found = problem_run("f.csv", None, "count", rows, lambda r: f"bad {r['v']}")
    single = Problem("f.csv", 10, "area", "blank")
    e = InputError([*found, single])
    assert len(e) == 26 and len(e.runs) == 1 and e.singles == [single]
    assert [(p.row, p.column) for p in e.problems][7:10] == [(9, "count"), (10, "area"), (10, "count")]
    assert e.problems[0] == Problem("f.csv", 2, "count", "bad 24")
    saved = pl.concat(e.frames())
    assert saved.columns == ["file", "sheet", "row", "column", "message"]
    assert saved["row"].to_list() == [10, *range(2, 27)]
    assert saved.row(1) == ("f.csv", None, 2, "count", "bad 24")
    small = problem_run("f.csv", None, "count", rows.head(20), lambda r: "x")
    assert all(isinstance(p, Problem) for p in small)  # 20 or fewer: plain problems, listed as ever


def test_a_caseload_with_no_cases_is_refused_where_it_starts(check: Check) -> None:
    """Catches an all-zero caseload accepted and then ignored without a word (the census's CYP share used
    instead): the first row of that caseload is named; a caseload with any case passes."""
    head = "area,role,sector,client_group,cases,in_population\n"
    _, problems = check("caseloads", head + "E10999999,slt,education,CYP with SEND,0,yes\n"
                        "E10999999,slt,education,adults,0,no\n"
                        "E10999999,ot,education,CYP with SEND,0,yes\nE10999999,ot,education,adults,3,no\n")
    assert one(problems) == (2, "cases", "the caseload of slt (education) in E10999999 holds no cases in any of its "
                             "2 client groups, so it gives no CYP share: give the counts, or leave this caseload out "
                             "to use the census's cyp_share")
