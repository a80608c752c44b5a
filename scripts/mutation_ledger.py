"""The mutation verdicts kept in the repository (docs/mutation-verdicts.json), so a run is never lost.

mutmut keeps its verdicts in mutants/, which git ignores: a fresh clone, or a machine that is started afresh,
has none, and a whole `make mutate` takes longer than a working session on two cores. So the verdicts are also
kept here, by source file and function: each function's hash as mutmut computes it (its own source, before
mutation) and the verdict of each of its mutants, in mutmut's numbering.

* `save` writes mutants/'s verdicts into the ledger. A function whose source is unchanged keeps the ledger's
  verdicts for the mutants mutants/ has not checked; a function that is gone from the source is dropped.
* `restore` writes the ledger into a fresh mutants/ (one with no .meta files) as mutmut's own .meta files,
  before `mutmut run` makes the mutants: mutmut then keeps the verdict of every mutant whose function's hash
  is unchanged and checks again the mutants of every function that changed, as it does between its own runs.

A verdict carried over this way is as good as mutmut's own cache: it holds while the function is unchanged,
whatever else changed (a function it calls, the tests). A test added since can only kill more, so survivors
are worth checking again (`scripts/mutate.sh --survivors`); delete the ledger and mutants/ to check every
mutant afresh.

    python scripts/mutation_ledger.py save
    python scripts/mutation_ledger.py restore
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT / "docs" / "mutation-verdicts.json"
MUTANTS = ROOT / "mutants"

Verdicts = dict[str, dict[str, tuple[str | None, list[int | None]]]]  # file → function → (hash, codes 1..n)


def from_meta(meta: dict[str, Any]) -> dict[str, tuple[str | None, list[int | None]]]:
    """One .meta file's verdicts, by function: its hash and its mutants' exit codes in mutmut's numbering."""
    numbered: dict[str, dict[int, int | None]] = {}
    for key, code in meta["exit_code_by_key"].items():
        prefix, _, number = key.rpartition("__mutmut_")
        numbered.setdefault(prefix.rpartition(".")[2], {})[int(number)] = code
    found = {}
    for function, codes in numbered.items():
        if sorted(codes) != list(range(1, len(codes) + 1)):
            raise ValueError(f"{function}: mutants numbered {sorted(codes)}, not 1 to {len(codes)}")
        found[function] = (meta["hash_by_function_name"].get(function), [codes[n] for n in sorted(codes)])
    return found


def to_meta(path: str, functions: dict[str, tuple[str | None, list[int | None]]]) -> dict[str, Any]:
    """The .meta file mutmut would have written for these verdicts (`from_meta` backwards)."""
    module = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
    return {
        "exit_code_by_key": {f"{module}.{function}__mutmut_{n}": code
                             for function, (_, codes) in functions.items() for n, code in enumerate(codes, 1)},
        "hash_by_function_name": {function: h for function, (h, _) in functions.items() if h is not None},
        "type_check_error_by_key": {}, "durations_by_key": {}, "estimated_durations_by_key": {},
    }


def merged(kept: Verdicts, current: Verdicts) -> Verdicts:
    """The current verdicts, with a kept one filling a mutant not checked now when its function is unchanged."""
    out: Verdicts = {}
    for path, functions in sorted(current.items()):
        out[path] = {}
        for function, (h, codes) in sorted(functions.items()):
            old_hash, old_codes = kept.get(path, {}).get(function, (None, []))
            if h is not None and h == old_hash and len(old_codes) == len(codes):
                codes = [c if c is not None else o for c, o in zip(codes, old_codes, strict=True)]
            out[path][function] = (h, codes)
    return out


def dumps(verdicts: Verdicts) -> str:
    """One line a function, so that a diff shows which functions' verdicts changed."""
    files = []
    for path, functions in sorted(verdicts.items()):
        lines = [f"  {json.dumps(function)}: {json.dumps([h, codes], separators=(',', ':'))}"
                 for function, (h, codes) in sorted(functions.items())]
        body = "{\n" + ",\n".join(lines) + "\n }" if lines else "{}"
        files.append(f" {json.dumps(path)}: {body}")
    return "{\n" + ",\n".join(files) + "\n}\n"


def loads(text: str) -> Verdicts:
    return {path: {function: (h, codes) for function, (h, codes) in functions.items()}
            for path, functions in json.loads(text).items()}


def _metas(mutants: Path) -> dict[str, Path]:
    return {str(meta.relative_to(mutants)).removesuffix(".meta"): meta
            for meta in sorted((mutants / "src").rglob("*.py.meta"))}


def save(ledger: Path = LEDGER, mutants: Path = MUTANTS) -> int:
    metas = _metas(mutants)
    if not metas:
        print(f"no mutmut results in {mutants}: nothing to save", file=sys.stderr)
        return 2
    current = {path: from_meta(json.loads(meta.read_text())) for path, meta in metas.items()}
    kept = loads(ledger.read_text()) if ledger.exists() else {}
    ledger.write_text(dumps(merged(kept, current)))
    print(f"saved the verdicts of {len(metas)} files to {ledger}")
    return 0


def restore(ledger: Path = LEDGER, mutants: Path = MUTANTS) -> int:
    if not ledger.exists():
        print(f"no {ledger}: every mutant will be checked", file=sys.stderr)
        return 0
    if _metas(mutants):
        print(f"{mutants.name}/ has mutmut's results already: the ledger is not restored over them")
        return 0
    for path, functions in loads(ledger.read_text()).items():
        meta = mutants / f"{path}.meta"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps(to_meta(path, functions), indent=4))
    print(f"restored the verdicts of {ledger} into {mutants}")
    return 0


if __name__ == "__main__":
    commands = {"save": save, "restore": restore}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        print(__doc__.rsplit("\n\n", 1)[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
