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

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult
from cyplan import reference
from cyplan.model.build import build, empty
from cyplan.model.plan import need_table, run
from cyplan.reports.paper import build_paper, render_html
from cyplan.schema import KINDS
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


# -- the model: need from counts --------------------------------------------------------------------------


def frames_with(population: pl.DataFrame, counts: list[tuple[int, int, int, float]],
                share: float = 0.5) -> dict[str, pl.DataFrame]:
    """An area with this population, one level fed only by counts (year, age_from, age_to, count) of one need."""
    frames = {k: empty(k) for k in KINDS}
    frames["areas"] = pl.DataFrame({"code": ["A"], "name": ["A"], "kind": ["custom"], "parent": [""],
                                    "source": [""]})
    frames["population"] = population
    frames["levels"] = pl.DataFrame({"level": ["therapy"], "label": ["Therapy"], "coverage": [1.0], "source": [""]})
    frames["need_counts"] = pl.DataFrame(
        {"area": ["A"] * len(counts), "year": [c[0] for c in counts], "need": ["ASD"] * len(counts),
         "status": ["EHC plan"] * len(counts), "age_from": [c[1] for c in counts], "age_to": [c[2] for c in counts],
         "count": [float(c[3]) for c in counts], "source": [""] * len(counts)})
    frames["need_shares"] = pl.DataFrame({"need": ["ASD"], "status": ["EHC plan"], "level": ["therapy"],
                                          "low": [share], "central": [share], "high": [share], "source": [""]})
    return frames


def population_frame(counts: dict[int, list[float]]) -> pl.DataFrame:
    """year → 52 counts (ages 0–25, female then male for each age)."""
    rows = [(y, age, sex, c[2 * age + i]) for y, c in counts.items() for age in range(26)
            for i, sex in enumerate(("female", "male"))]
    return pl.DataFrame({"area": ["A"] * len(rows), "year": [r[0] for r in rows], "age": [r[1] for r in rows],
                         "sex": [r[2] for r in rows], "count": [float(r[3]) for r in rows],
                         "source": [""] * len(rows)}, schema_overrides={"year": pl.Int64, "age": pl.Int64})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 5_000), min_size=52, max_size=52), st.integers(0, 20), st.integers(0, 5),
       st.floats(0, 3_000), st.floats(0, 1))
def test_counted_cases_in_the_count_year_are_count_times_share_spread_as_the_population(
        pop: list[float], age_from: int, span: int, count: float, share: float) -> None:
    """Property: whatever the population's shape, the count's year has count × share cases at the level, all
    in the count's ages, each age and sex holding its share of the population (catches a count spread evenly,
    into the wrong ages, or scaled by the population a second time)."""
    age_to = min(age_from + span, 25)
    plan = run(frames_with(population_frame({2025: pop}), [(2025, age_from, age_to, count)], share))
    cases = plan.cases.values[0, 0, :, :, 0]  # [age, sex]
    assert cases.sum() == pytest.approx(count * share, rel=1e-9, abs=1e-9)
    people = np.array(pop).reshape(26, 2)
    inside = np.zeros((26, 2), bool)
    inside[age_from:age_to + 1] = True
    assert np.all(cases[~inside] == 0)
    assert cases[inside] == pytest.approx(count * share * people[inside] / people[inside].sum(), rel=1e-9, abs=1e-9)


def test_each_year_takes_the_rate_of_the_latest_count_at_or_before_it() -> None:
    """Catches the wrong count used for a year: 2025 has no count of its own and takes 2026's rate; 2027 takes
    2026's; 2028 its own. 100 children a year of age and sex, 200 at each age: 10 ages = 2,000 children."""
    flat = {y: [100.0] * 52 for y in (2025, 2026, 2027, 2028)}
    flat[2027] = [150.0] * 52  # half as many again: 2026's rate gives 1.5 × its count
    plan = run(frames_with(population_frame(flat), [(2026, 5, 14, 200), (2028, 5, 14, 500)], share=1))
    cases = need_table(plan, [])["cases"].to_list()
    assert cases == pytest.approx([200, 200, 300, 500])


def test_a_count_split_into_narrower_ages_later_replaces_the_earlier_one() -> None:
    """Catches the 2025 count for ages 5 to 14 still applied in 2026, when 2026 gives the same need in two age
    ranges: 2026 has 150 + 150 = 300 cases, not 300 + 200."""
    flat = {y: [100.0] * 52 for y in (2025, 2026)}
    plan = run(frames_with(population_frame(flat), [(2025, 5, 14, 200), (2026, 5, 9, 150), (2026, 10, 14, 150)],
                           share=1))
    assert need_table(plan, [])["cases"].to_list() == pytest.approx([200, 300])


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


def test_counts_warn_when_they_cannot_add_cases() -> None:
    """Catches a count with no shares, or shares with no count, dropping cases without a word; and a level fed
    only by counts being reported as having no cases."""
    frames = frames_with(population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])
    frames["need_shares"] = frames["need_shares"].with_columns(pl.lit("Autism").alias("need"))
    warnings = build(frames).warnings
    assert "need count 'ASD, EHC plan' has no need shares: it adds no cases" in warnings
    assert "need shares for 'Autism, EHC plan' match no need count: they add no cases" in warnings
    assert not any("has no prevalence" in w for w in build(frames_with(
        population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])).warnings)


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


def test_a_workspace_whose_need_is_all_counted_needs_no_prevalence() -> None:
    """Catches results.plan refusing a workspace with counts but no prevalence ('no prevalence yet')."""
    from cyplan import results

    frames = frames_with(population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])
    assert results.missing_need_inputs(frames) == []
    assert float(results.plan(frames).cases.values.sum()) == pytest.approx(100)
    del frames["need_counts"]
    assert results.missing_need_inputs({**frames, "need_counts": empty("need_counts")}) == ["prevalence"]
