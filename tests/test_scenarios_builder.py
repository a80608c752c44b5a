"""The scenario builder (issue 17 part 1) and the scenarios input's key with to_role.

The key: two moves of the same rows' shares to two roles are two changes, both applied (hand-worked shares); two rows
alike but for their value are refused, not stacked. The builder: a scenario made, changed, copied and deleted in
the web app is checked by the import's rules and the model's, each message beside its field, nothing saved on a
problem; saved, it is an import of the scenarios input with who and when; the preview runs the draft on the
baseline's random numbers; the difference between two scenarios' changes is exact."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from conftest import folder_bytes
from cyplan import results
from cyplan.commands import evidence
from cyplan.io.read import read_table
from cyplan.io.validate import validate
from cyplan.io.write import write_csv
from cyplan.model.gap import gap_table
from cyplan.model.scenarios import apply
from cyplan.schema import KINDS
from cyplan.store import audit
from cyplan.store.workspace import Workspace, _alembic_config, _heads
from cyplan.transfer import import_inputs
from cyplan.web.app import create_app
from cyplan.web.routes.scenarios import PREVIEW_DRAWS, check, draft_from_form

AREA = "E10999999"
STEP = "core clinical management (standard)"
HEADER = "scenario,input,column,where,operation,value,to_role,description,source\n"
# the demo's role mix for the tertiary level's standard core clinical management: mh_practitioner 0.6,
# clinical_psychologist 0.25, specialist_therapist 0.15; psychiatrist none
TWO_MOVES = (f"split,role_mix,share,level=tertiary;step={STEP};role=mh_practitioner,move,0.2,clinical_psychologist,,\n"
             f"split,role_mix,share,level=tertiary;step={STEP};role=mh_practitioner,move,0.1,psychiatrist,,\n")


# -- the key -------------------------------------------------------------------------------------------------

def test_two_moves_of_the_same_rows_to_two_roles_both_apply() -> None:
    """Catches a key without to_role (the second move replaces or is refused as the first) and a move applied twice
    or to the wrong role: A 0.6 gives 0.2 to B and 0.1 to C, so A 0.3, B 0.4 + 0.2 = 0.6, C 0 + 0.1 = 0.1."""
    frames = {"roles": pl.DataFrame({"role": ["A", "B", "C"]}),
              "role_mix": pl.DataFrame({"level": ["L", "L"], "step": ["S", "S"], "role": ["A", "B"],
                                        "share": [0.6, 0.4], "source": ["", ""]})}
    scenarios = pl.DataFrame({"scenario": ["s", "s"], "input": ["role_mix"] * 2, "column": ["share"] * 2,
                              "where": ["level=L;step=S;role=A"] * 2, "operation": ["move"] * 2, "value": [0.2, 0.1],
                              "to_role": ["B", "C"], "description": ["", ""], "source": ["", ""]})
    mix = apply(frames, scenarios, "s")["role_mix"]
    assert dict(mix.select("role", "share").iter_rows()) == pytest.approx({"A": 0.3, "B": 0.6, "C": 0.1})


def test_a_file_with_two_moves_of_the_same_rows_imports_and_both_apply(demo_workspace: Path, run_cli: Any,
                                                                         tmp_path: Path) -> None:
    """End to end through `cyplan import`: the file the old key refused ('repeats a key') is taken, and in the
    workspace the practitioners' 0.6 is 0.3, the psychologists' 0.25 is 0.45 and the psychiatrists' 0.1."""
    path = tmp_path / "scenarios.csv"
    path.write_text(HEADER + TWO_MOVES)
    code, out, err = run_cli(["import", "scenarios", str(path), "--workspace", str(demo_workspace)])
    assert code == 0, out + err
    ws = Workspace.open(demo_workspace)
    try:
        frames = ws.read_all()
    finally:
        ws.close()
    mix = apply(frames, frames["scenarios"], "split")["role_mix"].filter(
        (pl.col("level") == "tertiary") & (pl.col("step") == STEP))
    assert dict(mix.select("role", "share").iter_rows()) == pytest.approx(
        {"mh_practitioner": 0.3, "clinical_psychologist": 0.45, "specialist_therapist": 0.15, "psychiatrist": 0.1})


def test_two_rows_alike_but_for_their_value_are_refused_not_stacked(demo_workspace: Path, run_cli: Any,
                                                                    tmp_path: Path) -> None:
    """Catches value in the key: a pasted second 'add' row would silently double the change (+0.03 twice)."""
    path = tmp_path / "scenarios.csv"
    path.write_text(HEADER + "r,workforce,leaver_rate,,add,-0.03,,,\nr,workforce,leaver_rate,,add,-0.02,,,\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "scenarios", str(path), "--workspace", str(demo_workspace)])
    assert code == 2
    said = " ".join((out + err).split())
    assert "row 3" in said and "operation 'add', to_role '' is already on row 2" in said
    assert folder_bytes(demo_workspace) == before


def test_a_workspace_from_before_the_key_keeps_its_scenarios_and_takes_two_moves(tmp_path: Path) -> None:
    """Migration 0028_scenario_key on a workspace at 0025 holding a move and a row whose to_role is NULL: the rows
    kept (NULL read as blank), and afterwards the two moves of one row's share can be held."""
    folder = tmp_path / "old"
    Workspace.create(folder).close()
    engine = sa.create_engine(f"sqlite:///{folder / 'cyplan.db'}")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0025_evidence")  # as a workspace made before this change
        conn.execute(sa.text("INSERT INTO scenarios VALUES ('r', 'workforce', 'leaver_rate', '', 'add', -0.03, NULL, "
                             "NULL, NULL)"))
    engine.dispose()
    ws = Workspace.open(folder)
    try:
        assert ws.revisions() == _heads()
        assert ws.read("scenarios").select("scenario", "to_role").rows() == [("r", "")]
        with ws.engine.begin() as conn:
            for role in ("B", "C"):
                conn.execute(sa.text("INSERT INTO scenarios VALUES ('s', 'role_mix', 'share', 'role=A', 'move', 0.1, "
                                     ":r, '', '')"), {"r": role})
        assert ws.read("scenarios").height == 3
    finally:
        ws.close()


# -- the builder -------------------------------------------------------------------------------------------

@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def _token(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/scenarios").text).group(1)  # type: ignore


def _form(client: TestClient, name: str, *changes: dict[str, str], original: str = "", **extra: str) -> dict[str, str]:
    form = {"csrf_token": _token(client), "name": name, "original": original, "count": str(len(changes)), **extra}
    for i, change in enumerate(changes):
        form.update({f"c{i}-{k}": v for k, v in change.items()})
    return form


FEWER_LEAVERS = {"operation": "add", "input": "workforce", "column": "leaver_rate", "where-role": "mh_practitioner",
                 "where-sector": "NHS", "value": "-0.02", "description": "Two points fewer leavers"}


def _fields(page: str) -> dict[str, str]:
    """What a browser would post of the builder's form as the page gives it: each input's value, and each select's
    selected option (else its first)."""
    form = re.search(r'<form method="post" action="/scenarios/save".*?</form>', page, re.S).group(0)  # type: ignore
    out = dict(re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        out[name] = chosen.group(1) if chosen else ""
    return {k: html.unescape(v) for k, v in out.items()}


def _errors(text: str) -> dict[str, str]:
    """The messages beside the fields: field id → words."""
    found = re.findall(r'<p id="([^"]+)-error" class="govuk-error-message"><span class="govuk-visually-hidden">'
                       r'Error:</span> (.*?)</p>', text, re.S)
    return {k: re.sub(r"\s+", " ", v).replace("&#39;", "'").strip() for k, v in found}


def test_the_builder_offers_the_workspaces_own_rows_not_free_text(client: TestClient) -> None:
    """Catches a where typed as free text (a typo matching no row): each where column of the workforce census is a
    list of the census's own roles and sectors, and the role that takes a move is a list of the roles input."""
    page = client.get("/scenarios/skill_mix/edit").text
    role = re.search(r'<select class="govuk-select" id="c0-where-role".*?</select>', page, re.S).group(0)  # type: ignore
    assert 'value="clinical_psychologist" selected' in role and 'value="mh_practitioner"' in role
    assert '<input class="govuk-input" id="c0-where' not in page
    to_role = re.search(r'id="c0-to_role".*?</select>', page, re.S).group(0)  # type: ignore
    assert 'value="mh_practitioner" selected' in to_role
    new = client.post("/scenarios/form", data=_form(client, "x", {**FEWER_LEAVERS, "where-role": ""})).text
    sectors = re.search(r'id="c0-where-sector".*?</select>', new, re.S).group(0)  # type: ignore
    assert re.findall(r'<option value="([^"]*)"', sectors) == ["", "NHS", "council", "education", "voluntary"]


def test_a_problem_is_shown_beside_its_field_and_nothing_is_saved(client: TestClient, demo_workspace: Path) -> None:
    """Catches a form that saves a bad scenario, a message only at the top (or not at all), and the import's and
    the model's rules not both applied: a name taken, a value that is not a number, a change that matches no row,
    a leaver rate below 0 and a move of more share than the role has, each beside its own field."""
    before = folder_bytes(demo_workspace)
    r = client.post("/scenarios/save", data=_form(client, "retention", {**FEWER_LEAVERS, "value": "lots"}))
    assert r.status_code == 422
    assert _errors(r.text) == {"name": "There is already a scenario named 'retention': choose another name, or "
                                       "change that one", "c0-value": "'lots' is not a number"}
    assert 'href="#c0-value"' in r.text and "govuk-error-summary" in r.text
    no_row = {**FEWER_LEAVERS, "where-sector": "education"}  # the census has no practitioners in education
    r = client.post("/scenarios/save", data=_form(client, "new", no_row))
    assert r.status_code == 422
    assert _errors(r.text) == {"c0-where": "Change to workforce.leaver_rate: no row of workforce matches "
                                           "'role=mh_practitioner;sector=education'"}
    r = client.post("/scenarios/save", data=_form(client, "new", {**FEWER_LEAVERS, "value": "-5"}))
    assert list(_errors(r.text)) == ["c0-value"] and "below 0" in _errors(r.text)["c0-value"]
    too_much = {"operation": "move", "input": "role_mix", "column": "share", "where-level": "tertiary",
                "where-step": STEP, "where-role": "clinical_psychologist", "value": "0.3", "to_role": "psychiatrist"}
    r = client.post("/scenarios/save", data=_form(client, "new", too_much))
    assert _errors(r.text) == {"c0-value": f"Change to role_mix.share: role 'clinical_psychologist' has only 0.25 of "
                                           f"step '{STEP}' to move, not 0.3"}
    r = client.post("/scenarios/save", data=_form(client, "new", {**too_much, "value": "0.1", "to_role": ""}))
    assert list(_errors(r.text)) == ["c0-to_role"]
    assert folder_bytes(demo_workspace) == before


def test_a_name_of_10000_characters_is_refused_beside_the_name_and_100_is_taken(client: TestClient,
                                                                                 demo_workspace: Path) -> None:
    """Catches the builder saving a scenario named with 10,000 characters (it did: every table, the chooser and the
    board paper then showed it whole), the problem put beside a change's value instead of the name, and a limit
    that refuses the 100 characters it allows."""
    before = folder_bytes(demo_workspace)
    r = client.post("/scenarios/save", data=_form(client, "a" * 10_000, FEWER_LEAVERS))
    assert r.status_code == 422
    assert _errors(r.text) == {"name": "The scenario's name is 10,000 characters long: keep it to 100 or fewer, as "
                                       "the tables and the board paper show it whole (say what it does in the "
                                       "description)"}
    assert folder_bytes(demo_workspace) == before
    r = client.post("/scenarios/save", data=_form(client, "b" * 100, FEWER_LEAVERS))
    assert r.status_code in (200, 303), _errors(r.text)
    assert "b" * 100 in client.get("/scenarios").text


def test_a_control_character_in_the_name_is_shown_beside_the_name_once(client: TestClient,
                                                                      demo_workspace: Path) -> None:
    """Catches the import's control-character rule on the name shown beside the first change's value (it was), and
    once for each change: a right-to-left override in the name of a scenario of two changes."""
    before = folder_bytes(demo_workspace)
    second = {**FEWER_LEAVERS, "column": "joiners_per_year", "value": "1"}
    r = client.post("/scenarios/save", data=_form(client, "fewer\u202eleavers", FEWER_LEAVERS, second))
    assert r.status_code == 422
    errors = _errors(r.text)
    assert list(errors) == ["name"] and "control character" in errors["name"]
    assert r.text.count('href="#name"') == 1
    assert folder_bytes(demo_workspace) == before


def test_a_file_with_a_name_of_101_characters_is_refused_with_its_row(demo_workspace: Path, run_cli: Any,
                                                                     tmp_path: Path) -> None:
    """Catches the import taking a name the builder refuses (the two must check alike): row 2, column scenario."""
    path = tmp_path / "scenarios.csv"
    path.write_text(HEADER + "c" * 101 + ",workforce,leaver_rate,,add,-0.03,,,\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "scenarios", str(path), "--workspace", str(demo_workspace)])
    assert code == 2
    said = " ".join((out + err).split())
    assert "row 2, column 'scenario'" in said and "101 characters long: keep it to 100 or fewer" in said
    assert folder_bytes(demo_workspace) == before


def test_a_file_with_a_scenario_named_baseline_is_refused_with_its_row_as_the_builder_refuses_it(
        demo_workspace: Path, run_cli: Any, tmp_path: Path) -> None:
    """Catches the import taking the name the builder refuses because the model reads it as no scenario at all:
    a file's scenario 'baseline' (row 3) was stored and then never applied — every table under it showed the data
    without its changes. Refused at its row, in the builder's words, and nothing written."""
    path = tmp_path / "scenarios.csv"
    path.write_text(HEADER + "fewer,workforce,leaver_rate,,add,-0.03,,,\n"
                    + "baseline,workforce,leaver_rate,,add,-0.03,,,\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "scenarios", str(path), "--workspace", str(demo_workspace)])
    assert code == 2
    said = " ".join((out + err).split())
    assert ("row 3, column 'scenario': 'baseline' is the model without any scenario: choose another name" in said)
    assert "row 2" not in said
    assert folder_bytes(demo_workspace) == before


def test_a_saved_scenario_is_an_import_with_who_and_when_and_shows_side_by_side(client: TestClient,
                                                                              demo_workspace: Path) -> None:
    """Catches a save that writes around the one commit path (no version in the history, no audit entry, no entry
    in the import log), rows other than those asked for, and a scenario missing from the Workforce page's
    comparison."""
    r = client.post("/scenarios/save", data=_form(client, "fewer_leavers", FEWER_LEAVERS))
    assert r.status_code == 200 and "The scenario ‘fewer_leavers’ was made by" in r.text
    ws = Workspace.open(demo_workspace)
    try:
        rows = ws.read("scenarios").filter(pl.col("scenario") == "fewer_leavers")
        versions = ws.versions("scenarios")
        with ws.engine.connect() as conn:
            entries = audit.read(conn, "import")
    finally:
        ws.close()
    assert rows.select("input", "column", "where", "operation", "value", "to_role").rows() == [
        ("workforce", "leaver_rate", "role=mh_practitioner;sector=NHS", "add", -0.02, "")]
    latest = versions.row(-1, named=True)
    assert latest["file"] == "scenario builder: 'fewer_leavers' made" and latest["by"] and latest["at"]
    assert json.loads(entries[-1]["what"])["file"] == "scenario builder: 'fewer_leavers' made"
    assert entries[-1]["who"] == latest["by"]
    compared = client.get("/api/workforce").json()["scenarios_compared"]
    assert "fewer_leavers" in {row["scenario"] for row in compared}
    assert "fewer_leavers" in client.get("/workforce").text


def test_saving_a_scenario_unchanged_changes_no_row(client: TestClient, demo_workspace: Path) -> None:
    """Catches the form rewriting what it was given (the where's order or spacing, a value's digits, a source
    dropped): the training scenario saved as loaded leaves the scenarios input exactly as it was, in its order."""
    ws = Workspace.open(demo_workspace)
    before = ws.read("scenarios")
    ws.close()
    page = client.get("/scenarios/training/edit").text
    r = client.post("/scenarios/save", data=_fields(page))
    assert r.status_code == 200, _errors(r.text)
    ws = Workspace.open(demo_workspace)
    try:
        assert ws.read("scenarios").equals(before)
    finally:
        ws.close()


def test_copy_then_delete(client: TestClient, demo_workspace: Path) -> None:
    """Catches a copy that loses a change or keeps the old name (it would replace the original), and a delete
    that takes more than the one scenario or cannot be undone from the history."""
    page = client.get("/scenarios/new", params={"copy": "skill_mix"}).text
    assert 'id="name" name="name" type="text" value="skill_mix_copy"' in page
    assert 'name="count" value="3"' in page and 'name="original" value=""' in page
    ws = Workspace.open(demo_workspace)
    held = ws.read("scenarios")
    ws.close()
    r = client.post("/scenarios/save", data=_fields(page))
    assert r.status_code == 200, _errors(r.text)
    ws = Workspace.open(demo_workspace)
    copied = ws.read("scenarios")
    ws.close()
    original = held.filter(pl.col("scenario") == "skill_mix").drop("scenario")
    assert copied.filter(pl.col("scenario") == "skill_mix_copy").drop("scenario").equals(original)
    assert copied.filter(pl.col("scenario") != "skill_mix_copy").equals(held)
    assert client.post("/scenarios/skill_mix/delete", data={"csrf_token": _token(client)}).status_code == 400
    r = client.post("/scenarios/skill_mix/delete", data={"csrf_token": _token(client), "scenario": "skill_mix"})
    assert r.status_code == 200
    ws = Workspace.open(demo_workspace)
    try:
        left = ws.read("scenarios")
        assert set(left["scenario"]) == set(held["scenario"]) - {"skill_mix"} | {"skill_mix_copy"}
        assert ws.versions("scenarios").row(-1, named=True)["file"] == "scenario builder: 'skill_mix' deleted"
    finally:
        ws.close()


def test_the_preview_runs_the_draft_on_the_baselines_random_numbers(client: TestClient,
                                                                    demo_workspace: Path) -> None:
    """Catches a preview that draws the draft on other random numbers than the baseline (a change that changes
    nothing would show a difference), one that saves anything, and one that does not show the draft's effect: a
    change scaling leaver rates by 1 shows +0.0 for every role; 20 more NHS practitioners in post show the
    practitioners' gap down, by the same figure as the model's own gap table from the same draws."""
    before = folder_bytes(demo_workspace)
    nothing = {"operation": "multiply", "input": "workforce", "column": "leaver_rate", "value": "1"}
    text = client.post("/scenarios/preview", data=_form(client, "same", nothing, year="2030"),
                       headers={"HX-Request": "true"}).text
    changes = re.findall(r'cyplan-number">([+-][\d,.]+)</td>', text)
    assert changes and set(changes) == {"+0.0"}
    assert f"{PREVIEW_DRAWS} Monte Carlo draws" in text and "in full (1,000 draws)" in text
    more = {"operation": "add", "input": "workforce", "column": "fte_in_post", "where-role": "mh_practitioner",
            "where-sector": "NHS", "value": "20"}
    text = client.post("/scenarios/preview", data=_form(client, "more", more, year="2030"),
                       headers={"HX-Request": "true"}).text
    row = re.search(r'>Mental health practitioner</th>(.*?)</tr>', text, re.S).group(1)  # type: ignore[union-attr]
    shown = [float(x.replace(",", "")) for x in re.findall(r'cyplan-number">([+-]?[\d,.]+)', row)]
    ws = Workspace.open(demo_workspace)
    frames = ws.read_all()
    ws.close()
    scenario = pl.DataFrame({"scenario": ["more"], "input": ["workforce"], "column": ["fte_in_post"],
                             "where": ["role=mh_practitioner;sector=NHS"], "operation": ["add"], "value": [20.0],
                             "to_role": [""], "description": [""], "source": [""]})

    def gap(fs: results.Frames, name: str) -> float:
        table = gap_table(results.simulation(fs, name, draws=PREVIEW_DRAWS), ["role"], [AREA], [2030])
        return float(table.filter(pl.col("role") == "mh_practitioner")["gap_fte"][0])
    base, draft = gap(frames, results.BASELINE), gap({**frames, "scenarios": scenario}, "more")
    assert draft < base
    assert shown == pytest.approx([round(base, 1), round(draft, 1), round(draft - base, 1)], abs=0.051)
    assert folder_bytes(demo_workspace) == before


def test_the_difference_between_two_scenarios_changes(client: TestClient) -> None:
    """Catches a difference that matches changes by row number or by value (so a changed value reads as one
    removed and one added) or that lists the changes both share: A and B share one change exactly, share one
    with another value, and each has one of its own."""
    shared = {"operation": "add", "input": "workforce", "column": "joiners_per_year", "where-role": "mh_practitioner",
              "where-sector": "NHS", "value": "5"}
    a_only = {"operation": "multiply", "input": "workforce", "column": "leaver_rate", "value": "0.9"}
    b_only = {"operation": "set", "input": "levels", "column": "coverage", "where-level": "targeted", "value": "1"}
    for name, changes in (("a", (shared, FEWER_LEAVERS, a_only)),
                          ("b", (shared, {**FEWER_LEAVERS, "value": "-0.04"}, b_only))):
        assert client.post("/scenarios/save", data=_form(client, name, *changes)).status_code == 200
    d = client.get("/api/scenarios/difference", params={"a": "a", "b": "b"}).json()
    assert [(r["input"], r["column"], r["value"]) for r in d["only_a"]] == [("workforce", "leaver_rate", 0.9)]
    assert [(r["input"], r["column"], r["value"]) for r in d["only_b"]] == [("levels", "coverage", 1.0)]
    assert d["changed"] == [{"change": {"input": "workforce", "column": "leaver_rate",
                                        "where": "role=mh_practitioner;sector=NHS", "operation": "add", "to_role": ""},
                             "differs": {"value": [-0.02, -0.04]}}]
    page = client.get("/scenarios", params={"a": "a", "b": "b"}).text
    assert "value -0.02 in a, -0.04 in b" in page
    assert client.get("/api/scenarios/difference", params={"a": "a", "b": "nope"}).status_code == 404


def test_the_scenarios_download_imports_back_as_it_was(client: TestClient, demo_workspace: Path) -> None:
    """Catches an export the import does not take back (the builder's rows among them): the CSV downloaded after a
    save, uploaded again, leaves the scenarios input exactly as it was."""
    assert client.post("/scenarios/save", data=_form(client, "fewer_leavers", FEWER_LEAVERS)).status_code == 200
    ws = Workspace.open(demo_workspace)
    before = ws.read("scenarios")
    ws.close()
    csv = client.get("/data/inputs/scenarios.csv")
    assert csv.status_code == 200 and "fewer_leavers,workforce,leaver_rate" in csv.text
    r = client.post("/data/upload", data={"csrf_token": _token(client), "kind": "scenarios", "mode": "replace"},
                    files={"file": ("scenarios.csv", csv.content)})
    assert r.status_code == 200
    ws = Workspace.open(demo_workspace)
    try:
        assert ws.read("scenarios").equals(before)
    finally:
        ws.close()


def with_library(path: Path) -> None:
    """The evidence library as `cyplan demo` adds it (the starter library and the demo's delivery hours)."""
    ws = Workspace.open(path)
    try:
        import_inputs(ws, evidence.demo_sources("test"))
    finally:
        ws.close()


def test_a_commission_is_built_from_the_library_and_the_action_list_and_adds_its_staff(
        client: TestClient, demo_workspace: Path) -> None:
    """Catches the builder breaking commissions: the intervention and the gap offered from the evidence library
    and the services action list (not typed), and the preview adding the parenting programmes' 43.6 FTE of family
    support workers in 2026 that the action list works out (user guide, 'Choosing what to commission')."""
    with_library(demo_workspace)
    commission = {"operation": "commission", "input": "interventions", "column": "from_year",
                  "where-intervention": "parenting_programmes",
                  "where-gap": "school_age / targeted / parenting_support", "value": "2026"}
    form = client.post("/scenarios/form", data=_form(client, "parenting", commission)).text
    assert re.findall(r'id="c0-where-([a-z_]+)"', form) == ["intervention", "gap"]
    gaps = re.search(r'id="c0-where-gap".*?</select>', form, re.S).group(0)  # type: ignore[union-attr]
    assert 'value="school_age / targeted / parenting_support" selected' in gaps and gaps.count("<option") > 5
    text = client.post("/scenarios/preview", data=_form(client, "parenting", commission, year="2026"),
                       headers={"HX-Request": "true"}).text
    row = re.search(r'>Family support worker</th>(.*?)</tr>', text, re.S).group(1)  # type: ignore[union-attr]
    change = float(re.findall(r'cyplan-number">([+-][\d,.]+)</td>', row)[0])
    assert change == pytest.approx(43.6, abs=1.5)
    assert client.post("/scenarios/save", data=_form(client, "parenting", commission)).status_code == 200
    assert "parenting" in {r["scenario"] for r in client.get("/api/workforce").json()["scenarios_compared"]}


def test_a_commission_the_library_cannot_give_is_refused_beside_its_rows(client: TestClient,
                                                                         demo_workspace: Path) -> None:
    """Catches a commission saved although it cannot run (an intervention not in the library): the import takes
    such a row, but the builder runs the commission before saving and says why beside the rows it picks."""
    commission = {"operation": "commission", "input": "interventions", "column": "from_year",
                  "where-intervention": "parenting_programmes",
                  "where-gap": "school_age / targeted / parenting_support", "value": "2026"}
    before = folder_bytes(demo_workspace)
    r = client.post("/scenarios/save", data=_form(client, "parenting", commission))
    assert r.status_code == 422
    assert _errors(r.text) == {"c0-where": "Commission of 'parenting_programmes': there is no intervention "
                                           "'parenting_programmes' in the library; its interventions are: none yet"}
    assert folder_bytes(demo_workspace) == before


# -- the form as a parser --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_frames(_demo_template: Path) -> results.Frames:
    ws = Workspace.open(_demo_template)
    try:
        return ws.read_all()
    finally:
        ws.close()


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
FORM_VALUES = st.one_of(TEXT, st.sampled_from(["workforce", "role_mix", "levels", "leaver_rate", "share", "add", "move",
                                                "multiply", "set", "commission", "mh_practitioner", "NHS", "0.1",
                                                "-0.03", "1e9", "nan", "2", "remove-0", "add"]))
FORM_KEYS = st.sampled_from(["name", "count", "action", "c0-input", "c0-column", "c0-operation", "c0-value",
                             "c0-to_role", "c0-where-role", "c0-where-sector", "c0-where-level", "c1-input",
                             "c1-value", "c1-operation", "c1-where-x", "year", "area"])


PASSES = {"name": "x", "count": "1", "c0-input": "workforce", "c0-operation": "add", "c0-value": "0.01"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(FORM_KEYS, FORM_VALUES, max_size=12))
@example(form=PASSES)  # so that the import's side is tried
def test_any_form_is_read_and_checked_without_failing_and_what_passes_imports(
        demo_frames: results.Frames, tmp_path: Path, form: dict[str, str]) -> None:
    """Catches a form that makes the builder fail (a 500) rather than say what is wrong, and a draft the builder
    passes that the import would refuse (two definitions of the rules drifting apart): whatever is posted, the
    draft is read and checked, each problem names a field of the form, and a draft with none, written as the
    scenarios file it saves, is read and checked by the import's own reader with no problem."""
    draft = draft_from_form(FormData(list(form.items())))
    assert 1 <= len(draft.changes) <= 201
    checked = check(demo_frames, draft)
    fields = {"name"} | {f"c{i}-{f}" for i in range(len(draft.changes)) for f in
                         ("input", "column", "where", "operation", "value", "to_role", "description")}
    assert {f for f, _ in checked.problems} <= fields
    if form == PASSES:
        assert checked.problems == []
    if checked.rows is not None:
        path = tmp_path / "scenarios.csv"
        write_csv(checked.rows, path)
        _, found = validate(read_table(path, None, default_sheet="scenarios"), KINDS["scenarios"])
        assert found == []
