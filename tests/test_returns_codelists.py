"""Referral returns with the area's own code lists (issue 18 part 3): the service list taken from the services
register, NHS Data Dictionary ethnic category codes and labels, `cyplan returns codelist` to see and edit the
lists, the quality report's mapping template filled in and applied on the next import, and population_groups
checked against the workspace's own lists. Expected numbers are counted by hand from the files written here. The
tests that store lists, mappings or records run on SQLite and on PostgreSQL (the `backend` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backends import Backend
from cyplan.model.activity import INVALID
from cyplan.reference import codelists as C
from cyplan.returns import fields as F
from cyplan.returns import service
from cyplan.returns.codelist_files import read_list
from cyplan.store.workspace import Workspace

TODAY = dt.date(2026, 1, 1)
HEADER = ",".join(F.COLUMNS)


def _line(rid: str, svc: str, ethnicity: str = "White British", religion: str = "Christian") -> str:
    return f"{rid},{svc},2025-05-01,yes,12,Female,\"{ethnicity}\",{religion},Other,Other,Other,Other,yes,no,,"


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path


def _total(table: pl.DataFrame, label: str) -> int:
    return table.filter(pl.col("category") == label)["Total"].item()


def _queried(result: service.ImportResult, column: str) -> list[str]:
    return result.queries.filter(pl.col("column") == column)["message"].to_list()


@pytest.fixture
def ws(backend: Backend, tmp_path: Path):
    w = backend.create(tmp_path / "ws")
    yield w
    w.close()


# -- services from the register ------------------------------------------------------------------------------


def test_an_own_service_from_the_register_is_accepted_and_a_vanguard_is_not(demo_on: Path,
                                                                          tmp_path: Path) -> None:
    """Catches the service list staying the twelve vanguards when the workspace's register holds its own
    services (the demo's register: mhst, locality_teams, …), and a service's label not meaning it."""
    ws = Workspace.open(demo_on)
    try:
        path = _write(tmp_path / "r.csv", [_line("R1", "mhst"), _line("R2", " MHST "),
                                           _line("R3", "Mental health support teams in schools"),
                                           _line("R4", "Affinity")])
        result = service.import_returns(ws, path, today=TODAY)
        assert _queried(result, "service") == ["'Affinity' is not on the service code list"]
        table = service.tables(ws)["service"]
        # the demo's own referrals (2,101 accepted, all locality_teams) are there too: only mhst is counted here
        assert _total(table, "Mental health support teams in schools") == 3
        assert _total(table, INVALID) == 1
    finally:
        ws.close()


def test_without_a_register_the_vanguards_are_the_service_list(ws: Workspace, tmp_path: Path) -> None:
    """Catches an empty register leaving no service list at all (every service queried)."""
    result = service.import_returns(ws, _write(tmp_path / "r.csv", [_line("R1", "Affinity"), _line("R2", "mhst")]),
                                    today=TODAY)
    assert _queried(result, "service") == ["'mhst' is not on the service code list"]


# -- NHS Data Dictionary ethnic category ----------------------------------------------------------------------

# the NHS Data Dictionary's ETHNIC CATEGORY national codes and default code 99, with their labels, and the group
# of the tables' list each belongs to (written out here by hand from the Data Dictionary, not read from the CSV)
NHS = [
    ("A", "White - British", "White British"),
    ("B", "White - Irish", "White Minorities"),
    ("C", "White - Any other White background", "White Minorities"),
    ("D", "Mixed - White and Black Caribbean", "Mixed or Multiple ethnic groups"),
    ("E", "Mixed - White and Black African", "Mixed or Multiple ethnic groups"),
    ("F", "Mixed - White and Asian", "Mixed or Multiple ethnic groups"),
    ("G", "Mixed - Any other mixed background", "Mixed or Multiple ethnic groups"),
    ("H", "Asian or Asian British - Indian", "Asian or Asian British"),
    ("J", "Asian or Asian British - Pakistani", "Asian or Asian British"),
    ("K", "Asian or Asian British - Bangladeshi", "Asian or Asian British"),
    ("L", "Asian or Asian British - Any other Asian background", "Asian or Asian British"),
    ("M", "Black or Black British - Caribbean", "African"),
    ("N", "Black or Black British - African", "African"),
    ("P", "Black or Black British - Any other Black background", "African"),
    ("R", "Other Ethnic Groups - Chinese", "Other"),
    ("S", "Other Ethnic Groups - Any other ethnic group", "Other"),
    ("Z", "Not stated", "Not known or recorded/stated"),
    ("99", "Not known", "Not known or recorded/stated"),
]


@pytest.mark.parametrize(("code", "label", "group"), NHS)
def test_nhs_ethnic_category_codes_and_labels_mean_their_group(code: str, label: str, group: str) -> None:
    """Catches a code or label of the NHS Data Dictionary missing, or put in the wrong group."""
    ethnicity = C.load()["ethnicity"]
    expected = ethnicity.categories.index(group) + 1
    assert ethnicity.code(code) == expected
    assert ethnicity.code(code.lower()) == expected
    assert ethnicity.code(f"  {label.upper()} ") == expected


def test_no_other_single_letter_is_an_ethnic_category() -> None:
    """Catches letters the Data Dictionary leaves out (I, O, Q, T–Y) taken as categories."""
    ethnicity = C.load()["ethnicity"]
    assert [x for x in "IOQTUVWXY" if ethnicity.code(x) != -1] == []


def test_nhs_ethnic_codes_are_counted_in_the_tables(ws: Workspace, tmp_path: Path) -> None:
    """Catches codes accepted by the list but stored as written (not as their category) and so tabled apart."""
    lines = [_line("R1", "Affinity", "A"), _line("R2", "Affinity", "White - British"), _line("R3", "Affinity", "r"),
             _line("R4", "Affinity", "99"), _line("R5", "Affinity", "Z"), _line("R6", "Affinity", "Q")]
    result = service.import_returns(ws, _write(tmp_path / "r.csv", lines), today=TODAY)
    assert _queried(result, "ethnicity") == ["'Q' is not on the ethnicity code list"]
    table = service.tables(ws)["ethnicity"]
    assert (_total(table, "White British"), _total(table, "Other"), _total(table, "Not known or recorded/stated"),
            _total(table, INVALID)) == (2, 1, 2, 1)


# -- the mapping template --------------------------------------------------------------------------------------


def test_mapping_template_round_trip(ws: Workspace, tmp_path: Path, run_cli: Callable) -> None:
    """quality --mapping-template lists each invalid value once with its count; filled in and given to the next
    import with --mapping, those values are counted as their categories. Catches counts per record rather than
    per value, a template that is not read back, and mapped values stored as written."""
    lines = [_line("R1", "Affinity", "Wht Brit"), _line("R2", "Affinity", "Wht Brit"),
             _line("R3", "Affinity", "Wht Brit", "Jedi"), _line("R4", "Kent", "Martian"), _line("R5", "Surrey")]
    first = _write(tmp_path / "a.csv", lines)
    assert run_cli(["returns", "import", first, "-w", ws.path, "--today", TODAY])[0] == 0
    template = tmp_path / "template.csv"
    code, _, err = run_cli(["returns", "quality", "-w", ws.path, "--mapping-template", template, "--today", TODAY])
    assert code == 0 and "Wrote 4 values not on the code lists" in err
    rows = list(csv.DictReader(template.open(encoding="utf-8-sig")))
    assert [(r["field"], r["value_found"], r["count"], r["map_to"]) for r in rows] == [
        ("service", "Kent", "1", ""), ("ethnicity", "Wht Brit", "3", ""), ("ethnicity", "Martian", "1", ""),
        ("religion", "Jedi", "1", "")]
    # Kent and Martian left blank: not mapped. (A service is not mapped here: records are replaced by service and
    # quarter, so the first import's Kent records would stay beside the mapped ones.)
    filled = {"Wht Brit": "white british", "Jedi": "other"}
    for r in rows:
        r["map_to"] = filled.get(r["value_found"], "")
    with template.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, _, err = run_cli(["returns", "import", first, "-w", ws.path, "--mapping", template, "--today", TODAY])
    assert code == 0, err
    assert "2 queries to look at" in err and "'Martian' is not on the ethnicity code list" in err
    assert "2 distinct values are not on their code list" in err
    assert "Wht Brit" not in err and "Jedi" not in err
    tables = service.tables(ws)
    assert _total(tables["service"], INVALID) == 1 and tables["service"]["Total"][-1] == 5  # every record replaced
    assert _total(tables["ethnicity"], "White British") == 4 and _total(tables["ethnicity"], INVALID) == 1
    assert _total(tables["religion"], "Other") == 1


def test_a_mapping_to_a_category_not_on_the_list_is_a_located_error(backend: Backend, ws: Workspace, tmp_path: Path,
                                                                     run_cli: Callable) -> None:
    """Catches a bad map_to passed over (the value then silently still invalid) or reported without its row, and
    an import that writes anything when its mapping is wrong."""
    records = _write(tmp_path / "a.csv", [_line("R1", "Affinity", "Wht Brit")])
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("field,value_found,count,map_to\nethnicity,Wht Brit,1,White British\n"
                       "religion,Jedi,1,Sith\ncolour,Blue,1,Red\nethnicity,A,1,Other\n")
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "import", records, "-w", ws.path, "--mapping", mapping])
    assert code == 2
    assert (f"{mapping}, row 3, column 'map_to': 'Sith' is not on the religion code list; its categories are: "
            "Christian, Muslim, No religion, Not known or recorded/Other, Other") in err
    assert f"{mapping}, row 4, column 'field': 'colour' is not a field with a code list" in err
    assert f"{mapping}, row 5, column 'value_found': 'A' is already on the ethnicity code list as 'White British'" \
        in err
    assert "row 2" not in err
    assert backend.state(ws.path) == before


# -- cyplan returns codelist ----------------------------------------------------------------------------------


def _shown(run_cli: Callable, ws: Path, field: str) -> list[tuple[str, ...]]:
    code, out, err = run_cli(["returns", "codelist", field, "-w", ws, "-f", "csv"])
    assert code == 0, err
    return [tuple(r.values()) for r in csv.DictReader(out.splitlines())]


def test_codelist_cli_end_to_end(ws: Workspace, tmp_path: Path, run_cli: Callable) -> None:
    """Show, add, import, keep a mapping, reset. Catches an edit not stored in the workspace (the next import not
    using it), the source column not saying whose list it is, and a bad list file half-stored."""
    assert _shown(run_cli, ws.path, "gender") == [("gender", "Female", "Female", "", "", "default"),
                                                  ("gender", "Male", "Male", "", "", "default")]
    code, _, err = run_cli(["returns", "codelist", "gender", "-w", ws.path, "--add", "NB", "Non-binary"])
    assert code == 0 and "Added 'NB' (Non-binary)" in err
    assert _shown(run_cli, ws.path, "gender")[-1] == ("gender", "NB", "Non-binary", "", "", "own")
    own = tmp_path / "services.csv"
    own.write_text("code,label,aliases\nCAMHS-E,Early CAMHS,early help|eh\nKOOTH,Online counselling,\n")
    assert run_cli(["returns", "codelist", "service", "-w", ws.path, "--import", own])[0] == 0
    assert _shown(run_cli, ws.path, "service") == [
        ("service", "CAMHS-E", "Early CAMHS", "early help | eh", "", "own"),
        ("service", "KOOTH", "Online counselling", "", "", "own")]
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("field,value_found,count,map_to\nservice,Kooth.com,2,online counselling\n")
    assert run_cli(["returns", "codelist", "-w", ws.path, "--mapping", mapping])[0] == 0
    assert _shown(run_cli, ws.path, "service")[1] == ("service", "KOOTH", "Online counselling", "", "Kooth.com", "own")
    records = _write(tmp_path / "r.csv", [
        _line("R1", "EH").replace("Female", "non-binary"), _line("R2", "kooth.com"), _line("R3", "Affinity")])
    code, _, err = run_cli(["returns", "import", records, "-w", ws.path, "--today", TODAY])
    assert code == 0 and "1 query to look at" in err and "'Affinity' is not on the service code list" in err
    tables = service.tables(ws)
    assert _total(tables["service"], "Early CAMHS") == 1 and _total(tables["service"], "Online counselling") == 1
    code, _, err = run_cli(["returns", "codelist", "service", "-w", ws.path, "--reset"])
    assert code == 0 and "default list again" in err
    assert _shown(run_cli, ws.path, "service")[0] == ("service", "Affinity", "Affinity", "", "", "default")


def test_a_kept_mapping_applies_to_records_already_stored(ws: Workspace, tmp_path: Path, run_cli: Callable) -> None:
    """Stored records keep the value as found, and are matched again when the tables are made: a mapping kept
    after the import counts them as its category with no new import. Catches the kept mapping read only by
    imports."""
    records = _write(tmp_path / "a.csv", [_line("R1", "Affinity", "Wht Brit"), _line("R2", "Affinity", "Wht Brit")])
    service.import_returns(ws, records, today=TODAY)
    assert _total(service.tables(ws)["ethnicity"], INVALID) == 2
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("field,value_found,count,map_to\nethnicity,wht brit,2,A\n")
    code, _, err = run_cli(["returns", "codelist", "-w", ws.path, "--mapping", mapping])
    assert code == 0 and "Kept 1 mapping" in err
    table = service.tables(ws)["ethnicity"]
    assert _total(table, INVALID) == 0 and _total(table, "White British") == 2


def test_a_bad_code_list_file_is_refused_whole(backend: Backend, ws: Workspace, tmp_path: Path,
                                                run_cli: Callable) -> None:
    """Catches a list with a blank code or a label meaning two categories stored in part, or a message with no
    row."""
    own = tmp_path / "ethnicity.csv"
    own.write_text("code,label\nWB,White British\n,Orphan label\nWO,white british\n")
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "codelist", "ethnicity", "-w", ws.path, "--import", own])
    assert code == 2
    assert f"{own}, row 3, column 'code': the code is blank" in err
    assert f"{own}, row 4, column 'label': 'white british' already means 'WB' (row 2)" in err
    assert backend.state(ws.path) == before
    code, _, err = run_cli(["returns", "codelist", "colour", "-w", ws.path])
    assert code == 2 and "'colour' is not a field with a code list" in err
    assert backend.state(ws.path) == before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8),
                min_size=1, max_size=6, unique_by=lambda s: s.lower()))
def test_an_own_list_read_back_means_each_code(tmp_path_factory: pytest.TempPathFactory, codes: list[str]) -> None:
    """Any list of distinct codes, with labels, read from a file: each code and each label means its own
    category, in the file's order. Catches rows shifted or codes matched by case."""
    path = tmp_path_factory.mktemp("own") / "list.csv"
    path.write_text("code,label\n" + "".join(f"{c},label {c}\n" for c in codes))
    codelist = C.from_entries("religion", read_list(path, "religion"), C.OWN)
    for i, c in enumerate(codes, start=1):
        assert codelist.code(c.swapcase()) == i and codelist.code(f"LABEL {c}") == i
        assert codelist.names[i - 1] == f"label {c}"


# -- population_groups against the workspace's own lists --------------------------------------------------------


def test_population_groups_are_checked_against_the_own_list(backend: Backend, demo_on: Path, tmp_path: Path,
                                                            run_cli: Callable) -> None:
    """Catches population_groups checked against the default list when the workspace has its own: a category
    only the own list has is refused, and one only the default has is accepted."""
    own = tmp_path / "own.csv"
    own.write_text("code,label\nWB,White British\nOTH,Any other\n")
    code, _, err = run_cli(["returns", "codelist", "ethnicity", "-w", demo_on, "--import", own])
    # the demo's population by ethnicity, imported against the default list, is now partly off the list: said
    assert code == 0 and ("categories not on this list (African, Asian or Asian British, Mixed or Multiple ethnic "
                          "groups, Other, White Minorities)") in err
    groups = tmp_path / "population_groups.csv"
    groups.write_text("area,year,field,category,count,source\nE10999999,2025,ethnicity,wb,100,x\n"
                      "E10999999,2025,ethnicity,Asian or Asian British,50,x\nE10999999,2025,ethnicity,any other,5,x\n")
    before = backend.state(demo_on)
    code, _, err = run_cli(["import", "population_groups", groups, "-w", demo_on])
    assert code == 2
    assert (f"{groups}, row 3, column 'category': 'Asian or Asian British' is not on the ethnicity code list; its "
            "categories are: WB, OTH") in err
    assert "row 2" not in err and "row 4" not in err
    assert backend.state(demo_on) == before
    groups.write_text("area,year,field,category,count,source\nE10999999,2025,ethnicity,wb,100,x\n")
    assert run_cli(["import", "population_groups", groups, "-w", demo_on])[0] == 0


def test_the_own_lists_end_with_the_import_that_named_them() -> None:
    """Catches the workspace's lists leaking out of the import that named them: a later check with no workspace
    must use the defaults again."""
    from cyplan.io.validate_population_groups import _IN_FORCE, checked_against

    own = {"ethnicity": C.from_entries("ethnicity", [C.Entry("WB")], C.OWN)}
    with checked_against(own):
        assert _IN_FORCE.get() is own
    assert _IN_FORCE.get() is None
