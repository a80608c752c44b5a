"""The documentation and the examples agree with the code.

- docs/data-formats.md names every input kind, in the schema's order, and every column of each;
- examples/inputs/ has one file per kind, each with exactly the schema's columns;
- the examples import cleanly into a fresh workspace, from the folder and from the workbook, and give
  the need, FTE and cost worked out by hand in examples/README.md;
- the worked numbers in docs/method.md are what the model's code computes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cyplan import reference
from cyplan.io.read import ROW, read_table
from cyplan.io.validate import validate
from cyplan.model.build import Arrays, build
from cyplan.model.demand import RoleTime, demand, hours_per_case
from cyplan.model.need import base_cases
from cyplan.model.plan import demand_table, need_table, run
from cyplan.schema import KINDS
from cyplan.schema.areas import AREAS_KINDS
from cyplan.schema.backtest import BACKTEST_KINDS
from cyplan.schema.evidence import EVIDENCE_KINDS
from cyplan.schema.planning import PLANNING_KINDS
from cyplan.schema.report import REPORT_KINDS
from cyplan.schema.returns import RETURNS_KINDS
from cyplan.schema.services import SERVICE_KINDS
from cyplan.schema.skills import SKILLS_KINDS
from cyplan.schema.supply import SUPPLY_KINDS
from cyplan.store.workspace import URL_ENV, Workspace
from cyplan.transfer import Source, import_inputs, sources_in

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
INPUTS = EXAMPLES / "inputs"
WORKBOOK = EXAMPLES / "inputs.xlsx"
# inputs whose example needs many areas, where Smalltown is one: a folder of its own, with its own areas
NEIGHBOURS = EXAMPLES / "neighbours"
OWN_FOLDER = {kind.name: NEIGHBOURS for kind in AREAS_KINDS}
SMALLTOWN_KINDS = [k for k in KINDS if k not in OWN_FOLDER]


def example_file(kind: str) -> Path:
    return OWN_FOLDER.get(kind, INPUTS) / f"{kind}.csv"

# Worked by hand in examples/README.md (Smalltown, 2025, central estimates).
EXPECTED_CASES = {"tertiary": 412.0, "targeted": 528.4, "therapy": 22.0}  # therapy: 44 counted × share 0.5
EXPECTED_UPLIFT = {"tertiary": 12.0, "targeted": 8.4, "therapy": 0.0}
# the team leader is planned by ratio: one per 10 FTE of the two clinical roles, at £62,500 an FTE
EXPECTED_HOURS = {"practitioner": 8589.2, "psychologist": 2884.0, "team_leader": 0.0}
EXPECTED_FTE = {"practitioner": 8.5892, "psychologist": 2884.0 / 750, "team_leader": (8.5892 + 2884.0 / 750) / 10}
EXPECTED_COST = {"practitioner": 429_460.0, "psychologist": 288_400.0,
                 "team_leader": (8.5892 + 2884.0 / 750) / 10 * 62_500}
# and the other estimates, in the README's last table
EXPECTED_FTE_BY_ESTIMATE = {
    "low": {"practitioner": 5.0134, "psychologist": 2.2904, "team_leader": 0.73038},
    "high": {"practitioner": 13.08186, "psychologist": 5.7876, "team_leader": 1.886946},
}
EXPECTED_FTE_2026 = {"practitioner": 9.4252, "psychologist": 3164.0 / 750,
                     "team_leader": (9.4252 + 3164.0 / 750) / 10}


def sections(text: str) -> dict[str, str]:
    """The text under each level-2 heading, by the heading's first word."""
    out: dict[str, str] = {}
    for part in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        out[heading.split()[0]] = body
    return out


# -- data-formats.md ----------------------------------------------------------------------------


NUMBER_WORDS = {w: n for n, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                             "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                             "sixteen", "seventeen", "eighteen", "nineteen", "twenty"))}
# each group the page's opening counts, by its words there → the schema's list of those inputs
COUNTED_GROUPS = {"for need and workforce demand": PLANNING_KINDS, "for supply, the gap and scenarios": SUPPLY_KINDS,
                  "for the early intervention service register": SERVICE_KINDS,
                  "beside the referral returns": RETURNS_KINDS, "for the board paper": REPORT_KINDS,
                  "for skills": SKILLS_KINDS, "for the back-test": BACKTEST_KINDS,
                  "for the evidence library": EVIDENCE_KINDS, "for statistical neighbours": AREAS_KINDS}


def test_data_formats_counts_the_inputs_the_schema_has() -> None:
    """Catches the page's count of inputs ("cyplan reads 47 inputs: sixteen for need …") left behind when an input
    is added or moved: the total is the schema's registry (KINDS), each group's number its module's list, and the
    groups together are every input, each once."""
    opening = (DOCS / "data-formats.md").read_text(encoding="utf-8").split("Referral returns themselves")[0]
    total = re.search(r"cyplan reads (\d+) inputs:", opening)
    assert total and int(total[1]) == len(KINDS)
    said = {words: re.search(rf"\b(\w+) {re.escape(words)}", opening) for words in COUNTED_GROUPS}
    assert {w: NUMBER_WORDS.get(m[1].lower()) if m else None for w, m in said.items()} == \
        {w: len(kinds) for w, kinds in COUNTED_GROUPS.items()}
    grouped = [k.name for kinds in COUNTED_GROUPS.values() for k in kinds]
    assert sorted(grouped) == sorted(KINDS)


def test_data_formats_has_a_section_for_every_kind_in_schema_order() -> None:
    text = (DOCS / "data-formats.md").read_text(encoding="utf-8")
    headings = [h for h in re.findall(r"^## (\S+)", text, flags=re.MULTILINE) if h in KINDS]
    assert headings == list(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_data_formats_lists_every_column_of_the_kind(kind: str) -> None:
    body = sections((DOCS / "data-formats.md").read_text(encoding="utf-8"))[kind]
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", body, flags=re.MULTILINE)
    assert listed == list(KINDS[kind].column_names)
    assert example_file(kind).relative_to(ROOT).as_posix() in body
    for col in KINDS[kind].columns:
        row = next(line for line in body.splitlines() if line.startswith(f"| `{col.name}` |"))
        assert f"| {col.type} |" in row
        assert ("| required |" in row) == (col.required and not col.blank_ok)
        for value in col.allowed:
            assert f"`{value}`" in row


def _written(x: float) -> str:
    """A bound as the page writes it: a true minus sign, and thousands separators from 10,000 (−0.5, 1990,
    1,000,000)."""
    text = (f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))) if float(x).is_integer() else str(x)
    return text.replace("-", "−")


@pytest.mark.parametrize("kind", list(KINDS))
def test_data_formats_states_every_number_columns_bounds(kind: str) -> None:
    """Catches a bound changed in the schema but not on the page (or the reverse): the page's range cell
    holds the schema's minimum and maximum as a user would write them."""
    body = sections((DOCS / "data-formats.md").read_text(encoding="utf-8"))[kind]
    for col in KINDS[kind].columns:
        if col.type not in ("integer", "number", "share"):
            continue
        row = next(line for line in body.splitlines() if line.startswith(f"| `{col.name}` |"))
        cell = row.split(" | ")[3]
        low = 0 if col.minimum is None else col.minimum
        assert col.maximum is not None
        assert cell.startswith(("more than " if col.above_minimum else "") + _written(low)), (col.name, cell)
        assert cell.endswith(f" {_written(col.maximum)}"), (col.name, cell)


# -- the example files ---------------------------------------------------------------------------


def test_example_folder_has_one_file_per_kind_and_nothing_else() -> None:
    assert sorted(p.name for p in INPUTS.iterdir()) == sorted(f"{k}.csv" for k in SMALLTOWN_KINDS)
    assert sorted(p.name for p in NEIGHBOURS.iterdir()) == sorted(["README.md", "areas.csv"]
                                                                  + [f"{k}.csv" for k in OWN_FOLDER])


@pytest.mark.parametrize("kind", list(KINDS))
def test_example_file_has_exactly_the_schema_columns(kind: str) -> None:
    with example_file(kind).open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert tuple(header) == KINDS[kind].column_names


@pytest.mark.parametrize("kind", SMALLTOWN_KINDS)
def test_workbook_sheet_holds_the_same_rows_as_the_csv(kind: str) -> None:
    """examples/inputs.xlsx is remade from the CSV files by examples/make_workbook.py."""
    from_csv, problems = validate(read_table(INPUTS / f"{kind}.csv"), KINDS[kind])
    assert problems == []
    from_xlsx, problems = validate(read_table(WORKBOOK, kind), KINDS[kind])
    assert problems == []
    assert from_xlsx.drop(ROW).equals(from_csv.drop(ROW))


@pytest.fixture
def no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)


def fresh_workspace(path: Path) -> Workspace:
    """What `cyplan init` makes: a new workspace with the default age bands and groups."""
    ws = Workspace.create(path)
    import_inputs(ws, [Source(p.stem, p) for p in sorted(reference.DEFAULTS.glob("*.csv"))])
    return ws


def by(frame: pl.DataFrame, key: str, value: str) -> dict[str, float]:
    return dict(zip(frame[key], frame[value], strict=True))


@pytest.mark.usefixtures("no_database_url")
@pytest.mark.parametrize("source", ["folder", "workbook"])
def test_examples_import_cleanly_and_give_the_readme_figures(tmp_path: Path, source: str) -> None:
    ws = fresh_workspace(tmp_path / "ws")
    try:
        log = import_inputs(ws, sources_in(INPUTS if source == "folder" else WORKBOOK))
        assert sorted(r.kind for r in log) == sorted(SMALLTOWN_KINDS)
        frames = ws.read_all()
    finally:
        ws.close()
    plan = run(frames)
    assert plan.warnings == ()

    need = need_table(plan, ["level"], ["SMALL1"], [2025])
    assert by(need, "level", "cases") == pytest.approx(EXPECTED_CASES)
    assert by(need, "level", "group_uplift") == pytest.approx(EXPECTED_UPLIFT)
    assert need["population"].to_list() == pytest.approx([5200.0, 5200.0, 5200.0])

    demand = demand_table(plan, ["role"], ["SMALL1"], [2025])
    assert by(demand, "role", "hours") == pytest.approx(EXPECTED_HOURS)
    assert by(demand, "role", "fte") == pytest.approx(EXPECTED_FTE)
    assert by(demand, "role", "cost") == pytest.approx(EXPECTED_COST)

    # the 2025 count is 2% of those aged 5 to 15; 2026 has 2,420 of them: 2,420 × 2% × 0.5 = 24.2 therapy cases
    assert by(need_table(plan, ["level"], ["SMALL1"], [2026]), "level", "cases")["therapy"] == pytest.approx(24.2)
    later = demand_table(plan, ["role"], ["SMALL1"], [2026])
    assert by(later, "role", "fte") == pytest.approx(EXPECTED_FTE_2026)

    for estimate, expected in EXPECTED_FTE_BY_ESTIMATE.items():
        other = demand_table(run(frames, estimate), ["role"], ["SMALL1"], [2025])
        assert by(other, "role", "fte") == pytest.approx(expected)


def test_readme_states_the_figures_the_test_expects() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for cases in EXPECTED_CASES.values():
        assert f"**{cases:,.1f}**" in readme
    for hours in EXPECTED_HOURS.values():
        assert f"**{hours:,.1f}**" in readme
    for fte in EXPECTED_FTE.values():
        assert f"**{fte:.4f}**" in readme
    for cost in EXPECTED_COST.values():
        assert f"**£{cost:,.0f}**" in readme
    assert f"**£{sum(EXPECTED_COST.values()):,.0f}**" in readme
    assert f"**{sum(EXPECTED_FTE.values()):.4f}**" in readme
    for fte in EXPECTED_FTE_2026.values():
        assert f"**{fte:.4f} FTE**" in readme
    for expected in EXPECTED_FTE_BY_ESTIMATE.values():
        for fte in expected.values():
            assert f"| {fte:.4f} |" in readme or f" {fte:.4f} |" in readme


# -- method.md -----------------------------------------------------------------------------------


def demo_arrays() -> Arrays:
    """The demo's inputs as the model builds them (central estimates)."""
    frames = {}
    for kind in KINDS:
        path = reference.DEMO / f"{kind}.csv"
        if not path.exists():
            path = reference.DEFAULTS / f"{kind}.csv"
        if not path.exists():
            continue  # an optional input the demo does not give: build treats it as empty
        frame, problems = validate(read_table(path), KINDS[kind])
        assert problems == []
        frames[kind] = frame.drop(ROW)
    return build(frames)


def demo_roles() -> tuple[RoleTime, tuple[str, ...]]:
    """The demo's roles' working time, as the model builds it, and the role names in the same order."""
    arrays = demo_arrays()
    return arrays.roles, arrays.dims.roles


def test_method_worked_example_matches_the_code() -> None:
    method = (DOCS / "method.md").read_text(encoding="utf-8")
    roles, names = demo_roles()
    i = names.index("mh_practitioner")
    assert roles.working_days[i] == pytest.approx(207)
    assert roles.available_hours[i] == pytest.approx(1552.5)
    assert roles.category_allowance_factor[i] == pytest.approx(5 / 3)
    assert roles.productive_hours[i] == pytest.approx(931.5)
    assert roles.pay_per_fte[i] == pytest.approx(56_700)
    assert roles.non_pay[i] == pytest.approx(6_804)  # 12% of pay
    assert roles.overheads[i] == pytest.approx(12_700.80)  # 20% of pay and non-pay
    assert roles.cost_per_fte[i] == pytest.approx(76_204.80)
    for text in ("207 days", "**1,552.5 h**", "**931.5 h**", "**£56,700**", "**1.0735 FTE**", "**£60,870**",
                 "**£6,804**", "**£12,700.80**", "**£76,204.80**", "**£81,809**"):
        assert text in method
    assert 1000 / roles.productive_hours[i] == pytest.approx(1.0735, abs=5e-5)
    assert 1000 / roles.productive_hours[i] * roles.pay_per_fte[i] == pytest.approx(60_870, abs=0.5)
    assert 1000 / roles.productive_hours[i] * roles.cost_per_fte[i] == pytest.approx(81_809, abs=0.5)

    # the table of every demo role: productive hours and cost per FTE
    for name, label in (("psychiatrist", "875.6 h"), ("family_support_worker", "1,009.125 h")):
        assert roles.productive_hours[names.index(name)] == pytest.approx(float(label[:-2].replace(",", "")))
        assert label in method


def one_role(roles: RoleTime, i: int) -> RoleTime:
    """Role i alone, as a RoleTime of one role."""
    return RoleTime(**{k: np.asarray(v)[[i]] for k, v in vars(roles).items()})


def test_method_segal_example_matches_the_code() -> None:
    """Every figure of the worked example comes out of the model's own functions on the doc's inputs (the
    demo pathway and roles, 10,000 children at 6.5%): catches a doc figure or a formula that drifted."""
    method = (DOCS / "method.md").read_text(encoding="utf-8")
    a = demo_arrays()
    tertiary = a.dims.levels.index("tertiary")
    share = a.step_share if a.step_share is not None else 1.0  # the demo splits core clinical management by profile
    per_case = hours_per_case(a.step_level, a.step_hours * share, a.mix, len(a.dims.levels))[tertiary]  # [role]
    assert f"= **{per_case.sum():g} h**" in method  # 58
    split = dict(zip(a.dims.roles, per_case, strict=True))
    for role, text in (("mh_practitioner", "3 + 27 × 0.6 = {} h"), ("clinical_psychologist", "12 × 0.5 = {} h"),
                       ("specialist_therapist", "12 × 0.5 = {} h"), ("psychiatrist", "psychiatrist {} h"),
                       ("family_support_worker", "family support worker {} h")):
        assert text.format(f"{split[role]:g}") in " ".join(method.split()), role

    cases = base_cases(np.full((1, 1, 1, 1), 10_000.0), np.full((1, 1, 1, 1), 0.065))[0, 0, 0, 0]  # [level]
    practitioner = one_role(a.roles, a.dims.roles.index("mh_practitioner"))
    # a role giving 1,000 direct hours: 250 days × 8 h × 0.5 direct
    round_figure = RoleTime(**{k: np.array([v]) for k, v in dict(
        hours_per_week=40.0, days_per_week=5.0, annual_leave=10.0, public_holidays=0.0, sickness=0.0, training=0.0,
        direct_share=0.5, salary=0.0, on_cost=0.0).items()})
    assert round_figure.productive_hours[0] == 1000
    out = demand(cases, np.ones(1), np.array([[per_case.sum()]]), practitioner)
    at_1000 = demand(cases, np.ones(1), np.array([[per_case.sum()]]), round_figure)
    hours, fte, cost = out.hours.item(), out.fte.item(), out.pay.item()
    assert f"| patients | 10,000 × 0.065 | {cases.item():,.0f} |" in method  # 650
    assert f"| 650 × 58 | {hours:,.0f} h |" in method  # 37,700
    assert f"| **{at_1000.fte.item():.1f} FTE** |" in method  # 37.7
    assert f"| **{fte:.2f} FTE** |" in method  # 40.47
    assert f"| £{cost:,.0f} |" in method  # 2,294,783
    # the range that replaced the back-calculations of the 947 FTE is checked in test_published_examples.py


def test_method_cap_example_matches_the_code() -> None:
    """One cell of 1 young offender, prevalence 10% at two levels, relative risk 6 at both."""
    from cyplan.model.need import group_uplift

    size = np.ones((1, 1, 1, 1, 1))  # [area, year, group, age, sex]
    prevalence = np.full((1, 2, 1, 1), 0.10)  # [year, level, age, sex]
    risk = np.full((1, 2), 6.0)  # [group, level]
    uplift = group_uplift(size, prevalence, risk)[0, 0, 0, 0, :, 0]
    assert uplift == pytest.approx([0.4, 0.4])


def test_method_population_average_example_matches_the_code() -> None:
    """The demo's girls aged 0 in 2025: catches a doc figure or the p₀ formula drifting (issue 12, part 1)."""
    from cyplan.model.need import group_shares, group_uplift, outside_rate

    method = " ".join((DOCS / "method.md").read_text(encoding="utf-8").split())
    a = demo_arrays()
    t, lac = a.dims.levels.index("tertiary"), a.dims.groups.index("looked_after")
    shares = group_shares(a.group_size, a.population)  # [area, year, age, sex, group]
    f = shares[0, 0, 0, 0]
    excess_risk = float(f @ (a.relative_risk[:, t] - 1))
    p0 = float(outside_rate(a.prevalence, a.relative_risk, shares)[0, 0, 0, 0, t])
    n = float(a.group_size[0, 0, lac, 0, 0])
    uplift = group_uplift(a.group_size, a.prevalence, a.relative_risk, a.population, a.average)
    assert f"Σ f_g (rr_g − 1) = {excess_risk:.4f}" in method  # 0.1378
    assert f"p₀ = 0.065 ÷ {1 + excess_risk:.4f} = **{p0:.2%}**" in method  # 5.71%
    assert f"{n:.2f} × {p0:.4f} × 4 = {n * p0 * 4:.2f}" in method  # 7.01
    assert f"= **{uplift[0, 0, 0, 0, t, lac]:.2f}**" in method  # 5.02
    assert f"4,386 × 0.065 = {a.population[0, 0, 0, 0] * 0.065:.1f}" in method  # 285.1
    assert a.average[t].all()  # the demo's tertiary rates are population averages


# -- the demo's gap and joiners, as the CLI shows them -------------------------------------------------------


def screen_row(stdout: str, label: str) -> list[str]:
    """The cells of the first line of an on-screen table whose first cell is `label`."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ \n").split("│")]
        if cells[0] == label:
            return cells
    raise AssertionError(f"no row '{label}' in:\n{stdout}")


def test_method_gap_and_joiners_examples_are_what_the_cli_shows(
        demo_workspace: Path, run_cli: Callable[[Sequence[str]], tuple[int, str, str]]) -> None:
    """Catches docs/method.md's worked examples of 'The gap', 'Joiners needed by a target year' and 'Training
    places by a target year' going stale: each figure the page says a command shows is read from that command's
    screen (the demo's central values), and the page's arithmetic on them is redone here by hand."""
    method = " ".join((DOCS / "method.md").read_text(encoding="utf-8").split())
    ws = str(demo_workspace)
    code, out, err = run_cli(["gap", "-w", ws, "--year", "2035", "--target-year", "2035", "--draws", "0"])
    assert code == 0, err
    psy = screen_row(out, "Clinical psychologist")
    demand, supply, gap, met, joiners = psy[1], psy[2], psy[3], psy[4], psy[6]
    assert (demand, supply, gap, met, joiners) == ("320.7", "64.6", "256.2", "20%", "42.6")
    assert f"shows the {supply} FTE of supply against a demand of {demand} FTE" in method
    assert f"clinical psychologists' gap is {demand} − {supply} = {gap} FTE" in method
    assert f"need met is {supply} ÷ {demand} = {met}" in method
    # £78,300 pay and £78,300 × 1.12 × 1.2 = £105,235.20 full cost an FTE, worked by hand
    assert "256.2 × £78,300 = £20.1 million" in method and round(256.2 * 78_300 / 1e6, 1) == 20.1
    assert "256.2 × £105,235.20 = £27.0 million" in method and round(256.2 * 105_235.20 / 1e6, 1) == 27.0
    assert psy[5] == "£26,957,606"  # the CLI's cost to close, from the unrounded gap: £27.0 million
    assert f"shows as {joiners}." in method and "49.61 − 7 = **42.61**" in method
    therapists = screen_row(out, "Specialist therapist (family and systemic psychotherapist or child psychotherapist)")
    assert therapists[6] == "36.2" and "need 36.2 extra effective FTE a year by 2035" in method
    assert "36.2 ÷ 0.4 = 90.5 FTE" in method

    code, out, err = run_cli(["gap", "-w", ws, "--year", "2030", "--target-year", "2030", "--draws", "0"])
    assert code == 0, err
    psy = screen_row(out, "Clinical psychologist")
    assert (psy[6], psy[8], psy[9], psy[10]) == ("66.6", "2027", "208.0", "£124,771,279")
    assert "clinical psychologists need 66.62 extra joiners" in method and "**2027**" in method
    assert "= **207.95**, costing 207.95 × 3 × £200,000 = **£124.8 million**" in method
    assert screen_row(out, "Consultant child and adolescent psychiatrist")[11].startswith("not by training alone")
    assert "places started in 2025 qualify in 2033" in method

    code, out, err = run_cli(["gap", "-w", ws, "--year", "2035", "--by", "role", "--by", "sector", "--draws", "0",
                              "--format", "csv"])
    assert code == 0, err
    row = next(r for r in csv.DictReader(out.splitlines())
               if r["role"] == "specialist_therapist" and r["sector"] == "education")
    assert f"{float(row['demand_fte']):.1f}" == "52.0" and f"{float(row['supply_fte']):.1f}" == "7.0"
    assert "241.4 × 9.6 ÷ 44.6 = 52.0 FTE, against 7.0 FTE of supply" in method and round(241.4 * 9.6 / 44.6, 1) == 52.0
