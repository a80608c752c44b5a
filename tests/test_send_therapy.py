"""The second built-in model, therapists for children and young people with SEND (issue 12 part 6), and the
inputs it takes its need from (need counts and need shares), run as a user runs them: the demo command,
need, demand and gap; the web pages; the board paper.

The hand-worked figures come from the shipped files (src/cyplan/reference/demo-send-therapy/), written out
here so that a changed formula cannot change the expected answer with it. Physiotherapy is the one role
checked number for number, because only four counts feed it:

    counts (2025, pupils aged 4 to 15)            share needing           cases
    targeted physiotherapy:  PD, SEN support 393  × 0.4                 = 157.2
                             SLD, SEN support 157 × 0.1                 =  15.7   → 172.9
    specialist physiotherapy: PMLD, SEN support 31 × 0.6                =  18.6
                              PMLD, EHC plan 174 × 0.8                  = 139.2
                              PD, EHC plan 232 × 0.7                    = 162.4
                              SLD, EHC plan 580 × 0.25                  = 145.0   → 465.2

    physiotherapist hours per case: targeted 3 (assessment) + 10 × 0.4 (programme, 60% by assistants)
    + 2 (review) = 9; specialist 6 + 24 + 4 = 34 (therapists only).
    hours = 172.9 × 9 + 465.2 × 34 = 1,556.1 + 15,816.8 = 17,372.9
    productive hours per FTE = (52 × 5 − 29 − 8 − 11 − 5) days × 7.5 h × 0.55 = 207 × 7.5 × 0.55 = 853.875
    FTE = 17,372.9 / 853.875 = 20.3461; cost = FTE × £42,000 × 1.35
    supply in 2025 = (26 in post + 1 agency) × 0.6 of their time on children with SEND = 16.2 FTE
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import CliResult
from cyplan import reference
from cyplan.reports.paper import build_paper, render_html
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from cyplan.web.app import create_app

CYPLAN = str(Path(sys.executable).with_name("cyplan"))
SEND = reference.DEMO_SEND
AREA = "E10999999"
TARGETED_PHYSIO, SPECIALIST_PHYSIO = 172.9, 465.2
PHYSIO_HOURS = 17_372.9
PHYSIO_FTE = PHYSIO_HOURS / 853.875
PHYSIO_SUPPLY = 16.2
ROLES = ("Speech and language therapist", "Occupational therapist", "Physiotherapist", "Therapy assistant",
         "Wider workforce")
MENTAL_HEALTH = re.compile(r"mental health|mental disorder|probable|CAMHS|psychiatr|early intervention", re.I)


def cyplan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")} | {"COLUMNS": "200"}
    return subprocess.run([CYPLAN, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def as_json(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def population(year: int, ages: range) -> float:
    """The shipped population of those ages in that year, read from the file (not through cyplan)."""
    with (SEND / "population.csv").open(encoding="utf-8") as f:
        return sum(float(r["count"]) for r in csv.DictReader(f) if int(r["year"]) == year and int(r["age"]) in ages)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("send")
    result = cyplan("demo", "send", "--model", "send-therapy", cwd=cwd)
    assert result.returncode == 0, result.stderr
    (cwd / "demo-output.txt").write_text(result.stdout, encoding="utf-8")
    return cwd


# -- the command line, end to end -----------------------------------------------------------------------


def test_demo_model_send_therapy_shows_the_therapy_roles_not_the_mental_health_ones(demo: Path) -> None:
    """Catches `--model send-therapy` building the mental-health demo, or the default changing."""
    shown = (demo / "demo-output.txt").read_text(encoding="utf-8")
    for role in ROLES:
        assert role in shown
    assert "Specialist physiotherapy" in shown
    assert "Mental health practitioner" not in shown and "referral records" not in shown


def test_need_by_level_is_the_counts_times_the_shares(demo: Path) -> None:
    """Catches counts not becoming cases, a share put on the wrong level, and counts and prevalence not added:
    universal = every counted child (21,504) + 10% of the 18,439 children aged 2 and 3 (a prevalence row)."""
    rows = {r["level"]: r for r in as_json(cyplan("need", "-w", "send", "--by", "level", "--year", "2025",
                                                  "--format", "json", cwd=demo))}
    assert rows["targeted_physio"]["cases"] == pytest.approx(TARGETED_PHYSIO)
    assert rows["specialist_physio"]["cases"] == pytest.approx(SPECIALIST_PHYSIO)
    assert population(2025, range(2, 4)) == 18_439
    assert rows["universal"]["cases"] == pytest.approx(21_504 + 1_843.9)
    assert all(r["group_uplift"] == 0 for r in rows.values())


def test_counted_cases_keep_their_rate_per_head_in_later_years(demo: Path) -> None:
    """Catches a count carried unchanged to 2035 (or dropped) instead of as 2025's rate per pupil aged 4 to 15."""
    rows = {r["level"]: r for r in as_json(cyplan("need", "-w", "send", "--by", "level", "--year", "2035",
                                                  "--format", "json", cwd=demo))}
    ratio = population(2035, range(4, 16)) / population(2025, range(4, 16))
    assert ratio != pytest.approx(1, abs=1e-3)
    assert rows["specialist_physio"]["cases"] == pytest.approx(SPECIALIST_PHYSIO * ratio)


def test_physiotherapist_demand_is_worked_by_hand(demo: Path) -> None:
    """Catches the targeted level's assistants' share given to the therapist, or the counted cases missing
    from demand: 17,372.9 hours, 20.35 FTE, £1.15m."""
    rows = {r["role"]: r for r in as_json(cyplan("demand", "-w", "send", "--year", "2025", "--format", "json",
                                                 cwd=demo))}
    assert rows["physio"]["hours"] == pytest.approx(PHYSIO_HOURS)
    assert rows["physio"]["fte"] == pytest.approx(PHYSIO_FTE, rel=1e-6)
    assert rows["physio"]["cost"] == pytest.approx(PHYSIO_FTE * 42_000 * 1.35, rel=1e-6)


def test_physiotherapist_gap_counts_only_their_time_on_children_with_send(demo: Path) -> None:
    """Catches the census's CYP-with-SEND share (0.6) ignored, and the Monte Carlo run leaving out the counted
    cases (physiotherapy has no prevalence row, so its demand would be 0)."""
    central = {r["role"]: r for r in as_json(cyplan("gap", "-w", "send", "--year", "2025", "--draws", "0",
                                                    "--format", "json", cwd=demo))}
    assert central["physio"]["supply_fte"] == pytest.approx(PHYSIO_SUPPLY)
    assert central["physio"]["demand_fte"] == pytest.approx(PHYSIO_FTE, rel=1e-6)
    assert central["physio"]["gap_fte"] == pytest.approx(PHYSIO_FTE - PHYSIO_SUPPLY, rel=1e-5)
    drawn = {r["role"]: r for r in as_json(cyplan("gap", "-w", "send", "--year", "2025", "--draws", "200",
                                                  "--format", "json", cwd=demo))}
    physio = drawn["physio"]
    assert physio["demand_fte_p5"] < PHYSIO_FTE < physio["demand_fte_p95"]  # the shares vary draw by draw
    assert physio["demand_fte_p5"] > 0.7 * PHYSIO_FTE


def test_a_need_share_for_an_unknown_level_is_refused_and_changes_nothing(
        demo_workspace: Path, tmp_path: Path, run_cli: Callable[[Sequence[str]], CliResult],
        snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    """Catches a need share that names no level imported silently (its cases would vanish)."""
    bad = tmp_path / "need_shares.csv"
    bad.write_text("need,status,level,low,central,high,source\nAutism,EHC plan,tertiary,0.2,0.3,0.4,x\n"
                   "Autism,EHC plan,therapy,0.2,0.3,0.4,x\n", encoding="utf-8")
    before = snapshot(demo_workspace)
    code, _, err = run_cli(["import", "need_shares", str(bad), "-w", str(demo_workspace)])
    assert code == 2
    assert "need_shares.csv" in err and "row 3" in err and "level" in err and "therapy" in err
    assert snapshot(demo_workspace) == before


def test_overlapping_ages_in_one_count_are_refused_and_change_nothing(
        demo_workspace: Path, tmp_path: Path, run_cli: Callable[[Sequence[str]], CliResult],
        snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    """Catches the same children counted twice by two age ranges of one need, status, area and year."""
    bad = tmp_path / "need_counts.csv"
    bad.write_text("area,year,need,status,age_from,age_to,count,source\n"
                   "E10999999,2025,Autism,EHC plan,4,11,500,x\nE10999999,2025,Autism,EHC plan,10,15,300,x\n"
                   "E10999999,2025,Autism,SEN support,10,15,300,x\n", encoding="utf-8")
    before = snapshot(demo_workspace)
    code, _, err = run_cli(["import", "need_counts", str(bad), "-w", str(demo_workspace)])
    assert code == 2
    assert "row 3" in err and "age_from" in err and "ages 10 to 11 are already covered" in err
    assert "row 4" not in err
    assert snapshot(demo_workspace) == before


# -- the web app and the board paper ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def send_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SEND therapy inputs, imported as `cyplan demo --model send-therapy` imports them."""
    path = tmp_path_factory.mktemp("send-ws") / "workspace"
    ws = Workspace.create(path, info={"demo": "yes"})
    try:
        import_inputs(ws, [Source(p.stem, p) for p in sorted(reference.DEFAULTS.glob("*.csv"))]
                      + [Source(p.stem, p) for p in sorted(SEND.glob("*.csv"))])
    finally:
        ws.close()
    return path


@pytest.fixture(scope="module")
def client(send_workspace: Path) -> Iterator[TestClient]:
    app = create_app(send_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def test_web_pages_render_the_send_model_in_its_own_words(client: TestClient) -> None:
    """Catches a page that breaks without returns or a services register, or that words the SEND model as
    mental health."""
    overview, workforce = client.get("/"), client.get("/workforce")
    assert overview.status_code == 200 and workforce.status_code == 200
    assert "cases of need among children and young people" in overview.text
    for role in ROLES:
        assert role in workforce.text
    for page in (overview, workforce):
        assert not MENTAL_HEALTH.search(re.sub(r"<script.*?</script>", "", page.text, flags=re.S))
    data = client.get("/data")
    assert data.status_code == 200 and "Need counts" in data.text and "Need shares" in data.text


def test_board_paper_names_the_therapy_roles_without_mental_health_wording(send_workspace: Path) -> None:
    """Catches the paper failing on a model without a register or returns, naming the mental-health roles or
    words, or counting children twice without saying so."""
    ws = Workspace.open(send_workspace)
    try:
        page = render_html(build_paper(ws, draws=50))
    finally:
        ws.close()
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", page, flags=re.S))
    assert "Therapists for children and young people with SEND in Exampleshire" in text
    for role in (*ROLES, "Specialist physiotherapy", "Targeted speech and language therapy"):
        assert role in text
    assert "more cases than children" in text
    assert not MENTAL_HEALTH.search(text), MENTAL_HEALTH.search(text)
