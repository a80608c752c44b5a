"""Numbers at and beyond their column's bounds (issue 11, part 4).

An integer beyond 64 bits (99999999999999999999, 1e20, 9223372036854775808) once crashed the importer with
a traceback (exit 1), and 1e308 people or FTE was accepted, so that pages said "demand is nan FTE". Every
number column now has bounds in the schema; each case here is worked by hand from the documented bounds
(docs/data-formats.md), just inside and just outside, and the messages are written out in full.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest

from conftest import CliResult, folder_bytes, write_text
from cyplan.io.read import ROW, RawTable
from cyplan.io.validate import validate
from cyplan.schema import KINDS

Run = Callable[[Sequence[str]], CliResult]


def problems_in(kind: str, column: str, text: str) -> list[str]:
    """The messages about `column` for one row of the schema's examples with `column` set to `text`."""
    spec = KINDS[kind]
    cells = {c.name: [text if c.name == column else c.example] for c in spec.columns}
    frame = pl.DataFrame({**cells, ROW: [2]}, schema={**{c: pl.String for c in cells}, ROW: pl.Int64})
    _, found = validate(RawTable("t.csv", None, tuple(cells), frame, 1), spec)
    return [p.message for p in found if p.column == column]


# (kind, column, just inside, just outside, the message for just outside)
BOUNDS = [
    ("population", "count", "100000000", "100000000.5", "count 100000000.5 is above 100000000"),
    ("population", "count", "0", "-0.5", "count -0.5 is negative; it must be 0 or more"),
    ("population", "year", "2100", "2101", "year 2101 is above 2100"),
    ("population", "year", "1990", "1989", "year 1989 is below 1990"),
    ("group_sizes", "count", "100,000,000", "100,000,001", "count 100,000,001 is above 100000000"),
    ("population_groups", "count", "100000000", "100000001", "count 100000001 is above 100000000"),
    ("group_risks", "central", "1000", "1000.5", "central relative risk 1000.5 is above 1000"),
    ("pathway_steps", "order", "999", "1000", "order 1000 is above 999"),
    ("pathway_steps", "order", "1", "0", "order 0 is below 1"),
    ("pathway_steps", "central", "100000", "100000.1", "central hours per case 100000.1 is above 100000"),
    ("roles", "salary", "10000000", "10000000.01", "salary 10000000.01 is above 10000000"),
    ("workforce", "headcount", "1000000", "1000001", "headcount 1000001 is above 1000000"),
    ("workforce", "fte_in_post", "1000000", "1000000.5", "fte in post 1000000.5 is above 1000000"),
    ("workforce", "vacant_fte", "1000000", "1000000.5", "vacant fte 1000000.5 is above 1000000"),
    ("workforce", "agency_fte", "1000000", "1000000.5", "agency fte 1000000.5 is above 1000000"),
    ("workforce", "joiners_per_year", "1000000", "1000000.5", "joiners per year 1000000.5 is above 1000000"),
    ("prevalence_trends", "central", "1", "1.01", "central trend 1.01 is above 1"),
    ("prevalence_trends", "central", "-0.5", "-0.51", "central trend -0.51 is below -0.5"),
    ("scenarios", "value", "1000000000", "1000000001", "value 1000000001 is above 1000000000"),
    ("scenarios", "value", "-1000000000", "-1000000001", "value -1000000001 is below -1000000000"),
    ("services", "funding", "1000000000", "1000000000.5", "funding 1000000000.5 is above 1000000000"),
    ("services", "capacity", "100000000", "100000001", "capacity 100000001 is above 100000000"),
    ("service_staff", "fte", "1000000", "1000000.5", "fte 1000000.5 is above 1000000"),
    ("paper_details", "item", "99", "100", "item 100 is above 99"),
]


@pytest.mark.parametrize(("kind", "column", "inside", "outside", "message"), BOUNDS,
                         ids=[f"{b[0]}.{b[1]}={b[3]}" for b in BOUNDS])
def test_a_number_just_inside_its_bounds_is_taken_and_one_just_outside_is_refused(
        kind: str, column: str, inside: str, outside: str, message: str) -> None:
    """Catches a bound that is missing, off by one, or strict where it should not be."""
    assert problems_in(kind, column, inside) == []
    assert problems_in(kind, column, outside) == [message]


# Values that once crashed the importer (integer columns) or went through to nan results (number columns)
HUGE = [
    ("population", "year", "99999999999999999999", "year 99999999999999999999 is above 2100"),
    ("population", "age", "1e20", "age 1e20 is above 25"),
    ("population", "age", "9223372036854775808", "age 9223372036854775808 is above 25"),  # 2**63
    ("population", "age", "-9223372036854775809", "age -9223372036854775809 is negative; it must be 0 or more"),
    ("pathway_steps", "order", "18446744073709551616", "order 18446744073709551616 is above 999"),  # 2**64
    ("paper_details", "item", "1e308", "item 1e308 is above 99"),
    ("population", "count", "1e308", "count 1e308 is above 100000000"),
    ("population", "count", "1e309", "'1e309' is not a number"),  # beyond a float: infinite
    ("population", "count", "inf", "'inf' is not a number"),
    ("population", "count", "NaN", "'NaN' is not a number"),
    ("workforce", "fte_in_post", "1e308", "fte in post 1e308 is above 1000000"),
    ("service_staff", "fte", "1.7976931348623157e308", "fte 1.7976931348623157e308 is above 1000000"),
    ("scenarios", "value", "-1e308", "value -1e308 is below -1000000000"),
    # an age range from far below 0: the overlap checks once made a list of every age in it (a panic, or
    # gigabytes for -1000000000)
    ("age_bands", "age_from", "-9223372036854775808",
     "age from -9223372036854775808 is negative; it must be 0 or more"),
    ("age_bands", "age_from", "-1000000000", "age from -1000000000 is negative; it must be 0 or more"),
    ("prevalence", "age_from", "-1000000000", "age from -1000000000 is negative; it must be 0 or more"),
    ("group_sizes", "age_from", "-1000000000", "age from -1000000000 is negative; it must be 0 or more"),
]


@pytest.mark.parametrize(("kind", "column", "text", "message"), HUGE, ids=[f"{h[0]}.{h[1]}={h[2]}" for h in HUGE])
def test_numbers_too_big_for_64_bits_or_for_the_model_are_located_problems(kind: str, column: str, text: str,
                                                                           message: str) -> None:
    """Catches the cast to Int64 that raised, and 1e308 going through to inf and nan."""
    assert problems_in(kind, column, text) == [message]


ROLE_COLUMNS = ("role,label,staff_group,contracted_hours_per_week,working_days_per_week,annual_leave_days,"
                "public_holiday_days,sickness_days,training_days,direct_work_share,salary,on_cost_rate")


@pytest.mark.parametrize(("hours", "share", "message"), [
    ("5", "0.005", None),  # 200 days × 1 hour a day × 0.005 = 1 hour a year: just enough
    ("5", "0.004", "one FTE of this role gives 0.8 hours of direct work a year (working days × hours a day × direct "
                   "work share): it must give at least 1"),
    ("1e-300", "0.6", "one FTE of this role gives 2.4e-299 hours of direct work a year (working days × hours a day "
                      "× direct work share): it must give at least 1"),
])
def test_a_role_must_give_at_least_an_hour_of_direct_work_a_year(hours: str, share: str, message: str | None) -> None:
    """Catches demand in FTE divided by a productive time that underflows to 0: 'demand is nan FTE' again, through
    a contract of 1e-300 hours, which 'more than 0' lets through. Days: 52 × 5 − (36 + 8 + 11 + 5) = 200."""
    spec = KINDS["roles"]
    values = ["mh", "MH", "NHS", hours, "5", "36", "8", "11", "5", share, "42000", "0.35"]
    frame = pl.DataFrame({**{c: [v] for c, v in zip(ROLE_COLUMNS.split(","), values, strict=True)}, ROW: [2]},
                         schema={**{c: pl.String for c in ROLE_COLUMNS.split(",")}, ROW: pl.Int64})
    _, found = validate(RawTable("roles.csv", None, tuple(ROLE_COLUMNS.split(",")), frame, 1), spec)
    assert [p.message for p in found] == ([message] if message else [])
    assert all(p.row == 2 and p.column == "contracted_hours_per_week" for p in found)


def test_every_number_column_has_finite_bounds() -> None:
    """Catches a new number column added without bounds (the hole 1e308 went through)."""
    for kind in KINDS.values():
        for col in kind.columns:
            if col.type in ("integer", "number", "share"):
                low = 0 if col.minimum is None and col.type == "share" else col.minimum
                assert low is not None and col.maximum is not None, f"{kind.name}.{col.name}"
                assert math.isfinite(low) and math.isfinite(col.maximum) and low < col.maximum
                if col.type == "integer":
                    assert low > -(2**53) and col.maximum < 2**53, f"{kind.name}.{col.name}"


def test_cli_refuses_the_issue_numbers_with_exit_2_and_changes_nothing(run_cli: Run, demo_workspace: Path,
                                                                        tmp_path: Path) -> None:
    """The issue's cases end to end: located problems and exit 2, not a traceback and exit 1, and not an
    import that later shows nan."""
    population = write_text(tmp_path / "population.csv", "area,year,age,sex,count\n"
                            "E10999999,99999999999999999999,1,female,5\n"
                            "E10999999,2025,1e20,male,1e308\n"
                            "E10999999,2025,9223372036854775808,female,10\n")
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", population, "-w", demo_workspace])
    assert code == 2
    assert f"{population}, row 2, column 'year': year 99999999999999999999 is above 2100" in err
    assert f"{population}, row 3, column 'age': age 1e20 is above 25" in err
    assert f"{population}, row 3, column 'count': count 1e308 is above 100000000" in err
    assert f"{population}, row 4, column 'age': age 9223372036854775808 is above 25" in err
    assert "Traceback" not in err
    staff = write_text(tmp_path / "service_staff.csv", "service,role,fte\nmhst,wellbeing_practitioner,1e308\n")
    code, _, err = run_cli(["import", "service_staff", staff, "-w", demo_workspace])
    assert code == 2
    assert f"{staff}, row 2, column 'fte': fte 1e308 is above 1000000" in err
    assert folder_bytes(demo_workspace) == before


def test_returns_age_beyond_64_bits_is_a_query_not_a_crash(tmp_path: Path) -> None:
    """The returns files' one number (age) is read by DuckDB's try_cast: a huge age is queried, the records kept."""
    import datetime as dt

    from cyplan.returns import service
    from cyplan.store.workspace import Workspace

    header = (Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv").read_text().splitlines()[0]
    good = "R{},Affinity,2022-05-01,yes,{},Female,White British,Christian,Other,Other,Other,Other,yes,no,,"
    ages = ["99999999999999999999", "1e308", "-9223372036854775809"]
    path = write_text(tmp_path / "records.csv", "\n".join([header, *(good.format(i, a) for i, a in
                                                                     enumerate(ages))]) + "\n")
    ws = Workspace.create(tmp_path / "ws")
    try:
        result = service.import_returns(ws, path, today=dt.date(2024, 1, 1))
    finally:
        ws.close()
    assert result.records == 3
    found = {(r["row"], r["column"], r["message"]) for r in result.queries.iter_rows(named=True)}
    assert found == {(2 + i, "age", f"'{a}' is not a whole number of years") for i, a in enumerate(ages)}

