"""The board paper made from nothing faster without a figure changing (issue 17 part 2,
docs/decisions/0019-paper-from-nothing.md): a scenario that changes no need input is handed the baseline's cases of
need (model/simulate.CasesKept) rather than working them out again; Altair's schema checks are off while the paper's
charts are made; an age label of plain digits is read without loading DuckDB. The demo's paper, as `cyplan demo`
makes it (its referral returns too), is compared whole with the paper made the old way."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cyplan import results
from cyplan.model import simulate as simulate_module
from cyplan.model.build import build
from cyplan.model.scenarios import BASELINE
from cyplan.model.simulate import CasesKept
from cyplan.reports.paper import build_paper
from cyplan.reports.paper import builder as builder_module
from cyplan.returns import classify
from cyplan.store.workspace import Workspace
from test_paper_speed import content  # everything a paper says, one definition

TODAY = dt.date(2026, 12, 6)
DRAWS = 200  # the scenario-by-scenario checks: the whole paper below is on the default 1,000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cyplan demo`, as a user runs it: Exampleshire with its referral returns and the starter evidence library."""
    from cyplan.cli import app

    path = tmp_path_factory.mktemp("paper-from-nothing") / "exampleshire"
    result = CliRunner().invoke(app, ["demo", str(path)])
    assert result.exit_code == 0, result.output
    return path


@contextlib.contextmanager
def checked(_: bool) -> Iterator[None]:
    """Altair's schema checks left on, as the paper was made before."""
    with alt.utils.schemapi.debug_mode(True):
        yield


def test_the_demo_paper_is_the_same_as_made_the_old_way(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches any figure, table, sentence, note or chart of the demo's paper changed by the ways it is made faster:
    a scenario handed cases of need that are not its own (rising_need changes the prevalence trends), a chart spec
    that differs without Altair's checks, an age read otherwise than DuckDB reads it (the referral tables by age
    band). The paper made now against the paper made with each scenario working out its own cases, the checks on
    and every age cast by DuckDB, on the demo with the default draws, compared whole."""
    with closing(Workspace.open(demo)) as ws:
        now = build_paper(ws, today=TODAY)
        monkeypatch.setattr(CasesKept, "cases", lambda self, a, p, rr: simulate_module._cases(a, p, rr))
        monkeypatch.setattr(builder_module, "debug_mode", checked)
        monkeypatch.setattr(classify, "_digits", lambda label: False)
        before = build_paper(ws, today=TODAY)
    said = content(now)
    assert said.count('"spec":') >= 10 and "rising_need" in said and "Referrals by quarter" in said
    assert "age band" in said.lower()
    assert said == content(before)


@pytest.fixture(scope="module")
def frames(demo: Path) -> results.Frames:
    with closing(Workspace.open(demo)) as ws:
        return ws.read_all()


def test_each_scenario_simulated_with_kept_cases_is_its_own(frames: results.Frames) -> None:
    """Catches a scenario given the baseline's cases of need when it changes a need input (rising_need), or any
    scenario's demand, supply or band counts differing in any digit from its run without the cases kept."""
    kept = CasesKept()
    names = results.scenario_names(frames)
    assert len(names) == 6 and "rising_need" in names
    for name in names:
        alone = results.simulation(frames, name, draws=DRAWS, by_band=name == BASELINE)
        shared = results.simulation(frames, name, draws=DRAWS, by_band=name == BASELINE, kept=kept)
        assert np.array_equal(shared.demand, alone.demand), name
        assert np.array_equal(shared.total_supply, alone.total_supply), name
        if name == BASELINE:
            assert shared.bands is not None and alone.bands is not None
            assert np.array_equal(shared.bands.cases, alone.bands.cases)


def test_the_cases_are_worked_out_once_for_each_set_of_need_inputs(frames: results.Frames,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the cases kept never handed out (every scenario working them out again: the paper's time back to what
    it was), or handed out to rising_need, whose prevalence trends differ: on the demo the baseline's and
    rising_need's cases are worked out, the other four scenarios' are the baseline's."""
    worked: list[int] = []
    real = simulate_module._cases

    def counted(a: Any, prevalence: np.ndarray, rr: np.ndarray) -> Any:
        worked.append(prevalence.shape[0])
        return real(a, prevalence, rr)

    monkeypatch.setattr(simulate_module, "_cases", counted)
    kept = CasesKept()
    sims = {name: results.simulation(frames, name, draws=DRAWS, kept=kept) for name in results.scenario_names(frames)}
    assert len(worked) == 2
    assert not np.array_equal(sims["rising_need"].demand, sims[BASELINE].demand)
    assert np.array_equal(sims["retention"].demand, sims[BASELINE].demand)  # leaver rates: supply, not demand


@pytest.mark.parametrize("change", ["prevalence", "rr", "population", "nan", "dtype"])
def test_a_run_whose_need_arrays_differ_anywhere_gets_its_own_cases(frames: results.Frames, change: str) -> None:
    """Catches the kept cases handed to a run whose arrays differ in one value, or in type (float32 prevalence), or
    withheld from one whose arrays are equal with NaN in the same places (NaN ≠ NaN would work them out again)."""
    a = build(frames, "central")
    rng = np.random.default_rng(3)
    prevalence = rng.uniform(0, 0.1, (4, len(a.dims.years), *a.prevalence.shape[1:]))
    rr = rng.uniform(1, 3, (4, len(a.dims.groups), len(a.dims.levels)))
    kept = CasesKept()
    first = kept.cases(a, prevalence, rr)
    other_p, other_rr, other_a = prevalence.copy(), rr.copy(), a
    if change == "prevalence":
        other_p[3, -1, -1, -1, -1] += 1e-12
    elif change == "rr":
        other_rr[0, 0, 0] = 2.0 + other_rr[0, 0, 0]
    elif change == "population":
        population = a.population.copy()
        population[0, 0, 0, 0] += 1
        other_a = dataclasses.replace(a, population=population)
    elif change == "dtype":
        other_p = prevalence.astype(np.float32)
    if change == "nan":
        nan_p = prevalence.copy()
        nan_p[0, 0, 0, 0, 0] = np.nan
        kept = CasesKept()
        held = kept.cases(a, nan_p, rr)
        assert kept.cases(a, nan_p.copy(), rr.copy()) is held
        return
    again = kept.cases(other_a, other_p, other_rr)
    assert again is not first
    assert kept.cases(a, prevalence.copy(), rr.copy()) is first  # equal arrays, not the same objects: handed out


@pytest.fixture(scope="module")
def duckdb_cast() -> Any:
    """DuckDB's own cast of every label (the rule age_values keeps): with no label taken as plain digits."""
    def cast(labels: list[str]) -> list[Any]:
        return list(classify.WHOLE_NUMBER(labels))
    return cast


AGE_LIKE = st.one_of(
    st.from_regex(r"\A[0-9]{1,12}\Z", fullmatch=True),
    st.from_regex(r"\A[ +\-]?[0-9]{0,3}(\.[0-9]{0,2})?[ ]?\Z", fullmatch=True),
    st.text(alphabet=st.sampled_from("0123456789 .+-e٣²\t"), min_size=1, max_size=6),
)


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(AGE_LIKE, min_size=1, max_size=8, unique=True))
def test_an_age_label_is_read_as_duckdb_reads_it(labels: list[str], duckdb_cast: Any) -> None:
    """Catches the plain-digits path reading an age otherwise than DuckDB's cast did: leading zeros, numbers too big
    for an INTEGER (10 digits and more), digits of other scripts (٣, ²), spaces, signs and decimals."""
    got = classify.age_values(classify.Column(np.zeros(0, np.int32), [None, *labels]))
    assert got.tolist() == [None, *duckdb_cast(labels)]


def test_plain_ages_are_read_without_loading_duckdb() -> None:
    """Catches DuckDB loaded again to read the demo's referral ages (a third of a second of a paper made from
    nothing): ages of plain digits are read without it."""
    import subprocess

    code = ("import sys; from cyplan.returns import service; from cyplan.returns.classify import age_values, Column; "
            "import numpy as np; "
            "print(age_values(Column(np.zeros(0, np.int32), [None, '0', '7', '17', '25'])).tolist()); "
            "print('duckdb' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(Path(classify.__file__).parents[2])})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[None, 0, 7, 17, 25]", "False"]
