"""Killed / total mutants per module and per package, from the results mutmut keeps in mutants/.

A mutant counts as killed when a test failed (or timed out) with it in place; "no tests" means no selected
test reaches the mutated function, and counts against the score like a survivor. Not yet checked mutants
are left out and counted separately, so a partial run says which modules it has.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 36, 24, -24, 152, 255}  # mutmut's exit codes for a failing test or a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}


def module_counts(meta: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for code in json.loads(meta.read_text())["exit_code_by_key"].values():
        if code is None:
            counts["not checked"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
        elif code in NO_TESTS:
            counts["no tests"] += 1
        else:
            counts["other"] += 1
    return counts


def line(name: str, c: Counter[str]) -> str:
    checked = c["killed"] + c["survived"] + c["no tests"] + c["other"]
    score = f"{100 * c['killed'] / checked:5.1f}%" if checked else "    -"
    rest = f"  ({c['not checked']} not checked)" if c["not checked"] else ""
    return (f"{name:<32} {c['killed']:>5} / {checked:<5} killed {score}   survived {c['survived']:>4}"
            f"   no tests {c['no tests']:>3}{rest}")


def main(root: Path = Path("mutants/src/cyplan")) -> int:
    metas = sorted(root.glob("*/*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run `make mutate` first", file=sys.stderr)
        return 2
    packages: dict[str, Counter[str]] = {}
    for meta in metas:
        package, module = meta.parent.name, meta.name.removesuffix(".py.meta")
        counts = module_counts(meta)
        if sum(counts.values()) == 0:
            continue
        print(line(f"{package}/{module}", counts))
        packages.setdefault(package, Counter()).update(counts)
    print()
    total: Counter[str] = Counter()
    for package, counts in packages.items():
        print(line(package, counts))
        total.update(counts)
    print(line("all", total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
