"""tests/slow_first.py: the order the test files are queued for the two workers."""

from __future__ import annotations

from pathlib import Path

import slow_first
from slow_first import SLOWEST, queue_order

TESTS = Path(__file__).parent


def test_the_slowest_come_first_in_their_order_then_the_most_tests_first() -> None:
    """Catches a listed slow file queued after the many-test files (the idle worker at the end this is for), the
    list's order not kept, and the rest not in xdist's own order (most tests first; ties as collected)."""
    collected = (["tests/test_a.py"] * 2 + ["tests/test_cli_demo.py"] * 3 + ["tests/test_b.py"] * 5
                 + ["tests/test_server_security.py"] + ["tests/test_c.py"] * 2)
    assert queue_order(collected) == ["tests/test_server_security.py", "tests/test_cli_demo.py", "tests/test_b.py",
                                      "tests/test_a.py", "tests/test_c.py"]


def test_within_a_file_the_tests_keep_their_order() -> None:
    """Catches tests of one file reordered (test_deployment_walkthrough.py's run in the file's order) or split apart."""

    class Item:
        def __init__(self, nodeid: str) -> None:
            self.nodeid = nodeid

    ids = ["tests/test_x.py::z", "tests/test_cli_demo.py::b", "tests/test_x.py::a", "tests/test_cli_demo.py::a"]
    items = [Item(i) for i in ids]
    slow_first.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [i.nodeid for i in items] == ["tests/test_cli_demo.py::b", "tests/test_cli_demo.py::a",
                                         "tests/test_x.py::z", "tests/test_x.py::a"]


def test_every_listed_file_exists() -> None:
    """Catches a file renamed or split while the list still names the old one (it would quietly be queued late)."""
    assert [name for name in SLOWEST if not (TESTS / name).is_file()] == []
    assert len(set(SLOWEST)) == len(SLOWEST)
