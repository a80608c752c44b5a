"""`cyplan demo --national` (issue 16 part 4): a made-up country, every value labelled made up, with what the
comparison page and statistical neighbours need: councils within regions, each with a population, a workforce and
indicators. Run through the CLI with --areas 12 (the documented option) to stay fast; the 150-area default is the
same code with a larger n."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import CliResult, load_benchmark
from cyplan.reference import national, synthetic
from cyplan.schema import KINDS

Run = Callable[[Sequence[str]], CliResult]
N = 12


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from typer.testing import CliRunner

    from cyplan.cli import app

    path = tmp_path_factory.mktemp("national") / "country"
    result = CliRunner().invoke(app, ["demo", "--national", str(path), "--areas", str(N)])
    assert result.exit_code == 0, result.output
    return path, result.output


def rows(path: Path, kind: str) -> list[dict[str, str]]:
    with (path / "inputs" / f"{kind}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_row_of_every_input_and_the_readme_say_made_up(built: tuple[Path, str]) -> None:
    """Catches a made-up figure that could be taken for a real one: a row without the made-up source, a name
    without '(made up)', a code a real area has (real codes have no 99 after the kind), or a README that does not
    say so."""
    path, _ = built
    written = sorted(p.stem for p in (path / "inputs").glob("*.csv"))
    assert written and all(k in KINDS for k in written)
    for kind in written:
        if "source" in KINDS[kind].column_names:
            assert {r["source"] for r in rows(path, kind)} == {national.SOURCE}, kind
    for area in rows(path, "areas"):
        assert area["name"].endswith("(made up)")
        assert re.fullmatch(r"E(06|08|09|10|12)99\d{4}", area["code"]), area["code"]
    assert "**Every name, code and figure in this folder is made up.**" in (path / "README.md").read_text()


def test_councils_sit_in_nine_regions_and_each_has_a_population_a_workforce_and_indicators(
        built: tuple[Path, str]) -> None:
    """Catches a council the comparison page would have nothing for (no population, no workforce census, no
    indicator), or a region missing."""
    path, said = built
    areas = rows(path, "areas")
    regions = {a["code"] for a in areas if a["kind"] == "region"}
    councils = [a for a in areas if a["kind"] == "council"]
    assert len(regions) == 9 and len(councils) == N
    assert all(c["parent"] in regions for c in councils)
    codes = {c["code"] for c in councils}
    for kind in ("population", "workforce", "area_indicators", "group_sizes"):
        assert {r["area"] for r in rows(path, kind)} == codes, kind
    assert f"{N} councils in 9 regions" in " ".join(said.split())


def test_neighbours_and_the_model_run_on_it_without_warnings(built: tuple[Path, str], run_cli: Run) -> None:
    """Catches a region offered as a council's neighbour, a council its own neighbour, or the regions (which have no
    population of their own) warned of at every run."""
    path, _ = built
    first = next(a["code"] for a in rows(path, "areas") if a["kind"] == "council")
    code, out, err = run_cli(["neighbours", first, "-w", path, "--format", "csv"])
    assert code == 0, err
    found = [r["neighbour"] for r in csv.DictReader(out.splitlines())]
    councils = {a["code"] for a in rows(path, "areas") if a["kind"] == "council"}
    assert len(found) == 10 and set(found) <= councils - {first}
    code, _out, err = run_cli(["need", "-w", path, "--year", "2025"])
    assert code == 0 and "Warning" not in err, err


def test_it_can_be_built_again_over_itself(built: tuple[Path, str], run_cli: Run) -> None:
    """Catches a second run refused (the folder holds the demo's own files) or two countries mixed."""
    path, _ = built
    code, _out, err = run_cli(["demo", "--national", path, "--areas", "3"])
    assert code == 0, err
    assert len([a for a in rows(path, "areas") if a["kind"] == "council"]) == 3


def test_the_benchmark_uses_the_same_generator() -> None:
    """Catches the generator copied rather than moved: the national benchmark and the demo must share one."""
    bench = load_benchmark("model_scale")
    assert bench.synthetic_inputs is synthetic.synthetic_inputs
    assert bench.with_cohorts is synthetic.with_cohorts
