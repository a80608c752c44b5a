"""Which surviving mutants docs/testing.md does not explain (issue 19: every survivor killed or explained).

docs/testing.md explains survivors in tables under a heading that names the module in backticks
(#### `model/gap.py`, #### `model/simulate` and `model/plan`), one row a mutant or a group of them. The first
cell names them either as mutmut does (x_gap_table__mutmut_202) or by function and numbers
(`_counted 53, 58`, `_counted 175-178; role_ratio 20`, `Plan.total 3`). A row whose verdict says
**killed** names a mutant a test was written for: if the run still finds it alive, that is reported too.

    python scripts/mutation_explained.py            # from mutants/ (a run on this machine)
    python scripts/mutation_explained.py --ledger   # from docs/mutation-verdicts.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from mutation_ledger import LEDGER, MUTANTS, ROOT, from_meta, loads
from mutation_score import NO_TESTS, SURVIVED

DOC = ROOT / "docs" / "testing.md"
MODULE = re.compile(r"`((?:model|returns|reference)/\w+)(?:\.py)?`")
MUTMUT_NAME = re.compile(r"(x[\wǁ]+?)__mutmut_(\d+)")
NUMBERS = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?")

Named = dict[tuple[str, str, int], bool]  # (package/module, mangled function, number) → said killed


def mangled(function: str) -> str:
    """As mutmut names a function: _counted → x__counted, Plan.total → xǁPlanǁtotal."""
    if function.startswith("x") and ("__" in function[:3] or "ǁ" in function or function[1:2] == "_"):
        return function
    if "." in function:
        cls, _, method = function.rpartition(".")
        return f"xǁ{cls}ǁ{method}"
    return f"x_{function}"


def named_in(cell: str, last: str | None = None) -> list[tuple[str, int]]:
    """The (mangled function, number) pairs a row's first cell names; numbers alone are `last`'s (the function
    the heading or the row above names)."""
    cell = cell.replace("`", "").strip()
    found = [(m.group(1), int(m.group(2))) for m in MUTMUT_NAME.finditer(cell)]
    if found:
        return found
    if last and re.fullmatch(r"[\d\s,?\-–]+", cell):
        cell = f"{last} {cell}"
    for part in cell.split(";"):
        words = part.strip().split(None, 1)
        if len(words) != 2 or not re.match(r"^[A-Za-z_][\w.]*$", words[0]):
            continue
        for m in NUMBERS.finditer(words[1]):
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            found += [(mangled(words[0]), n) for n in range(first, last + 1)]
    return found


def explained(doc: str) -> Named:
    """Every mutant the tables name, under the modules of the heading they follow."""
    modules: list[str] = []
    last: str | None = None
    named: Named = {}
    for line in doc.splitlines():
        if line.startswith("#"):
            modules = MODULE.findall(line) if line.startswith("####") else []
            others = [w for w in re.findall(r"`([^`]+)`", line) if not MODULE.fullmatch(f"`{w}`")]
            last = mangled(others[0]) if modules and others else None
            continue
        if not (modules and line.startswith("|")) or set(line) <= set("|- "):
            continue
        cells = line.strip("|").split("|")
        killed = "**killed" in line
        pairs = named_in(cells[0], last)
        if pairs:
            last = pairs[-1][0]
        for function, number in pairs:
            for module in modules:
                key = (module, function, number)
                named[key] = named.get(key, False) or killed
    return named


def survivors(verdicts: dict[str, dict[str, tuple[str | None, list[int | None]]]]) -> list[tuple[str, str, int]]:
    return [(Path(path).with_suffix("").as_posix().removeprefix("src/cyplan/"), function, n)
            for path, functions in sorted(verdicts.items()) for function, (_, codes) in sorted(functions.items())
            for n, code in enumerate(codes, 1) if code in SURVIVED | NO_TESTS]


def main(use_ledger: bool) -> int:
    if use_ledger:
        verdicts = loads(LEDGER.read_text())
    else:
        verdicts = {str(meta.relative_to(MUTANTS)).removesuffix(".meta"): from_meta(json.loads(meta.read_text()))
                    for meta in sorted((MUTANTS / "src").rglob("*.py.meta"))}
    named = explained(DOC.read_text())
    alive = survivors(verdicts)
    missing = [s for s in alive if s not in named]
    contradicted = [s for s in alive if named.get(s)]
    for module, function, n in missing:
        print(f"not explained: {module} {function}__mutmut_{n}")
    for module, function, n in contradicted:
        print(f"said killed, but survives: {module} {function}__mutmut_{n}")
    print(f"{len(alive)} survivors: {len(alive) - len(missing)} named in {DOC.relative_to(ROOT)}, "
          f"{len(missing)} not; {len(contradicted)} said killed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] == ["--ledger"]))
