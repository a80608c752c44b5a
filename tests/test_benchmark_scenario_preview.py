"""The pieces of benchmarks/scenario_preview.py that could make its figures wrong: the forms it times must be drafts
the builder passes (a form that only lists problems would time a preview that runs no model), and its p95."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.datastructures import FormData

from conftest import load_benchmark
from cyplan.store.workspace import Workspace
from cyplan.web.routes.scenarios import check, draft_from_form

bench = load_benchmark("scenario_preview")


@pytest.mark.parametrize("form", ["ONE_CHANGE", "THREE_MOVES"])
def test_the_timed_forms_are_drafts_the_builder_runs(_demo_template: Path, form: str) -> None:
    """Catches a timed form with a problem (the preview would answer with the problem, no simulation, and look
    fast): each passes the builder's checks on the demo, with every change it means to make."""
    ws = Workspace.open(_demo_template)
    try:
        frames = ws.read_all()
    finally:
        ws.close()
    draft = draft_from_form(FormData(list(getattr(bench, form).items())))
    checked = check(frames, draft)
    assert checked.problems == [] and checked.rows is not None
    assert checked.rows.height == {"ONE_CHANGE": 1, "THREE_MOVES": 3}[form]


def test_p95_is_the_95th_percentile() -> None:
    """Catches a p95 that is the maximum or the median: of 1 to 21, the 95th percentile is 20."""
    assert bench.p95([float(x) for x in range(1, 22)]) == pytest.approx(20.0)
