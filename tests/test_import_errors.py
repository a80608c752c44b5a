"""`cyplan import` end to end: a bad file is refused with every problem named, exit code 2, and the
workspace left byte-for-byte as it was; a good file changes the data and is logged."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from conftest import CliResult, folder_bytes, write_text, write_workbook
from cyplan import reference
from cyplan.schema import KINDS
from cyplan.store.workspace import DB_FILE, Workspace

Run = Callable[[Sequence[str]], CliResult]
INPUTS = ", ".join(KINDS)
POPULATION = "area,year,age,sex,count\n"
DEMO_POPULATION_ROWS = 572  # 11 years × 26 ages × 2 sexes
DEMO_GROUP_SIZE_ROWS = 8
DEMO_WORKFORCE_ROWS = 11  # the demo census: 8 roles, some in two sectors
DEMO_PIPELINE_ROWS = 12  # the demo training pipelines: 6 roles, intakes to 2025 and from 2026
DEMO_HISTORY_ROWS = 33  # the demo's made-up past census snapshots: its 11 census rows in 2022, 2023 and 2024
DEMO_SKILLS_ROWS = 36  # the demo skills census: 6 roles × the Common Core's 6 areas
DEMO_POPULATION_GROUP_ROWS = 11  # the demo's population by ethnicity (6) and religion (5)


@dataclass(frozen=True)
class Bad:
    kind: str
    name: str
    content: str | bytes | list[list[object]]  # a list of rows is written as a workbook's only sheet
    lines: tuple[str, ...]  # each problem as shown: '{file}' stands for the path given


def read(ws_path: Path, kind: str) -> pl.DataFrame:
    ws = Workspace.open(ws_path)
    try:
        return ws.read(kind)
    finally:
        ws.close()


def refused(run: Run, ws_path: Path, args: Sequence[str]) -> str:
    """Run a command that must fail with code 2 and change nothing in the workspace; its stderr."""
    before = folder_bytes(ws_path)
    code, out, err = run([*args, "-w", ws_path])
    assert code == 2, (out, err)
    after = folder_bytes(ws_path)
    assert sorted(after) == [DB_FILE], "a journal or other file was left behind"
    assert after == before, "the database changed"
    return err


def problem_lines(err: str) -> list[str]:
    return [line[2:] for line in err.splitlines() if line.startswith("  ")]


BAD = {
    "missing column": Bad("population", "population.csv", "area,year,age,sex\nE10999999,2025,7,female\n",
                          ("{file}, row 1, column 'count': required column 'count' is missing",)),
    "unknown column": Bad("levels", "levels.csv", "level,label,coverage,notes\ntertiary,T,1,\ntargeted,U,1,x\n",
                          ("{file}, row 1, column 'notes': unknown column for levels of need; the columns are: "
                           "level, label, coverage, non_pay_per_case, source",)),
    "wrong type number": Bad("population", "population.csv", POPULATION + "E10999999,2025,7,female,many\n",
                             ("{file}, row 2, column 'count': 'many' is not a number",)),
    "wrong type integer": Bad("population", "population.csv", POPULATION + "E10999999,2025.5,7,female,1\n",
                              ("{file}, row 2, column 'year': '2025.5' is not a whole number",)),
    "wrong type enum": Bad("population", "population.csv", POPULATION + "E10999999,2025,7,Fem,1\n",
                           ("{file}, row 2, column 'sex': 'Fem' is not one of: female, male (also read: f, m, 2, 1, "
                            "females, males)",)),
    "blank required": Bad("levels", "levels.csv", "level,label,coverage\ntertiary,T,1\ntargeted,,1\n",
                          ("{file}, row 3, column 'label': blank; a value is required",)),
    "negative count": Bad("population", "population.csv", POPULATION + "E10999999,2025,7,female,-5\n",
                          ("{file}, row 2, column 'count': count -5 is negative; it must be 0 or more",)),
    "share above 1": Bad("prevalence", "prevalence.csv", "level,age_from,age_to,sex,central\ntertiary,0,25,all,1.4\n",
                         ("{file}, row 2, column 'central': central prevalence 1.4 is above 1 (a share is from 0 "
                          "to 1: write 16% or 0.16)",)),
    "duplicate key": Bad("levels", "levels.csv", "level,label,coverage\ntertiary,T,1\ntargeted,U,1\ntertiary,V,1\n",
                         ("{file}, row 4, column 'level': duplicate: level 'tertiary' is already on row 2",)),
    "role mix sum": Bad("role_mix", "role_mix.csv",
                        "level,step,role,share\ntertiary,core clinical management (standard),mh_practitioner,0.6\n"
                        "tertiary,core clinical management (standard),clinical_psychologist,0.3\n",
                        ("{file}, row 2, column 'share': role mix for step 'core clinical management (standard)' "
                         "(level 'tertiary') sums to 0.90, not 1",)),
    "unknown area": Bad("population", "population.csv",
                        POPULATION + "E10999999,2025,7,female,1\n\nE10000042,2025,7,female,1\n",
                        ("{file}, row 4, column 'area': area 'E10000042' is not in the areas",)),
    "unknown role": Bad("role_mix", "role_mix.csv",
                        "level,step,role,share\ntertiary,core clinical management (standard),mh_practitioner,0.5\n"
                        "tertiary,core clinical management (standard),nurse,0.5\n",
                        ("{file}, row 3, column 'role': role 'nurse' is not in the roles",)),
    "unknown level": Bad("prevalence", "prevalence.csv",
                         "level,age_from,age_to,sex,central\ntertiary,0,25,all,0.1\nsevere,0,25,all,0.01\n",
                         ("{file}, row 3, column 'level': level 'severe' is not in the levels of need",)),
    "unknown step": Bad("role_mix", "role_mix.csv", "level,step,role,share\ntertiary,triage,mh_practitioner,1\n",
                        ("{file}, row 2, column 'step': level 'tertiary', step 'triage' is not in the pathway "
                         "steps",)),
    "area still in use": Bad("areas", "areas.csv", "code,name,kind\nE10000001,Kent,council\n",
                             (f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_POPULATION_ROWS} "
                              "row(s) of population in the workspace still use it: import them again without it "
                              "first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_GROUP_SIZE_ROWS} "
                              "row(s) of vulnerable group sizes in the workspace still use it: import them again "
                              "without it first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_WORKFORCE_ROWS} "
                              "row(s) of workforce census in the workspace still use it: import them again "
                              "without it first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_PIPELINE_ROWS} "
                              "row(s) of training pipelines in the workspace still use it: import them again "
                              "without it first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_HISTORY_ROWS} "
                              "row(s) of past workforce census snapshots in the workspace still use it: import them "
                              "again without it first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_SKILLS_ROWS} "
                              "row(s) of skills census in the workspace still use it: import them again "
                              "without it first, or keep it",
                              f"{{file}}: area 'E10999999' is missing from this file, but {DEMO_POPULATION_GROUP_ROWS} "
                              "row(s) of population by category in the workspace still use it: import them again "
                              "without it first, or keep it")),
    "non-UTF-8": Bad("population", "population.csv",
                     (POPULATION.replace("count", "count,source") + "E10999999,2025,7,female,1,Café\n")
                     .encode("cp1252"),
                     ("{file}, row 2: not UTF-8 text (byte 0xE9 at character 30); save the file as 'CSV UTF-8 "
                      "(Comma delimited)'",)),
    "empty file": Bad("population", "population.csv", b"", ("{file}: the file is empty",)),
    "header only": Bad("population", "population.csv", POPULATION, ("{file}: the file has a header but no rows of "
                                                                    "data",)),
    "extra values": Bad("levels", "levels.csv", "level,label,coverage\ntertiary,T,1,x\n",
                        ("{file}, row 2: this row has 4 values but the header has 3 columns",)),
    "xls": Bad("levels", "levels.xls", b"\xd0\xcf\x11\xe0", ("{file}: old .xls workbooks are not read: save it as "
                                                             ".xlsx (Excel Workbook) or as CSV UTF-8",)),
    "excel formula without a value": Bad(
        "population", "population.xlsx",
        [["area", "year", "age", "sex", "count"], ["E10999999", 2025, 7, "female", 10],
         ["E10999999", 2025, 8, "female", "=E2*2"]],
        ("{file}, sheet 'population', row 3, column 'count': the cell holds a formula (=E2*2) with no saved value: "
         "open the file in Excel so that it calculates, then save it",)),
    "excel": Bad("population", "population.xlsx",
                 [["area", "year", "age", "sex", "count"], [], ["E10999999", 2025, 7, "female", -2]],
                 ("{file}, sheet 'population', row 3, column 'count': count -2 is negative; it must be 0 or more",)),
    # issue 11, part 6: the real problem, once, not the lines it causes further on
    "semicolons": Bad("population", "population.csv", "area;year;age;sex;count\nE10999999;2025;7;female;10\n",
                      ("{file}: the file is separated by semicolons; cyplan reads comma-separated files: save it as "
                       "CSV (comma delimited), e.g. in Excel with Save As → 'CSV UTF-8 (Comma delimited)'",)),
    "quote never closed": Bad("areas", "areas.csv", 'code,name,kind\nE10999999,"Exampleshire,council\nE1,B,council\n',
                              ("{file}, row 2: a quote (\") opens in cell 2 of this row and is never closed, so the "
                               "rest of the file reads as that one cell: close the quote or remove it",)),
}


def write_bad(folder: Path, bad: Bad) -> Path:
    if isinstance(bad.content, list):
        return write_workbook(folder / bad.name, {bad.kind: bad.content})
    return write_text(folder / bad.name, bad.content)


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_refused_and_nothing_changes(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                                  case: str) -> None:
    bad = BAD[case]
    path = write_bad(tmp_path / "inputs", bad)
    err = refused(run_cli, demo_workspace, ["import", bad.kind, str(path)])
    n = len(bad.lines)
    assert err.startswith(f"{n} problem{'s' if n > 1 else ''} found; nothing was changed.\n")
    assert problem_lines(err) == [line.format(file=path) for line in bad.lines]


@pytest.mark.parametrize("case", ["non-UTF-8", "excel"])
def test_bad_input_through_the_installed_command(run_real_cli: Callable[..., CliResult], demo_workspace: Path,
                                                 tmp_path: Path, case: str) -> None:
    bad = BAD[case]
    path = write_bad(tmp_path / "inputs", bad)
    err = refused(run_real_cli, demo_workspace, ["import", bad.kind, str(path)])
    assert problem_lines(err) == [line.format(file=path) for line in bad.lines]


def test_long_problems_are_not_wrapped_when_stderr_is_not_a_terminal(run_real_cli: Callable[..., CliResult],
                                                                     demo_workspace: Path, tmp_path: Path) -> None:
    bad = BAD["area still in use"]
    path = write_bad(tmp_path / "a-rather-long-folder-name-for-the-inputs", bad)
    code, _, err = run_real_cli(["import", "areas", str(path), "-w", demo_workspace], wide=False)
    assert code == 2
    assert problem_lines(err) == [line.format(file=path) for line in bad.lines]


def test_every_problem_in_every_file_at_once(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "all"
    write_text(folder / "population.csv", POPULATION + "E10999999,2025,7,female,-1\nE10999999,2025,8,male,x\n")
    write_text(folder / "levels.csv", "level,label,coverage\ntertiary,T,1\ntargeted,U,2\n")
    err = refused(run_cli, demo_workspace, ["import", "all", str(folder)])
    assert problem_lines(err) == [
        f"{folder / 'levels.csv'}, row 3, column 'coverage': coverage 2 is above 1 (a share is from 0 to 1: write "
        "16% or 0.16)",
        f"{folder / 'population.csv'}, row 2, column 'count': count -1 is negative; it must be 0 or more",
        f"{folder / 'population.csv'}, row 3, column 'count': 'x' is not a number",
    ]


def test_reference_problems_come_with_the_other_problems(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "role_mix.csv"
    write_text(path, "level,step,role,share\n"
               "tertiary,psychiatric oversight,psychiatrist,1.4\n"
               "tertiary,socioeconomic support,social_worker,1\n")
    err = refused(run_cli, demo_workspace, ["import", "role_mix", str(path)])
    assert f"{path}, row 2, column 'share': share 1.4 is above 1 (a share is from 0 to 1: write 16% or 0.16)" \
        in problem_lines(err)
    assert f"{path}, row 3, column 'role': role 'social_worker' is not in the roles" in problem_lines(err)


def test_an_unreadable_file_does_not_flood_its_references(run_cli: Run, demo_workspace: Path,
                                                          tmp_path: Path) -> None:
    # areas.csv is empty: population's rows are not then all reported as naming unknown areas
    folder = tmp_path / "all"
    write_text(folder / "areas.csv", "")
    write_text(folder / "population.csv", POPULATION + "E10000001,2025,7,female,1\n")
    err = refused(run_cli, demo_workspace, ["import", "all", str(folder)])
    assert problem_lines(err) == [f"{folder / 'areas.csv'}: the file is empty"]


def test_a_kind_that_does_not_exist(run_real_cli: Callable[..., CliResult], demo_workspace: Path,
                                    tmp_path: Path) -> None:
    path = write_text(tmp_path / "pop.csv", POPULATION + "E10999999,2025,7,female,1\n")
    err = refused(run_real_cli, demo_workspace, ["import", "populations", str(path)])
    assert err.strip() == f"Error: 'populations' is not an input; the inputs are: {INPUTS} (or 'all')"


def test_import_all_with_a_misnamed_file(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "all"
    write_text(folder / "population.csv", POPULATION + "E10999999,2025,7,female,1\n")
    write_text(folder / "pop.csv", POPULATION + "E10999999,2025,7,female,1\n")
    err = refused(run_cli, demo_workspace, ["import", "all", str(folder)])
    assert problem_lines(err) == [f"{folder / 'pop.csv'}: the file name does not name an input; name each file "
                                  f"after its input: {INPUTS}"]


def test_import_all_with_an_input_given_twice(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "all"
    write_text(folder / "levels.csv", "level,label,coverage\ntertiary,T,1\ntargeted,U,1\n")
    write_workbook(folder / "Levels.xlsx", {"levels": [["level", "label", "coverage"], ["tertiary", "T", 1]]})
    err = refused(run_cli, demo_workspace, ["import", "all", str(folder)])
    assert problem_lines(err) == [f"{folder / 'levels.csv'}: levels is given twice in one import"]


def test_import_all_from_a_workbook_with_a_sheet_that_is_not_an_input(run_cli: Run, demo_workspace: Path,
                                                                       tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "inputs.xlsx", {"levels": [["level", "label", "coverage"], ["t", "T", 1]],
                                                     "notes": [["read me"]]})
    err = refused(run_cli, demo_workspace, ["import", "all", str(path)])
    assert problem_lines(err) == [f"{path}, sheet 'notes': sheet 'notes' does not name an input; name each sheet "
                                  f"after its input: {INPUTS}"]


def test_import_all_from_a_file_that_is_not_a_workbook(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = write_text(tmp_path / "inputs.xlsx", "not a workbook")
    err = refused(run_cli, demo_workspace, ["import", "all", str(path)])
    assert problem_lines(err)[0].startswith(f"{path}: not a readable Excel workbook")


def test_import_all_from_an_empty_folder(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    err = refused(run_cli, demo_workspace, ["import", "all", str(folder)])
    assert problem_lines(err) == [f"{folder}: no .csv or .xlsx files here; expected files named after their "
                                  f"inputs: {INPUTS}"]


def test_excel_sheet_named_on_the_command_line(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "book.xlsx", {
        "notes": [["read me"]],
        "Population data": [["Area", "Year", "Age", "Sex", "Count"], ["E10999999", 2025, 7, "female", "lots"]],
    }, first_row=2)
    err = refused(run_cli, demo_workspace, ["import", "population", str(path), "--sheet", "Population data"])
    assert problem_lines(err) == [f"{path}, sheet 'Population data', row 3, column 'count': 'lots' is not a number"]
    err = refused(run_cli, demo_workspace, ["import", "population", str(path), "--sheet", "population"])
    assert problem_lines(err) == [f"{path}: no sheet named 'population'; the sheets are 'notes', 'Population data'"]


# -- merging ------------------------------------------------------------------------------------


def test_merge_is_refused_when_kept_rows_overlap_the_new_ones(run_cli: Run, demo_workspace: Path,
                                                              tmp_path: Path) -> None:
    path = write_text(tmp_path / "prevalence.csv", "level,age_from,age_to,sex,central\ntertiary,10,11,female,0.1\n")
    err = refused(run_cli, demo_workspace, ["import", "prevalence", str(path), "--mode", "merge"])
    assert problem_lines(err) == [f"{path}, row 2, column 'age_from': ages 10 to 11 are already covered for level "
                                  "'tertiary', female by a row already in the workspace"]


def test_merge_is_refused_when_the_role_mix_no_longer_sums_to_1(run_cli: Run, demo_workspace: Path,
                                                                tmp_path: Path) -> None:
    # the file's own rows sum to 1, but the workspace's other roles for the step are kept
    path = write_text(tmp_path / "role_mix.csv", "level,step,role,share\n"
                      "tertiary,core clinical management (standard),mh_practitioner,0.5\n"
                      "tertiary,core clinical management (standard),wellbeing_practitioner,0.5\n")
    err = refused(run_cli, demo_workspace, ["import", "role_mix", str(path), "--mode", "merge"])
    assert problem_lines(err) == [f"{path}, row 2, column 'share': role mix for step 'core clinical management "
                                  "(standard)' (level 'tertiary') sums to 1.40, not 1"]


def test_merge_is_refused_when_a_pathway_order_is_taken(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = write_text(tmp_path / "pathway_steps.csv", "level,step,order,central\ntertiary,new step,2,1\n")
    err = refused(run_cli, demo_workspace, ["import", "pathway_steps", str(path), "--mode", "merge"])
    assert problem_lines(err) == [f"{path}, row 2, column 'order': order 2 is already used for level 'tertiary' "
                                  "by a row already in the workspace"]


def test_merge_keeps_rows_not_in_the_file(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    before = read(demo_workspace, "roles")
    header = "role,label,staff_group,contracted_hours_per_week,annual_leave_days,public_holiday_days," \
             "sickness_days,training_days,direct_work_share,salary,on_cost_rate\n"
    path = write_text(tmp_path / "roles.csv", header
                      + 'psychiatrist,Psychiatrist,Medical,40,32,8,11,10,55%,"120,000",0.35\n'
                      + "nurse,Nurse,NHS clinical,37.5,29,8,11,5,0.6,38000,0.35\n")
    code, _, err = run_cli(["import", "roles", str(path), "--mode", "merge", "-w", demo_workspace])
    assert code == 0, err
    assert err.strip() == "Imported 2 rows of roles from roles.csv."
    after = read(demo_workspace, "roles")
    assert after.height == before.height + 1
    changed = after.filter(pl.col("role") == "psychiatrist").row(0, named=True)
    assert (changed["salary"], changed["direct_work_share"], changed["source"]) == (120000.0, 0.55, "")
    new = after.filter(pl.col("role") == "nurse").row(0, named=True)
    assert new["working_days_per_week"] == 5.0
    untouched = ~pl.col("role").is_in(["psychiatrist", "nurse"])
    assert after.filter(untouched).sort("role").equals(before.filter(untouched).sort("role"))


# -- a good import ------------------------------------------------------------------------------


def test_good_import_changes_the_data_and_is_logged(run_cli: Run, run_real_cli: Callable[..., CliResult],
                                                    demo_workspace: Path, tmp_path: Path) -> None:
    before = folder_bytes(demo_workspace)
    path = write_text(tmp_path / "levels.csv", "Level,Label,Coverage\ntertiary,Tertiary,80%\n\n"
                      "targeted,Targeted,1\n")
    code, _, err = run_cli(["import", "levels", str(path), "-w", demo_workspace])
    assert code == 0, err
    assert err.strip() == "Imported 2 rows of levels of need from levels.csv."
    assert folder_bytes(demo_workspace) != before
    assert read(demo_workspace, "levels").select("level", "coverage", "source").sort("level").rows() == [
        ("targeted", 1.0, ""), ("tertiary", 0.8, "")]
    code, out, _ = run_real_cli(["status", "-w", demo_workspace])
    assert code == 0
    levels = next(line for line in out.splitlines() if " levels " in line)
    assert str(path) in levels
    assert " 2 " in levels
    population = next(line for line in out.splitlines() if " population " in line)
    assert str(reference.DEMO / "population.csv") in population
    assert f" {DEMO_POPULATION_ROWS} " in population


def test_status_and_the_import_log(demo_workspace: Path, tmp_path: Path, run_cli: Run) -> None:
    path = write_text(tmp_path / "levels.csv", "level,label,coverage\ntertiary,T,1\ntargeted,U,1\n")
    assert run_cli(["import", "levels", str(path), "-w", demo_workspace])[0] == 0
    ws = Workspace.open(demo_workspace)
    try:
        log = ws.imports()
    finally:
        ws.close()
    last = log.row(-1, named=True)
    assert (last["kind"], last["file"], last["sheet"], last["rows"], last["mode"]) == (
        "levels", str(path), None, 2, "replace")
    assert len(last["sha256"]) == 64
    assert log.height == len(list(reference.DEFAULTS.glob("*.csv"))) + len(list(reference.DEMO.glob("*.csv"))) + 1


# -- saving every problem -----------------------------------------------------------------------


def many_bad_rows(n: int) -> str:
    rows = [f"E10999999,{2025 + i // 52},{i // 2 % 26},{('female', 'male')[i % 2]},-1" for i in range(n)]
    return POPULATION + "\n".join(rows) + "\n"


def test_many_problems_of_one_kind_are_one_group_counted_with_its_first_rows(run_cli: Run, demo_workspace: Path,
                                                                            tmp_path: Path) -> None:
    """Catches a screen flooded with one line per bad row, a count that is not the number of rows, and wrong first
    rows or "more": 250 rows (2 to 251) with count -1 make one group, rows 2 to 6 shown and 245 more."""
    path = write_text(tmp_path / "population.csv", many_bad_rows(250))
    err = refused(run_cli, demo_workspace, ["import", "population", str(path)])
    assert err.startswith("250 problems found; nothing was changed.\n")
    assert problem_lines(err) == [
        f"{path}, column 'count': 250 rows: count -1 is negative; it must be 0 or more",
        "  rows 2, 3, 4, 5, 6 and 245 more",
        "Add --problems FILE to save every problem, one a line (file, sheet, row, column and message)."]


def test_problems_file_lists_every_problem(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = write_text(tmp_path / "population.csv", many_bad_rows(250))
    saved = tmp_path / "problems.csv"
    err = refused(run_cli, demo_workspace, ["import", "population", str(path), "--problems", str(saved)])
    assert f"All 250 problems are listed in {saved}." in err
    problems = pl.read_csv(saved, infer_schema=False)
    assert problems.columns == ["file", "sheet", "row", "column", "message"]
    assert problems.height == 250
    assert problems["row"].to_list() == [str(r) for r in range(2, 252)]
    assert set(problems["file"]) == {str(path)}
    assert set(problems["column"]) == {"count"}
    assert set(problems["message"]) == {"count -1 is negative; it must be 0 or more"}


def test_problems_file_with_problems_in_several_files_and_sheets(run_cli: Run, demo_workspace: Path,
                                                                 tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "inputs.xlsx", {
        "levels": [["level", "label", "coverage"], ["tertiary", "T", "lots"]],
        "population": [["area", "year", "age", "sex"], ["E10999999", 2025, 7, "female"]],
    })
    saved = tmp_path / "problems.csv"
    refused(run_cli, demo_workspace, ["import", "all", str(book), "--problems", str(saved)])
    problems = pl.read_csv(saved, infer_schema=False)
    # the levels sheet also drops 'targeted', which the workspace's other inputs still use: every
    # problem is reported at once, so those come too
    still_used = [(str(book), "levels", None, None, f"level 'targeted' is missing from this file, but {n} row(s) "
                   f"of {what} in the workspace still use it: import them again without it first, or keep it")
                  for n, what in ((3, "prevalence"), (8, "vulnerable group relative risks"), (3, "pathway steps"),
                                  (1, "prevalence trends"))]
    assert sorted(problems.rows(), key=str) == sorted([
        *still_used,
        (str(book), "levels", "2", "coverage", "'lots' is not a share: write it as 0.16 or 16%"),
        (str(book), "population", "1", "count", "required column 'count' is missing"),
    ], key=str)


# -- codes ---------------------------------------------------------------------------------------


def test_a_lower_case_code_is_the_same_code_everywhere(run_cli: Run, tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    Workspace.create(ws_path).close()
    folder = tmp_path / "all"
    write_text(folder / "areas.csv", "code,name,kind,parent\ne10000001,Kent,council,\nnorth,North Kent,custom,"
               "e10000001\n")
    write_text(folder / "population.csv", POPULATION + "north,2025,7,female,10\ne10000001,2025,7,female,100\n")
    code, _, err = run_cli(["import", "all", str(folder), "-w", ws_path])
    assert code == 0, err
    assert read(ws_path, "areas")["parent"].to_list() == [None, "E10000001"]
    assert read(ws_path, "population")["area"].to_list() == ["E10000001", "NORTH"]


def test_a_file_that_repeats_keys_200000_times_is_summed_up_on_screen_and_saved_whole(
        run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches 200,000 lines on screen, a count that is not the number of repeated rows, and a --problems file
    missing rows or wording them wrongly. Rows 2 to 53 hold the 52 keys (ages 0 to 25, two sexes); every row
    after them repeats the key 52 rows above it, whose first row is 2 + (n - 2) % 52."""
    rows = 200_052
    keys = [f"E10999999,2025,{i % 26},{('female', 'male')[i // 26]}" for i in range(52)]
    body = "".join(f"{keys[i % 52]},{i}\n" for i in range(rows))
    path = write_text(tmp_path / "population.csv", POPULATION + body)
    saved = tmp_path / "problems.csv"
    err = refused(run_cli, demo_workspace, ["import", "population", str(path), "--problems", str(saved)])
    assert err.startswith("200,000 problems found; nothing was changed.\n")
    # one group: the 52 keys make 52 different messages of one kind, counted as values
    assert problem_lines(err) == [
        f"{path}, column 'area': 200,000 rows: duplicate: area 'E10999999', year '2025', age '0', sex 'female' is "
        "already on row 2 (and 51 other values like it)", "  rows 54, 55, 56, 57, 58 and 199,995 more"]
    assert f"All 200,000 problems are listed in {saved}." in err
    problems = pl.read_csv(saved, infer_schema=False)
    assert problems.height == 200_000
    assert problems["row"].to_list() == [str(r) for r in range(54, rows + 2)]
    last = problems.row(-1, named=True)
    n = rows + 1  # the last row's number
    i = (n - 2) % 52
    assert last["message"] == (f"duplicate: area 'E10999999', year '2025', age '{i % 26}', sex "
                               f"'{('female', 'male')[i // 26]}' is already on row {2 + i}")


# -- hidden sheets ----------------------------------------------------------------------------------


def _book_with_hidden_levels(run_cli: Run, ws: Path, tmp_path: Path) -> Path:
    """A workbook of the workspace's own areas (visible) and levels (on a hidden sheet)."""
    import csv

    import openpyxl

    sheets = {}
    for kind in ("areas", "levels"):
        assert run_cli(["export", kind, tmp_path / f"{kind}.csv", "-w", ws])[0] == 0
        sheets[kind] = list(csv.reader((tmp_path / f"{kind}.csv").open(encoding="utf-8")))
    path = write_workbook(tmp_path / "book.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    book["levels"].sheet_state = "hidden"
    book.save(path)
    return path


HIDDEN = ("the sheet 'levels' is hidden, so it may not be meant for import: unhide it in Excel (right-click a sheet "
          "tab → Unhide) and save, then import again")


def test_a_hidden_sheet_named_like_an_input_is_refused_by_import_all(run_cli: Run, demo_workspace: Path,
                                                                     tmp_path: Path) -> None:
    """Catches a hidden sheet being imported without a word."""
    book = _book_with_hidden_levels(run_cli, demo_workspace, tmp_path)
    err = refused(run_cli, demo_workspace, ["import", "all", str(book)])
    assert problem_lines(err) == [f"{book}, sheet 'levels': {HIDDEN}"]


def test_a_hidden_sheet_is_refused_by_its_own_import_unless_named(run_cli: Run, demo_workspace: Path,
                                                                  tmp_path: Path) -> None:
    book = _book_with_hidden_levels(run_cli, demo_workspace, tmp_path)
    err = refused(run_cli, demo_workspace, ["import", "levels", str(book)])
    assert problem_lines(err) == [f"{book}, sheet 'levels': {HIDDEN} (or name it with --sheet)"]
    code, _, err = run_cli(["import", "levels", str(book), "--sheet", "levels", "-w", demo_workspace])
    assert code == 0, err
    assert "Imported" in err and "[levels]" in err


def test_a_huge_number_from_excel_is_shown_as_excel_shows_it(run_cli: Run, demo_workspace: Path,
                                                             tmp_path: Path) -> None:
    """Catches a 1e308 cell printed as its 309-digit whole-number expansion (a 394-character message line)."""
    path = write_workbook(tmp_path / "population.xlsx", {
        "population": [["area", "year", "age", "sex", "count"], ["E10999999", 2025, 7, "female", 1e308],
                       ["E10999999", 2025, 8, "female", 123456789012.0]]})
    err = refused(run_cli, demo_workspace, ["import", "population", str(path)])
    lines = problem_lines(err)
    assert any("row 2, column 'count'" in line and "1e+308" in line for line in lines), lines
    assert all(len(line) < 200 for line in lines), lines
    # a whole number Excel holds exactly keeps its digits
    assert any("row 3, column 'count'" in line and "123456789012" in line for line in lines), lines


def test_a_very_hidden_sheet_is_not_told_to_use_unhide(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches 'unhide it in Excel (… → Unhide)' for a 'very hidden' sheet, which Excel's Unhide does not list."""
    import openpyxl

    path = _book_with_hidden_levels(run_cli, demo_workspace, tmp_path)
    book = openpyxl.load_workbook(path)
    book["levels"].sheet_state = "veryHidden"
    book.save(path)
    err = refused(run_cli, demo_workspace, ["import", "all", str(path)])
    assert problem_lines(err) == [f"{path}, sheet 'levels': the sheet 'levels' is 'very hidden' (Excel's Unhide does "
                                  "not list it), so it may not be meant for import: copy its table into a visible "
                                  "sheet and save, then import again"]
