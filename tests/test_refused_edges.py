"""Values each within their type that no plan can mean, found by trying the merged app as an attacker would:
refused on their row and column, exit 2, the workspace left as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import CliResult, folder_bytes

Run = Callable[[Sequence[str]], CliResult]
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()

CASES = {
    # one administrator per 1e-300 clinical FTE planned 1.6e303 administrators costing £5e304 a year
    "a ratio past any plan": ("role_ratios", "role,per_role,per_fte,source\nadministrator,,1e-300,x\n",
                              "row 2, column 'per_fte': per fte 1e-300 is below 0.1"),
    # a judgement records a day the rating was agreed: one still to come was shown as agreed
    "a judgement agreed tomorrow": ("rating_judgement",
                                    f"date,rating,agreed_by,reason,source\n{TOMORROW},3,Board,r,x\n",
                                    f"row 2, column 'date': {TOMORROW} is after today: give the day the rating was "
                                    "agreed"),
    # places that end before they start added nothing, silently
    "places ending before they start": (
        "training_pipelines", "area,role,sector,start_year,end_year,places,course_years,completion_rate,"
        "share_taking_post_here,cost_per_place,source\nE10999999,clinical_psychologist,NHS,2026,2020,4,3,0.95,0.5,"
        "200000,x\n", "row 2, column 'end_year': end year 2020 is before the start year 2026: the places would start "
        "in no year"),
    # 'level=targeted;level=tertiary' was read as level=tertiary: a typing error taken for a row
    "a where naming a column twice": (
        "correlations", "input,where,column,with_input,with_where,with_column,rho,source\nprevalence_trends,"
        "level=targeted;level=tertiary,central,prevalence_trends,level=tertiary,central,0.5,x\n",
        "row 2, column 'where': 'level' is given twice"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_no_plan_can_mean_is_refused_where_it_is(case: str, run_cli: Run, demo_workspace: Path,
                                                        tmp_path: Path) -> None:
    kind, text, said = CASES[case]
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", kind, path, "-w", demo_workspace])
    assert code == 2 and said in " ".join(err.split()), err
    assert folder_bytes(demo_workspace) == before
