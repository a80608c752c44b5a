"""Properties, checked on generated data: the parsers, the model's invariants, and that import →
export → import is the identity."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cyplan.io.problems import Problem
from cyplan.io.read import ROW, RawTable, read_table
from cyplan.io.validate import validate
from cyplan.io.write import plain_numbers, write_csv, write_xlsx
from cyplan.model.demand import RoleTime, demand, hours_per_case
from cyplan.model.need import need
from cyplan.schema import AREA_KINDS, KINDS, SEXES
from cyplan.schema.planning import RATE_BASES
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, export_inputs, import_inputs, sources_in

FAST = settings(max_examples=40, deadline=None)
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])

# -- (a) parsers ----------------------------------------------------------------------------------


def parse(kind: str, column: str, texts: list[str]) -> tuple[pl.DataFrame, list[Problem]]:
    """Validate rows made of the schema's examples, with `column` set to each of `texts`."""
    spec = KINDS[kind]
    n = len(texts)
    cells = {c.name: texts if c.name == column else [c.example] * n for c in spec.columns}
    key = spec.column(spec.key[0])
    if key.name != column:  # keep the rows' keys apart
        cells[key.name] = [f"E{i:08d}" if key.type == "code" else f"{key.example}{i}" for i in range(n)]
    frame = pl.DataFrame({**cells, ROW: list(range(2, n + 2))},
                         schema={**{c: pl.String for c in cells}, ROW: pl.Int64})
    return validate(RawTable("t.csv", None, tuple(cells), frame, 1), spec)


@FAST
@given(st.integers(0, 10**8 - 1), st.none() | st.integers(0, 10**6))  # a count is at most 100,000,000
def test_numbers_with_thousands_separators(n: int, fraction: int | None) -> None:
    text = f"{n:,}" + (f".{fraction}" if fraction is not None else "")
    frame, problems = parse("population", "count", [text])
    assert problems == []
    assert frame["count"][0] == float(text.replace(",", ""))


@FAST
@given(st.integers(1990, 2100))  # the integer column with values of 1,000 or more
def test_whole_numbers_with_thousands_separators(n: int) -> None:
    frame, problems = parse("population", "year", [f"{n:,}"])
    assert problems == []
    assert frame["year"][0] == n


@FAST
@given(st.floats(0, 100, allow_nan=False) | st.integers(0, 100), st.sampled_from(["", " "]))
def test_percent_is_a_hundredth(x: float, space: str) -> None:
    frame, problems = parse("levels", "coverage", [f"{x!r}{space}%"])
    assert problems == []
    assert frame["coverage"][0] == x / 100


@FAST
@given(st.floats(0, 1e8, allow_nan=False) | st.floats(0, 1e-300))  # a count is at most 100,000,000
def test_written_numbers_read_back_exactly(x: float) -> None:
    text = plain_numbers(pl.DataFrame({"count": [x]}))["count"][0]
    frame, problems = parse("population", "count", [text])
    assert problems == []
    assert frame["count"][0] == x


TEXT_CHARS = st.characters(categories=("L", "N", "P", "S", "Zs"))
TEXT = st.text(TEXT_CHARS | st.sampled_from(["\n", ",", '"', "=", " "]), min_size=1, max_size=15).filter(
    lambda s: s == s.strip())


@SLOW
@given(st.lists(TEXT | st.text(TEXT_CHARS | st.sampled_from("\r\n"), min_size=1).filter(lambda s: s == s.strip()),
                min_size=1, max_size=5))
def test_text_round_trips_through_csv(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "levels.csv"
        labels = pl.DataFrame({"level": [f"l{i}" for i in range(len(texts))], "label": texts, "coverage": 1.0})
        write_csv(labels, path)
        frame, problems = validate(read_table(path), KINDS["levels"])
    assert problems == []
    assert frame["label"].to_list() == texts


@SLOW
@given(st.lists(TEXT, min_size=1, max_size=5))
def test_text_round_trips_through_excel(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "levels.xlsx"
        labels = pl.DataFrame({"level": [f"l{i}" for i in range(len(texts))], "label": texts, "coverage": 1.0})
        write_xlsx({"levels": labels}, path)
        frame, problems = validate(read_table(path), KINDS["levels"])
    assert problems == []
    assert frame["label"].to_list() == texts


@st.composite
def spelt(draw: st.DrawFn, word: str) -> str:
    """The word in any mix of upper and lower case, with spaces or tabs around it."""
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    pad = st.text(st.sampled_from(" \t"), max_size=3)
    return draw(pad) + "".join(c.swapcase() if f else c for c, f in zip(word, flips, strict=True)) + draw(pad)


@FAST
@given(st.data())
def test_enums_ignore_case_and_surrounding_spaces(data: st.DataObject) -> None:
    kinds = data.draw(st.lists(st.sampled_from(AREA_KINDS), min_size=1, max_size=4))
    texts = [data.draw(spelt(k)) for k in kinds]
    frame, problems = parse("areas", "kind", texts)
    assert problems == []
    assert frame["kind"].to_list() == kinds


# -- (b) the model --------------------------------------------------------------------------------

# need.py computes 1 / total for every cell and keeps it only where total > 1; with tiny prevalences
# and relative risks the unused quotients overflow, which numpy reports (harmlessly) as a warning
OVERFLOW = pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")


@st.composite
def model_inputs(draw: st.DrawFn, rr_one: bool = False) -> dict[str, np.ndarray]:
    """Small arrays for need and demand: groups together no larger than the population, and
    prevalences that sum to less than 1 across levels (as shares of one population do)."""
    n_area, n_year, n_age, n_level, n_group, n_role, n_step = (draw(st.integers(1, hi)) for hi in (2, 2, 3, 3, 2, 3, 4))
    share = st.floats(0, 1, allow_subnormal=False)
    population = draw(arrays(float, (n_area, n_year, n_age, 2), elements=st.floats(0, 1e6, allow_subnormal=False)))
    weights = draw(arrays(float, (n_level, n_age, 2), elements=share))
    total = max(weights.sum(axis=0).max(), 1.0)
    # [year, level, age, sex]: each year its own share of the same weights (as a trend would make them)
    prevalence = weights[None] / total * draw(arrays(float, (n_year, 1, 1, 1), elements=st.floats(0, 0.99)))
    fractions = draw(arrays(float, (n_area, n_year, n_group, n_age, 2), elements=share))
    fractions = fractions / np.maximum(fractions.sum(axis=2, keepdims=True), 1.0)
    group_size = np.moveaxis(population[..., None], -1, 2) * fractions
    relative_risk = (np.ones((n_group, n_level)) if rr_one
                     else draw(arrays(float, (n_group, n_level), elements=st.floats(0, 20, allow_subnormal=False))))
    ranges = {"hours_per_week": (1, 80), "days_per_week": (1, 7), "annual_leave": (0, 40), "public_holidays": (0, 10),
              "sickness": (0, 30), "training": (0, 10), "direct_share": (0.05, 1), "salary": (0, 2e5),
              "on_cost": (0, 1)}
    roles = RoleTime(**{name: draw(arrays(float, n_role, elements=st.floats(lo, hi, allow_subnormal=False)))
                        for name, (lo, hi) in ranges.items()})
    mix = draw(arrays(float, (n_step, n_role), elements=share))
    return dict(population=population, prevalence=prevalence, group_size=group_size, relative_risk=relative_risk,
                coverage=draw(arrays(float, n_level, elements=share)),
                step_level=draw(arrays(np.int64, n_step, elements=st.integers(0, n_level - 1))),
                step_hours=draw(arrays(float, n_step, elements=st.floats(0, 100, allow_subnormal=False))),
                mix=mix, roles=roles)


def fte(m: dict[str, np.ndarray], k: float = 1.0) -> np.ndarray:
    cases = need(m["population"] * k, m["prevalence"], m["group_size"] * k, m["relative_risk"]).cases
    per_case = hours_per_case(m["step_level"], m["step_hours"], m["mix"], m["prevalence"].shape[1])
    return demand(cases, m["coverage"], per_case, m["roles"]).fte


@OVERFLOW
@FAST
@given(model_inputs(), st.floats(0.001, 1000) | st.integers(0, 1000))
def test_fte_scales_linearly_with_population(m: dict[str, np.ndarray], k: float) -> None:
    # the vulnerable groups are people too: they grow with the population
    base = fte(m)
    assert np.all(np.isfinite(base))
    # absolute slack relative to the largest FTE: a cell that should be 0 may carry rounding noise from its neighbours
    np.testing.assert_allclose(fte(m, k), base * k, rtol=1e-9, atol=1e-8 * k * max(float(np.abs(base).max()), 1e-300))


@OVERFLOW
@FAST
@given(model_inputs())
def test_group_cases_never_exceed_the_group(m: dict[str, np.ndarray]) -> None:
    result = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"])
    n = np.moveaxis(m["group_size"], 2, -1)[..., None, :]  # [area, year, age, sex, 1, group]
    p = np.moveaxis(m["prevalence"], 1, -1)[None, ..., None]  # [1, year, age, sex, level, 1]
    in_group = n * p + result.uplift  # cases in the group at each level
    slack = 1e-9 * (n + 1e-300)
    assert np.all(result.uplift <= n + slack)
    assert np.all(result.uplift.sum(axis=-2, keepdims=True) <= n + slack)
    assert np.all(in_group.sum(axis=-2, keepdims=True) <= n + slack)
    assert np.all(in_group >= -slack)


@OVERFLOW
@FAST
@given(model_inputs(rr_one=True))
def test_no_uplift_when_relative_risk_is_1(m: dict[str, np.ndarray]) -> None:
    result = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"])
    assert np.all(result.uplift == 0)
    np.testing.assert_array_equal(result.cases, result.base)


@OVERFLOW
@FAST
@given(model_inputs())
def test_cases_are_never_negative(m: dict[str, np.ndarray]) -> None:
    # for any relative risks from 0 up, given groups that together fit in the population (model_inputs)
    result = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"])
    assert np.all(result.cases >= -1e-9 * (m["population"].max() + 1))
    assert np.all(result.base >= 0)


def split_by_hand(pop: float, n: list[float], p: list[float], rr: list[list[float]]) -> tuple[list[list[float]],
                                                                                             list[float]]:
    """One age and sex's cases, worked cell by cell as docs/method.md words it (not with need.py's arrays):
    each group's cases at each level, and the cases of the children outside the groups."""
    f = [x / pop if pop > 0 else 0.0 for x in n]
    p0 = [pl_ / d if (d := 1 + sum(fg * (r[lv] - 1) for fg, r in zip(f, rr, strict=True))) > 0 else 0.0
          for lv, pl_ in enumerate(p)]
    group = []
    for ng, r in zip(n, rr, strict=True):
        wanted = [p0[lv] * r[lv] for lv in range(len(p))]
        cap = 1 / sum(wanted) if sum(wanted) > 1 else 1.0  # at most one case a child, over the levels
        group.append([ng * w * cap for w in wanted])
    outside = [pop * p[lv] - sum(g[lv] for g in group) for lv in range(len(p))]
    return group, outside


@OVERFLOW
@FAST
@given(model_inputs())
def test_population_average_total_is_population_times_published_rate(m: dict[str, np.ndarray]) -> None:
    """Catches the double count of issue 12 (the groups' uplift added to a survey's rate) and a cap that loses
    cases: with population averages the cases are population × published rate exactly, whatever the groups; the
    groups' excess is what the hand-worked split gives; no group has more cases than children; and the children
    outside the groups never fall below p₀ (the cases the cap removes from a group go to them)."""
    average = np.ones(m["prevalence"].shape[1:], dtype=bool)
    result = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"], average)
    np.testing.assert_array_equal(result.cases, m["population"][..., None] * np.moveaxis(m["prevalence"], 1, -1))
    pop, gs, prev, rr = m["population"], m["group_size"], m["prevalence"], m["relative_risk"]
    for a, y, age, sex in np.ndindex(pop.shape):
        n = list(gs[a, y, :, age, sex])
        p = list(prev[y, :, age, sex])
        group, outside = split_by_hand(pop[a, y, age, sex], n, p, rr.tolist())
        scale = 1e-9 * max(pop[a, y, age, sex], 1.0)
        for g, ng in enumerate(n):
            excess = [group[g][lv] - ng * p[lv] for lv in range(len(p))]
            np.testing.assert_allclose(result.uplift[a, y, age, sex, :, g], excess, rtol=1e-9, atol=scale)
            assert sum(group[g]) <= ng + scale
        for lv in range(len(p)):
            d = 1 + sum((ng / pop[a, y, age, sex] if pop[a, y, age, sex] else 0) * (rr[g][lv] - 1)
                        for g, ng in enumerate(n))
            p0 = p[lv] / d if d > 0 else 0.0
            # the children outside the groups have at least (N − Σ n) × p₀ = N × p − Σ n × p₀ × rr (written so,
            # as the other form loses every digit when the groups hold almost every child)
            uncapped = sum(ng * p0 * rr[g][lv] for g, ng in enumerate(n))
            assert outside[lv] >= pop[a, y, age, sex] * p[lv] - uncapped - 1e-9 * max(scale, uncapped)


@OVERFLOW
@FAST
@given(model_inputs())
def test_outside_groups_keeps_the_old_uplift(m: dict[str, np.ndarray]) -> None:
    """Catches rate_basis outside_groups drifting from the formula it had before issue 12: the same uplift
    and cases as need() with no basis given, bit for bit."""
    old = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"])
    outside = need(m["population"], m["prevalence"], m["group_size"], m["relative_risk"],
                   np.zeros(m["prevalence"].shape[1:], dtype=bool))
    np.testing.assert_array_equal(outside.uplift, old.uplift)
    np.testing.assert_array_equal(outside.cases, old.cases)


# -- (c) import → export → import ----------------------------------------------------------------

NAME = st.text(st.characters(categories=("L", "N")) | st.sampled_from("_- .,'\"="), min_size=1, max_size=10).filter(
    lambda s: s == s.strip())
LABEL = NAME | st.text(TEXT_CHARS | st.just("\n"), min_size=1, max_size=20).filter(lambda s: s == s.strip())
SOURCE = st.just("") | LABEL
SHARE = st.floats(0, 1) | st.integers(0, 100).map(lambda x: x / 100)
COUNT = st.floats(0, 1e7) | st.integers(0, 10**7).map(float)  # within the bounds of a count and of a salary


@st.composite
def estimates(draw: st.DrawFn, values: st.SearchStrategy[float]) -> dict[str, float]:
    low, central, high = sorted(draw(st.lists(values, min_size=3, max_size=3)))
    return {"low": low, "central": central, "high": high}


def age_ranges(draw: st.DrawFn) -> list[tuple[int, int]]:
    cuts = sorted(draw(st.sets(st.integers(1, 25), max_size=4)))
    starts = [0, *cuts]
    return list(zip(starts, [*(c - 1 for c in cuts), 25], strict=True))


@st.composite
def workspace_inputs(draw: st.DrawFn) -> dict[str, pl.DataFrame]:
    """Valid, random inputs for several kinds that refer to one another."""
    numbers = draw(st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=3, unique=True))
    codes = [draw(st.sampled_from("EKNSW")) + f"{n:08d}" for n in numbers]
    areas = [{"code": c, "name": draw(LABEL), "kind": draw(st.sampled_from(AREA_KINDS[:-1])),
              "parent": None if i == 0 else draw(st.sampled_from([None, codes[0].lower()])), "source": draw(SOURCE)}
             for i, c in enumerate(codes)]
    years = draw(st.sets(st.integers(1990, 2100), min_size=1, max_size=2))
    ages = draw(st.sets(st.integers(0, 25), min_size=1, max_size=3))
    population = [{"area": draw(st.sampled_from([a, a.lower()])), "year": y, "age": age, "sex": s,
                   "count": draw(COUNT), "source": draw(SOURCE)}
                  for a in codes for y in sorted(years) for age in sorted(ages) for s in SEXES]
    level_names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    levels = [{"level": lv, "label": draw(LABEL), "coverage": draw(SHARE), "non_pay_per_case": draw(COUNT),
               "source": draw(SOURCE)} for lv in level_names]
    prevalence = []
    basis = draw(st.sampled_from(RATE_BASES))  # one for every row: an age and sex's levels share a basis
    for lv in level_names:
        for lo, hi in age_ranges(draw):
            for sex in (["all"] if draw(st.booleans()) else list(SEXES)):
                prevalence.append({"level": lv, "age_from": lo, "age_to": hi, "sex": sex,
                                   **draw(estimates(SHARE)), "rate_basis": basis, "net_of": "",
                                   "source": draw(SOURCE)})
    role_names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    roles = [{"role": r, "label": draw(LABEL), "staff_group": draw(LABEL),
              # and gives at least an hour of direct work a year: at worst 4 days × 10 hours × 0.1
              "contracted_hours_per_week": draw(st.floats(10, 80)),
              # a valid role keeps some working days: at most 4 × 12 = 48 days off in 52 × (1 to 7) possible
              "working_days_per_week": draw(st.floats(1, 7)),
              **{c: draw(st.floats(0, 12)) for c in ("annual_leave_days", "public_holiday_days", "sickness_days",
                                                     "training_days")},
              "direct_work_share": draw(st.floats(0.1, 1)), "salary": draw(COUNT),
              "on_cost_rate": draw(SHARE), "non_pay_rate": draw(SHARE), "non_pay_per_fte": draw(COUNT),
              "overhead_rate": draw(SHARE), "source": draw(SOURCE)} for r in role_names]
    for r in roles:  # the ranges of issue 12 part 4, low ≤ value ≤ high and still at least 0.1 and 12 days at most
        share, sick = r["direct_work_share"], r["sickness_days"]
        r.update(direct_work_share_low=draw(st.floats(0.1, share)), direct_work_share_high=draw(st.floats(share, 1)),
                 sickness_days_low=draw(st.floats(0, sick)), sickness_days_high=draw(st.floats(sick, 12)))
    steps, role_mix = [], []
    for lv in level_names:
        names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
        orders = draw(st.lists(st.integers(1, 99), min_size=len(names), max_size=len(names), unique=True))
        for step, order in zip(names, orders, strict=True):
            steps.append({"level": lv, "step": step, "order": order, "profile": "",
                          **draw(estimates(st.floats(0, 1e4))), "source": draw(SOURCE)})
            who = draw(st.lists(st.sampled_from(role_names), min_size=1, max_size=len(role_names), unique=True))
            cuts = sorted(draw(st.lists(st.integers(0, 1000), min_size=len(who) - 1, max_size=len(who) - 1)))
            parts = [b - a for a, b in zip([0, *cuts], [*cuts, 1000], strict=True)]  # sums to exactly 1000
            role_mix += [{"level": lv, "step": step, "role": r, "share": k / 1000, "source": draw(SOURCE)}
                         for r, k in zip(who, parts, strict=True)]
    rows = {"areas": areas, "population": population, "levels": levels, "prevalence": prevalence, "roles": roles,
            "pathway_steps": steps, "role_mix": role_mix}
    return {kind: typed(kind, r) for kind, r in rows.items()}


def as_imported(inputs: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """What the workspace holds after importing the inputs: codes in upper case, a blank code as null."""
    return {kind: frame.with_columns(pl.col(c.name).str.to_uppercase() for c in KINDS[kind].columns if c.type == "code")
            for kind, frame in inputs.items()}


def typed(kind: str, rows: list[dict[str, object]]) -> pl.DataFrame:
    types = {"integer": pl.Int64, "number": pl.Float64, "share": pl.Float64}
    schema = {c.name: types.get(c.type, pl.String) for c in KINDS[kind].columns}
    return pl.DataFrame(rows, schema=schema, orient="row")


def by_key(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    return frame.sort(list(KINDS[kind].key))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("round-trip")


def round_trip(scratch: Path, new_workspace: Callable[[Path], Workspace], inputs: dict[str, pl.DataFrame],
               suffix: str) -> None:
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        here = Path(folder)
        kinds = list(inputs)
        # the user's files → workspace A
        if suffix == ".csv":
            (here / "in").mkdir()
            for kind, frame in inputs.items():
                write_csv(frame, here / "in" / f"{kind}.csv")
            given_files = here / "in"
        else:
            given_files = here / "in.xlsx"
            write_xlsx(inputs, given_files)
        first = new_workspace(here / "a")  # empty, as Workspace.create makes it (copied: tests/shared_demo.py)
        second = new_workspace(here / "b")
        try:
            import_inputs(first, sources_in(given_files))
            imported = {k: first.read(k) for k in kinds}
            expected = as_imported(inputs)
            for kind in kinds:
                assert by_key(imported[kind], kind).equals(by_key(expected[kind], kind)), kind
            # workspace A → exported files → workspace B
            exported = here / ("out" if suffix == ".csv" else "out.xlsx")
            export_inputs(first, kinds, exported)
            for src in sources_in(exported):
                _, problems = validate(read_table(src.path, src.sheet, default_sheet=src.kind), KINDS[src.kind])
                assert problems == [], problems
            import_inputs(second, sources_in(exported))
            for kind in kinds:
                assert second.read(kind).equals(imported[kind]), kind
            # and out again: the same file
            if suffix == ".csv":
                export_inputs(second, kinds, here / "again")
                for kind in kinds:
                    assert (here / "again" / f"{kind}.csv").read_bytes() == (exported / f"{kind}.csv").read_bytes()
        finally:
            first.close()
            second.close()


@SLOW
@given(workspace_inputs())
def test_import_export_import_csv(scratch: Path, new_workspace: Callable[[Path], Workspace],
                                  inputs: dict[str, pl.DataFrame]) -> None:
    round_trip(scratch, new_workspace, inputs, ".csv")


@settings(SLOW, max_examples=6)
@given(workspace_inputs())
def test_import_export_import_xlsx(scratch: Path, new_workspace: Callable[[Path], Workspace],
                                   inputs: dict[str, pl.DataFrame]) -> None:
    round_trip(scratch, new_workspace, inputs, ".xlsx")


def test_import_export_import_of_the_demo(demo_workspace: Path, tmp_path: Path) -> None:
    ws = Workspace.open(demo_workspace)
    fresh = Workspace.create(tmp_path / "fresh")
    try:
        before = ws.read_all()
        export_inputs(ws, list(KINDS), tmp_path / "all.xlsx")
        export_inputs(ws, ["population"], tmp_path / "population.csv")
        import_inputs(fresh, sources_in(tmp_path / "all.xlsx"))
        import_inputs(fresh, [Source("population", tmp_path / "population.csv")])
        after = fresh.read_all()
    finally:
        ws.close()
        fresh.close()
    for kind in KINDS:
        assert after[kind].equals(before[kind]), kind
