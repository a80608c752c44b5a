"""Issue 12: need without double counting (rate_basis) and dependence between uncertain inputs (a level given
net of another; rank correlations by a Gaussian copula), through the model and through `cyplan import`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import CliResult, folder_bytes, write_text
from cyplan.model.simulate import simulate
from cyplan.model.uncertainty import draw
from cyplan.schema import AGES, KINDS
from cyplan.store.workspace import DB_FILE

Run = Callable[[Sequence[str]], CliResult]
DRAWS = 4000
SEED = 7
PEOPLE = 100.0  # girls and boys at each age
HOURS = 10.0  # hours per case a year, at both levels
ROLES = ("a", "b")


def frame(kind: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    types = {"integer": pl.Int64, "number": pl.Float64, "share": pl.Float64}
    schema = {c.name: types.get(c.type, pl.String) for c in KINDS[kind].columns}
    defaults = {c.name: c.default for c in KINDS[kind].columns}
    full = [{c: r.get(c, defaults[c] if schema[c] == pl.String else None) for c in schema} for r in rows]
    return pl.DataFrame(full, schema=schema, orient="row")


def two_levels(prevalence: list[dict[str, object]], correlations: list[dict[str, object]] = ()) -> dict:
    """One area, one year, 100 girls and 100 boys at each age 0–25; levels x and y, one 10-hour step each,
    level x's hours all by role a and level y's all by role b, so each role's demand is its level's cases."""
    pop = [{"area": "T1", "year": 2025, "age": a, "sex": s, "count": PEOPLE} for a in AGES for s in ("female", "male")]
    return {
        "areas": frame("areas", [{"code": "T1", "name": "Tiny", "kind": "custom"}]),
        "population": frame("population", pop),
        "age_bands": frame("age_bands", [{"band": "all", "label": "All", "age_from": 0, "age_to": 25}]),
        "levels": frame("levels", [{"level": lv, "label": lv, "coverage": 1.0} for lv in ("x", "y")]),
        "prevalence": frame("prevalence", prevalence),
        "pathway_steps": frame("pathway_steps", [{"level": lv, "step": "see", "order": 1, "low": HOURS,
                                                  "central": HOURS, "high": HOURS} for lv in ("x", "y")]),
        "role_mix": frame("role_mix", [{"level": lv, "step": "see", "role": r, "share": 1.0}
                                       for lv, r in zip(("x", "y"), ROLES, strict=True)]),
        "roles": frame("roles", [
            {"role": r, "label": r, "staff_group": "g", "contracted_hours_per_week": 37.5,
             "working_days_per_week": 5.0, "annual_leave_days": 29.0, "public_holiday_days": 8.0,
             "sickness_days": 11.0, "training_days": 5.0, "direct_work_share": 0.6, "salary": 42_000.0,
             "on_cost_rate": 0.35} for r in ROLES]),
        "correlations": frame("correlations", list(correlations)),
    }


def rates(sim_demand: np.ndarray, productive: np.ndarray) -> np.ndarray:
    """Each level's prevalence in every draw, read back from its role's demand: FTE × productive hours ÷
    (hours per case × people). [role, draw]"""
    return sim_demand[0, 0] * productive[:, None] / (HOURS * PEOPLE * 2 * len(AGES))


def productive_hours(frames: dict) -> np.ndarray:
    from cyplan.model.build import build

    return build(frames).roles.productive_hours


# -- a level given net of another ------------------------------------------------------------------

NET = [{"level": "y", "age_from": 0, "age_to": 25, "sex": "all", "low": 0.14, "central": 0.16, "high": 0.18},
       {"level": "x", "age_from": 0, "age_to": 25, "sex": "all", "low": 0.1111, "central": 0.1667, "high": 0.2,
        "net_of": "y"}]


def test_a_level_net_of_another_adds_up_to_the_total_drawn_in_every_draw() -> None:
    """Catches the two levels drawn independently (issue 12: tertiary 18% plus targeted 4% = 22% in one
    draw): in every draw targeted (x) + tertiary (y) equals the total drawn for the row, to rounding; where a
    tertiary draw is above that total it is cut to it and targeted is 0, never negative. The draws are
    recomputed outside the simulation from the same seed (prevalence is drawn first, rows in file order)."""
    frames = two_levels(NET)
    sim = simulate(frames, draws=DRAWS, seed=SEED)
    x, y = rates(sim.demand, productive_hours(frames))
    p = frames["prevalence"]
    drawn = draw(np.random.default_rng(SEED), p["low"].to_numpy(), p["central"].to_numpy(), p["high"].to_numpy(),
                 DRAWS)  # [draw, row]: row 0 tertiary on its own, row 1 the total
    np.testing.assert_allclose(x + y, drawn[:, 1], rtol=1e-12)
    np.testing.assert_allclose(y, np.minimum(drawn[:, 0], drawn[:, 1]), rtol=1e-12)
    assert (x >= 0).all()
    cut = drawn[:, 0] > drawn[:, 1]
    assert 0 < cut.sum() < DRAWS  # the test's ranges overlap, so both cases are seen
    assert (x[cut] == 0).all()


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 5), st.just(3)), elements=st.floats(0, 1)),
       st.lists(st.integers(0, 25), min_size=2, max_size=2, unique=True))
def test_net_of_invariant_for_any_draws_and_ranges(values: np.ndarray, cuts: list[int]) -> None:
    """Catches a derived level that goes negative, or a pair that does not add up to the total, for any
    values and for a total row whose ages only partly meet the other level's rows (y given in two pieces)."""
    from cyplan.model.build import build, level_cells

    lo, hi = sorted(cuts)
    prevalence = [{"level": "y", "age_from": 0, "age_to": hi, "sex": "all", "central": 0.1},
                  {"level": "y", "age_from": hi + 1, "age_to": 25, "sex": "all", "central": 0.1},
                  {"level": "x", "age_from": lo, "age_to": hi, "sex": "all", "central": 0.2, "net_of": "y"}]
    prevalence = [r for r in prevalence if r["age_from"] <= r["age_to"]]
    frames = two_levels(prevalence)
    dims = build(frames).dims
    values = values[:, :len(prevalence)]
    cells = level_cells(frames["prevalence"], dims, values)  # [draw, level, age, sex]
    x, y = cells[:, dims.levels.index("x")], cells[:, dims.levels.index("y")]
    total, ages = values[:, -1], np.arange(len(AGES))
    covered = (ages >= lo) & (ages <= hi)
    assert (x >= 0).all() and (y >= 0).all()
    np.testing.assert_allclose((x + y)[:, covered], np.broadcast_to(total[:, None, None], x[:, covered].shape))
    assert (x[:, ~covered] == 0).all()


def test_a_level_net_of_another_at_central_values() -> None:
    """Catches the plan (no draws) and the draws reading net_of differently: 0.1667 − 0.16 = 0.0067."""
    frames = two_levels(NET)
    x, y = rates(simulate(frames, draws=0).demand, productive_hours(frames))
    assert x[0] == pytest.approx(0.0067)
    assert y[0] == pytest.approx(0.16)


# -- rank correlations -------------------------------------------------------------------------------

APART = [{"level": "x", "age_from": 0, "age_to": 25, "sex": "all", "low": 0.05, "central": 0.08, "high": 0.2},
         {"level": "y", "age_from": 0, "age_to": 25, "sex": "all", "low": 0.01, "central": 0.05, "high": 0.06}]


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def triangular_cdf(x: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Written from the textbook formula, not from cyplan's inverse."""
    left = (x - low) ** 2 / ((high - low) * (mode - low))
    right = 1 - (high - x) ** 2 / ((high - low) * (high - mode))
    return np.clip(np.where(x <= mode, left, right), 0, 1)


def ks(sample: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    s = np.sort(sample)
    f = cdf(s)
    n = len(s)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


@pytest.mark.parametrize("rho", [0.7, -0.5, 0.0])
def test_copula_gives_the_rank_correlation_asked_for_and_keeps_each_rows_distribution(rho: float) -> None:
    """Catches a Pearson r used as if it were Spearman's ρ (at 0.7 the ranks would correlate 0.683, at −0.5
    −0.483), a copula that bends the marginals (Kolmogorov–Smirnov against the analytic triangular CDF), and a
    correlation that is not applied. Tolerance: Spearman within 0.008 of ρ over 40,000 draws (its standard
    error is at most 0.005, about 0.003 at 0.7); KS distance below 1.95 / √40000 = 0.0098 (the 0.1% critical
    value). Fixed seed, so the run is the same every time."""
    tie = [{"input": "prevalence", "where": "level=x", "with_input": "prevalence", "with_where": "level=y",
            "rho": rho}]
    frames = two_levels(APART, tie)
    n = 10 * DRAWS
    x, y = rates(simulate(frames, draws=n, seed=SEED).demand, productive_hours(frames))
    assert spearman(x, y) == pytest.approx(rho, abs=0.008)
    assert ks(x, lambda v: triangular_cdf(v, 0.05, 0.08, 0.2)) < 1.95 / np.sqrt(n)
    assert ks(y, lambda v: triangular_cdf(v, 0.01, 0.05, 0.06)) < 1.95 / np.sqrt(n)


def test_correlations_leave_the_other_rows_draws_as_they_were() -> None:
    """Catches the copula taking its random numbers from the main stream, which would shift every other
    input's draws (and every result) when one correlation is added."""
    tie = [{"input": "prevalence", "where": "level=x", "with_input": "prevalence", "with_where": "level=y",
            "rho": 0.9}]
    plain = simulate(two_levels(APART), draws=200, seed=SEED)
    tied = simulate(two_levels(APART, tie), draws=200, seed=SEED)
    np.testing.assert_array_equal(plain.total_supply, tied.total_supply)
    assert not np.array_equal(plain.demand, tied.demand)


def test_pert_rows_keep_their_draws_and_take_the_copulas_ranks() -> None:
    """Catches PERT rows left uncorrelated: their own draws, reordered, with rank correlation near ρ."""
    tie = [{"input": "prevalence", "where": "level=x", "with_input": "prevalence", "with_where": "level=y",
            "rho": 0.6}]
    plain = simulate(two_levels(APART), draws=DRAWS, seed=SEED, distribution="pert")
    tied = simulate(two_levels(APART, tie), draws=DRAWS, seed=SEED, distribution="pert")
    np.testing.assert_allclose(np.sort(tied.demand[0, 0, 0]), np.sort(plain.demand[0, 0, 0]), rtol=1e-12)
    assert spearman(tied.demand[0, 0, 0], tied.demand[0, 0, 1]) == pytest.approx(0.6, abs=0.04)


# -- cyplan import: located errors, the workspace unchanged ------------------------------------------

HEADER = "input,where,column,with_input,with_where,with_column,rho\n"


def refused(run: Run, ws: Path, file: Path, kind: str = "correlations") -> list[str]:
    before = folder_bytes(ws)
    code, out, err = run(["import", kind, file, "-w", ws])
    assert code == 2, (out, err)
    after = folder_bytes(ws)
    assert sorted(after) == [DB_FILE] and after == before
    return [line[2:] for line in err.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize(("rows", "expected"), [
    ("prevalence,level=tertiary;age_from=12,,prevalence,level=targeted;age_from=12,,1.5\n",
     "row 2, column 'rho': rho 1.5 is above 1"),
    ("prevalence,level=tertiary,,prevalence,level=targeted;age_from=12,,0.5\n",
     "row 2, column 'where': prevalence row 'level=tertiary': picks out 3 rows of prevalence; it must pick out "
     "exactly one (add 'column=value' pairs, separated by ';')"),
    ("prevalence,level=universal;age_from=0,,prevalence,level=targeted;age_from=12,,0.5\n",
     "row 2, column 'where': prevalence row 'level=universal;age_from=0': picks out 0 rows of prevalence; it must "
     "pick out exactly one (add 'column=value' pairs, separated by ';')"),
    ("workforce,role=psychiatrist;sector=NHS,salary,prevalence,level=targeted;age_from=12,,0.5\n",
     "row 2, column 'column': 'salary' is not a drawn value of workforce: use leaver_rate or joiners_per_year"),
    ("prevalence,level tertiary,,prevalence,level=targeted;age_from=12,,0.5\n",
     "row 2, column 'where': 'level tertiary' is not 'column=value'"),
    ("prevalence,level=targeted;age_from=12,,prevalence,level=targeted;age_from=12,,0.5\n",
     "row 2, column 'with_where': prevalence row 'level=targeted;age_from=12' is tied to itself: name two "
     "different rows"),
])
def test_bad_correlations_are_refused_with_the_row_and_column(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                                                rows: str, expected: str) -> None:
    """Catches a bad correlation accepted (and then failing, or silently ignored, in the draws)."""
    file = write_text(tmp_path / "corr.csv", HEADER + rows)
    assert f"{file}, {expected}" in refused(run_cli, demo_workspace, file)


def test_correlations_that_cannot_all_hold_are_refused(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches a matrix that is not positive semi-definite accepted: three rows each at −0.9 with the others
    (if a and b move against each other, and a and c, then b and c move together). The message names the three
    rows that clash, not the harmless fourth (a tie between two other rows), so the user knows where to look."""
    refs = ["level=tertiary;age_from=0", "level=tertiary;age_from=12", "level=tertiary;age_from=18"]
    rows = "".join(f"prevalence,{a},,prevalence,{b},,-0.9\n" for a, b in ((refs[0], refs[1]), (refs[0], refs[2]),
                                                                           (refs[1], refs[2])))
    rows += "prevalence,level=targeted;age_from=0,,prevalence,level=targeted;age_from=12,,0.3\n"
    file = write_text(tmp_path / "corr.csv", HEADER + rows)
    lines = refused(run_cli, demo_workspace, file)
    assert any(line.startswith(f"{file}, row 2, column 'rho': the correlations on rows 2, 3 and 4 cannot all hold "
                               "at once") for line in lines), lines


def test_dropping_a_correlated_row_is_refused_on_the_file_that_drops_it(run_cli: Run, demo_workspace: Path,
                                                                        tmp_path: Path) -> None:
    """Catches a prevalence import that leaves a correlation naming a row that no longer exists."""
    ws = demo_workspace
    file = write_text(tmp_path / "corr.csv", HEADER + "prevalence,level=tertiary;age_from=12,,prevalence,"
                      "level=targeted;age_from=12,,0.5\n")
    code, out, err = run_cli(["import", "correlations", file, "-w", ws])
    assert code == 0, (out, err)
    prevalence = write_text(tmp_path / "prevalence.csv", "level,age_from,age_to,sex,central\n"
                            "tertiary,0,25,all,0.1\ntargeted,0,25,all,0.1\n")
    lines = refused(run_cli, ws, prevalence, "prevalence")
    # both ends of the correlation are gone: one group of two, each named in the --problems file
    assert any(line.startswith(f"{prevalence}: 2 problems: the correlations in the workspace name prevalence row "
                               "'level=t") for line in lines), lines
    listed = tmp_path / "problems.csv"
    assert run_cli(["import", "prevalence", prevalence, "-w", ws, "--problems", listed])[0] == 2
    messages = pl.read_csv(listed)["message"].to_list()
    assert [m.split("'")[1] for m in sorted(messages)] == ["level=targeted;age_from=12", "level=tertiary;age_from=12"]
    assert all(m.startswith("the correlations in the workspace name prevalence row") for m in messages)


# -- prevalence: rate_basis and net_of checked at import ---------------------------------------------

PREVALENCE = "level,age_from,age_to,sex,central,rate_basis,net_of\n"


@pytest.mark.parametrize(("rows", "expected"), [
    ("tertiary,0,25,all,0.1,population_average,\ntargeted,0,11,all,0.1,outside_groups,\n",
     "row 3, column 'rate_basis': ages 0 to 11 (female) have rate_basis 'population_average' for level "
     "'tertiary' on row 2: every level's rate at an age and sex must have the same basis, because a group's "
     "cases across levels are capped together"),
    ("tertiary,0,25,all,0.1,,\ntargeted,0,25,all,0.2,,targeted\n",
     "row 3, column 'net_of': a level cannot be given net of itself"),
    ("tertiary,0,11,all,0.1,,\ntargeted,0,25,all,0.2,,tertiary\n",
     "row 3, column 'net_of': level 'tertiary' has no prevalence row for ages 12 to 25 (female): give its "
     "share there, so that this level is the total less it"),
    ("tertiary,0,25,all,0.3,,targeted\ntargeted,0,25,all,0.2,,tertiary\n",
     # both rows (2 and 3) are net of a derived level: one group, the first row's message shown
     "column 'net_of': 2 rows: level 'targeted' is itself given net of another level: give it as its own "
     "share, or give this level net of the level that one is net of (and 1 other value like it)"),
    ("tertiary,0,25,all,0.1,,\ntargeted,0,15,all,0.2,,tertiary\ntargeted,16,25,all,0.05,,tertiary\n",
     "row 4, column 'central': the total 0.05 is below the 0.1 of level 'tertiary' at ages 16 to 25 (female), so "
     "this level would have no cases there: a total given net of a level must be at least that level"),
    ("tertiary,0,25,all,0.1,average,\n", "row 2, column 'rate_basis': 'average' is not one of: "
     "population_average, outside_groups"),
])
def test_bad_rate_basis_or_net_of_is_refused(run_cli: Run, demo_workspace: Path, tmp_path: Path, rows: str,
                                            expected: str) -> None:
    """Catches a prevalence file the model would read wrongly accepted: a cap over levels mixing the two kinds
    of rate, a level net of itself, of a level with no share at some ages, or of a level itself derived, or a
    total below the level it is net of (the model cut the level to no cases without a word)."""
    file = write_text(tmp_path / "prevalence.csv", PREVALENCE + rows)
    lines = refused(run_cli, demo_workspace, file, "prevalence")
    assert f"{file}, {expected}" in lines, lines


def test_a_blank_rate_basis_is_a_population_average_end_to_end(run_cli: Run, demo_workspace: Path,
                                                               tmp_path: Path) -> None:
    """Catches the default read as a rate outside the groups (the double count): with the demo's groups, a
    blank rate_basis gives cases = population × rate (250,002 × 10%), and outside_groups gives more."""
    blank = write_text(tmp_path / "prevalence.csv", PREVALENCE + "tertiary,0,25,all,0.1,,\n")
    assert run_cli(["import", "prevalence", blank, "-w", demo_workspace])[0] == 0
    code, out, err = run_cli(["need", "-w", demo_workspace, "--year", "2025", "--format", "csv"])
    assert code == 0, err
    row = next(iter(pl.read_csv(out.encode()).iter_rows(named=True)))
    assert row["cases"] == pytest.approx(25_000.2)
    assert row["group_uplift"] > 0
    outside = write_text(tmp_path / "outside.csv", PREVALENCE + "tertiary,0,25,all,0.1,outside_groups,\n")
    assert run_cli(["import", "prevalence", outside, "-w", demo_workspace])[0] == 0
    code, out, err = run_cli(["need", "-w", demo_workspace, "--year", "2025", "--format", "csv"])
    again = next(iter(pl.read_csv(out.encode()).iter_rows(named=True)))
    assert again["cases"] == pytest.approx(25_000.2 + again["group_uplift"])


def test_upgrading_a_workspace_keeps_its_prevalence_as_rates_outside_the_groups(tmp_path: Path) -> None:
    """Catches an upgrade that silently changes an existing workspace's figures: its prevalence rows were
    imported when every rate had the groups' uplift added, so the migration marks them outside_groups."""
    import sqlalchemy as sa
    from alembic import command

    from cyplan.store.workspace import Workspace, _alembic_config, _heads

    (tmp_path / "w").mkdir()  # a workspace from before issue 12's migration: cyplan's first tables only
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'w' / 'cyplan.db'}")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(sa.text("INSERT INTO levels (level, label, coverage) VALUES ('t', 'T', 1)"))
        conn.execute(sa.text("INSERT INTO prevalence (level, age_from, age_to, sex, central) "
                             "VALUES ('t', 0, 25, 'all', 0.1)"))
    engine.dispose()
    ws = Workspace.open(tmp_path / "w")
    try:
        assert ws.revisions() == _heads()
        assert ws.read("prevalence")["rate_basis"].to_list() == ["outside_groups"]
    finally:
        ws.close()


def test_a_scenario_that_breaks_the_correlations_is_refused() -> None:
    """Catches a scenario setting rho so that the correlations cannot all hold, which the copula would
    otherwise quietly bend (its negative eigenvalues cut to 0), refused without naming the scenario or beside the
    wrong field; and one that makes the matrix singular but still valid (rho 1: smallest eigenvalue 0) refused."""
    from cyplan.model.scenarios import ScenarioError, apply

    refs = ["level=x", "level=y"]
    tie = [{"input": "prevalence", "where": refs[0], "with_input": "prevalence", "with_where": refs[1], "rho": 0.5},
           {"input": "prevalence_trends", "where": "level=x", "with_input": "prevalence", "with_where": refs[0],
            "rho": 0.9},
           {"input": "prevalence_trends", "where": "level=x", "with_input": "prevalence", "with_where": refs[1],
            "rho": 0.9}]
    frames = two_levels(APART, tie)
    change = frame("scenarios", [{"scenario": "s", "input": "correlations", "column": "rho",
                                  "where": "with_input=prevalence;with_where=level=y;input=prevalence",
                                  "operation": "set", "value": -0.9}])
    with pytest.raises(ScenarioError) as refused:
        apply(frames, change, "s")
    assert str(refused.value).startswith("scenario 's', change to correlations.rho: the correlations can no longer "
                                         "all hold at once (as a matrix they are not positive semi-definite: its "
                                         "smallest eigenvalue is -")
    assert refused.value.field == "value"  # the web form shows the message beside the change's value
    change = change.with_columns(pl.lit(0.8).alias("value"))
    assert apply(frames, change, "s")["correlations"]["rho"].to_list() == [0.8, 0.9, 0.9]
    # rho 1 makes two rows of the matrix equal: its smallest eigenvalue is 0 (to rounding), a matrix that can hold
    change = change.with_columns(pl.lit(1.0).alias("value"))
    assert apply(frames, change, "s")["correlations"]["rho"].to_list() == [1.0, 0.9, 0.9]
