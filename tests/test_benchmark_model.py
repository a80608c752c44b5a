"""The pieces of the model benchmark (benchmarks/model_scale.py), on two areas: its synthetic inputs pass cyplan's
own validation, and its pandas baseline agrees with cyplan to 1e-9, at central values and draw by draw. pandas is a
dev dependency: without it these tests fail (they do not skip)."""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  (the baseline is written with pandas: without it this file fails, it does not skip)
import polars as pl
import pytest

from conftest import load_benchmark
from cyplan.io.read import ROW, RawTable
from cyplan.io.references import Origin, check_references
from cyplan.io.validate import validate
from cyplan.model.build import empty
from cyplan.model.gap import gap_table
from cyplan.model.simulate import simulate
from cyplan.schema import KINDS

bench = load_benchmark("model_scale")


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return bench.synthetic_inputs(2)


def as_raw(kind: str, frame: pl.DataFrame) -> RawTable:
    """The frame as the text cells of a file (blank for null), the way the readers hand a file to `validate`."""
    text = frame.select(pl.col(c).cast(pl.String).fill_null("") for c in frame.columns)
    text = text.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW))
    return RawTable(f"{kind}.csv", None, tuple(frame.columns), text, 1)


@pytest.mark.parametrize("cohorts", [False, True], ids=["today", "with-cohorts"])
def test_synthetic_inputs_pass_validation(frames: dict[str, pl.DataFrame], cohorts: bool) -> None:
    """Catches inputs an import would not give: with --cohorts, a blank band leaver rate or part-time trend held as
    NaN rather than null (the engine took a NaN trend as a number, and half the census rows' stock was NaN)."""
    state = {k: empty(k).with_columns(pl.lit(0, pl.Int64).alias(ROW)) for k in KINDS}  # inputs not given: none
    if cohorts:
        frames = bench.with_cohorts(frames)
    for kind, frame in frames.items():
        assert frame.schema == empty(kind).schema, kind  # the schema's columns, in order, with its types
        checked, problems = validate(as_raw(kind, frame), KINDS[kind])
        assert [str(p) for p in problems] == [], kind
        assert checked.drop(ROW).equals(frame), kind  # validating changes nothing: the frames are as an import gives
        state[kind] = checked
    origins = {kind: Origin(f"{kind}.csv", None) for kind in frames}
    assert [str(p) for p in check_references(state, origins)] == []


def test_synthetic_inputs_shape_and_ranges(frames: dict[str, pl.DataFrame]) -> None:
    assert frames["population"].height == 2 * 11 * 26 * 2
    assert frames["areas"]["code"].to_list() == ["E06000001", "E06000002"]
    sums = frames["role_mix"].group_by(["level", "step"]).agg(pl.col("share").sum())
    assert sums.height == 4 * 6
    assert sums["share"].to_numpy() == pytest.approx(1.0, abs=1e-12)
    assert set(frames["role_mix"]["role"]) == set(bench.ROLES)  # every role has demand
    prev = frames["prevalence"]
    assert prev.select(pl.min_horizontal("low", "central", "high").min()).item() >= 0
    assert prev.select(pl.max_horizontal("low", "central", "high").max()).item() <= 1
    assert (prev["low"] <= prev["central"]).all() and (prev["central"] <= prev["high"]).all()
    wf = frames["workforce"]
    assert wf.group_by(["area", "role"]).len()["len"].is_between(1, 2).all()
    assert (wf["cyp_share"] < 1).any() and wf["retirement_rate"].is_not_null().any()
    assert ((wf["leaver_rate_low"] == wf["leaver_rate"]) & (wf["leaver_rate_high"] == wf["leaver_rate"])).any()
    assert (wf["leaver_rate_low"] <= wf["leaver_rate"]).all() and (wf["leaver_rate"] <= wf["leaver_rate_high"]).all()
    assert (wf["joiners_low"] <= wf["joiners_per_year"]).all() and (wf["joiners_per_year"] <= wf["joiners_high"]).all()


def test_the_cohorts_run_gives_every_row_a_number(frames: dict[str, pl.DataFrame]) -> None:
    """Catches a --cohorts run timing NaN arithmetic: every census row's stock a number, and the bands moving it
    (the run differs from the one without bands)."""
    banded = simulate(bench.with_cohorts(frames), draws=3, seed=1)
    assert np.isfinite(banded.census).all() and np.isfinite(banded.total_supply).all()
    assert not np.allclose(banded.census, simulate(frames, draws=3, seed=1).census)


def test_the_cap_binds_somewhere(frames: dict[str, pl.DataFrame]) -> None:
    # the baseline's cap is exercised: for some group, year, age and sex, Σ_level p × rr > 1 at central values
    pf = bench.to_pandas(frames)
    s = bench.pandas_setup(pf, bench.pandas_draws(pf, 0))
    cells = s["prev"].merge(s["rr"], on=["draw", "level"])
    total = (cells["p"] * cells["rr"]).groupby([cells["year"], cells["group"], cells["age"], cells["sex"]],
                                               observed=True).sum()
    assert (total > 1).any() and (total <= 1).any()


def test_pandas_baseline_agrees_with_cyplan_at_central_values(frames: dict[str, pl.DataFrame]) -> None:
    """Catches a formula that differs between the baseline and cyplan (the benchmark would time unlike work)."""
    table, summary = bench.pandas_baseline(bench.to_pandas(frames))
    assert len(table) == 2 * 11 * 12 and set(table["draw"]) == {0}
    assert (table["demand_fte"] > 0).all() and (table["supply_fte"] >= 0).all()
    assert np.allclose(table["gap_fte"], table["demand_fte"] - table["supply_fte"])
    sim = simulate(frames, draws=0)
    diff = bench.agreement(sim, table)
    assert diff["demand"] <= 1e-9
    assert diff["supply"] <= 1e-9
    assert bench.percentile_agreement(gap_table(sim, ["role"]), summary) <= 1e-9


def test_pandas_baseline_agrees_with_cyplan_draw_by_draw(frames: dict[str, pl.DataFrame]) -> None:
    """Catches a baseline that draws its inputs differently from cyplan (other rows, ranges or order of the random
    numbers), one that mishandles a draw, and percentiles taken differently: each of the 5 draws and every
    measure's median and 90% interval must agree."""
    table, summary = bench.pandas_baseline(bench.to_pandas(frames), draws=5, seed=1, chunk=2)
    assert len(table) == 5 * 2 * 11 * 12
    sim = simulate(frames, draws=5, seed=1)
    assert not np.allclose(sim.demand[..., 0], sim.demand[..., 1])  # the draws differ, so the check means something
    diff = bench.agreement(sim, table)
    assert diff["demand"] <= 1e-9
    assert diff["supply"] <= 1e-9
    ours = gap_table(sim, ["role"])
    assert bench.percentile_agreement(ours, summary) <= 1e-9
    other = simulate(frames, draws=5, seed=2)  # another seed's draws: the check must fail
    assert bench.agreement(other, table)["demand"] > 1e-6


def test_agreement_notices_a_difference(frames: dict[str, pl.DataFrame]) -> None:
    table, summary = bench.pandas_baseline(bench.to_pandas(frames))
    table.loc[5, "supply_fte"] *= 1 + 1e-6
    sim = simulate(frames, draws=0)
    diff = bench.agreement(sim, table)
    assert diff["supply"] == pytest.approx(1e-6, rel=1e-3)
    assert diff["demand"] <= 1e-9
    with pytest.raises(ValueError, match="not one for each"):
        bench.agreement(sim, table.iloc[1:])
    summary.loc[3, "gap_fte_p95"] *= 1 + 1e-6
    assert bench.percentile_agreement(gap_table(sim, ["role"]), summary) == pytest.approx(1e-6, rel=1e-3)


def test_every_printed_ratio_says_measured_or_estimated(capsys: pytest.CaptureFixture[str]) -> None:
    """Catches a ratio printed without saying how its pandas time was got (a scaled figure passed off as
    measured), and a run that does not check agreement before it reports."""
    assert bench.main(["--areas", "2", "--draws", "6", "--pandas-draws", "2", "--repeats", "1", "--no-memory"]) == 0
    out = capsys.readouterr().out
    ratios = [line for line in out.splitlines() if "×" in line and ("pandas" in line or "faster" in line)
              and "areas ×" not in line]
    assert len(ratios) >= 4, out
    for line in ratios:
        assert "measured" in line or "estimated" in line, line
    assert "estimated from 2 draws" in out
    summary = out[out.index("summary ("):]
    assert [line for line in summary.splitlines() if "vs pandas" in line and "(measured" not in line
            and "(estimated from 2 draws" not in line] == []
    assert "2 draws (seed 1), draw by draw" in out


def test_the_timed_run_with_draws(frames: dict[str, pl.DataFrame]) -> None:
    sim, table = bench.run_cyplan(frames, draws=5)
    assert sim.demand.shape == (2, 11, 12, 5)
    assert table.height == 2 * 11 * 12
    values = table.select(pl.selectors.numeric().exclude("year")).to_numpy()
    assert np.isfinite(values).all()
    assert (table["demand_fte_p5"] <= table["demand_fte"]).all()
    assert (table["demand_fte"] <= table["demand_fte_p95"]).all()
