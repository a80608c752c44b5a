"""The equality view by any coded field: the population by category (population_groups) as an input, rates
and ratios worked out by hand, every category that cannot be rated stated, the command on the demo, a bad
file refused whole, and category matching as a property."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import listed_problems
from cyplan import reference
from cyplan.io.problems import InputError
from cyplan.io.read import ROW, RawTable
from cyplan.io.validate import validate
from cyplan.model.activity import BLANK, INVALID, TOTAL, UNKNOWN_AGE
from cyplan.model.activity import equality as equality_view
from cyplan.reference import codelists as C
from cyplan.returns import equality as E
from cyplan.returns import service
from cyplan.schema import KINDS
from cyplan.store.workspace import Workspace, _alembic_config, _heads
from cyplan.transfer import Source, import_inputs, sources_in

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "examples"
SMALL = EXAMPLES / "returns" / "small_records.csv"
TODAY = dt.date(2024, 1, 1)
HEADER = "area,year,field,category,count,source\n"

# examples/README.md, section 8: Smalltown's accepted referrals and population by ethnicity, 2025; the records
# span five quarters (1 Apr 2022 to 30 Jun 2023), so every rate is a year's: × 12 / 15
# (category, a, n, rate per 10,000 a year, rate interval, rate ratio, ratio interval)
SMALLTOWN = [
    ("Asian or Asian British", 1, 500, 16.0, (0.209, 89.02), 2.6, (0.476, 14.195)),
    ("African", 1, 200, 40.0, (0.523, 222.55), 6.5, (1.191, 35.488)),
    ("Mixed or Multiple ethnic groups", 0, 300, 0.0, (0.0, 97.814), 0.0, (None, None)),
    ("White British", 2, 4000, 4.0, (0.449, 14.442), 0.65, (0.244, 1.732)),
    ("White Minorities", 0, 200, 0.0, (0.0, 146.72), 0.0, (None, None)),
]


def _row(frame: pl.DataFrame, category: str) -> dict[str, object]:
    return frame.filter(pl.col("category") == category).row(0, named=True)


# -- the view from its lines, by hand --------------------------------------------------------------------------

def test_rates_and_ratios_by_hand_with_unrated_lines_in_place() -> None:
    view = E.compare([E.Line("A", 10, 1000.0), E.Line("B", 4, None), E.Line("C", 30, 2000.0),
                      E.Line("D", 2, 0.0), *E.coded_lines([], {-1: 5, 0: 7}, {})])
    assert view["category"].to_list() == ["A", "B", "C", "D", INVALID, BLANK, TOTAL]
    a = _row(view, "A")
    # area: A = 10 + 30 = 40 referrals in N = 3,000 people, 133.333 per 10,000
    assert a["rate_per_10000"] == 100.0 and a["rate_ratio"] == 0.75
    # Byar: 10 (1 − 1/90 − 1.96/(3√10))³ = 4.7874 and 11 (1 − 1/99 + 1.96/(3√11))³ = 18.3915, per 1,000 people
    assert a["rate_low"] == 47.874 and a["rate_high"] == 183.915
    # the category's referrals are part of the area's: se = √(1/10 − 1/40) = 0.273861; × 1.959964 = 0.536758;
    # 0.75 × e^−0.536758 = 0.75 × 0.584640 = 0.438 and 0.75 × e^0.536758 = 0.75 × 1.710453 = 1.283
    assert (a["ratio_low"], a["ratio_high"]) == (0.438, 1.283)
    total = _row(view, TOTAL)
    assert (total["referrals"], total["population"], total["rate_per_10000"]) == (40, 3000.0, 133.333)
    assert total["note"] == E.TOTAL_NOTE
    unrated = {r["category"]: (r["referrals"], r["population"], r["rate_per_10000"], r["note"])
               for r in view.iter_rows(named=True) if r["category"] in ("B", "D", INVALID, BLANK)}
    assert unrated == {"B": (4, None, None, E.NO_POPULATION), "D": (2, 0.0, None, E.ZERO_POPULATION),
                       INVALID: (5, None, None, E.INVALID_NOTE), BLANK: (7, None, None, E.BLANK_NOTE)}


def _poisson_cdf(k: int, mean: float) -> float:
    return sum(math.exp(-mean) * mean ** i / math.factorial(i) for i in range(k + 1))


def _solve(f: Callable[[float], float], low: float, high: float) -> float:
    """The root of a function that falls from positive to negative between low and high (bisection)."""
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if f(mid) > 0 else (low, mid)
    return (low + high) / 2


@pytest.mark.parametrize("a", [0, 5, 10, 30, 100])
def test_rate_interval_is_a_95_percent_poisson_interval(a: int) -> None:
    """The docs promise a 95% interval by Byar's approximation to the Poisson interval. Checked against the
    exact (Garwood) 95% Poisson limits found here by bisection on the Poisson CDF — P(X ≥ a | lower) =
    0.025 and P(X ≤ a | upper) = 0.025 — which Byar's approximation meets within 1% for a ≥ 5 (for a = 0
    the lower limit is 0 and the upper −ln 0.025 = 3.689 against Byar's 3.668). Catches a 90% or 99%
    interval (z = 1.645 or 2.576) and a wrong Byar formula; n = 10,000 so a rate per 10,000 is a count."""
    view = equality_view([a], [10_000.0], ["X"]).row(0, named=True)
    upper = _solve(lambda m: _poisson_cdf(a, m) - 0.025, 0.0, 10.0 * a + 20)
    lower = _solve(lambda m: 0.025 - (1 - _poisson_cdf(a - 1, m)), 0.0, 10.0 * a + 10) if a else 0.0
    assert view["rate_low"] == pytest.approx(lower, rel=0.01, abs=1e-3)
    assert view["rate_high"] == pytest.approx(upper, rel=0.01)


def test_nothing_to_rate_gives_no_area_rate() -> None:
    view = E.compare(E.coded_lines(["X"], {1: 3}, {}))
    assert _row(view, "X")["note"] == E.NO_POPULATION
    total = _row(view, TOTAL)
    assert total["referrals"] == 0 and total["rate_per_10000"] is None and total["rate_ratio"] is None


# -- the Smalltown example, worked by hand in examples/README.md ---------------------------------------------

@pytest.fixture
def smalltown(tmp_path: Path):
    ws = Workspace.create(tmp_path / "smalltown")
    import_inputs(ws, [Source(p.stem, p) for p in sorted(reference.DEFAULTS.glob("*.csv"))])
    import_inputs(ws, sources_in(EXAMPLES / "inputs"))
    service.import_returns(ws, SMALL, today=TODAY)
    yield ws
    ws.close()


def test_smalltown_by_ethnicity_gives_the_readme_figures(smalltown: Workspace) -> None:
    view = service.equality(smalltown, "ethnicity")
    assert set(view["area"]) == {"SMALL1"} and set(view["year"]) == {2025}
    for category, a, n, rate, (lo, hi), ratio, (rlo, rhi) in SMALLTOWN:
        r = _row(view, category)
        assert (r["referrals"], r["population"], r["rate_per_10000"], r["rate_ratio"]) == (a, n, rate, ratio)
        assert (r["rate_low"], r["rate_high"], r["ratio_low"], r["ratio_high"]) == (lo, hi, rlo, rhi)
    total = _row(view, TOTAL)
    assert (total["referrals"], total["population"], total["rate_per_10000"]) == (4, 5200.0, 6.154)
    # counted, not rated: each with its reason
    assert (_row(view, "Not known or recorded/stated")["referrals"], _row(view, "Other")["referrals"]) == (1, 0)
    assert _row(view, "Not known or recorded/stated")["note"] == E.NO_POPULATION
    assert (_row(view, INVALID)["referrals"], _row(view, BLANK)["referrals"]) == (1, 0)
    assert view["referrals"].sum() - total["referrals"] == 6  # every accepted referral is on a line


def test_the_readme_and_method_state_the_figures_the_test_expects() -> None:
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for category, a, n, rate, (lo, hi), ratio, (rlo, rhi) in SMALLTOWN:
        line = next(x for x in readme.splitlines() if x.startswith(f"| {category} | {a} | {n:,} |"))
        assert f"{lo:g} to {hi:g}" in line or f"0 to {hi:g}" in line
        if rlo is not None:
            assert f"**{rate:.1f}**" in line and f"**{ratio:g}**" in line and f"{rlo:g} to {rhi:g}" in line
    assert "**6.154** per 10,000 a year" in readme
    method = (ROOT / "docs" / "method.md").read_text(encoding="utf-8")
    for text in ("**6.154**", "**4.0**", "**0.65**", "**0.244 to 1.732**", "**0.449 to 14.442**"):
        assert text in method


def test_gender_rows_of_the_population_by_category_are_used_for_gender(smalltown: Workspace, tmp_path: Path) -> None:
    by_sex = service.equality(smalltown, "gender")  # from the population input: 2,600 of each sex
    assert _row(by_sex, "Female")["population"] == 2600.0 and _row(by_sex, "Female")["referrals"] == 2
    assert _row(by_sex, INVALID)["referrals"] == 1  # R006, Non-binary: not on the gender list
    path = tmp_path / "pg.csv"
    path.write_text(HEADER + "SMALL1,2025,gender, female ,2000,\nSMALL1,2025,gender,MALE,3000,\n")
    import_inputs(smalltown, [Source("population_groups", path)], mode="merge")
    by_gender = service.equality(smalltown, "gender")
    assert _row(by_gender, "Female")["population"] == 2000.0 and _row(by_gender, "Male")["population"] == 3000.0
    assert _row(by_gender, "Female")["rate_per_10000"] == 8.0  # 2 / 2,000 × 10,000 × 12 / 15 months
    assert service.equality(smalltown, "ethnicity")["population"].sum() > 0  # the ethnicity rows were kept


def test_age_counts_the_groups_the_population_cannot_rate(smalltown: Workspace) -> None:
    view = service.equality(smalltown, "age")
    # accepted ages: 2, 15, 16, blank (R004), 40 (R006: outside 0–30, so unknown), 19
    assert _row(view, "Nursery")["population"] == 800.0 and _row(view, "Nursery")["referrals"] == 1
    assert _row(view, "25+")["note"] == E.OVER_25_NOTE and _row(view, "25+")["rate_per_10000"] is None
    assert _row(view, UNKNOWN_AGE)["referrals"] == 2 and _row(view, UNKNOWN_AGE)["note"] == E.UNKNOWN_AGE_NOTE
    assert _row(view, TOTAL)["referrals"] == 4 and _row(view, TOTAL)["population"] == 5000.0  # ages 0–24


def test_which_fields_a_workspace_can_answer(smalltown: Workspace, tmp_path: Path) -> None:
    assert E.available(smalltown) == ["gender", "age", "ethnicity"]
    empty = Workspace.create(tmp_path / "empty")
    try:
        assert E.available(empty) == []
        with pytest.raises(service.NoReturns, match="cyplan import population_groups"):
            service.equality(empty, "religion")
    finally:
        empty.close()
    with pytest.raises(service.NoReturns, match="no population by religion"):
        service.equality(smalltown, "religion")
    with pytest.raises(service.NoReturns, match="its years are 2025"):
        service.equality(smalltown, "ethnicity", year=2030)
    with pytest.raises(E.UnknownField):
        service.equality(smalltown, "service")


def test_a_population_category_not_on_the_workspace_code_list_is_stated(smalltown: Workspace) -> None:
    own = smalltown.path / C.WORKSPACE_FOLDER / "ethnicity.csv"
    own.parent.mkdir()
    own.write_text("category,aliases,source\nWhite British,,local\nAfrican,,local\n")
    view = service.equality(smalltown, "ethnicity")
    line = _row(view, "Asian or Asian British")
    assert line["referrals"] is None and line["population"] == 500.0
    assert "not on the ethnicity code list" in line["note"]
    # this list has no aliases: the alias the population used for African is not on it either
    assert _row(view, "Black, Black British, Caribbean or African")["population"] == 200.0
    assert _row(view, "African")["note"] == E.NO_POPULATION
    assert _row(view, TOTAL)["population"] == 4000.0  # White British alone


# -- the command on the demo -----------------------------------------------------------------------------------

def test_cli_equality_by_ethnicity_and_religion_on_the_demo(demo_workspace: Path, run_cli: Callable,
                                                           tmp_path: Path) -> None:
    code, _, err = run_cli(["returns", "import", SMALL, "-w", demo_workspace, "--today", "2024-01-01"])
    assert code == 0, err
    out = tmp_path / "ethnicity.csv"
    code, _, err = run_cli(["returns", "equality", "--by", "ethnicity", "-w", demo_workspace, "-f", "csv",
                            "--out", out])
    assert code == 0, err
    view = pl.read_csv(out)
    demo = pl.read_csv(reference.DEMO / "population_groups.csv").filter(pl.col("field") == "ethnicity")
    assert _row(view, "White British")["population"] == demo.filter(pl.col("category") == "White British")["count"][0]
    assert _row(view, "White British")["referrals"] == 2
    assert _row(view, "Not known or recorded/stated")["note"] == E.NO_POPULATION
    assert _row(view, TOTAL)["population"] == 250_002  # the demo's population aged 0–25 in 2025
    code, shown, err = run_cli(["returns", "equality", "--by", "Religion", "-w", demo_workspace])
    assert code == 0, err
    # the period the referrals span is stated, and the rates are a year's
    assert ("Accepted referrals per 10,000 a year (referrals 1 Apr 2022 – 30 Jun 2023, annualised), by religion "
            "— Exampleshire, 2025") in shown
    assert "No religion" in shown and "Rate ratio" in shown
    assert all(s.startswith("Demo assumption") for s in pl.read_csv(reference.DEMO / "population_groups.csv")["source"])


def test_cli_equality_says_what_is_missing(demo_workspace: Path, run_cli: Callable) -> None:
    run_cli(["returns", "import", SMALL, "-w", demo_workspace, "--today", "2024-01-01"])
    code, _, err = run_cli(["returns", "equality", "--by", "accommodation", "-w", demo_workspace])
    assert code == 1
    assert "no population by accommodation: import it with 'cyplan import population_groups FILE'" in err
    code, _, err = run_cli(["returns", "equality", "--by", "service", "-w", demo_workspace])
    assert code == 2 and "--by must be one of: gender, age, ethnicity, religion" in err


def test_export_and_import_again(demo_workspace: Path, run_cli: Callable, tmp_path: Path) -> None:
    out = tmp_path / "pg.csv"
    code, _, err = run_cli(["export", "population_groups", out, "-w", demo_workspace])
    assert code == 0, err
    assert out.read_text().splitlines()[0] == ",".join(KINDS["population_groups"].column_names)
    assert pl.read_csv(out).height == 11
    code, _, err = run_cli(["import", "population_groups", out, "-w", demo_workspace])
    assert code == 0, err


# -- a bad file --------------------------------------------------------------------------------------------------

BAD = (HEADER
       + "E10999999,2025,ethnicity,White British,100,\n"      # 2: fine
       + "E10999999,2025,ethnicity,Martian,5,\n"              # 3: not on the list
       + "E10999999,2025,postcode,AB1,5,\n"                   # 4: not a field
       + "E10999999,2025,religion,Christian,-3,\n"            # 5: negative
       + "E10999999,2025,ethnicity,White British,7,\n"        # 6: the same key as row 2
       + "E10999999,2025,ethnicity,  white BRITISH ,9,\n"     # 7: the same category as row 2
       + "E10999999,2025,ethnicity,Black or Black British,9,\n"  # 8: an alias of African: fine
       + "E10999999,2025,service,Affinity,9,\n")              # 9: a service has no population


def test_cli_bad_population_groups_file_is_refused_whole(demo_workspace: Path, run_cli: Callable, tmp_path: Path,
                                                          snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    path = tmp_path / "population_groups.csv"
    path.write_text(BAD)
    before = snapshot(demo_workspace)
    listed = tmp_path / "problems.csv"
    code, _, err = run_cli(["import", "population_groups", path, "-w", demo_workspace, "--problems", listed])
    assert code == 2
    err = "\n".join(listed_problems(listed))  # each problem as it would be shown alone
    fields = "gender, ethnicity, religion, referral_source, education_status, accommodation, trauma_category"
    for line in (
        f"{path}, row 3, column 'category': 'Martian' is not on the ethnicity code list; its categories are: "
        "Asian or Asian British, African, Mixed or Multiple ethnic groups, White British, White Minorities, "
        "Not known or recorded/stated, Other",
        f"{path}, row 4, column 'field': 'postcode' is not one of: {fields}",
        f"{path}, row 5, column 'count': count -3 is negative; it must be 0 or more",
        f"{path}, row 6, column 'area': duplicate: area 'E10999999', year '2025', field 'ethnicity', category "
        "'White British' is already on row 2",
        f"{path}, row 7, column 'category': 'white BRITISH' is the ethnicity category 'White British', already "
        "given as 'White British' for E10999999 in 2025 on row 2",
        f"{path}, row 9, column 'field': 'service' is not one of: {fields}",
    ):
        assert line in err
    assert "row 8" not in err and "row 2," not in err
    assert snapshot(demo_workspace) == before


def test_merge_finds_a_category_already_in_the_workspace(demo_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "pg.csv"
    path.write_text(HEADER + "E10999999,2025,religion,NO RELIGION,1,\n")
    ws = Workspace.open(demo_workspace)
    try:
        with pytest.raises(InputError) as e:
            import_inputs(ws, [Source("population_groups", path)], mode="merge")
    finally:
        ws.close()
    assert [str(p) for p in e.value.problems] == [
        f"{path}, row 2, column 'category': 'NO RELIGION' is the religion category 'No religion', already given as "
        "'No religion' for E10999999 in 2025 by a row already in the workspace"]


def test_a_workspace_made_before_population_groups_gains_the_table(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()  # a workspace as it was before migration 0005: cyplan's tables up to 0004 only
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old' / 'cyplan.db'}")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        assert "population_groups" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    again = Workspace.open(tmp_path / "old")
    try:
        assert again.revisions() == _heads()
        assert again.read("population_groups").columns == list(KINDS["population_groups"].column_names)
    finally:
        again.close()


# -- category matching, as a property ----------------------------------------------------------------------------

LISTS = C.load()
FIELDS = list(KINDS["population_groups"].column("field").allowed)
case = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
spaces = st.sampled_from(["", " ", "  ", "\t"])


def _raw(rows: list[tuple[str, str]]) -> RawTable:
    columns = ("area", "year", "field", "category", "count")
    data = {"area": ["E10999999"] * len(rows), "year": ["2025"] * len(rows), "field": [f for f, _ in rows],
            "category": [c for _, c in rows], "count": ["1"] * len(rows), ROW: list(range(2, len(rows) + 2))}
    return RawTable("pg.csv", None, columns, pl.DataFrame(data, schema={**{c: pl.String for c in columns},
                                                                           ROW: pl.Int64}), 1)


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_spelling_of_a_category_or_alias_is_accepted_and_means_it(data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(FIELDS))
    names = [name for name, _ in LISTS[field].aliases]  # every category and alias, as match keys
    name = data.draw(st.sampled_from(names))
    written = data.draw(spaces) + data.draw(case)(name) + data.draw(spaces)
    frame, problems = validate(_raw([(field, written)]), KINDS["population_groups"])
    assert problems == []
    code = dict(LISTS[field].aliases)[name]
    assert LISTS[field].code(frame["category"][0]) == code
    # and a second spelling of the same category is a duplicate
    other = data.draw(st.sampled_from([n for n, k in LISTS[field].aliases if k == code]))
    again = data.draw(case)(other) + data.draw(spaces)
    _, problems = validate(_raw([(field, written), (field, again)]), KINDS["population_groups"])
    assert len(problems) == 1 and problems[0].row == 3


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(FIELDS), st.text(st.characters(codec="ascii", categories=["L", "N", "P", "Zs"]), min_size=1,
                                        max_size=30))
def test_a_value_on_no_list_is_refused(field: str, text: str) -> None:
    if not text.strip() or C.match_key(text) in dict(LISTS[field].aliases):
        return
    _, problems = validate(_raw([(field, text)]), KINDS["population_groups"])
    assert [(p.row, p.column) for p in problems] == [(2, "category")]
    assert f"is not on the {field} code list" in problems[0].message


# -- rates are a year's: 18 months of referrals against one year's population -------------------------------

def _eighteen_months(tmp_path: Path) -> Path:
    """30 accepted referrals of girls from 1 Apr 2024 to 30 Sep 2025: six quarters, 18 months."""
    days = [dt.date(2024, 4, 1) + dt.timedelta(days=18 * i) for i in range(29)] + [dt.date(2025, 9, 30)]
    rows = [f"R{i:03},Affinity,{d.isoformat()},yes,12,Female,White British,Christian,Education Referral,"
            "Mainstream school/college,Living with parents,Bullying,yes,yes,no,no" for i, d in enumerate(days)]
    path = tmp_path / "eighteen_months.csv"
    path.write_text(SMALL.read_text().splitlines()[0] + "\n" + "\n".join(rows) + "\n")
    return path


def test_18_months_of_referrals_are_annualised_by_hand() -> None:
    """Catches a rate over the whole period taken for a year's: 30 referrals over 18 months among 1,000
    people are 30 × 12 / 18 = 20 a year, 200 per 10,000 a year (not 300); the ratio is unchanged."""
    when = E.period(pl.Series([dt.date(2024, 5, 17), dt.date(2025, 9, 2), dt.date(2024, 12, 25)]))
    assert when == E.Period(dt.date(2024, 4, 1), dt.date(2025, 9, 30), 18)
    assert when.words() == "referrals 1 Apr 2024 – 30 Sep 2025, annualised"
    view = E.compare([E.Line("Girls", 30, 1000.0), E.Line("Boys", 30, 2000.0)], when.years)
    assert _row(view, "Girls")["rate_per_10000"] == 200.0 and _row(view, "Boys")["rate_per_10000"] == 100.0
    assert _row(view, TOTAL)["rate_per_10000"] == 133.333  # 60 × 12 / 18 / 3,000 × 10,000
    assert _row(view, "Girls")["rate_ratio"] == 1.5  # 200 / 133.3, as from the counts alone
    # Byar for 30: 30 (1 − 1/270 − 1.959964/(3√30))³ = 20.2369 and 31 (1 − 1/279 + 1.959964/(3√31))³ = 42.8284
    # referrals, ÷ 1,000 × 10,000 × 12 / 18
    assert (_row(view, "Girls")["rate_low"], _row(view, "Girls")["rate_high"]) == (134.913, 285.522)
    a_year = E.period(pl.Series([dt.date(2025, 4, 1), dt.date(2026, 3, 31)]))
    assert a_year.months == 12 and a_year.words() == "referrals 1 Apr 2025 – 31 Mar 2026"


def test_cli_and_published_view_annualise_18_months(demo_workspace: Path, run_cli: Callable,
                                                   tmp_path: Path) -> None:
    """End to end: the command's rates, and the published view the paper and web page show (worked again
    from rounded counts), are a year's, and the command states the period."""
    from cyplan.reports.paper import published_view

    pg = tmp_path / "pg.csv"
    pg.write_text(HEADER + "E10999999,2025,gender,Female,1000,test\nE10999999,2025,gender,Male,1000,test\n")
    code, _, err = run_cli(["import", "population_groups", pg, "-w", demo_workspace, "--mode", "merge"])
    assert code == 0, err
    code, _, err = run_cli(["returns", "import", _eighteen_months(tmp_path), "-w", demo_workspace,
                            "--today", "2025-10-01"])
    assert code == 0, err
    out = tmp_path / "gender.csv"
    code, _, err = run_cli(["returns", "equality", "--by", "gender", "-w", demo_workspace, "-f", "csv",
                            "--out", out])
    assert code == 0, err
    assert _row(pl.read_csv(out), "Female")["rate_per_10000"] == 200.0  # 30 × 12 / 18 / 1,000 × 10,000
    code, shown, err = run_cli(["returns", "equality", "--by", "gender", "-w", demo_workspace])
    assert code == 0, err
    assert "per 10,000 a year (referrals 1 Apr 2024 – 30 Sep 2025, annualised)" in shown
    ws = Workspace.open(demo_workspace)
    try:
        published = published_view(service.equality(ws, "gender"), years=E.period_of(ws).years)
    finally:
        ws.close()
    assert _row(published, "Female")["referrals"] == "30" and _row(published, "Female")["rate_per_10000"] == 200.0


# -- written for surviving mutants of `make mutate` (docs/testing.md) --------------------------------------------

def test_a_line_of_under_one_person_is_rated_a_rated_line_has_no_note_and_nothing_rated_totals_zero() -> None:
    """Lines a (1 referral, population 0.5: estimates may be fractional) and b (3 in 99.5): both rated, a at
    1 / 0.5 × 10,000 = 20,000 per 10,000, with an empty note (not a missing one). Lines with no population only:
    the Total is 0 referrals in a population of 0 with its note. Wrong answers caught: a population under one
    left unrated, a rated line's note lost, and the Total's population or note lost or made up."""
    view = E.compare([E.Line("a", 1, 0.5), E.Line("b", 3, 99.5)])
    a = _row(view, "a")
    assert (a["rate_per_10000"], a["note"]) == (20000.0, "")
    nothing = _row(E.compare([E.Line("x", 3, None)]), TOTAL)
    assert (nothing["referrals"], nothing["population"], nothing["note"]) == (0, 0.0, E.TOTAL_NOTE)


def test_the_area_and_year_asked_for_are_used_and_a_missing_one_is_named(smalltown: Workspace, tmp_path: Path) -> None:
    """Smalltown (SMALL1, population for 2025 and 2026) and a second area ZED1 whose population by ethnicity is a
    single row (African, 100). By ethnicity for "zed1": ZED1's one row, its area and year on every line. By age
    for 2026: the year 2026. By age for ZED1 (no population by age there) and by ethnicity for NOWHERE: refused,
    naming the population looked for and the areas that have one. An unknown --by names every choice. SMALL1 by
    ethnicity lists each category once (its first, Asian or Asian British, is on the list: not also stated as
    off it). Wrong answers caught: the area or year given ignored, the view's area or year taken from a second
    row, the messages' words lost, and a category on the list listed again as not on it."""
    small = service.equality(smalltown, "ethnicity")["category"]
    assert small.n_unique() == small.len() and "Asian or Asian British" in small.to_list()
    areas, path = tmp_path / "areas.csv", tmp_path / "pg.csv"
    areas.write_text("code,name,kind,parent,source\nZED1,Zedtown,custom,,Made up\n")
    path.write_text(HEADER + "ZED1,2025,ethnicity,African,100,\n")
    import_inputs(smalltown, [Source("areas", areas), Source("population_groups", path)], mode="merge")
    zed = service.equality(smalltown, "ethnicity", area="zed1")
    assert set(zed["area"]) == {"ZED1"} and set(zed["year"]) == {2025}
    assert (_row(zed, "African")["population"], _row(zed, TOTAL)["population"]) == (100.0, 100.0)
    assert set(service.equality(smalltown, "age", year=2026)["year"]) == {2026}
    with pytest.raises(service.NoReturns) as caught:
        service.equality(smalltown, "age", area="ZED1")
    assert str(caught.value) == "no population for area ZED1; the areas with one are SMALL1"
    with pytest.raises(service.NoReturns) as caught:
        service.equality(smalltown, "ethnicity", area="nowhere")
    assert str(caught.value) == "no population by ethnicity for area NOWHERE; the areas with one are SMALL1, ZED1"
    with pytest.raises(E.UnknownField) as unknown:
        service.equality(smalltown, "service")
    assert str(unknown.value) == ("cannot compare referrals by 'service': choose one of gender, age, ethnicity, "
                                  "religion, referral_source, education_status, accommodation, trauma_category")


def test_a_workspace_without_the_population_needed_says_which_file_to_import(tmp_path: Path) -> None:
    """An empty workspace. By gender: no population, and the population by gender would do too. By age: only
    the population will do. By religion: the population by category, with its columns. Wrong answers caught:
    the hint about the population by gender lost, or given for age, and the words of each message changed."""
    empty = Workspace.create(tmp_path / "empty")
    try:
        said = {}
        for by in ("gender", "age", "religion"):
            with pytest.raises(service.NoReturns) as caught:
                service.equality(empty, by)
            said[by] = str(caught.value)
    finally:
        empty.close()
    no_population = "the workspace has no population: import it with 'cyplan import population FILE'"
    assert said == {
        "gender": no_population + " (or the population by gender with 'cyplan import population_groups FILE')",
        "age": no_population,
        "religion": "the workspace has no population by religion: import it with 'cyplan import population_groups "
                    "FILE' (columns area, year, field, category, count, source)"}
