"""The demo and the need and demand commands, run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

CYPLAN = str(Path(sys.executable).with_name("cyplan"))
DEMO = Path(__file__).parents[1] / "src" / "cyplan" / "reference" / "demo"


def cyplan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}
    return subprocess.run([CYPLAN, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("demo")
    result = cyplan("demo", cwd=cwd)
    assert result.returncode == 0, result.stderr
    (cwd / "demo-output.txt").write_text(result.stdout)
    return cwd


def test_demo_shows_need_and_demand_by_role(demo: Path) -> None:
    shown = (demo / "demo-output.txt").read_text()
    assert "Exampleshire (E10999999)" in shown
    for text in ("Need by age band and level", "Workforce demand by role", "Mental health practitioner",
                 "Consultant child and adolescent", "FTE", "Total", "By 2035"):
        assert text in shown


def test_need_by_level_as_csv(demo: Path) -> None:
    result = cyplan("need", "-w", "exampleshire", "--by", "level", "--year", "2025", "--format", "csv", cwd=demo)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["level"] for r in rows] == ["tertiary", "targeted"] or {r["level"] for r in rows} == {
        "tertiary", "targeted"}
    assert all(r["area"] == "E10999999" and r["year"] == "2025" for r in rows)
    population = float(rows[0]["population"])
    assert population == pytest.approx(250_002)
    tertiary = next(r for r in rows if r["level"] == "tertiary")
    # recomputed from the shipped files: Σ population × tertiary prevalence for its age
    pop = list(csv.DictReader((DEMO / "population.csv").open()))
    prev = [r for r in csv.DictReader((DEMO / "prevalence.csv").open()) if r["level"] == "tertiary"]
    expected = sum(float(p["count"]) * float(r["central"]) for p in pop if p["year"] == "2025" for r in prev
                   if int(r["age_from"]) <= int(p["age"]) <= int(r["age_to"]))
    # the demo's rates are population averages: the groups' excess is part of the cases, not added to them
    # (adding it was issue 12's double count), so cases are exactly population × prevalence
    assert float(tertiary["cases"]) == pytest.approx(expected)
    assert float(tertiary["group_uplift"]) > 0  # the groups are at higher risk, and the excess says so
    # targeted is given as the 1 in 6 total net of tertiary: Σ population × (total − tertiary) for each age
    targeted = next(r for r in rows if r["level"] == "targeted")
    total = [r for r in csv.DictReader((DEMO / "prevalence.csv").open()) if r["level"] == "targeted"]

    def rate(rows: list[dict[str, str]], age: int) -> float:
        return next((float(r["central"]) for r in rows if int(r["age_from"]) <= age <= int(r["age_to"])), 0.0)

    expected = sum(float(p["count"]) * (rate(total, int(p["age"])) - rate(prev, int(p["age"])))
                   for p in pop if p["year"] == "2025" and rate(total, int(p["age"])))
    assert float(targeted["cases"]) == pytest.approx(expected)


def test_demand_formats_agree(demo: Path, tmp_path: Path) -> None:
    as_json = cyplan("demand", "-w", "exampleshire", "--year", "2030", "--format", "json", cwd=demo)
    assert as_json.returncode == 0, as_json.stderr
    records = json.loads(as_json.stdout)
    assert {r["role"] for r in records} >= {"mh_practitioner", "psychiatrist"}
    out = tmp_path / "demand.xlsx"
    as_xlsx = cyplan("demand", "-w", "exampleshire", "--year", "2030", "--format", "xlsx", "--out", str(out),
                     cwd=demo)
    assert as_xlsx.returncode == 0, as_xlsx.stderr
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    # the demo gives non-pay costs and overheads, so the cost is split (issue 12 part 4)
    assert rows[0] == ("area", "year", "role", "hours", "fte", "pay", "non_pay", "overheads", "cost")
    assert sum(r[4] for r in rows[1:]) == pytest.approx(sum(r["fte"] for r in records))


def test_demand_breakdowns_sum_to_the_same_total(demo: Path) -> None:
    totals = []
    for by in (["--by", "role"], ["--by", "level"], ["--by", "age-band", "--by", "sex"]):
        result = cyplan("demand", "-w", "exampleshire", "--year", "2025", *by, "--format", "json", cwd=demo)
        totals.append(sum(r["fte"] for r in json.loads(result.stdout)))
    assert totals == pytest.approx([totals[0]] * 3)


def test_estimates_order_low_central_high(demo: Path) -> None:
    fte = {}
    for est in ("low", "central", "high"):
        result = cyplan("demand", "-w", "exampleshire", "--year", "2025", "--estimate", est, "--format", "json",
                        cwd=demo)
        fte[est] = sum(r["fte"] for r in json.loads(result.stdout))
    assert fte["low"] < fte["central"] < fte["high"]


def test_bad_options_are_explained(demo: Path) -> None:
    role = cyplan("need", "-w", "exampleshire", "--by", "role", cwd=demo)
    assert role.returncode == 2 and "need has no roles" in role.stderr
    area = cyplan("need", "-w", "exampleshire", "--area", "E06000001", cwd=demo)
    assert area.returncode == 2 and "unknown area E06000001" in area.stderr
    year = cyplan("demand", "-w", "exampleshire", "--year", "1999", cwd=demo)
    assert year.returncode == 2 and "the years are 2025 to 2035" in year.stderr
    xlsx = cyplan("demand", "-w", "exampleshire", "--format", "xlsx", cwd=demo)
    assert xlsx.returncode == 2 and "--out" in xlsx.stderr
    nowhere = cyplan("need", "-w", "not-a-workspace", cwd=demo)
    assert nowhere.returncode == 1 and "cyplan init" in nowhere.stderr


def test_demo_rebuilds_itself_but_not_other_workspaces(demo: Path, tmp_path: Path) -> None:
    """Catches `cyplan demo` refusing to rebuild a demo it made (run again on a copy of the module's, made by
    `cyplan demo` itself) and overwriting a workspace of the user's own."""
    shutil.copytree(demo / "exampleshire", tmp_path / "d")
    rebuilt = cyplan("demo", "d", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Exampleshire (E10999999)" in rebuilt.stdout
    assert cyplan("init", "mine", cwd=tmp_path).returncode == 0
    refused = cyplan("demo", "mine", cwd=tmp_path)
    assert refused.returncode == 1 and "not the demo" in refused.stderr


def test_init_loads_the_specification_defaults(tmp_path: Path) -> None:
    assert cyplan("init", "w", cwd=tmp_path).returncode == 0
    bands = cyplan("export", "age_bands", "bands.csv", "-w", "w", cwd=tmp_path)
    assert bands.returncode == 0, bands.stderr
    rows = list(csv.DictReader((tmp_path / "bands.csv").open()))
    assert [r["band"] for r in rows] == ["pre_post_birth", "early_years", "school_age", "post_16"]
    status = cyplan("status", "-w", "w", cwd=tmp_path)
    assert "groups" in status.stdout and "8" in status.stdout


def test_an_unwritable_output_is_explained(demo: Path) -> None:
    result = cyplan("demand", "-w", "exampleshire", "--format", "csv", "--out", "no/such/folder/d.csv", cwd=demo)
    assert result.returncode == 1
    assert "cannot write no/such/folder/d.csv: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_logs_its_files_by_a_readable_name_not_the_install_path(demo: Path) -> None:
    """Catches the demo's imports logged under the absolute folder cyplan is installed in (shown by `status`,
    the returns quality report and the web's /returns page) instead of a name a user can read."""
    result = cyplan("status", "-w", "exampleshire", cwd=demo)
    assert result.returncode == 0, result.stderr
    shown = " ".join(result.stdout.split())
    assert str(DEMO.parent) not in shown and "reference/demo" not in shown
    assert "cyplan demo: areas.csv" in shown
    assert "cyplan defaults:" in shown  # the age bands and groups cyplan ships (the table wraps the name)
    result = cyplan("returns", "quality", "-w", "exampleshire", "--format", "csv", cwd=demo)
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert "cyplan demo: returns/referrals.csv" in said and "reference/demo" not in said


def test_tables_sent_to_a_pipe_keep_role_names_whole(demo: Path) -> None:
    """Catches a table piped to a file or a CI log laid out 80 characters wide, where a six-column table folds
    'Consultant child and adolescent psychiatrist' into pieces ('psychiatri' / 'st'); and a width the user set
    (COLUMNS, as a terminal sets it) being overridden."""
    args = [CYPLAN, "demand", "-w", "exampleshire", "--year", "2025"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_") and k != "COLUMNS"}
    piped = subprocess.run(args, cwd=demo, capture_output=True, text=True, env=env, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert "Consultant child and adolescent psychiatrist" in piped.stdout, piped.stdout
    assert "Specialist therapist (family and systemic psychotherapist or child psychotherapist)" in piped.stdout
    narrow = subprocess.run(args, cwd=demo, capture_output=True, text=True, env={**env, "COLUMNS": "60"},
                            timeout=120)
    table = [line for line in narrow.stdout.splitlines() if line[:1] in "┏┃┡│├└"]  # the title is not wrapped
    assert table and max(len(line) for line in table) <= 60
