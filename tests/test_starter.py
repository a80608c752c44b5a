"""`cyplan init --starter england` and the sanity checks against national figures (issue 18, part 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.model.sanity import prevalence_totals, prevalence_warnings, starter_gaps
from cyplan.reference import starter
from cyplan.schema import KINDS

Run = Callable[[Sequence[str]], tuple[int, str, str]]
AREA = "E10000099"
NATIONAL = pl.DataFrame({"age_from": [8, 11], "age_to": [10, 16], "sex": ["all", "all"],
                         "central": [0.157, 0.226]})


def _population(years: Sequence[int] = (2025, 2026), count: int = 1000) -> str:
    lines = ["area,year,age,sex,count,source"]
    lines += [f"{AREA},{y},{a},{s},{count},Made-up test population" for y in years for a in range(26)
              for s in ("female", "male")]
    return "\n".join(lines) + "\n"


@pytest.fixture
def started(tmp_path: Path, run_cli: Run) -> Path:
    code, _, err = run_cli(["init", tmp_path / "ws", "--starter", "england"])
    assert code == 0, err
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "areas.csv").write_text(f"code,name,kind,parent,source\n{AREA},Testshire,council,,Made up\n")
    (inputs / "population.csv").write_text(_population())
    for kind in ("areas", "population"):
        code, _, err = run_cli(["import", kind, inputs / f"{kind}.csv", "-w", tmp_path / "ws"])
        assert code == 0, err
    return tmp_path / "ws"


def test_every_starter_row_cites_a_source_and_is_marked_national() -> None:
    """Catches a national value shipped without its citation, or without the mark the views look for."""
    files = starter.inputs("england") + starter.to_complete("england")
    assert {p.stem for p in starter.inputs("england")} == {"levels", "prevalence", "group_risks", "pathway_steps"}
    for path in files:
        assert path.stem in KINDS, path
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        assert rows, path
        for i, row in enumerate(rows, start=2):
            assert row["source"].startswith(starter.MARK), (path.name, i)
            assert len(row["source"]) > len(starter.MARK) + 20, (path.name, i)  # a citation follows the mark


def test_the_starter_prevalence_is_the_published_2023_survey() -> None:
    """Catches a wrong figure (e.g. 2022's 25.7% for 17 to 19 year olds) in place of the 2023 survey's."""
    rows = {(r["age_from"], r["age_to"]): r["central"]
            for r in csv.DictReader((starter.STARTERS["england"] / "prevalence.csv").open(encoding="utf-8"))}
    assert rows == {("8", "10"): "0.157", ("11", "16"): "0.226", ("17", "19"): "0.233", ("20", "25"): "0.217"}


def test_starter_on_costs_are_pension_plus_national_insurance() -> None:
    """Catches on-costs worked out wrongly: band 6's £40,823 gives 0.2378 + 0.15 × 35,823 / 40,823 = 0.3694."""
    rows = {r["role"]: r for r in csv.DictReader(
        (starter.STARTERS["england"] / "to-complete" / "roles.csv").open(encoding="utf-8"))}
    assert rows["mh_practitioner"]["salary"] == "40823"
    assert rows["mh_practitioner"]["on_cost_rate"] == "0.3694"
    assert all(rows[r]["direct_work_share"] == "" for r in rows)  # no national figure: left for the user


def test_starter_then_population_runs_need_and_demand(started: Path, run_cli: Run) -> None:
    """Catches a starter that does not load or run; the cases are hand-worked: 1,000 of each sex at each age,
    2 × 1,000 × (3 × 15.7% + 6 × 22.6% + 3 × 23.3% + 6 × 21.7%) = 7,656, none at ages 0 to 7."""
    code, out, err = run_cli(["need", "-w", started, "--year", "2025", "--format", "csv"])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert float(rows[0]["cases"]) == pytest.approx(7656)
    assert "no national figure: you must supply the share of children at level 'tertiary'" in err
    assert "you must supply prevalence at ages 0 to 7" in err
    code, out, err = run_cli(["demand", "-w", started, "--year", "2025", "--format", "csv"])
    assert code == 0, err
    assert "no national figure: you must supply the role mix" in err


def test_status_names_what_is_still_missing_and_marks_national_inputs(started: Path, run_cli: Run) -> None:
    """Catches a status that hides the national values or the inputs no national figure can fill."""
    code, out, err = run_cli(["status", "-w", started])
    assert code == 0, err
    assert "prevalence (national)" in out and "population (national)" not in out
    assert "national starting value: replace with local data" in err
    assert "no national figure: you must supply the roles' sickness days, training days and direct work share" in err


def test_the_roles_to_complete_then_a_census_import(started: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches a roles file a user cannot complete and import, and a census that cannot follow it."""
    roles = list(csv.DictReader((started / "roles-to-complete.csv").open(encoding="utf-8")))
    assert "direct_work_share" in roles[0]
    done = [dict(r, sickness_days="11", training_days="5", direct_work_share="0.6") for r in roles
            if r["role"] != "psychiatrist"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(roles[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(done)
    (tmp_path / "roles.csv").write_text(out.getvalue())
    (tmp_path / "workforce.csv").write_text(
        "area,role,sector,headcount,fte_in_post,vacant_fte,agency_fte,leaver_rate,joiners_per_year,source\n"
        f"{AREA},mh_practitioner,NHS,50,45,5,0,0.12,5,Made up\n")
    for kind in ("roles", "workforce"):
        code, _, err = run_cli(["import", kind, tmp_path / f"{kind}.csv", "-w", started])
        assert code == 0, err
    code, _, err = run_cli(["status", "-w", started])
    assert "you must supply the roles'" not in err  # the gap closes once local roles are in


def test_starter_refuses_a_folder_that_already_holds_a_workspace(started: Path, run_cli: Run) -> None:
    """Catches init --starter overwriting a workspace (and its roles-to-complete.csv) a user has started on."""
    before = (started / "roles-to-complete.csv").read_bytes()
    code, _, err = run_cli(["init", started, "--starter", "england"])
    assert code != 0 and "already a cyplan workspace" in err
    assert (started / "roles-to-complete.csv").read_bytes() == before


def test_levels_adding_up_above_the_national_rate_warn_naming_the_age_and_both_figures() -> None:
    """Catches the analyst's 30% of 14 year olds passing silently against a national 22.6%."""
    local = pl.DataFrame({"level": ["targeted", "tertiary"], "age_from": [14, 14], "age_to": [14, 14],
                          "sex": ["all", "all"], "central": [0.2, 0.1], "net_of": ["", ""]})
    warnings = prevalence_warnings(local, NATIONAL, "probable mental disorder, 2023")
    assert len(warnings) == 1
    assert "at age 14 " in warnings[0] and "30.0%" in warnings[0] and "22.6%" in warnings[0]


def test_no_warning_at_or_below_the_national_rate() -> None:
    """Catches a warning where the levels add up to the national rate or less."""
    local = pl.DataFrame({"level": ["a", "a"], "age_from": [8, 11], "age_to": [10, 16], "sex": ["all", "all"],
                          "central": [0.157, 0.2], "net_of": ["", ""]})
    assert prevalence_warnings(local, NATIONAL, "x") == []


def test_a_level_given_net_of_another_is_not_counted_twice() -> None:
    """Catches summing a total (net_of) and its part: 20% total with 8% tertiary within it is 20%, not 28%."""
    local = pl.DataFrame({"level": ["targeted", "tertiary"], "age_from": [12, 12], "age_to": [12, 12],
                          "sex": ["all", "all"], "central": [0.20, 0.08], "net_of": ["tertiary", ""]})
    assert prevalence_totals(local)["total"].to_list() == pytest.approx([0.20])
    assert prevalence_warnings(local, NATIONAL, "x") == []


def test_rates_by_sex_are_averaged_before_the_comparison() -> None:
    """Catches comparing one sex's rate with the both-sexes national rate: girls 30% and boys 10% average 20%."""
    local = pl.DataFrame({"level": ["a", "a"], "age_from": [13, 13], "age_to": [13, 13],
                          "sex": ["female", "male"], "central": [0.30, 0.10], "net_of": ["", ""]})
    assert prevalence_warnings(local, NATIONAL, "x") == []


def test_a_run_of_ages_is_named_once() -> None:
    """Catches one warning per single year of age where a whole band is over."""
    local = pl.DataFrame({"level": ["a"], "age_from": [12], "age_to": [16], "sex": ["all"], "central": [0.3],
                          "net_of": [""]})
    assert prevalence_warnings(local, NATIONAL, "x") == [
        "at ages 12 to 16 the levels of need add up to 30.0% of children, above the national rate of 22.6% (x): "
        "check how need is split between levels, and that a level that includes another is given net of it"]


def test_starter_gaps_shrink_as_local_inputs_arrive() -> None:
    """Catches a gap still named after the user has supplied it."""
    empty = {k: pl.DataFrame() for k in ("levels", "prevalence", "pathway_steps", "roles", "role_mix", "groups",
                                          "group_risks")}
    frames = dict(empty, levels=pl.DataFrame({"level": ["a"]}),
                  prevalence=pl.DataFrame({"level": ["a"], "age_from": [0], "age_to": [25], "sex": ["all"],
                                           "central": [0.1]}),
                  pathway_steps=pl.DataFrame({"level": ["a"]}), roles=pl.DataFrame({"role": ["r"]}),
                  role_mix=pl.DataFrame({"role": ["r"]}))
    assert starter_gaps(frames) == []
    frames["pathway_steps"] = pl.DataFrame()
    assert starter_gaps(frames) == ["no national figure: you must supply a care pathway (pathway steps) for level 'a'"]


def _over_at_14(started: Path, tmp_path: Path, run_cli: Run) -> None:
    """The analyst's split: two levels adding up to 30% at age 14 (20% + 10%), against 22.6% nationally."""
    (tmp_path / "prevalence.csv").write_text(
        "level,age_from,age_to,sex,central,source\n"
        "probable_disorder,14,14,all,0.2,Local guess\ntertiary,14,14,all,0.1,Local guess\n")
    code, _, err = run_cli(["import", "prevalence", tmp_path / "prevalence.csv", "-w", started])
    assert code == 0, err


WARNED = "at age 14 the levels of need add up to 30.0% of children, above the national rate of 22.6%"


def test_the_check_is_shown_by_the_cli(started: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches a check the command line does not show."""
    _over_at_14(started, tmp_path, run_cli)
    code, _, err = run_cli(["need", "-w", started])
    assert code == 0, err
    assert WARNED in " ".join(err.split())


def test_the_check_and_the_national_note_are_shown_by_the_web_app(started: Path, tmp_path: Path,
                                                                 run_cli: Run) -> None:
    """Catches a dashboard that shows national values as if local, or hides the check."""
    from fastapi.testclient import TestClient

    from cyplan.web.app import create_app

    _over_at_14(started, tmp_path, run_cli)
    app = create_app(started)
    try:
        with TestClient(app, base_url="http://localhost") as client:
            page = client.get("/").text
    finally:
        app.state.workspace.close()
    assert "national starting value: replace with local data" in page
    assert WARNED in page
    assert "no national figure: you must supply a care pathway (pathway steps) for level" in page


def test_the_check_and_the_national_note_are_in_the_board_paper(started: Path, tmp_path: Path,
                                                               run_cli: Run) -> None:
    """Catches a paper that presents national values as the area's own, or leaves the check out."""
    from cyplan.reports.paper.builder import build_paper
    from cyplan.store.workspace import Workspace

    _over_at_14(started, tmp_path, run_cli)
    ws = Workspace.open(started)
    try:
        paper = build_paper(ws, draws=0)
    finally:
        ws.close()
    text = " ".join(b.text for b in paper.section("need").blocks if hasattr(b, "text"))
    assert "national starting value: replace with local data" in text
    assert f"Check against national figures: {WARNED}" in text
    assert "No national figure: you must supply" in text


@given(age=st.integers(0, 25), share=st.floats(0, 1), split=st.floats(0, 1))
@settings(max_examples=60, deadline=None)
def test_a_warning_exactly_when_the_total_is_above_the_national_rate(age: int, share: float, split: float) -> None:
    """Catches a check that warns within the national rate, misses one above it, or counts a net_of total twice:
    one total split between two levels (the part given net of the whole) warns iff the total is above the rate."""
    rate = {a: 0.157 for a in range(8, 11)} | {a: 0.226 for a in range(11, 17)}
    local = pl.DataFrame({"level": ["all_levels", "part"], "age_from": [age, age], "age_to": [age, age],
                          "sex": ["all", "all"], "central": [share, share * split], "net_of": ["part", ""]})
    warned = prevalence_warnings(local, NATIONAL, "x")
    assert bool(warned) == (age in rate and share > rate[age] + 1e-9)
