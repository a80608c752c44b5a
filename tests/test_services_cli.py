"""The service register end to end: validation messages, `cyplan services` commands on the demo, and a broken
workbook refused with the workspace unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import CliResult, folder_bytes, write_workbook
from cyplan.store.workspace import DB_FILE

Run = Callable[[Sequence[str]], CliResult]
EXAMPLES = Path(__file__).parents[1] / "examples" / "services"

SERVICES = ["service", "label", "provider", "joint", "status", "coverage", "capacity"]
GOOD_SERVICE = ["team", "Team", "NHS", "yes", "in place", 1, 100]


def refused(run: Run, ws: Path, args: Sequence[str]) -> list[str]:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    after = folder_bytes(ws)
    assert sorted(after) == [DB_FILE] and after == before
    return [line[2:] for line in err.splitlines() if line.startswith("  ")]


def test_a_broken_register_workbook_is_refused_with_every_problem(run_cli: Run, tmp_path: Path) -> None:
    ws = tmp_path / "ws"  # a new workspace: the specification's bands and groups, no roles yet
    assert run_cli(["init", ws])[0] == 0
    book = write_workbook(tmp_path / "register.xlsx", {
        "services": [SERVICES, GOOD_SERVICE, ["other", "Other", "NHS", "maybe", "live", 1.5, -3]],
        "service_cells": [["service", "band", "level", "provision"],
                          ["team", "school_age", "targeted", "therapeutic_interventions"],
                          ["team", "school_age", "targeted", "tea_and_biscuits"],
                          ["team", "teens", "universal", "information_advice"],
                          ["ghost", "post_16", "targeted", "identify_at_risk"]],
        "service_groups": [["service", "group"], ["team", "pirates"]],
        "service_staff": [["service", "role", "fte"], ["team", "wizard", 2], ["team", "mh_practitioner", 0]],
        "plans": [["plan", "label", "status", "prerequisite"], ["p", "P", "done", "world_peace"]],
        "localities": [["locality", "label", "share"], ["n", "N", 0.7], ["s", "S", 0.6]],
    })
    lines = refused(run_cli, ws, ["services", "import", book])
    f = str(book)
    expected = [
        f"{f}, sheet 'localities', column 'share': the localities' shares add up to 1.3, more than 1 (the whole area)",
        f"{f}, sheet 'plans', row 2, column 'prerequisite': 'world_peace' is not one of the specification's "
        "pre-requisites: partnership_overview, needs_assessment, workforce_development, universal_services_role, "
        "views_of_children, practitioners_understand, integrated_systems, accessible_culturally_competent, "
        "evidence_and_evaluation",
        f"{f}, sheet 'plans', row 2, column 'status': 'done' is not one of: none, early stage, in place",
        f"{f}, sheet 'service_cells', row 3, column 'provision': 'tea_and_biscuits' is not a targeted provision for "
        "school_age in the specification; those are: identify_at_risk, mh_support_vulnerable_groups, "
        "access_information_other_services, staff_training, coordinated_response, small_group_support, "
        "therapeutic_interventions, parenting_support, referral_pathways",
        f"{f}, sheet 'service_cells', row 4, column 'band': band 'teens' is not in the age bands",
        f"{f}, sheet 'service_cells', row 4, column 'band': the specification has no provisions for band 'teens'; "
        "its bands are pre_post_birth, early_years, school_age, post_16",
        f"{f}, sheet 'service_cells', row 5, column 'service': service 'ghost' is not in the services",
        f"{f}, sheet 'service_groups', row 2, column 'group': group 'pirates' is not in the vulnerable groups",
        # two roles not held, one kind of problem in one column: one group, its rows listed under it
        f"{f}, sheet 'service_staff', column 'role': 2 rows: role 'wizard' is not in the roles (and 1 other value "
        "like it)", "  rows 2, 3",
        f"{f}, sheet 'service_staff', row 3, column 'fte': fte 0 must be more than 0",
        f"{f}, sheet 'services', row 3, column 'capacity': capacity -3 is negative; it must be 0 or more",
        f"{f}, sheet 'services', row 3, column 'coverage': coverage 1.5 is above 1 (a share is from 0 to 1: write "
        "16% or 0.16)",
        f"{f}, sheet 'services', row 3, column 'joint': 'maybe' is not one of: yes, no (also read: y, n, 1, 0, true, "
        "false)",
        f"{f}, sheet 'services', row 3, column 'status': 'live' is not one of: planned, being developed, in place",
        "Add --problems FILE to save every problem, one a line (file, sheet, row, column and message).",
    ]
    assert sorted(lines) == sorted(expected)


def test_a_local_agency_needs_a_label(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "stakeholders.csv"
    path.write_text("agency,engaged\nschool,yes\npolice,yes\n")
    lines = refused(run_cli, demo_workspace, ["import", "stakeholders", path])
    assert lines[0].startswith(f"{path}, row 3, column 'label': 'police' is not an agency of the checklist, so it is "
                               "taken as a local one and needs a label")


def test_localities_need_a_share_each_or_none(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "localities.csv"
    path.write_text("locality,label,share\nnorth,N,0.5\nsouth,S,\neast,E,0.2\nwest,W,0.2\n")
    assert refused(run_cli, demo_workspace, ["import", "localities", path]) == [
        f"{path}, row 3, column 'share': blank, but other localities have a share: give every locality a share, or "
        "none (equal shares)"]


def test_the_demo_rates_3_with_its_reasons(run_cli: Run, demo_workspace: Path) -> None:
    code, out, err = run_cli(["services", "rate", "-w", demo_workspace])
    assert code == 0, err
    assert out.startswith("Rating: 3 — Protocols and plans are in place")
    assert "Plans and protocols in place: 5 of 5." in out
    assert "What keeps it from rating 4" in out
    code, out, _ = run_cli(["services", "rate", "-w", demo_workspace, "--format", "json"])
    reasons = json.loads(out)
    assert {r["rating"] for r in reasons} == {3}
    items = {r["item"]: r["state"] for r in reasons}
    assert items["post_16 / targeted / transition_to_adult_services"] == "planned"
    assert items["early_years / targeted / staff_training"] == "nothing"
    assert items["school_age / universal / social_emotional_skills"] == "in place, part of area"
    assert items["early_years / children_in_need"] == "planned"


def test_the_demo_matrix_actions_capacity_and_checklist(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    code, out, _ = run_cli(["services", "matrix", "-w", demo_workspace, "--format", "csv"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 35
    mhst = next(r for r in rows if r["provision"] == "small_group_support")
    assert (mhst["state"], mhst["covered"], mhst["in_place"]) == ("in place, part of area", "0.55", "mhst")
    code, out, _ = run_cli(["services", "actions", "-w", demo_workspace, "--format", "csv"])
    actions = list(csv.DictReader(io.StringIO(out)))
    assert actions[0]["rank"] == "1" and all(a["holds_rating"] == "true" for a in actions)
    assert float(actions[0]["weight"]) >= float(actions[-1]["weight"])
    code, out, _ = run_cli(["services", "capacity", "-w", demo_workspace, "--format", "json", "--year", "2025"])
    capacity = {r["band"]: r for r in json.loads(out)}
    assert sum(r["capacity"] for r in capacity.values()) == pytest.approx(300 + 1600 + 2400 + 150 + 500)
    assert capacity["school_age"]["cases"] > capacity["school_age"]["capacity"] > 0
    code, out, _ = run_cli(["services", "checklist", "-w", demo_workspace, "--missing", "--format", "csv"])
    assert [r["agency"] for r in csv.DictReader(io.StringIO(out))] == ["camhs_inpatient", "housing", "drug_alcohol",
                                                                       "jobcentre_plus"]
    code, _, err = run_cli(["services", "matrix", "-w", demo_workspace, "--groups", "--format", "xlsx", "--out",
                            tmp_path / "groups.xlsx"])
    assert code == 0 and (tmp_path / "groups.xlsx").exists(), err


def test_a_new_user_loads_a_spreadsheet_and_reads_the_rating(run_cli: Run, tmp_path: Path) -> None:
    """cyplan init, then one workbook holding a whole register (example 4 of seed 003), then the rating."""
    import polars as pl

    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    sheets = {}
    for path in sorted((EXAMPLES / "example4").glob("*.csv")):
        table = pl.read_csv(path, infer_schema=False)
        sheets[path.stem] = [table.columns, *[list(r) for r in table.iter_rows()]]
    book = write_workbook(tmp_path / "register.xlsx", sheets)
    code, _, err = run_cli(["import", "all", book, "-w", ws])
    assert code == 0, err
    code, out, _ = run_cli(["services", "rate", "-w", ws])
    assert out.startswith("Rating: 4") and "Nothing holds it back" in out
    code, out, err = run_cli(["services", "actions", "-w", ws])
    assert code == 0 and "not weighed by need" in err


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_each_example_folder_imports_and_rates(run_cli: Run, tmp_path: Path, n: int) -> None:
    ws = tmp_path / "ws"
    run_cli(["init", ws])
    code, _, err = run_cli(["services", "import", EXAMPLES / f"example{n}", "-w", ws])
    assert code == 0, err
    code, out, _ = run_cli(["services", "rate", "-w", ws, "--format", "csv"])
    assert {r["rating"] for r in csv.DictReader(io.StringIO(out))} == {str(n)}


def test_export_then_import_gives_the_same_register(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    assert run_cli(["services", "export", tmp_path / "register.xlsx", "-w", demo_workspace])[0] == 0
    before = run_cli(["services", "matrix", "-w", demo_workspace, "--format", "csv"])[1]
    assert run_cli(["services", "import", tmp_path / "register.xlsx", "-w", demo_workspace])[0] == 0
    assert run_cli(["services", "matrix", "-w", demo_workspace, "--format", "csv"])[1] == before


def test_editing_from_the_command_line(run_cli: Run, demo_workspace: Path) -> None:
    code, _, err = run_cli(["services", "set-status", "transition", "in place", "-w", demo_workspace])
    assert code == 0, err
    code, out, _ = run_cli(["services", "add", "ey_training", "--label", "Early years training", "--provider", "CAMHS",
                            "--status", "in place", "--cell", "early_years/targeted/staff_training",
                            "--group", "bme", "-w", demo_workspace])
    assert code == 0
    out = run_cli(["services", "matrix", "-w", demo_workspace, "--format", "csv"])[1]
    rows = {(r["band"], r["provision"]): r for r in csv.DictReader(io.StringIO(out))}
    assert rows[("early_years", "staff_training")]["in_place"] == "ey_training"
    assert rows[("post_16", "transition_to_adult_services")]["state"] == "in place, whole area"
    assert refused(run_cli, demo_workspace, ["services", "set-status", "transition", "finished"]) == []
    lines = refused(run_cli, demo_workspace, ["services", "add", "x", "--label", "X", "--provider", "P", "--status",
                                              "in place", "--cell", "school_age/targeted/juggling"])
    assert lines[0].startswith("the command's service_cells, row 2, column 'provision': 'juggling' is not a targeted "
                               "provision for school_age")


def test_rating_thresholds_are_options_and_are_checked(run_cli: Run, demo_workspace: Path) -> None:
    code, out, _ = run_cli(["services", "rate", "-w", demo_workspace, "--whole-area", "0.5"])
    assert code == 0 and out.startswith("Rating: 3")
    code, _, err = run_cli(["services", "rate", "-w", demo_workspace, "--most", "1.5"])
    assert code == 2 and "most must be more than 0 and at most 1, not 1.5" in err
