"""Issue 17 part 5 made simulate faster without changing a single number: these tests hold it to that.

Two kinds of check. (1) Each faster piece against the plain formula it replaced, written out here as it was
(commit 7b1beab), bit for bit (`same`: equal as 64-bit patterns, so a −0.0 for a 0.0 or a NaN for a NaN of another
kind would fail too), on inputs hypothesis draws, with the corners the faster code has paths for: rows without a
range, several training pipelines joining one census row, pipelines that bring no one, a vacancy fill rate, −0.0
joiners. (2) The SHA-256 of everything simulate and gap_table give, on the demo and on the model benchmark's
synthetic inputs (with and without age bands and sector flows), pinned from the code before the change: a wrong
number anywhere fails. The digests are of doubles, and doubles depend on the machine as well as the code: NumPy and
polars pick their vector instructions (AVX2, AVX-512) on the processor they find, and a sum taken in lanes of another
width rounds differently. So each case has a digest for each kind of machine it was checked on, every one made with
commit 7b1beab's code, not the code under test (`DIGESTS` says how); on a machine of a new kind the test fails
and says what it found, and its digest is to be made from 7b1beab's code on that machine and added.
"""

from __future__ import annotations

import hashlib
import platform
from contextlib import closing
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import load_benchmark
from cyplan.model.demand import hours_per_case
from cyplan.model.gap import gap_table
from cyplan.model.need import uplift_factor
from cyplan.model.simulate import _for_population, simulate
from cyplan.model.supply import Rates, arrivals, project
from cyplan.model.uncertainty import draw
from cyplan.store.workspace import Workspace

bench = load_benchmark("model_scale")


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit for bit: the same shape and the same 64-bit pattern in every cell."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(np.ascontiguousarray(a).view(np.int64),
                                                 np.ascontiguousarray(b).view(np.int64))


# -- the formulas as they were -----------------------------------------------------------------------------

def old_draw(rng: np.random.Generator, low: np.ndarray, central: np.ndarray, high: np.ndarray,
             draws: int) -> np.ndarray:
    width = high - low
    fixed = width <= 0
    safe = np.where(fixed, 1.0, width)
    mode = np.clip((central - low) / safe, 0.0, 1.0)
    u = rng.random((draws, *low.shape))
    unit = np.where(u < mode, np.sqrt(u * mode), 1 - np.sqrt((1 - u) * (1 - mode)))
    return np.where(fixed, central, low + unit * width)


def old_project(r: Rates, years: int) -> np.ndarray:
    """A year at a time, each year's joiners from training as one [row, draw] array (zeros where none join)."""
    out = np.empty((r.fte0.shape[0], years, r.fte0.shape[1]))
    out[:, 0] = r.fte0
    for t in range(1, years):
        stock = out[:, t - 1]
        end = stock * (1.0 - r.leaver - r.retire) + r.joiners
        come = np.asarray(r.arrivals)[:, t]
        if come.any():
            end += come
        if r.fill.any():
            end += r.fill * np.maximum(r.establishment - stock, 0.0)
        out[:, t] = end
    return out


def old_uplift(prevalence: np.ndarray, relative_risk: np.ndarray) -> np.ndarray:
    p = prevalence[..., None]
    rr = np.swapaxes(relative_risk, -1, -2)[..., :, None, None, :]
    total = (p * rr).sum(axis=-4, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(total > 1.0, 1.0 / total, 1.0)
    return p * (rr * scale - 1.0)


def old_hours_per_case(step_level: np.ndarray, step_hours: np.ndarray, mix: np.ndarray, n_levels: int) -> np.ndarray:
    out = np.zeros((n_levels, mix.shape[1]))
    np.add.at(out, step_level, step_hours[:, None] * mix)
    return out


# -- each piece against its old formula --------------------------------------------------------------------

values = st.floats(-5, 5, allow_nan=False, width=64)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(values, values, values, st.sampled_from(["ranged", "fixed", "-0"])), min_size=1,
                     max_size=12), draws=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_triangular_draws_are_the_same_doubles(rows: list, draws: int, seed: int) -> None:
    """Catches a draw that differs from the plain inverse CDF in any bit: a row without a range given another value
    than its central one, a random number used by another row, low + unit × width rounded another way."""
    low, central, high = (np.array(x) for x in zip(*[(min(a, b, c), sorted((a, b, c))[1], max(a, b, c))
                                                    if kind == "ranged" else (b, b, b) if kind == "fixed"
                                                    else (-0.0, -0.0, -0.0) for a, b, c, kind in rows], strict=True))
    assert same(draw(np.random.default_rng(seed), low, central, high, draws),
                old_draw(np.random.default_rng(seed), low, central, high, draws))


def test_a_census_without_ranges_keeps_its_central_values_and_the_stream_moves_on() -> None:
    """Catches the faster draw skipping the random numbers of rows without a range: the next input's draws would
    then be other numbers than before."""
    rng_new, rng_old = np.random.default_rng(3), np.random.default_rng(3)
    c = np.array([1.0, 2.0, 3.0])
    assert same(draw(rng_new, c, c, c, 50), np.broadcast_to(c, (50, 3)))
    old_draw(rng_old, c, c, c, 50)
    assert same(rng_new.random(5), rng_old.random(5))


@st.composite
def census(draw_: st.DrawFn) -> tuple[Rates, int]:
    n, d, years = draw_(st.integers(1, 8)), draw_(st.integers(1, 6)), draw_(st.integers(1, 7))
    rng = np.random.default_rng(draw_(st.integers(0, 2**32)))
    fill = rng.uniform(0, 0.5, n) * (rng.random(n) < 0.5) if draw_(st.booleans()) else np.zeros(n)
    joiners, fte0 = rng.uniform(0, 3, (n, d)), rng.uniform(0, 50, (n, d))
    if draw_(st.booleans()):  # a census saying "-0": a stock of −0.0 + −0.0 joiners is −0.0, which adding a row's
        zero = rng.random((n, d)) < 0.5  # zero arrivals turns into +0.0, as project must then still do
        joiners[zero], fte0[zero] = -0.0, -0.0
    k = draw_(st.integers(0, 2 * n))  # training pipelines: several may join one row; some bring no one
    row = rng.integers(0, n, k)
    places = rng.uniform(0, 4, k) * (rng.random(k) < 0.8)
    start = rng.integers(2018, 2026, k)
    come = arrivals(row, start, start + rng.integers(0, 4, k), places, rng.integers(1, 4, k),
                    rng.uniform(0.5, 1, (d, k)), tuple(range(2025, 2025 + years)), n)
    # the drawn rates as simulate gives them: [draw, row] arrays seen as [row, draw]
    rates = Rates(fte0=np.asfortranarray(fte0), leaver=rng.uniform(0, 0.3, (d, n)).T,
                  retire=rng.uniform(0, 0.05, (n, 1)), joiners=np.asfortranarray(joiners),
                  establishment=rng.uniform(0, 60, (n, 1)), fill=fill[:, None], arrivals=come)
    return rates, years


@settings(max_examples=80, deadline=None)
@given(case=census())
def test_the_projection_is_the_same_doubles(case: tuple[Rates, int]) -> None:
    """Catches the faster projection differing from the year-by-year formula in any bit: the staying share rounded
    another way, joiners from training added to the wrong row, counted twice, added after the recruits, or a row's
    pipelines summed in another order."""
    rates, years = case
    assert same(project(rates, years), old_project(rates, years))


@settings(max_examples=40, deadline=None)
@given(p=hnp.arrays(float, (3, 2, 4, 5, 2), elements=st.floats(0, 1)),
       rr=hnp.arrays(float, (3, 2, 6, 4), elements=st.floats(0.5, 8)))
def test_the_uplift_factor_is_the_same_doubles(p: np.ndarray, rr: np.ndarray) -> None:
    """Catches the in-place uplift (p × (rr × scale − 1)) differing in any bit, the cap (scale) included."""
    assert same(uplift_factor(p, rr), old_uplift(p, rr))
    assert same(uplift_factor(p[0, 0], rr[0, 0]), old_uplift(p[0, 0], rr[0, 0]))


@settings(max_examples=40, deadline=None)
@given(levels=hnp.arrays(np.int64, st.integers(1, 9), elements=st.integers(0, 3)),
       data=st.data())
def test_hours_per_case_over_draws_is_each_draws_own(levels: np.ndarray, data: st.DataObject) -> None:
    """Catches hours per case over every draw at once differing from one draw at a time (the sum of a level's
    steps taken in another order)."""
    hours = data.draw(hnp.arrays(float, (5, levels.size), elements=st.floats(0, 100)))
    mix = data.draw(hnp.arrays(float, (levels.size, 3), elements=st.floats(0, 1)))
    assert same(hours_per_case(levels, hours, mix, 4), np.stack([old_hours_per_case(levels, h, mix, 4) for h in hours]))
    assert same(hours_per_case(levels, hours[0], mix, 4), old_hours_per_case(levels, hours[0], mix, 4))


def test_the_census_for_this_population_is_the_same_doubles() -> None:
    """Catches the blocked pass differing from (census + agency) × CYP share then a loop adding rows into their
    totals: a block edge missed, a role's sectors added in another order."""
    rng = np.random.default_rng(5)
    n, years, d = 37, 4, 6  # 37 rows: blocks of 16, 16 and 5
    area, role = np.sort(rng.integers(0, 5, n)), rng.integers(0, 3, n)
    census, agency, cyp = rng.uniform(0, 9, (n, years, d)), rng.uniform(0, 2, (n, 1, 1)), rng.uniform(0, 1, (d, n))
    expected = (census + agency) * cyp.T[:, None, :]
    total = np.zeros((5, years, 3, d))
    for i in range(n):
        total[area[i], :, role[i]] += expected[i]
    got, got_total = census.copy(), np.zeros_like(total)
    _for_population(got, agency, cyp.T, got_total, area, role)
    assert same(got, expected) and same(got_total, total)


# -- everything simulate and gap_table give, pinned from the code before the change ------------------------

def digest(sim: object, *tables: pl.DataFrame) -> str:
    """SHA-256 of every array of a Simulation (and of its census rows' drivers) and of the tables' CSV text."""
    h = hashlib.sha256()
    for name in ("demand", "total_supply", "census", "joiners", "stock0", "leaving", "productive"):
        h.update(np.ascontiguousarray(getattr(sim, name)).tobytes())
    detail = sim.detail  # type: ignore[attr-defined]
    for a in (detail.inflow, detail.cyp, detail.rates.fte0, detail.rates.leaver, detail.rates.joiners):
        h.update(np.ascontiguousarray(a).tobytes())
    for t in tables:
        h.update(t.write_csv().encode())
    return h.hexdigest()


# Made by digest() with commit 7b1beab's src (before issue 17 part 5's change): `git worktree add /tmp/old 7b1beab`,
# the demo built by that checkout's `cyplan demo`, and run() with /tmp/old/src first on sys.path (and
# /tmp/old/benchmarks/model_scale.py's synthetic_inputs and with_cohorts). One digest per kind of machine.
EARLIER = "x86-64 of the sessions to 6 December 2026 (NumPy 2.4.6, polars 2.1.0)"
AVX2 = "AMD EPYC with AVX2 and no AVX-512 (NumPy 2.4.6 finding X86_V3, polars 2.1.0), checked on 7 December 2026"
DIGESTS = {
    "demo": {"6c24dc85453449310cbe27a08e9da8dd447d360f95622790636c4ae919bba60b": EARLIER,
             "88edc5f829cb963440bb64d2f695595798b1b45bb6c703edfadf8aa79dd06002": AVX2},
    "synthetic": {"3e1cadf2b7f783658a37ac5d65c16045b2412258eddd7acb260a78a1a769ef59": EARLIER,
                  "8813467b191db4a6e20e391565273cb19b6b81d657002e8170b64ecb438f0486": AVX2},
    "synthetic-cohorts": {"49c7009f1241b1d99b489e6a86226f08503463ea3d24e77dbda9c65bf71e8708": EARLIER,
                          "c5a4354dee24736dce6f9805bbc13938a176ce6a69a22f808ba319fdcd551138": AVX2},
}


def machine() -> str:
    """What decides the doubles besides the code: the libraries and the vector instructions NumPy found."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    found = [f for f in ("AVX2", "AVX512F", "AVX512_SKX", "AVX512_ICL") if features.get(f)]
    return f"NumPy {np.__version__}, polars {pl.__version__}, {platform.machine()} with {', '.join(found) or 'no AVX'}"


def assert_as_before(case: str, found: str) -> None:
    assert found in DIGESTS[case], (
        f"{case}: digest {found} on {machine()} is none of those 7b1beab's code made on the machines checked so far "
        f"({'; '.join(DIGESTS[case].values())}). Either a number changed, or this is a new kind of machine: make "
        f"the digest with 7b1beab's code here (see DIGESTS) and add it if it is the same.")


def run(frames: dict[str, pl.DataFrame], draws: int) -> str:
    sim = simulate(frames, draws=draws, seed=1)
    return digest(sim, gap_table(sim, ["role"]), gap_table(sim, ["sector"], errors=True))


def test_the_demo_gives_the_same_doubles_as_before(demo_workspace: Path) -> None:
    """Catches any number of the demo's simulation or gap tables changing (1,000 draws, as the app runs it)."""
    with closing(Workspace.open(demo_workspace)) as ws:
        frames = ws.read_all()
    assert_as_before("demo", run(frames, 1000))


@pytest.mark.parametrize("cohorts", [False, True], ids=["synthetic", "synthetic-cohorts"])
def test_the_benchmark_inputs_give_the_same_doubles_as_before(cohorts: bool) -> None:
    """Catches any number changing on the benchmark's national inputs cut to 12 areas (training pipelines, ranges
    on every driver, and with cohorts age bands, sector flows and a part-time trend)."""
    frames = bench.synthetic_inputs(12)
    frames = bench.with_cohorts(frames) if cohorts else frames
    assert_as_before("synthetic-cohorts" if cohorts else "synthetic", run(frames, 300))
