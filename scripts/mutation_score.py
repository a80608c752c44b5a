"""Killed / total mutants per module and per package, from the results mutmut keeps in mutants/ (or, with
--ledger, from those kept in the repository: docs/mutation-verdicts.json, scripts/mutation_ledger.py).

A mutant counts as killed when a test failed (or timed out) with it in place; "no tests" means no selected
test reaches the mutated function, and counts against the score like a survivor. Not yet checked mutants
are left out and counted separately, so a partial run says which modules it has.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mutation_ledger import LEDGER, loads

KILLED = {1, 3, 36, 24, -24, 152, 255}  # mutmut's exit codes for a failing test or a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}


def module_counts(codes: Iterable[int | None]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for code in codes:
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


def codes_by_module(root: Path, ledger: Path | None) -> dict[tuple[str, str], list[int | None]]:
    """(package, module) → its mutants' exit codes, from mutants/ or from the ledger."""
    if ledger is not None:
        return {(Path(path).parent.name, Path(path).stem): [c for _, codes in functions.values() for c in codes]
                for path, functions in sorted(loads(ledger.read_text()).items())}
    return {(meta.parent.name, meta.name.removesuffix(".py.meta")):
            list(json.loads(meta.read_text())["exit_code_by_key"].values())
            for meta in sorted(root.glob("*/*.py.meta"))}


def main(root: Path = Path("mutants/src/cyplan"), ledger: Path | None = None) -> int:
    found = codes_by_module(root, ledger)
    if not found:
        print("no mutmut results in mutants/: run `make mutate` first", file=sys.stderr)
        return 2
    packages: dict[str, Counter[str]] = {}
    for (package, module), codes in found.items():
        counts = module_counts(codes)
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
    sys.exit(main(ledger=LEDGER if sys.argv[1:] == ["--ledger"] else None))
