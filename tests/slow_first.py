"""The test files in the order the two workers should take them: the slowest first.

`make test` gives each pytest-xdist worker a whole file at a time (`--dist loadfile`, so a module's fixtures are
built once) and, once a worker is nearly done, the next file in the queue. Left to itself xdist queues the files
with the most tests first, which put the slowest ones last: they hold few tests that each build a server, a
PostgreSQL area or a board paper (test_benchmark_report_speed.py has 4 tests, test_no_skips.py 1). The run then
ended with one worker on such a file and the other idle. Taken first, the long files run side by side while the
many short ones fill in around them at the end (longest first is the classic rule for two machines).

SLOWEST lists the files longest first, as measured with `scripts/file_times.py` on a `--junitxml` report; the
other files follow in xdist's own order (most tests first). pytest_configure below turns xdist's own reordering off
(as `--no-loadscope-reorder` would) so that it keeps this order. A file missing from the list is not an error: it
is only queued later than it might be.
"""

from __future__ import annotations

from collections import Counter

import pytest

# measured on 6 December 2026: the whole run's --durations at 17:45, then the first seven files alone (their
# processor time and junit times, this branch's changes made)
SLOWEST = (
    "test_server_security.py",
    "test_cli_demo.py",
    "test_deployment_walkthrough.py",
    "test_properties.py",
    "test_browser.py",
    "test_templates.py",
    "test_roles.py",
    "test_benchmark_report_speed.py",
    "test_send_therapy.py",
    "test_postgres.py",
    "test_report_docx.py",
    "test_fuzz_readers.py",
    "test_csv_formulas.py",
    "test_tenancy.py",
    "test_headline.py",
    "test_benchmark_returns.py",
    "test_benchmark_model.py",
    "test_signin_config.py",
    "test_report.py",
    "test_no_skips.py",
    "test_roles_admin.py",
)


def queue_order(files: list[str]) -> list[str]:
    """Each file once, SLOWEST's first in its order, then the rest by how many tests each holds (most first, ties in
    the order given): `files` is the file of each collected test, in collection order."""
    counts = Counter(files)
    rank = {name: i for i, name in enumerate(SLOWEST)}
    first_seen = {name: i for i, name in reversed(list(enumerate(files)))}
    return sorted(counts, key=lambda f: (rank.get(f.rsplit("/", 1)[-1], len(rank)), -counts[f], first_seen[f]))


def pytest_configure(config: pytest.Config) -> None:
    """xdist's `--no-loadscope-reorder`, set here rather than in pyproject's addopts: there it would be an unknown
    option to a run with `-p no:xdist`."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests grouped by file in queue_order; within a file the order is untouched (some files' tests run in order)."""
    files = [item.nodeid.split("::", 1)[0] for item in items]
    place = {name: i for i, name in enumerate(queue_order(files))}
    items[:] = [item for _, item in sorted(zip(files, items, strict=True), key=lambda pair: place[pair[0]])]
