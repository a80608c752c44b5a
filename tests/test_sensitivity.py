"""`cyplan sensitivity` (issue 16 parts 5 and 6): Sobol indices against their closed form, one-at-a-time swings
worked by hand, the demo's ranking, Dask against one process, and bad options refused."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import folder_bytes
from cyplan import results, sweep
from cyplan.model import sensitivity as sens
from cyplan.model.simulate import simulate
from cyplan.model.uncertainty import triangular_quantile
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace

AREA = "E10999999"


def _frames(path: Path) -> dict[str, pl.DataFrame]:
    ws = Workspace.open(path)
    try:
        return ws.read_all()
    finally:
        ws.close()


def _triangular_variance(low: float, mode: float, high: float) -> float:
    """The variance of a triangular distribution (textbook: (a² + b² + c² − ab − ac − bc) / 18)."""
    return (low**2 + mode**2 + high**2 - low * mode - low * high - mode * high) / 18


def test_sobol_indices_of_a_linear_measure_are_its_shares_of_variance() -> None:
    """Y = 3 X₁ − 2 X₂ with X₁ ~ triangular(0, 1, 4), X₂ ~ triangular(1, 2, 3): S_i = a_i² σ_i² / Σ a_j² σ_j²
    (first-order and total alike, no interaction). Catches indices swapped, squared wrongly or not normalised."""
    a = np.array([3.0, -2.0])
    dists = [(0.0, 1.0, 4.0), (1.0, 2.0, 3.0)]
    parts = a**2 * np.array([_triangular_variance(*d) for d in dists])
    expected = parts / parts.sum()  # σ₁² = 13/18, σ₂² = 1/6: 9 σ₁² = 6.5, 4 σ₂² = 2/3

    def evaluate(levels: np.ndarray) -> np.ndarray:
        x = np.stack([triangular_quantile(levels[:, j], *dists[j]) for j in range(2)], axis=1)
        return (x @ a)[None]

    s1, s1c, st, stc = sweep.sobol(evaluate, 2, 4096, seed=3)
    assert expected == pytest.approx([6.5 / (6.5 + 2 / 3), (2 / 3) / (6.5 + 2 / 3)])
    assert s1[0] == pytest.approx(expected, abs=0.03)
    assert st[0] == pytest.approx(expected, abs=0.03)
    assert (s1c[0] > 0).all() and (s1c[0] < 0.1).all() and (stc[0] < 0.1).all()


def _only_two_ranges(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The demo with every range closed (low = high = central) but tertiary prevalence at 12–17 and the FTE in
    post of NHS mental health practitioners (and no caseloads, whose counts give a CYP share a range)."""
    out = dict(frames, caseloads=frames["caseloads"].clear())
    for kind, frame in list(out.items()):
        spec = KINDS.get(kind)
        if spec is None or frame.is_empty():
            continue
        pairs = [("central", "low", "high")] if spec.estimates else []
        pairs += list(spec.ranges)
        for value, low, high in pairs:
            keep = pl.lit(False)
            if kind == "prevalence":
                keep = (pl.col("level") == "tertiary") & (pl.col("age_from") == 12)
            if kind == "workforce" and value == "fte_in_post":
                keep = (pl.col("role") == "mh_practitioner") & (pl.col("sector") == "NHS")
            frame = frame.with_columns(pl.when(keep).then(pl.col(c)).otherwise(pl.col(value)).alias(c)
                                       for c in (low, high))
        out[kind] = frame
    return out


def test_a_measure_linear_in_two_inputs_of_a_workspace(demo_workspace: Path) -> None:
    """The first year's gap of mental health practitioners is demand − supply, linear in tertiary prevalence at
    12–17 (demand) and in NHS FTE in post (supply, FTE for FTE): its Sobol indices are the closed form's, its
    swings the hand-worked ones. Catches the wrong rows moved, a range not applied, a swing of the wrong input."""
    frames = _only_two_ranges(_frames(demo_workspace))
    labels = results.labels(frames)
    dims = simulate(frames).dims
    spec = sens.Spec("gap", 0, (0,), role=dims.roles.index("mh_practitioner"))
    factors = sens.factors(frames, [AREA], labels)
    assert [f.name for f in factors] == ["tertiary prevalence at 12–17",
                                         "FTE in post of mental health practitioners (NHS)"]
    # the slope of demand in prevalence from two plain model runs (the sensitivity code not involved)
    prev = frames["prevalence"]
    row = (prev["level"] == "tertiary") & (prev["age_from"] == 12)

    def demand_at(p: float) -> float:
        changed = dict(frames, prevalence=prev.with_columns(pl.when(row).then(p).otherwise(pl.col("central"))
                                                            .alias("central")))
        return float(simulate(changed).demand[0, 0, spec.role, 0])

    slope = (demand_at(0.18) - demand_at(0.14)) / 0.04
    oat = sweep.analyse(frames, spec, [AREA], labels, "oat").table
    swings = dict(zip(oat["input"], oat["swing"], strict=True))
    assert swings["FTE in post of mental health practitioners (NHS)"] == pytest.approx(186 - 176)
    assert swings["tertiary prevalence at 12–17"] == pytest.approx(slope * 0.04)
    fte = oat.filter(pl.col("input").str.starts_with("FTE")).row(0, named=True)
    assert fte["at_low"] - fte["at_central"] == pytest.approx(182 - 176)  # fewer staff, a bigger gap
    # Sobol: gap = slope·p − f + const, p ~ triangular(0.14, 0.16, 0.18), f ~ triangular(176, 182, 186)
    parts = np.array([slope**2 * _triangular_variance(0.14, 0.16, 0.18), _triangular_variance(176, 182, 186)])
    table = sweep.analyse(frames, spec, [AREA], labels, "sobol", n=1024, seed=2).table
    got = dict(zip(table["input"], table["total_order"], strict=True))
    first = dict(zip(table["input"], table["first_order"], strict=True))
    for name, share in zip([f.name for f in factors], parts / parts.sum(), strict=True):
        assert got[name] == pytest.approx(share, abs=0.04)
        assert first[name] == pytest.approx(share, abs=0.04)


def test_given_values_at_central_are_the_central_plan(demo_workspace: Path) -> None:
    """simulate(given=…) with every factor at its central value equals the plain central run; and every column
    simulate asks for is one the sensitivity analysis knows (DRAWN). Catches a drawn column left out of the
    analysis (it would never be varied) and a given value landing on the wrong row."""
    frames = _frames(demo_workspace)
    factors = sens.factors(frames, [AREA], results.labels(frames))
    central = sens.centrals(frames)
    asked: list[tuple[str, str]] = []

    class Logged(dict):
        def __contains__(self, key: object) -> bool:
            asked.append(key)  # type: ignore[arg-type]
            return super().__contains__(key)

    levels = np.full((3, len(factors)), np.nan)
    sim = simulate(frames, 3, given=Logged(sens.given(factors, levels, central)))
    plain = simulate(frames)
    np.testing.assert_allclose(sim.demand, np.repeat(plain.demand, 3, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(sim.total_supply, np.repeat(plain.total_supply, 3, axis=-1), rtol=1e-12)
    assert set(asked) <= set(sens.DRAWN) and ("workforce", "leaver_rate") in asked


def test_demo_ranking_is_the_same_for_the_same_seed(demo_workspace: Path) -> None:
    """The demo's 2035 gap: Sobol twice with one seed gives one table; its first input is the trend in tertiary
    prevalence, as the one-at-a-time tornado's biggest swing. Catches randomness outside the seed."""
    frames = _frames(demo_workspace)
    labels = results.labels(frames)
    spec = sens.Spec("gap", 10, (0,))
    first = sweep.analyse(frames, spec, [AREA], labels, "sobol", n=32, seed=5).table
    again = sweep.analyse(frames, spec, [AREA], labels, "sobol", n=32, seed=5).table
    assert first.equals(again)
    oat = sweep.analyse(frames, spec, [AREA], labels, "oat").table
    assert first["input"][0] == oat["input"][0] == "trend in tertiary prevalence"
    assert sweep.depends_most(oat, 2035, "gap").startswith(
        "The 2035 gap depends most on: the trend in tertiary prevalence, tertiary prevalence at 18–25 and the trend")


def test_dask_local_cluster_gives_the_single_process_figures(demo_workspace: Path) -> None:
    """A 2-worker LocalCluster runs the batches as tasks: the same seed gives the same indices, to the bit.
    Catches batches lost, reordered or run on other levels."""
    frames = _frames(demo_workspace)
    labels = results.labels(frames)
    spec = sens.Spec("cost", 10, (0,))
    here = sweep.analyse(frames, spec, [AREA], labels, "sobol", n=8, seed=1, batch=128)
    there = sweep.analyse(frames, spec, [AREA], labels, "sobol", n=8, seed=1, batch=128,
                          engine=sweep.Engine(workers=2))
    assert here.runs == there.runs == 8 * (len(sens.factors(frames, [AREA], labels)) + 2)
    assert here.table.equals(there.table)


def test_cli_writes_the_tornado_table_and_says_what_drives_the_gap(demo_workspace: Path, run_cli) -> None:
    """End to end: `cyplan sensitivity --role mh_practitioner --year 2025 --out FILE.csv` writes the swings; the
    NHS practitioners' FTE in post swings the first year's gap by 186 − 176 = 10 FTE, their leaver rate by
    nothing (leavers go during the year)."""
    out = demo_workspace.parent / "drivers.csv"
    code, _, err = run_cli(["sensitivity", "-w", demo_workspace, "--role", "mh_practitioner", "--year", "2025",
                            "--out", out])
    assert code == 0, err
    table = pl.read_csv(out)
    swings = dict(zip(table["input"], table["swing"], strict=True))
    assert swings["FTE in post of mental health practitioners (NHS)"] == pytest.approx(10)
    assert swings["leaver rate of mental health practitioners (NHS)"] == pytest.approx(0, abs=1e-9)
    assert table["swing"].to_list() == sorted(table["swing"].to_list(), reverse=True)
    assert "The 2025 gap depends most on:" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--n", "100"], "--n 100: give a power of 2"),
    (["--role", "wizard"], "--role wizard: no such role"),
    (["--year", "1999"], "--year 1999: no population for that year"),
    (["--area", "E99"], "--area E99: no such area"),
    (["--area", AREA, "--all-areas"], "give one or the other"),
    (["--method", "sobol", "--scheduler", "localhost"], "--scheduler localhost: give a Dask scheduler's address"),
])
def test_bad_options_are_refused_naming_them(demo_workspace: Path, run_cli, args: list[str],
                                             message: str) -> None:
    """Exit 2, the option and what is wrong named, the workspace untouched. Catches a traceback or a silent
    default."""
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["sensitivity", "-w", demo_workspace, *args])
    assert code == 2 and message in " ".join(err.split())
    assert folder_bytes(demo_workspace) == before


@pytest.mark.parametrize(("cores", "workers", "refused"), [(2, 9, True), (2, 256, True), (3, 13, True),
                                                       (2, 8, False), (3, 12, False)])
def test_workers_past_four_a_core_are_refused_naming_the_limit(demo_workspace: Path, run_cli,
                                                               monkeypatch: pytest.MonkeyPatch, cores: int,
                                                               workers: int, refused: bool) -> None:
    """Catches --workers 256 accepted on a 2-core machine (256 processes, each with its own copy of the inputs) and
    a limit not worked from the cores (2 cores: 8, 3 cores: 12, counted by hand); exit 2 and nothing written. The
    limit itself is let through (with --method oat, which starts no cluster, so no processes are started here)."""
    monkeypatch.setattr(sweep, "cores", lambda: cores)
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["sensitivity", "-w", demo_workspace, "--workers", str(workers), "--area", AREA])
    said = " ".join(err.split())
    if refused:
        assert code == 2 and f"--workers {workers}: at most {4 * cores} on this machine (4 a core, {cores} cores)" \
            in said, said
    else:
        assert code == 0, said
    assert "Traceback" not in err
    assert folder_bytes(demo_workspace) == before


def test_workers_are_not_bounded_by_this_machine_with_a_scheduler(demo_workspace: Path, run_cli,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches --workers refused when a --scheduler is given (the cluster's workers are elsewhere; --workers is then
    not used): the bound is for processes on this machine only."""
    monkeypatch.setattr(sweep, "cores", lambda: 1)
    code, _, err = run_cli(["sensitivity", "-w", demo_workspace, "--workers", "64", "--area", AREA,
                            "--scheduler", "tcp://127.0.0.1:1"])
    assert "--workers 64" not in err and code == 0, err


@pytest.mark.parametrize("command", [["sensitivity", "--method", "sobol", "--n", "2", "--workers", "0"], ["gap"],
                                     ["supply"], ["report"]])
def test_a_negative_seed_is_refused_naming_it_not_a_traceback(demo_workspace: Path, run_cli,
                                                              command: list[str]) -> None:
    """Catches '--seed -1' reaching NumPy's generator (it did: ValueError 'expected non-negative integer' as a
    traceback from sensitivity --method sobol, gap, supply and report)."""
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli([*command, "-w", demo_workspace, "--seed", "-1"])
    said = " ".join(err.split())
    assert code == 2 and "'--seed'" in said and "greater than or equal to 0" in said, said
    assert "Traceback" not in err
    assert folder_bytes(demo_workspace) == before


def test_the_sentence_over_several_areas_rankings_says_whose_it_is() -> None:
    """Catches --all-areas' sentence giving the first area's ranking as if it were every area's (it did): B's top
    input is 'y', not A's 'x', so the sentence must name A; one area's table reads as before."""
    table = pl.DataFrame({"area": ["A", "A", "B", "B"], "input": ["x", "y", "y", "x"]})
    assert sweep.depends_most(table, 2035, "gap", top=1) == (
        "The 2035 gap of A (the first area; each area's own is in the table) depends most on: the x.")
    assert sweep.depends_most(table.filter(pl.col("area") == "B"), 2035, "gap", top=1) == (
        "The 2035 gap depends most on: the y.")


def test_role_names_read_as_people() -> None:
    """'Mental health practitioner' → 'mental health practitioners'; brackets and 'or' kept in place."""
    assert sens.plural("Mental health practitioner") == "mental health practitioners"
    assert sens.plural("Specialist therapist (family therapist)") == "specialist therapists (family therapist)"
    assert sens.plural("Administrator or clerk") == "administrators or clerks"


def _two_areas(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The demo with a second area, E10999998: a copy of Exampleshire whose NHS mental health practitioners'
    FTE in post runs from 150 to 200 rather than 176 to 186."""
    out = dict(frames)
    for kind, frame in frames.items():
        if "area" in frame.columns and not frame.is_empty():
            copy = frame.with_columns(pl.lit("E10999998").alias("area"))
            if kind == "workforce":
                nhs = (pl.col("role") == "mh_practitioner") & (pl.col("sector") == "NHS")
                copy = copy.with_columns(pl.when(nhs).then(150.0).otherwise(pl.col("fte_in_post_low"))
                                         .alias("fte_in_post_low"),
                                         pl.when(nhs).then(200.0).otherwise(pl.col("fte_in_post_high"))
                                         .alias("fte_in_post_high"))
            out[kind] = pl.concat([frame, copy])
    out["areas"] = pl.concat([frames["areas"], frames["areas"].with_columns(pl.lit("E10999998").alias("code"),
                                                                             pl.lit("Copyshire").alias("name"))])
    return out


def test_all_areas_gives_each_area_its_own_swings(demo_workspace: Path) -> None:
    """--all-areas: each area's first-year gap of mental health practitioners moves with its own census row only
    (swing 10 in Exampleshire, 200 − 150 = 50 in its copy), and the copy's other swings are Exampleshire's.
    Catches one area's row moving another's measure, the areas' measures summed, or an area run alone measured at
    another's place."""
    frames = _two_areas(_frames(demo_workspace))
    dims = simulate(frames).dims
    spec = sens.Spec("gap", 0, (0, 1), role=dims.roles.index("mh_practitioner"), per_area=True)
    table = sweep.analyse(frames, spec, list(dims.areas), results.labels(frames), "oat").table
    fte = table.filter(pl.col("input") == "FTE in post of mental health practitioners (NHS)")
    assert dict(zip(fte["area"], fte["swing"], strict=True)) == pytest.approx({AREA: 10, "E10999998": 50})
    one, two = (table.filter((pl.col("area") == a) & ~pl.col("input").str.starts_with("FTE in post of mental"))
                .sort("input") for a in (AREA, "E10999998"))
    np.testing.assert_allclose(one["swing"].to_numpy(), two["swing"].to_numpy(), rtol=1e-9, atol=1e-9)
    first = table["area"][0]  # the sentence gives the first area's ranking, and says so
    assert sweep.depends_most(table, 2025, "gap").startswith(f"The 2025 gap of {first} (the first area; each area's "
                                                             "own is in the table) depends most on:")
    # the copy alone (the second area, run without the first): the same swings as its rows above
    alone = sweep.analyse(frames, sens.Spec("gap", 0, (1,), role=spec.role), ["E10999998"], results.labels(frames),
                          "oat").table
    assert alone["input"].to_list() == table.filter(pl.col("area") == "E10999998")["input"].to_list()
    np.testing.assert_allclose(alone["swing"].to_numpy(),
                               table.filter(pl.col("area") == "E10999998")["swing"].to_numpy(), rtol=1e-9)


def test_cli_sobol_table_and_its_note(demo_workspace: Path, run_cli) -> None:
    """`--method sobol --workers 0`: first-order and total indices with their intervals, sorted by the total,
    within [0, 1] give or take their interval; the demo's correlations input is said not to be applied."""
    code, out, err = run_cli(["sensitivity", "-w", demo_workspace, "--method", "sobol", "--n", "16",
                              "--workers", "0", "--format", "json"])
    assert code == 0, err
    rows = pl.read_json(io.StringIO(out))
    assert rows.columns == ["rank", "input", "first_order", "first_order_ci", "total_order", "total_order_ci"]
    assert rows["total_order"].to_list() == sorted(rows["total_order"].to_list(), reverse=True)
    assert (rows["total_order"] - rows["total_order_ci"] <= 1).all() and (rows["total_order"] >= 0).all()
    assert "the correlations input is not applied" in " ".join(err.split())


def test_a_workspace_without_a_census_says_what_to_import(tmp_path: Path, run_cli) -> None:
    """An empty workspace: exit 1 and the import to make, as `cyplan gap` says it; nothing written."""
    Workspace.create(tmp_path / "ws").close()
    before = folder_bytes(tmp_path / "ws")
    code, _, err = run_cli(["sensitivity", "-w", tmp_path / "ws"])
    assert code == 1 and "cyplan import workforce FILE" in err
    assert folder_bytes(tmp_path / "ws") == before
