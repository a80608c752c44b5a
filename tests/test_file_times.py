"""scripts/file_times.py: per-file totals from a pytest junit report."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_benchmark

file_times = load_benchmark("file_times", "scripts")

REPORT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_one" time="10.5" />
<testcase classname="tests.test_a.TestGroup" name="test_two" time="0.25" />
<testcase classname="tests.test_b" name="test_three[x]" time="3.0" />
<testcase classname="tests.test_b" name="test_three[y]" time="1.0"><failure message="no" /></testcase>
</testsuite></testsuites>"""


def test_each_files_tests_are_added_up_a_test_class_with_its_file(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Catches a test class taken for a file of its own (test_a's 10.75 s split in two), a failed test's time left
    out, and the files not ranked longest first: worked by hand, test_a 10.5 + 0.25, test_b 3 + 1."""
    path = tmp_path / "times.xml"
    path.write_text(REPORT, encoding="utf-8")
    assert file_times.totals(path) == {"tests/test_a.py": (10.75, 2), "tests/test_b.py": (4.0, 2)}
    assert file_times.main([str(path), str(path), "--top", "1"]) == 0  # two reports: added together
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["    21.5 s     4 tests   72.9%  tests/test_a.py",
                     "    29.5 s     8 tests  in 2 files (summed over workers)"]
