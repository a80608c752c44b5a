"""Per-file totals from a pytest --junitxml report: which test files take longest.

    .venv/bin/pytest -n 2 --dist loadfile --junitxml=/tmp/times.xml
    .venv/bin/python scripts/file_times.py /tmp/times.xml [--top 15]

`make test` runs pytest with `--dist loadfile`: each file goes whole to one worker, so the run takes at least as long
as its slowest file, and a file much longer than a third of the run leaves the other worker idle at the end. Each
test's time is its setup, call and teardown (pytest's default junit_duration_report = total), so a module fixture's
cost is counted in the file's first test.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def file_of(case: ET.Element) -> str:
    """The test file a <testcase> came from: its `file` attribute, or its classname's module (tests.test_x)."""
    if case.get("file"):
        return str(case.get("file"))
    module = str(case.get("classname", "")).split(".")
    while module and not module[-1].startswith("test_"):
        module.pop()  # a test class's name
    return "/".join(module) + ".py"


def totals(report: Path) -> dict[str, tuple[float, int]]:
    """Each file's summed time and its number of tests."""
    seconds: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for case in ET.parse(report).iter("testcase"):
        name = file_of(case)
        seconds[name] += float(case.get("time", 0))
        count[name] += 1
    return {name: (seconds[name], count[name]) for name in seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path, nargs="+", help="junit XML files (several are added together)")
    parser.add_argument("--top", type=int, default=15, help="how many files to list")
    args = parser.parse_args(argv)
    every: dict[str, tuple[float, int]] = {}
    for report in args.report:
        for name, (s, n) in totals(report).items():
            before = every.get(name, (0.0, 0))
            every[name] = (before[0] + s, before[1] + n)
    ranked = sorted(every.items(), key=lambda item: -item[1][0])
    whole = sum(s for s, _ in every.values())
    for name, (s, n) in ranked[:args.top]:
        print(f"{s:8.1f} s  {n:4d} tests  {100 * s / whole:5.1f}%  {name}")
    print(f"{whole:8.1f} s  {sum(n for _, n in every.values()):4d} tests  in {len(every)} files (summed over workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
