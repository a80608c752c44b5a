"""Check mutmut's mutants in one process: the second half of `make mutate`.

mutmut (3.x) writes every mutant into mutants/src beside the original, behind a trampoline that picks the
function to call from the MUTANT_UNDER_TEST variable, and records which tests reach which function
(mutants/mutmut-stats.json). `mutmut run` then checks each mutant in a fresh worker process. Here that
cannot be a plain fork: polars starts a thread pool at import, and a forked copy of a process holding it
waits for ever on its first query (every mutant would "time out", which mutmut counts as killed). A worker
that imports polars afresh costs 3-5 s of CPU per mutant before any test runs: hours for 8,000 mutants.

So this script collects the tests once, in one pytest session, and for each mutant sets the trampoline's
variable and runs that mutant's tests (fastest first, stopping at the first failure) with pytest's own
runtestprotocol. A test that fails kills the mutant; one that runs past its time limit (an endless loop)
is stopped by SIGALRM and counts as a timeout, as in mutmut. The results go into mutmut's own files
(mutants/src/**/*.py.meta), so `mutmut results` and `mutmut show NAME` read them as usual.

A mutant that changed shared state for good could make later tests fail; so the tests are run once with no
mutant before and after, and the run fails if any of them does not pass both times. Results are saved every
ten mutants, so a run cut short keeps what it found.

    python scripts/mutate_fast.py 'cyplan.model.disclosure.*' [more patterns]
    python scripts/mutate_fast.py --survivors 'cyplan.model.*'    # again, only those not yet killed
    python scripts/mutate_fast.py --survivors --with=tests/test_mutants_model.py 'cyplan.model.*'  # and new tests
    python scripts/mutate_fast.py --survivors --only-with --with=tests/test_mutants_model.py 'cyplan.model.*'
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
KILLED, SURVIVED, NO_TESTS, TIMEOUT = 1, 0, 33, 36  # mutmut's exit codes for these outcomes
# Functions that run while their module is imported (classify._sql makes the DuckDB cleaners held in module
# constants): in one process the module was imported before any mutant was set, so their mutants would never
# run and all "survive". They are left unchecked (mutmut's own workers did not put them in place either).
AT_IMPORT = ("cyplan.returns.classify.x__sql__mutmut_",)


class MutantTimeout(Exception):
    """Raised in the test by SIGALRM when a mutant runs past its time limit."""


_late = [0]  # how many times the alarm has been put off, for the current test


def _alarm(signum: int, frame: Any) -> None:
    """Stop a mutant that runs too long, but only from inside the mutated code, where the exception is the
    test's failure: raised inside pytest's or hypothesis' own machinery it would break the session. So the
    alarm is put off (a tenth of a second at a time) until it lands in mutants/src, for at most a minute."""
    in_mutant = frame is not None and frame.f_code.co_filename.startswith(str(MUTANTS / "src"))
    if in_mutant or _late[0] >= 600:
        raise MutantTimeout("the mutant ran past its time limit")
    _late[0] += 1
    signal.setitimer(signal.ITIMER_REAL, 0.1)


class _Parent:
    """Stands for 'the next test shares this test's module': pytest then tears down the test's own
    fixtures but keeps the module's and the session's (the demo workspace is built once)."""

    def __init__(self, item: pytest.Item) -> None:
        self.chain = item.listchain()[:-1]

    def listchain(self) -> list[Any]:
        return self.chain


class Runner:
    """A pytest plugin: after collection, it runs the mutants instead of the usual test loop."""

    def __init__(self, mutants: dict[str, list[str]]) -> None:
        self.mutants = mutants  # mutant name → the node ids of the tests that reach its function
        self.results: dict[str, int] = {}
        self.clean_seconds: dict[str, float] = {}
        self.broken: list[str] = []

    def _run(self, session: pytest.Session, item: pytest.Item, limit: float) -> tuple[bool, bool]:
        """(passed, timed out) for one test, with the current mutant."""
        from _pytest.runner import runtestprotocol

        session._setupstate.teardown_exact(item)  # whatever the last test left that this one does not share
        _late[0] = 0
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            reports = runtestprotocol(item, log=False, nextitem=_Parent(item))  # type: ignore[arg-type]
        except MutantTimeout:
            return False, True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        failed = [r for r in reports if r.failed]
        timed_out = any("MutantTimeout" in str(r.longrepr) for r in failed)
        return not failed, timed_out

    def _clean(self, session: pytest.Session, items: list[pytest.Item]) -> list[str]:
        _set_mutant("")
        failed = []
        for item in items:
            start = time.perf_counter()
            passed, _ = self._run(session, item, 600)
            self.clean_seconds.setdefault(item.nodeid, time.perf_counter() - start)
            if not passed:
                failed.append(item.nodeid)
        return failed

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        by_id = {item.nodeid: item for item in session.items}
        for name, tests in self.mutants.items():  # a whole file given with --with: each of its tests
            self.mutants[name] = sorted({i for t in tests for i in by_id if i == t or i.startswith(f"{t}::")})
        used = sorted({t for tests in self.mutants.values() for t in tests if t in by_id})
        items = [by_id[t] for t in used]
        self.broken = self._clean(session, items)
        if self.broken:
            return True
        start = time.perf_counter()
        for done, (name, tests) in enumerate(self.mutants.items(), start=1):
            todo = sorted((by_id[t] for t in tests if t in by_id), key=lambda i: self.clean_seconds[i.nodeid])
            self.results[name] = self._check(session, name, todo)
            if done % 10 == 0:  # kept as it goes: a run cut short keeps what it found
                _save(self.results)
            if done % 25 == 0 or done == len(self.mutants):
                print(f"  {done}/{len(self.mutants)} mutants, {time.perf_counter() - start:.0f} s, "
                      f"{dict(Counter(self.results.values()))}", flush=True)
        self.broken = self._clean(session, items)
        session._setupstate.teardown_exact(None)
        return True

    def _check(self, session: pytest.Session, name: str, todo: list[pytest.Item]) -> int:
        if not todo:
            return NO_TESTS
        _set_mutant(name)
        try:
            for item in todo:
                passed, timed_out = self._run(session, item, max(10.0, 10 * self.clean_seconds[item.nodeid]))
                if timed_out:
                    return TIMEOUT
                if not passed:
                    return KILLED
            return SURVIVED
        finally:
            _set_mutant("")


def _set_mutant(name: str) -> None:
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test(name)
    os.environ["MUTANT_UNDER_TEST"] = name


def _metas() -> list[Path]:
    return sorted((MUTANTS / "src").rglob("*.py.meta"))


def _chosen(patterns: list[str], again: bool, extra: list[str], only_extra: bool) -> dict[str, list[str]]:
    """The mutants matching the patterns (only those not yet killed, unless `again`) and their tests: those
    mutmut saw reach the mutant's function, and every test of the `extra` files (tests newer than mutmut's
    record: a test there that does not reach the function passes and costs little)."""
    tests_by_function = json.loads((MUTANTS / "mutmut-stats.json").read_text())["tests_by_mangled_function_name"]
    chosen = {}
    for meta in _metas():
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if name.startswith(AT_IMPORT) or (only_extra and code is None):  # never checked: needs every test
                continue
            if (again or code not in (KILLED, TIMEOUT)) and any(fnmatch.fnmatch(name, p) for p in patterns):
                known = () if only_extra else tests_by_function.get(name.partition("__mutmut_")[0], ())
                tests = set(known) | set(extra)
                chosen[name] = sorted(tests)
    return chosen


def _save(results: dict[str, int]) -> None:
    for meta in _metas():
        data = json.loads(meta.read_text())
        hits = {k: v for k, v in results.items() if k in data["exit_code_by_key"]}
        if hits:
            data["exit_code_by_key"].update(hits)
            meta.write_text(json.dumps(data, indent=4))


def main(args: list[str]) -> int:
    again = "--survivors" not in args
    extra = [a.removeprefix("--with=") for a in args if a.startswith("--with=")]
    only_extra = "--only-with" in args  # survivors again, against new tests only: the old ones passed already
    patterns = [a for a in args if not a.startswith("--")] or ["*"]
    if not (MUTANTS / "mutmut-stats.json").exists():
        print("no mutants/mutmut-stats.json: run `mutmut run` once first (scripts/mutate.sh does)", file=sys.stderr)
        return 2
    chosen = _chosen(patterns, again, extra, only_extra)
    shutil.copytree(ROOT / "tests", MUTANTS / "tests", dirs_exist_ok=True)  # tests written since mutmut ran
    if not chosen:
        print(f"no mutant matches {patterns}", file=sys.stderr)
        return 2
    # the mutated copy, not the checkout, is what the tests must import
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "src"]
    sys.path.insert(0, str(MUTANTS / "src"))
    os.chdir(MUTANTS)
    signal.signal(signal.SIGALRM, _alarm)
    runner = Runner(chosen)
    files = sorted({t.partition("::")[0] for tests in chosen.values() for t in tests})
    if files:
        pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir=.", *files], plugins=[runner])
    else:
        runner.results = dict.fromkeys(chosen, NO_TESTS)
    if runner.broken:
        print(f"these tests fail with no mutant in place (before the mutants, or after them: a mutant then left "
              f"shared state changed, and the kills recorded may be wrong; run again): {runner.broken}",
              file=sys.stderr)
        return 1
    os.chdir(ROOT)
    _save(runner.results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
