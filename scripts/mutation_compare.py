"""Compare two ways of choosing a mutant's tests: the verdicts in a JSON file written by
`mutate_fast.py --select=function --results=FILE` against those in mutmut's .meta files (written by the usual
line-level run), over the mutants both have checked.

    python scripts/mutation_compare.py mutants/compare-function.json

Killed and timeout count as killed; survived and "no tests" as not killed. Prints, per module, how many
mutants both checked and how many verdicts differ, and names each mutant that differs.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 36, 24, -24, 152, 255}  # as scripts/mutation_score.py


def verdict(code: int) -> str:
    return "killed" if code in KILLED else "not killed"


def compare(other: dict[str, int], metas: list[Path]) -> tuple[Counter[str], Counter[str], list[str]]:
    both: Counter[str] = Counter()
    differ: Counter[str] = Counter()
    names = []
    for meta in metas:
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if code is None or name not in other:
                continue
            module = name.rpartition(".")[0]
            both[module] += 1
            if verdict(code) != verdict(other[name]):
                differ[module] += 1
                names.append(f"{name}: line-level {verdict(code)} ({code}), function-level "
                             f"{verdict(other[name])} ({other[name]})")
    return both, differ, names


def main(args: list[str]) -> int:
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    other = json.loads(Path(args[0]).read_text())
    both, differ, names = compare(other, sorted(Path("mutants/src").rglob("*.py.meta")))
    for module in sorted(both):
        print(f"{module:<32} {both[module]:>5} checked both ways, {differ[module]} differ")
    print(f"{'all':<32} {sum(both.values()):>5} checked both ways, {sum(differ.values())} differ")
    for name in names:
        print(" ", name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
