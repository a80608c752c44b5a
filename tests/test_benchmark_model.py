"""The pieces of the model benchmark (benchmarks/model_scale.py), on two areas: its synthetic inputs pass cyplan's
own validation, and its pandas baseline agrees with cyplan's central run to 1e-9."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import polars as pl
import pytest

from cyplan.io.read import ROW, RawTable
from cyplan.io.references import Origin, check_references
from cyplan.io.validate import validate
from cyplan.model.build import empty
from cyplan.model.simulate import simulate
from cyplan.schema import KINDS

try:  # the baseline is written with pandas, a dev dependency: without it the run fails rather than skips
    import pandas  # noqa: F401
except ImportError:
    pytest.fail("pandas is missing: install the dev dependencies with `pip install -e '.[dev]'` (make test does)",
                pytrace=False)

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "model_scale.py"


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("model_scale", BENCHMARK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["model_scale"] = module
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return bench.synthetic_inputs(2)


def as_raw(kind: str, frame: pl.DataFrame) -> RawTable:
    """The frame as the text cells of a file (blank for null), the way the readers hand a file to `validate`."""
    text = frame.select(pl.col(c).cast(pl.String).fill_null("") for c in frame.columns)
    text = text.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(ROW))
    return RawTable(f"{kind}.csv", None, tuple(frame.columns), text, 1)


def test_synthetic_inputs_pass_validation(frames: dict[str, pl.DataFrame]) -> None:
    state = {k: empty(k).with_columns(pl.lit(0, pl.Int64).alias(ROW)) for k in KINDS}  # inputs not given: none
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


def test_the_cap_binds_somewhere(frames: dict[str, pl.DataFrame]) -> None:
    # the baseline's cap is exercised: for some group, year, age and sex, Σ_level p × rr > 1 at central values
    s = bench.pandas_setup(bench.to_pandas(frames))
    cells = s["prev"].merge(s["rr"], on="level")
    total = (cells["p"] * cells["rr"]).groupby([cells["year"], cells["group"], cells["age"], cells["sex"]]).sum()
    assert (total > 1).any() and (total <= 1).any()


def test_pandas_baseline_agrees_with_cyplan(frames: dict[str, pl.DataFrame]) -> None:
    table = bench.pandas_baseline(bench.to_pandas(frames))
    assert len(table) == 2 * 11 * 12
    assert (table["demand_fte"] > 0).all() and (table["supply_fte"] >= 0).all()
    assert np.allclose(table["gap_fte"], table["demand_fte"] - table["supply_fte"])
    diff = bench.agreement(simulate(frames, draws=0), table)
    assert diff["demand"] <= 1e-9
    assert diff["supply"] <= 1e-9


def test_agreement_notices_a_difference(frames: dict[str, pl.DataFrame]) -> None:
    table = bench.pandas_baseline(bench.to_pandas(frames), ["E06000002"])
    table.loc[5, "supply_fte"] *= 1 + 1e-6
    diff = bench.agreement(simulate(frames, draws=0), table)
    assert diff["supply"] == pytest.approx(1e-6, rel=1e-3)
    assert diff["demand"] <= 1e-9
    with pytest.raises(ValueError, match="not one for each"):
        bench.agreement(simulate(frames, draws=0), table.iloc[1:])


def test_the_timed_run_with_draws(frames: dict[str, pl.DataFrame]) -> None:
    sim, table = bench.run_cyplan(frames, draws=5)
    assert sim.demand.shape == (2, 11, 12, 5)
    assert table.height == 2 * 11 * 12
    values = table.select(pl.selectors.numeric().exclude("year")).to_numpy()
    assert np.isfinite(values).all()
    assert (table["demand_fte_p5"] <= table["demand_fte"]).all()
    assert (table["demand_fte"] <= table["demand_fte_p95"]).all()
