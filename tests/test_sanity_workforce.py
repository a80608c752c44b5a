"""The check of an area's FTE in post per 100,000 children against the national figure (issue 18 part 1).

The national figure is NHS England's 2015 baselining report's 0.9 WTE per 1,000 children aged 0-17, i.e. 90 per
100,000; the band is 5 times either way: above 450, below 18 per 100,000."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest

from conftest import CliResult
from cyplan import results
from cyplan.model.sanity import workforce_warnings
from cyplan.reference import starter
from cyplan.store.workspace import Workspace

NATIONAL = starter.national_workforce()


def _population(children_2025: float, children_2026: float) -> pl.DataFrame:
    """Area A: children aged 0-17 spread over ages 0..17 in 2025 and 2026, and 1,000,000 people aged 18-25 that
    the check must leave out."""
    rows = [("A", year, age, "female", total / 18) for year, total in ((2025, children_2025), (2026, children_2026))
            for age in range(18)]
    rows += [("A", 2025, age, "male", 125_000.0) for age in range(18, 26)]
    return pl.DataFrame(rows, schema=["area", "year", "age", "sex", "count"], orient="row")


def _workforce(*fte: float) -> pl.DataFrame:
    return pl.DataFrame({"area": ["A"] * len(fte), "role": [f"r{i}" for i in range(len(fte))],
                         "fte_in_post": list(fte)})


def test_the_national_figure_is_90_per_100000_children_aged_0_to_17() -> None:
    """Catches the figure read as 0.9 per 100,000 or per 1,000 children of another age range."""
    assert NATIONAL is not None
    assert float(NATIONAL["value"]) / float(NATIONAL["per_children"]) * 100_000 == pytest.approx(90)
    assert (NATIONAL["age_from"], NATIONAL["age_to"]) == (0, 17)
    assert "Gateway Ref 04894" in str(NATIONAL["source"])


def test_an_area_above_five_times_the_national_rate_is_warned_with_its_figure() -> None:
    """20,000 children in 2025 and 60 + 40 FTE: 100 / 20,000 × 100,000 = 500 per 100,000, above 5 × 90 = 450.
    Catches the base year ignored (2026 has 40,000 children: 250, no warning), adults counted (then 1,020,000
    people: 10 per 100,000, 'below'), or one role only summed."""
    warned = workforce_warnings(_workforce(60, 40), _population(20_000, 40_000), NATIONAL)
    assert len(warned) == 1
    assert "100.0 FTE in post is 500 per 100,000 children aged 0 to 17 (2025)" in warned[0]
    assert "more than 5 times the national figure of about 90" in warned[0]


def test_an_area_within_the_band_is_not_warned() -> None:
    """80 FTE for 20,000 children: 400 per 100,000, 4.4 times the national figure: within the band."""
    assert workforce_warnings(_workforce(80), _population(20_000, 20_000), NATIONAL) == []


def test_an_area_below_a_fifth_of_the_national_rate_is_warned() -> None:
    """3 FTE for 20,000 children: 15 per 100,000, below 90 / 5 = 18. Catches a one-sided check."""
    warned = workforce_warnings(_workforce(3), _population(20_000, 20_000), NATIONAL)
    assert len(warned) == 1 and "15 per 100,000" in warned[0] and "less than 1/5 of the national figure" in warned[0]


def test_no_census_or_no_population_gives_no_warning() -> None:
    assert workforce_warnings(_workforce(), _population(20_000, 20_000), NATIONAL) == []
    assert workforce_warnings(_workforce(3), _population(0, 0).head(0), NATIONAL) == []


def test_the_demo_is_within_the_band_and_ten_times_its_census_is_not(demo_workspace: Path) -> None:
    """The demo: 644 FTE in post, 629.6 of it working with children and young people (× the CYP share), for
    178,043 children aged 0-17 in 2025 = 354 per 100,000 (3.9 times): no warning; its census entered ten times
    over is warned through the checks every command, page and paper shows."""
    frames = Workspace.open(demo_workspace).read_all()
    assert not any("FTE in post" in w for w in results.national_checks(frames))
    tenfold = {**frames, "workforce": frames["workforce"].with_columns(pl.col("fte_in_post") * 10)}
    assert any("6,296.0 FTE in post is 3,536 per 100,000" in w for w in results.national_checks(tenfold))


def test_the_cli_warns_of_a_census_entered_ten_times_over(demo_workspace: Path, tmp_path: Path,
                                                        run_cli: Callable[[Sequence[str]], CliResult]) -> None:
    """Through `cyplan need`, as a user meets it: the demo's census exported, every FTE × 10, imported back."""
    census = tmp_path / "workforce.csv"
    code, _, err = run_cli(["export", "workforce", census, "-w", demo_workspace])
    assert code == 0, err
    frame = pl.read_csv(census)
    frame.with_columns(*(pl.col(c) * 10 for c in ("fte_in_post", "fte_in_post_low", "fte_in_post_high"))
                       ).write_csv(census)
    assert run_cli(["import", "workforce", census, "-w", demo_workspace])[0] == 0
    code, out, err = run_cli(["need", "-w", demo_workspace])
    assert code == 0
    assert "6,296.0 FTE in post is 3,536 per 100,000 children aged 0 to 17 (2025), more than 5 times" in out + err
