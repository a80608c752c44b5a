"""No test may skip: a skip is reported as a failure that says why it would have skipped.

A skip hides what it skips (a missing server, package or file) behind a passing run, so CI could go green
without ever running the PostgreSQL or browser tests. conftest.py imports these hooks; a test that cannot run
fails with a message saying what is missing and how to install it. Expected failures (xfail) are left as
they are: they run, and say so.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

WHY = "a test skipped, and no test may skip (a skip would hide a missing dependency in CI)"


def _reason(longrepr: Any) -> str:
    # a skip's report holds (file, line, reason); anything else is shown as it is
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return f"{longrepr[2]} ({longrepr[0]}:{longrepr[1]})"
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"{WHY}: {_reason(report.longrepr)}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    # a module-level skip (pytest.importorskip, pytest.skip(allow_module_level=True)) skips a whole file
    report = yield
    if report.outcome == "skipped":
        report.outcome = "failed"
        report.longrepr = f"{WHY}: {_reason(report.longrepr)}"
    return report
