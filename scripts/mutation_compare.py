"""The check of line-level test selection: a summary of mutants/verify.jsonl, which
`mutate_fast.py --verify=PATTERN` writes for each mutant matching the pattern.

For such a mutant the line-level tests are run first. If one kills it, every test of its function would
too (they include that test), so both verdicts are "killed". If none does, the tests the line-level choice
left out are run as well: a kill there is a mutant the line-level choice would have got wrong.

    python scripts/mutation_compare.py [mutants/verify.jsonl]

Prints, per module, the mutants checked, how many the line-level tests killed, how many they did not and
were then run against the rest, and how many of those the rest killed (each named).
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {1, 3, 36, 24, -24, 152, 255}  # as scripts/mutation_score.py


def summary(rows: list[dict[str, object]]) -> tuple[dict[str, Counter[str]], list[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    wrong = []
    for row in rows:
        name = str(row["mutant"])
        c = counts[name.rpartition(".")[0]]
        c["checked"] += 1
        c[f"chosen by {row['how']}"] += 1
        if row["line"] in KILLED:
            c["killed by line-level tests"] += 1
        elif row["how"] == "function":
            c["not killed, all tests of the function run already"] += 1
        else:
            c["not killed, then run against the rest"] += 1
            if row["function"] in KILLED:
                c["killed by a left-out test"] += 1
                wrong.append(name)
    return counts, wrong


def main(args: list[str]) -> int:
    path = Path(args[0] if args else "mutants/verify.jsonl")
    if not path.exists():
        print(f"no {path}: run mutate_fast.py with --verify=PATTERN first", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    counts, wrong = summary(rows)
    total: Counter[str] = Counter()
    for module in sorted(counts):
        print(module, dict(counts[module]))
        total.update(counts[module])
    print("all", dict(total))
    for name in wrong:
        print("  killed by a test the line-level choice left out:", name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
