"""`cyplan compare AREA`: the comparison table end to end through the CLI, on a workspace of several areas
(tests/several_areas.py) and on the demo with its referral returns."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest

from conftest import CliResult, folder_bytes
from cyplan import reference
from cyplan.returns import service
from cyplan.store.workspace import Workspace
from several_areas import AREAS, DEMO, REGION, several_areas

Run = Callable[[Sequence[str]], CliResult]


@pytest.fixture(scope="module")
def _several(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return several_areas(tmp_path_factory.mktemp("several") / "workspace")


@pytest.fixture
def several(_several: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(_several, tmp_path / "several"))


def _csv(run_cli: Run, *args: str) -> pl.DataFrame:
    code, out, err = run_cli(["compare", *args, "-f", "csv"])
    assert code == 0, err
    return pl.read_csv(io.StringIO(out))


def test_region_holds_the_regions_areas_and_all_every_council(run_cli: Run, several: Path) -> None:
    """Catches a region group that takes in an area of no region (Islandshire) or leaves the chosen area out, and
    'all' missing an area: the chosen area first, marked, then the others by code."""
    region = _csv(run_cli, "E10999998", "--against", "region", "-w", str(several))
    assert region["area"].to_list() == ["E10999998", "E10999997", DEMO]
    assert region["chosen"].to_list() == [True, False, False]
    every = _csv(run_cli, "E10999998", "--against", "all", "-w", str(several))
    assert sorted(every["area"].to_list()) == sorted(AREAS) and REGION not in every["area"].to_list()


def test_measures_match_the_need_and_cost_commands(run_cli: Run, several: Path) -> None:
    """Catches a measure over the wrong year or area: need per 1,000 as 'cyplan need' gives it for the area and
    year, and cost per child its cost ÷ its population."""
    table = _csv(run_cli, "E10999998", "--year", "2030", "-w", str(several)).filter(pl.col("area") == "E10999998")
    code, out, err = run_cli(["need", "--area", "E10999998", "--year", "2030", "--by", "age-band", "-f", "csv",
                              "-w", str(several)])
    assert code == 0, err
    need = pl.read_csv(io.StringIO(out))
    per_1000 = need["cases"].sum() / need["population"].sum() * 1000
    assert table["need_per_1000"][0] == pytest.approx(per_1000, rel=1e-6)
    assert table["year"][0] == 2030


def test_the_older_population_has_more_need_and_fewer_staff_per_1000(run_cli: Run, several: Path) -> None:
    """Sampleton's 12 to 25 year-olds are 0.8 of Exampleshire's and its younger children 0.5, its staff 0.3:
    need per 1,000 higher (prevalence rises with age), supply per 1,000 about 0.3 ÷ (between 0.5 and 0.8) of
    Exampleshire's. Catches the measures of one area shown against another's name."""
    t = _csv(run_cli, "E10999998", "-w", str(several))
    s, e = (t.filter(pl.col("area") == code).row(0, named=True) for code in ("E10999998", DEMO))
    assert s["need_per_1000"] > e["need_per_1000"]
    assert 0.3 / 0.8 * 0.95 < s["supply_fte_per_1000"] / e["supply_fte_per_1000"] < 0.3 / 0.5 * 1.05


def test_the_demos_referral_rate_worked_from_its_files(run_cli: Run, demo_workspace: Path) -> None:
    """The demo's accepted referrals (counted here from its file, rounded to 5 as published) ÷ its 2025
    population (summed here from its file) × 1,000, over the records' whole quarters. Catches received counted
    for accepted, exact counts where published ones are promised, or another year's population."""
    ws = Workspace.open(demo_workspace)
    try:
        service.import_returns(ws, reference.DEMO / "returns" / "referrals.csv")
    finally:
        ws.close()
    records = pl.read_csv(reference.DEMO / "returns" / "referrals.csv", infer_schema_length=0)
    accepted = records.filter(pl.col("accepted") == "yes").height
    published = int(accepted / 5 + 0.5) * 5
    months = pl.read_csv(reference.DEMO / "returns" / "referrals.csv", try_parse_dates=True)["received_date"]
    population = pl.read_csv(reference.DEMO / "population.csv").filter(pl.col("year") == 2025)["count"].sum()
    quarters = {(d.year * 12 + d.month - 4) // 3 for d in months.to_list()}
    years = (max(quarters) - min(quarters) + 1) / 4
    row = _csv(run_cli, DEMO, "-w", str(demo_workspace)).row(0, named=True)
    assert row["referrals"] == published
    assert row["referral_rate_per_1000"] == pytest.approx(published / (population * years) * 1000, rel=1e-6)
    assert row["funnel"] == "within"  # alone in its group: it is the pooled rate


def test_an_unknown_area_or_year_is_refused_and_changes_nothing(run_cli: Run, several: Path) -> None:
    """Catches a traceback, a zero exit, or a file written for an area or year the workspace has not."""
    before = folder_bytes(several)
    code, _, err = run_cli(["compare", "E10000001", "-w", str(several)])
    assert code == 2 and "there is no area 'E10000001'" in err and "E10999999" in err and "Traceback" not in err
    code, _out, err = run_cli(["compare", DEMO, "--year", "1999", "-w", str(several), "-o",
                              str(several.parent / "out.csv")])
    assert code == 2 and "no population for year 1999; the years are 2025 to" in err
    assert not (several.parent / "out.csv").exists()
    assert folder_bytes(several) == before


@pytest.mark.parametrize("year", [[], ["--year", "2025"]])
def test_a_missing_input_is_exit_1_naming_it_and_its_command_with_or_without_a_year(
        run_cli: Run, tmp_path: Path, year: list[str]) -> None:
    """Catches the exit code for a workspace that lacks an input turning on whether --year was given (it was 2 with
    it, the code of a wrong option, and 1 without): the user guide's list of exit codes gives 1 for a workspace that
    lacks an input, and the message names what is missing and the command that imports it."""
    ws = tmp_path / "ws"
    assert run_cli(["init", str(ws)])[0] == 0
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,kind\nE10000001,Kent,council\n", encoding="utf-8")
    assert run_cli(["import", "areas", str(areas), "-w", str(ws)])[0] == 0
    before = folder_bytes(ws)
    code, out, err = run_cli(["compare", "E10000001", *year, "-w", str(ws)])
    assert (code, out) == (1, "")
    assert "the workspace has no population, levels, prevalence yet: import them with 'cyplan import KIND FILE'" \
        in err
    assert folder_bytes(ws) == before


def test_no_group_is_said_not_shown_as_a_comparison(run_cli: Run, several: Path) -> None:
    """Islandshire has no region: says so, and the table holds it alone (not every area)."""
    code, out, err = run_cli(["compare", "E06999999", "--against", "region", "-w", str(several)])
    assert code == 0
    assert "Nothing to compare E06999999 with (region): the areas input gives it no parent of kind region" in err
    assert "Islandshire" in out and "Sampleton" not in out


def test_out_writes_the_whole_table(run_cli: Run, several: Path, tmp_path: Path) -> None:
    """Catches --out writing the screen's columns only: the file has the limits and the counts too."""
    out = tmp_path / "comparison.csv"
    code, _, err = run_cli(["compare", DEMO, "-w", str(several), "--out", str(out), "-f", "csv"])
    assert code == 0, err
    frame = pl.read_csv(out)
    assert {"low_95", "high_998", "person_years", "pooled_rate_per_1000", "funnel"} <= set(frame.columns)
    assert frame.height == len(AREAS)


@pytest.mark.parametrize(("name", "read"), [("comparison.csv", pl.read_csv), ("comparison.json", pl.read_json)])
def test_out_without_format_writes_the_file_not_the_screen(run_cli: Run, several: Path, tmp_path: Path, name: str,
                                                           read: Callable[[Path], pl.DataFrame]) -> None:
    """Catches `--out comparison.csv` without --format printing the table and writing no file (as it did): the
    file's name chooses its format, and the command says it wrote it."""
    out = tmp_path / name
    code, stdout, err = run_cli(["compare", DEMO, "-w", str(several), "--out", str(out)])
    assert code == 0, err
    assert read(out).height == len(AREAS)
    assert "this area" not in stdout and f"Wrote {len(AREAS)} rows to" in stdout + err


def test_neighbours_are_the_published_list_as_given(run_cli: Run, several: Path, tmp_path: Path) -> None:
    """Catches the neighbours group taken from the region or every area when a published list names them: only
    the listed neighbours, and the list's source said."""
    listed = tmp_path / "neighbours.csv"
    listed.write_text("area,neighbour,rank,source\nE10999998,E06999999,1,Made-up list for a test\n", encoding="utf-8")
    code, _, err = run_cli(["import", "statistical_neighbours", str(listed), "-w", str(several)])
    assert code == 0, err
    code, out, err = run_cli(["compare", "E10999998", "--against", "neighbours", "-w", str(several)])
    assert code == 0, err
    assert "its statistical neighbours (published list: Made-up list for a test)" in out
    frame = _csv(run_cli, "E10999998", "--against", "neighbours", "-w", str(several))
    assert frame["area"].to_list() == ["E10999998", "E06999999"]


def test_the_national_demo_gives_every_measure_against_every_group(run_cli: Run, tmp_path: Path) -> None:
    """End to end as a new user: `cyplan demo --national` (12 councils, for speed), then `cyplan compare` against
    neighbours, region and all: every measure filled for every area of each group, the funnel placed, the region
    the area's own. Catches a national demo or a comparison that leaves a measure (the referral rate) blank."""
    folder = tmp_path / "national"
    code, _, err = run_cli(["demo", "--national", str(folder), "--areas", "12"])
    assert code == 0, err
    areas = pl.read_csv(folder / "inputs" / "areas.csv")
    first = areas.filter(pl.col("kind") == "council").row(0, named=True)
    for against in ("neighbours", "region", "all"):
        table = _csv(run_cli, first["code"], "--against", against, "-w", str(folder))
        assert table.height > 1, against
        measures = ["need_per_1000", "demand_fte_per_1000", "supply_fte_per_1000", "share_met", "cost_per_child",
                    "referral_rate_per_1000", "funnel"]
        assert table.select(pl.col(measures).null_count()).row(0) == (0,) * len(measures), against
    region = _csv(run_cli, first["code"], "--against", "region", "-w", str(folder))
    parents = dict(areas.select("code", "parent").iter_rows())
    assert {parents[a] for a in region["area"]} == {first["parent"]}
