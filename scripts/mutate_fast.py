"""Check mutmut's mutants in one process: the second half of `make mutate`.

mutmut (3.x) writes every mutant into mutants/src beside the original, behind a trampoline that picks the
function to call from the MUTANT_UNDER_TEST variable, and records which tests reach which function
(mutants/mutmut-stats.json). `mutmut run` then checks each mutant in a fresh worker process. Here that
cannot be a plain fork: polars starts a thread pool at import, and a forked copy of a process holding it
waits for ever on its first query (every mutant would "time out", which mutmut counts as killed). A worker
that imports polars afresh costs 3-5 s of CPU per mutant before any test runs: hours for 8,000 mutants.

So this script collects the tests once, in one pytest session, and for each mutant sets the trampoline's
variable and runs that mutant's tests (stopping at the first failure) with pytest's own runtestprotocol.
A test that fails kills the mutant; one that runs past its time limit (an endless loop) is stopped and
counts as a timeout, as in mutmut. The results go into mutmut's own files (mutants/src/**/*.py.meta), so
`mutmut results` and `mutmut show NAME` read them as usual.

What makes it cheap per mutant:
* Line-level test selection. The tests are run once with no mutant under coverage.py, recording which test
  executes which statement of the original functions (`__mutmut_orig` in mutants/src). A mutant differs
  from its original only in the lines difflib finds; a deterministic test that never executes those
  statements runs exactly as it did, so it cannot kill the mutant, and only the tests that do are run. Where
  that argument does not hold the mutant gets every test that reaches its function, as mutmut records it:
  a change in the signature (defaults are evaluated at import), a line coverage does not record, a line
  inserted between two others. What a class or module fixture runs while it is made is recorded under the
  fixture's own context, and counts for every test that uses it (with a mutant, any of them may be the one
  that makes it). Hypothesis tests draw the same examples every run here (main loads a profile as the tests'
  "ci" one: derandomized, no database; and no shrinking), so they too are chosen by line; were they not, they
  would be run for every mutant of a function they reach. A mutant whose statements no test executes is
  "no tests", run against nothing.
* Each test is first run with no mutant (under coverage) when a mutant first needs it, not all at the start:
  a run stopped at a deadline has not paid for tests of functions it never reached. Module and class
  fixtures are made afresh for each mutant and thrown away after it, so no mutant's fixtures reach the next.
* Killer-first: a test that killed another mutant of the same function is tried first, then the fastest.
* Time limits in CPU time (SIGPROF), so a loaded or paused machine does not turn a slow test into a false
  "timeout" (which would count as killed); a wall-clock limit of an hour is kept for a mutant that hangs.
* `--shard=i/n` splits the mutants by function between n processes (so killer-first still works), and the
  results are saved under a lock, so shards can share a module's .meta file.

A mutant that changed shared state for good could make later tests fail; so the tests are run with no mutant
before the first mutant that needs them and again after the last, and the run fails if any of them does not
pass both times. Results are saved every
ten mutants and when the process is stopped (SIGTERM, SIGINT), so a run cut short keeps what it found.
A mutant that calls os._exit (faults.point(None) does) fails the test that called it (`_exit_under_mutant`).
A test that runs past its wall-clock limit without using its CPU time is stalled, not slow: a deadlock, which may be
polars' thread pool and not the mutant, and which leaves the process unable to run another query. So the shard
stops there (exit code 3), leaving the mutant's name in its marker file, and scripts/mutate.sh starts it again; a
mutant that ends or stalls the process twice is counted killed, as mutmut counts a dead or hung worker
(`_interrupted`). A watchdog thread (faulthandler) ends a process whose main thread is stuck in native code,
where no Python signal handler can run.

    python scripts/mutate_fast.py 'cyplan.model.disclosure.*' [more patterns, checked in that order]
    python scripts/mutate_fast.py --survivors 'cyplan.model.*'    # again, only those not yet killed
    python scripts/mutate_fast.py --rest 'cyplan.*'    # only those never checked: carries on a run cut short
    python scripts/mutate_fast.py --survivors --with=tests/test_mutants_model.py 'cyplan.model.*'  # and new tests
    python scripts/mutate_fast.py --survivors --only-with --with=tests/test_mutants_model.py 'cyplan.model.*'
    python scripts/mutate_fast.py --shard=1/2 'cyplan.*' & python scripts/mutate_fast.py --shard=2/2 'cyplan.*'
    python scripts/mutate_fast.py --select=function --results=f.json 'cyplan.model.gap.*'  # mutmut's selection,
                                                                      # verdicts to a file, .meta left alone
    python scripts/mutate_fast.py --verify='cyplan.model.gap.*' 'cyplan.model.gap.*'  # check line-level choice:
                                 # survivors run against the left-out tests too (mutants/verify.jsonl)
"""

from __future__ import annotations

import argparse
import ast
import difflib
import faulthandler
import fcntl
import fnmatch
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
KILLED, SURVIVED, NO_TESTS, TIMEOUT = 1, 0, 33, 36  # mutmut's exit codes for these outcomes
# Functions that run while their module is imported (classify._sql makes the DuckDB cleaners held in module
# constants): in one process the module was imported before any mutant was set, so their mutants would never
# run and all "survive". They are left unchecked (mutmut's own workers did not put them in place either).
AT_IMPORT = ("cyplan.returns.classify.x__sql__mutmut_",)
WALL_LIMIT = 300.0  # seconds, at least, for a test: past it (and 30 times its clean CPU time), it has stalled
STALLED = 3  # the exit code of a shard stopped by a stalled test: scripts/mutate.sh starts it again


# --- which lines a mutant changes, and which tests execute them (pure: tests/test_mutate_fast.py) ---

@dataclass(frozen=True)
class Function:
    """One `__mutmut_` function of a mutated file: its def line, first body line and source lines."""

    start: int
    body: int
    lines: tuple[str, ...]


def functions(text: str) -> dict[str, Function]:
    """Every `__mutmut_` function (original and mutants, methods too) in a mutated file, by name."""
    lines = text.splitlines()
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            assert node.end_lineno is not None
            found[node.name] = Function(node.lineno, node.body[0].lineno,
                                        tuple(lines[node.lineno - 1:node.end_lineno]))
    return found


def changed_lines(orig: Function, mutant: Function, orig_name: str, mutant_name: str) -> set[int] | None:
    """The file lines of the original function that the mutant changes, or None when the change cannot be
    pinned to lines of the body: it touches the signature (defaults and annotations run at import, not when
    a test calls), or adds a line between two (no original line is changed)."""
    theirs = (mutant.lines[0].replace(mutant_name, orig_name, 1), *mutant.lines[1:])
    changed: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=orig.lines, b=theirs, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:
            return None
        changed.update(range(orig.start + i1, orig.start + i2))
    if not changed or min(changed) < orig.body:
        return None
    return changed


def statements(changed: set[int], first_line: dict[int, int], recorded: set[int]) -> set[int] | None:
    """The statements (by first line, as coverage records them) that hold the changed lines, or None when a
    changed line is in no statement coverage records (an `else:`, a decorator, a line it cannot see)."""
    found = set()
    for line in changed:
        first = first_line.get(line, line)
        if first not in recorded:
            return None
        found.add(first)
    return found


FIXTURE = "fixture:"  # coverage's context while a class, module or package fixture is made (`fixture_context`)


def fixture_context(argname: str, scope_node: str) -> str:
    """The coverage context of a wider fixture as made for one class, module or package (by its node id)."""
    return f"{FIXTURE}{argname}@{scope_node}"


def select(reaching: Iterable[str], lines: set[int] | None, tests_by_line: dict[int, set[str]],
           keep: set[str], users: dict[str, set[str]] | None = None) -> tuple[list[str], str]:
    """The tests a mutant needs, and how they were chosen: of the tests reaching its function (`reaching`),
    those that execute one of its changed statements, in the test or in a class or module fixture it uses
    (`users`: the tests using each fixture context), and those in `keep` (see `_always`); every one when its
    statements are unknown (`lines` None) or a fixture that executes them is one no known test uses."""
    reaching = sorted(set(reaching))
    if lines is None:
        return reaching, "function"
    executing = set().union(*(tests_by_line.get(line, set()) for line in lines))
    users = users or {}
    for context in [c for c in executing if c.startswith(FIXTURE)]:
        if context not in users:
            return reaching, "function"
        executing |= users[context]
    chosen = [t for t in reaching if t in executing or t in keep]
    return chosen, ("line" if executing else "unexecuted")


def order(tests: list[str], killers: list[str], seconds: dict[str, float]) -> list[str]:
    """Tests that killed a mutant of the same function first (the latest killer first), then fastest first."""
    first = [t for t in killers if t in tests]
    return first + sorted((t for t in tests if t not in first), key=lambda t: (seconds.get(t, 0.0), t))


def shards(names: Iterable[str], n: int) -> list[set[str]]:
    """The functions (module and name, as mutmut mangles them) split into n shards of about equal numbers of
    mutants, largest function first: the same split for the same mutants, whatever has been checked already,
    so shards started at different times never overlap."""
    sizes = Counter(function_of(name) for name in names)
    parts: list[set[str]] = [set() for _ in range(n)]
    load = [0] * n
    for function, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        smallest = load.index(min(load))
        parts[smallest].add(function)
        load[smallest] += size
    return parts


def function_of(name: str) -> str:
    """cyplan.model.gap.x_gap_table__mutmut_7 → cyplan.model.gap.x_gap_table"""
    return name.partition("__mutmut_")[0]


# --- running the tests ---

class MutantTimeout(Exception):
    """Raised in the test by SIGPROF (or SIGALRM) when a mutant runs past its time limit."""


_late = [0]  # how many times the alarm has been put off, for the current test
_stalled = [False]  # the current test ran past its wall-clock limit (SIGALRM), not its CPU limit
_stop = [False]  # SIGTERM or SIGINT: save and stop after the current test


def _alarm(signum: int, frame: Any) -> None:
    """Stop a mutant that runs too long, but only from inside the mutated code, where the exception is the
    test's failure: raised inside pytest's or hypothesis' own machinery it would break the session. So the
    alarm is put off (a tenth of a second at a time) until it lands in mutants/src, at most 600 times."""
    in_mutant = frame is not None and frame.f_code.co_filename.startswith(str(MUTANTS / "src"))
    if signum == signal.SIGALRM:
        _stalled[0] = True
    if in_mutant or _late[0] >= 600:
        raise MutantTimeout("the mutant ran past its time limit")
    _late[0] += 1
    signal.setitimer(signal.ITIMER_PROF if signum == signal.SIGPROF else signal.ITIMER_REAL, 0.1)


def _stop_soon(signum: int, frame: Any) -> None:
    print(f"  signal {signal.Signals(signum).name}: stopping after the current test", flush=True)
    _stop[0] = True


class _Chain:
    """Stands for the next test, for pytest's teardown: what it shares with the current one is kept. The
    current test's module (`_Chain(item.listchain()[:-1])`): its own fixtures go, the module's and the session's
    stay. The session alone (`_Chain([session])`): module and class fixtures go too."""

    def __init__(self, chain: list[Any]) -> None:
        self.chain = chain

    def listchain(self) -> list[Any]:
        return self.chain


class Lines:
    """Which test executes which statement of the mutated files, from the runs with no mutant under coverage.py."""

    def __init__(self) -> None:
        import coverage

        src = MUTANTS / "src" / "cyplan"
        self.cov = coverage.Coverage(data_file=None, include=[str(src / "*")], config_file=False)
        self.files: dict[Path, tuple[dict[str, Function], dict[int, int], set[int]]] = {}
        self.by_line: dict[Path, dict[int, set[str]]] = {}  # emptied after each run under coverage
        self.users: dict[str, set[str]] = {}  # fixture context → the tests using it (Runner fills it)
        self.current: str | None = None  # the test being run under coverage
        self.making: list[str] = []  # the contexts of the wider fixtures being made, innermost last

    def run(self, tests: list[str], one: Any) -> None:
        """Call one(test) for each test under coverage, each in its own context."""
        self.cov.start()
        try:
            for test in tests:
                self.current = test
                self.cov.switch_context(test)
                one(test)
        finally:
            self.current = None
            self.cov.stop()
            self.by_line.clear()

    def in_fixture(self, context: str | None) -> None:
        """While a wider fixture is made, coverage records its lines under its own context, not the test's:
        every test that uses it depends on them, not only the one that happened to make it. None: it is made
        (back to the fixture that asked for it, if one did, or to the test)."""
        if self.current is None:
            return
        if context is None:
            self.making.pop()
        else:
            self.making.append(context)
        self.cov.switch_context(self.making[-1] if self.making else self.current)

    def of_file(self, path: Path) -> tuple[dict[str, Function], dict[int, int], set[int]]:
        """The file's functions, each line's statement (its first line), and the statements coverage records."""
        if path not in self.files:
            from coverage.parser import PythonParser

            text = path.read_text()
            parser = PythonParser(text=text, filename=str(path))
            parser.parse_source()
            first = {line: parser.first_line(line) for line in range(1, text.count("\n") + 2)}
            self.files[path] = (functions(text), first, set(parser.statements))
        return self.files[path]

    def tests_by_line(self, path: Path) -> dict[int, set[str]]:
        """The tests that executed each statement of the file (by its first line)."""
        if path not in self.by_line:
            first = self.of_file(path)[1]
            found: dict[int, set[str]] = {}
            for line, contexts in self.cov.get_data().contexts_by_lineno(str(path)).items():
                found.setdefault(first.get(line, line), set()).update(c for c in contexts if c)
            self.by_line[path] = found
        return self.by_line[path]

    def choose(self, name: str, reaching: list[str], keep: set[str]) -> tuple[list[str], str]:
        module, _, mutant = name.rpartition(".")
        path = MUTANTS / "src" / Path(*module.split(".")).with_suffix(".py")
        funcs, first, recorded = self.of_file(path)
        orig = mutant.partition("__mutmut_")[0] + "__mutmut_orig"
        lines = None
        if orig in funcs and mutant in funcs:
            changed = changed_lines(funcs[orig], funcs[mutant], orig, mutant)
            lines = None if changed is None else statements(changed, first, recorded)
        return select(reaching, lines, self.tests_by_line(path), keep, self.users)


class Runner:
    """A pytest plugin: after collection, it runs the mutants instead of the usual test loop."""

    def __init__(self, mutants: dict[str, list[str]], by_line: bool, save_to: Path | None,
                 verify: Iterable[str] = (), only_extra: bool = False) -> None:
        self.mutants = mutants  # mutant name → the node ids of the tests that reach its function
        self.only_extra = only_extra  # checked against --with tests only: only a kill is a new verdict
        self.by_line = by_line
        self.verify = list(verify)  # patterns of mutants whose line-level verdict is checked against all tests
        self.save_to = save_to
        self.results: dict[str, int] = {}
        self.clean_seconds: dict[str, float] = {}  # CPU seconds with no mutant (under coverage, if by line)
        self.broken: list[str] = []
        self.killers: dict[str, list[str]] = {}  # function → tests that killed its mutants, latest first
        self.how: Counter[str] = Counter()  # how each mutant's tests were chosen
        self.tests_run = 0
        self.lines: Lines | None = None
        self.cleaned: set[str] = set()  # the tests run with no mutant so far
        self.marker: Path | None = None  # holds the mutant being checked (see _interrupted)
        self.stalled: str | None = None  # the mutant whose test stalled: the shard stops and is started again
        self.again: str | None = None  # the mutant an earlier run of the shard ended or stalled on

    def _run(self, session: pytest.Session, item: pytest.Item, limit: float) -> tuple[bool, bool]:
        """(passed, timed out) for one test, with the current mutant; `limit` is in CPU seconds."""
        from _pytest.runner import runtestprotocol

        session._setupstate.teardown_exact(item)  # whatever the last test left that this one does not share
        _forget()
        _late[0] = 0
        _stalled[0] = False
        wall = max(WALL_LIMIT, 3 * limit)
        signal.setitimer(signal.ITIMER_PROF, limit)
        signal.setitimer(signal.ITIMER_REAL, wall)
        faulthandler.dump_traceback_later(wall + 120, exit=True)  # main thread stuck in native code: end it all
        try:
            reports = runtestprotocol(item, log=False, nextitem=_Chain(item.listchain()[:-1]))  # type: ignore[arg-type]
        except MutantTimeout:
            return False, True
        finally:
            faulthandler.cancel_dump_traceback_later()
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
        failed = [r for r in reports if r.failed]
        timed_out = any("MutantTimeout" in str(r.longrepr) for r in failed)
        return not failed, timed_out

    def _clean(self, session: pytest.Session, items: list[pytest.Item], lines: Lines | None) -> list[str]:
        """Run the tests with no mutant (under coverage, if choosing by line); the ones that fail."""
        _set_mutant("")
        session._setupstate.teardown_exact(_Chain([session]))  # module fixtures made afresh, with no mutant
        by_id = {item.nodeid: item for item in items}
        failed = []

        def one(nodeid: str) -> None:
            start = time.process_time()
            passed, _ = self._run(session, by_id[nodeid], 600)
            self.clean_seconds.setdefault(nodeid, time.process_time() - start)
            if not passed:
                failed.append(nodeid)

        if lines:
            lines.run(sorted(by_id), one)
        else:
            for nodeid in sorted(by_id):
                one(nodeid)
        self.cleaned.update(by_id)
        return failed

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Iterable[None]:
        wide = self.lines is not None and fixturedef.scope in WIDE
        if wide:
            self.lines.in_fixture(fixture_context(fixturedef.argname, request.node.nodeid))  # type: ignore[union-attr]
        try:
            yield
        finally:
            if wide:
                self.lines.in_fixture(None)  # type: ignore[union-attr]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        by_id = {item.nodeid: item for item in session.items}
        for name, tests in self.mutants.items():  # a whole file given with --with: each of its tests
            self.mutants[name] = sorted({i for t in tests for i in by_id if i == t or i.startswith(f"{t}::")})
        self.lines = Lines() if self.by_line else None
        derandomized = _derandomized()
        keep = {t for t in by_id if _always(by_id[t], derandomized)}
        if self.lines is not None:
            for item in session.items:
                for context in _fixture_contexts(item):
                    self.lines.users.setdefault(context, set()).add(item.nodeid)
        start = time.perf_counter()
        for done, (name, tests) in enumerate(self.mutants.items(), start=1):
            if _stop[0]:
                break
            # each test is first run with no mutant, when a mutant first needs it: its clean time, the lines it
            # runs, and a check that it passes; a session fixture is therefore always made with no mutant
            fresh = [by_id[t] for t in tests if t not in self.cleaned]
            if fresh:
                seconds = time.perf_counter()
                self.broken = self._clean(session, fresh, self.lines)
                print(f"  {len(fresh)} tests run with no mutant{' under coverage' if self.lines else ''}, "
                      f"{time.perf_counter() - seconds:.0f} s", flush=True)
                if self.broken:
                    return True
            if self.marker is not None:
                self.marker.write_text(name + ("\nagain" if name == self.again else ""))
            result = self._check(session, name, tests, by_id, keep)
            if _stalled[0]:  # no verdict: the marker stays, and the shard is started again (see _interrupted)
                self.stalled = name
                print(f"  {name}: a test stalled (past its wall-clock limit, its CPU time unused): stopping, to be "
                      f"started again", flush=True)
                faulthandler.dump_traceback_later(WALL_LIMIT, exit=True)  # a teardown stuck too ends the process
                break
            if self.marker is not None:
                self.marker.unlink(missing_ok=True)
            if result is None:  # stopped part-way: not a verdict
                break
            if result in (KILLED, TIMEOUT) or not self.only_extra:  # new tests alone cannot unkill nor un-reach
                self.results[name] = result
            if done % 10 == 0:  # kept as it goes: a run cut short keeps what it found
                self.save()
            if done % 25 == 0 or done == len(self.mutants):
                self.progress(done, start)
        if _stop[0] or self.stalled:
            print(f"  stopped after {len(self.results)} mutants: the clean run after them is skipped", flush=True)
            self.progress(len(self.results), start)
            return True
        self.broken = self._clean(session, [by_id[t] for t in sorted(self.cleaned)], None)
        session._setupstate.teardown_exact(None)
        return True

    def progress(self, done: int, start: float) -> None:
        seconds = time.perf_counter() - start
        print(f"  {done}/{len(self.mutants)} mutants, {seconds:.0f} s ({seconds / max(done, 1):.1f} s a mutant, "
              f"load {os.getloadavg()[0]:.1f}), {dict(Counter(self.results.values()))}, tests chosen by "
              f"{dict(self.how)}, {self.tests_run} tests run", flush=True)

    def _check(self, session: pytest.Session, name: str, reaching: list[str], by_id: dict[str, pytest.Item],
               keep: set[str]) -> int | None:
        if self.lines is None:
            tests, how = sorted(reaching), "function"
        else:
            tests, how = self.lines.choose(name, reaching, keep)
        self.how[how] += 1
        result = self._try(session, name, tests, by_id) if tests else NO_TESTS
        if self.lines is None or not any(fnmatch.fnmatch(name, p) for p in self.verify):
            return result
        # the check of the line-level choice: a mutant it kills, every test of the function kills too (they
        # include the killer); one it does not kill is run against the tests it left out
        rest = [t for t in reaching if t not in tests]
        full = result if result in (KILLED, TIMEOUT, None) or not rest else self._try(session, name, rest, by_id)
        if full is None:
            return None
        with open(MUTANTS / "verify.jsonl", "a") as log:
            log.write(json.dumps({"mutant": name, "line": result, "function": full, "how": how,
                                  "line_tests": len(tests), "function_tests": len(reaching)}) + "\n")
        return full

    def _try(self, session: pytest.Session, name: str, tests: list[str], by_id: dict[str, pytest.Item]) -> int | None:
        """The verdict of these tests on the mutant (None: stopped part-way)."""
        killers = self.killers.setdefault(function_of(name), [])
        # module and class fixtures are made afresh with the mutant in place (as in a fresh worker), and
        # thrown away after it, so that no mutant's fixtures are seen by the next mutant's tests
        session._setupstate.teardown_exact(_Chain([session]))
        _set_mutant(name)
        try:
            for nodeid in order(tests, killers, self.clean_seconds):
                if _stop[0]:
                    return None
                self.tests_run += 1
                _exits.clear()
                passed, timed_out = self._run(session, by_id[nodeid], max(10.0, 10 * self.clean_seconds[nodeid]))
                if timed_out:
                    return TIMEOUT
                if not passed or _exits:  # os._exit called, even where the exception it became was swallowed
                    killers[:] = [nodeid, *(k for k in killers if k != nodeid)]
                    return KILLED
            return SURVIVED
        finally:
            try:
                session._setupstate.teardown_exact(_Chain([session]))
            finally:
                _set_mutant("")

    def save(self) -> None:
        if self.save_to is None:
            _save(self.results)
        else:
            self.save_to.write_text(json.dumps(self.results, indent=1, sort_keys=True))


WIDE = ("class", "module", "package")  # fixture scopes made afresh for each mutant (session ones are not)


def _always(item: pytest.Item, derandomized: bool) -> bool:
    """Whether a test is run for every mutant of a function it reaches, whatever lines it executed: a hypothesis
    test unless its examples are the same every run (`_derandomized`): else it draws others next time. (A test
    using a class or module fixture is chosen by the lines the fixture executes too: `fixture_context`.)"""
    return not derandomized and getattr(getattr(item, "obj", None), "is_hypothesis_test", False)


def _hypothesis_profile() -> None:
    """Hypothesis as the tests' "ci" profile has it (the same examples every run: `_derandomized`), and a failing
    example not shrunk nor explained: the first failure kills the mutant, and shrinking it (running the test
    again and again, the explain phase under a tracer) was most of the time of a mutant a hypothesis test kills.
    Loaded before the tests are collected, since a test's own @settings takes what it leaves out from the
    profile loaded when its module is imported (tests/conftest.py loads the one CYPLAN_HYPOTHESIS_PROFILE names).
    No deadline, as in the tests' profiles: a slow example is not a wrong answer."""
    from hypothesis import Phase, settings

    settings.register_profile("mutation", derandomize=True, database=None, deadline=None,
                              phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target))
    settings.load_profile("mutation")
    os.environ["CYPLAN_HYPOTHESIS_PROFILE"] = "mutation"  # so that tests/conftest.py keeps it


def _derandomized() -> bool:
    """Whether hypothesis draws the same examples every run (derandomize, no database of earlier failures), as
    the profile `_hypothesis_profile` loads and the tests' "ci" one have it. Then, as for any other
    deterministic test, one that never executed a line with no mutant runs just as before with it."""
    try:
        from hypothesis import settings
    except ImportError:
        return False
    return bool(settings.default.derandomize) and settings.default.database is None


def _fixture_contexts(item: pytest.Item) -> set[str]:
    """The contexts of the class, module and package fixtures a test uses, named as pytest_fixture_setup
    names them (the node the fixture is made for, found as pytest's SubRequest finds it)."""
    from _pytest.fixtures import get_scope_node, get_scope_package
    from _pytest.scope import Scope

    info = getattr(item, "_fixtureinfo", None)
    found = set()
    for argname in getattr(item, "fixturenames", ()):
        defs = info.name2fixturedefs.get(argname) if info else None
        if not defs or defs[-1].scope not in WIDE:
            continue
        fixturedef = defs[-1]
        scope = Scope.from_user(fixturedef.scope, descr="fixture")
        node = get_scope_package(item, fixturedef) if scope is Scope.Package else get_scope_node(item, scope)
        found.add(fixture_context(argname, (node or item).nodeid))
    return found


MEMORY = "known"  # the name of a closure's dict of remembered answers (returns/classify.py's `_sql` rules)


_memories: dict[str, tuple[ModuleType, list[dict[Any, Any]]]] = {}  # by module: its closures' remembered answers


def _forget() -> None:
    """Empty what the mutated code remembers between calls (the classify rules' answers from DuckDB), before
    each test: else a test's run depends on the tests before it (with a mutant in place as without), which
    breaks the argument for choosing tests by line, and a mutant could leave wrong answers for the next.
    Each module's closures are found once (a mutated module holds thousands of functions: looking through
    them before every test was a sixth of a shard's time) and their dicts emptied before each test."""
    for name, module in list(sys.modules.items()):
        if not name.startswith(("cyplan.model", "cyplan.returns", "cyplan.reference.codelists")):
            continue
        found = _memories.get(name)
        if found is None or found[0] is not module:
            found = _memories[name] = (module, _closure_memories(module))
        for memory in found[1]:
            memory.clear()


def _closure_memories(module: ModuleType) -> list[dict[Any, Any]]:
    """The dicts the module's functions remember answers in: each closure's `MEMORY` cell."""
    found = []
    for value in vars(module).values():
        code = getattr(value, "__code__", None)
        if code is not None and MEMORY in code.co_freevars and value.__closure__:
            memory = value.__closure__[code.co_freevars.index(MEMORY)].cell_contents
            if isinstance(memory, dict):
                found.append(memory)
    return found


def _set_mutant(name: str) -> None:
    from mutmut.mutation.trampoline import set_mutant_under_test

    set_mutant_under_test(name)
    os.environ["MUTANT_UNDER_TEST"] = name


def _metas() -> list[Path]:
    return sorted((MUTANTS / "src").rglob("*.py.meta"))


def _all_mutants() -> list[tuple[str, int | None]]:
    return [(name, code) for meta in _metas()
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()]


def _chosen(patterns: list[str], again: bool, extra: list[str], only_extra: bool,
            shard: tuple[int, int], rest: bool = False) -> dict[str, list[str]]:
    """The mutants matching the patterns (in the patterns' order; only those not yet killed, unless `again`;
    only those never checked, if `rest`)
    and their tests: those mutmut saw reach the mutant's function, and every test of the `extra` files (tests
    newer than mutmut's record: a test there that does not reach the function passes and costs little)."""
    tests_by_function = json.loads((MUTANTS / "mutmut-stats.json").read_text())["tests_by_mangled_function_name"]
    everything = [(name, code) for name, code in _all_mutants() if not name.startswith(AT_IMPORT)]
    rank = {name: next((i for i, p in enumerate(patterns) if fnmatch.fnmatch(name, p)), -1) for name, _ in everything}
    matching = [(name, code) for name, code in everything if rank[name] >= 0]
    mine = shards((name for name, _ in matching), shard[1])[shard[0] - 1]
    chosen = {}
    for name, code in sorted(matching, key=lambda nc: rank[nc[0]]):  # stable: file order within a pattern
        if only_extra and code is None:  # never checked: needs every test
            continue
        if rest and code is not None:
            continue
        if function_of(name) in mine and (again or code not in (KILLED, TIMEOUT)):
            known = () if only_extra else tests_by_function.get(function_of(name), ())
            chosen[name] = sorted(set(known) | set(extra))
    return chosen


class MutantExit(Exception):
    """os._exit was called in this process: a mutant did it (no test ends its own process; the fault tests that
    kill a process run a child), e.g. `faults.point(None)`, which matches the unset fault variable and exits."""


_exits: list[int] = []  # the exit codes os._exit was called with during the current test


def _exit_under_mutant(code: int) -> None:
    """os._exit while mutants are checked: an exception in the test that called it (killed), where a forked
    mutmut worker would have died (killed too), not the end of the whole shard."""
    _exits.append(code)
    raise MutantExit(f"os._exit({code}) called under a mutant")


def _interrupted(marker: Path, chosen: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(to check first, counted killed): the mutant a shard was checking when its last run ended without a verdict
    for it, named in `marker` (written before each check, removed after it). The process crashed (in native code),
    or a test stalled (a deadlock: see the module's docstring), or it was stopped with SIGKILL. Any of these may
    be chance rather than the mutant, so the first time it is checked again; the second time (the marker's second
    line) it is counted killed, as mutmut counts a worker that died or hung, and not checked again, or the shard
    would stop on it for ever. Stop a run with SIGTERM or Ctrl-C, never SIGKILL."""
    lines = marker.read_text().split() if marker.exists() else []
    marker.unlink(missing_ok=True)
    name = lines[0] if lines else ""
    if name not in chosen:
        return None, None
    if len(lines) > 1:
        print(f"  {name} ended or stalled this shard's run twice: counted killed", flush=True)
        return None, name
    print(f"  {name} was being checked when this shard's last run ended or stalled: checked again first", flush=True)
    return name, None


def _save(results: dict[str, int]) -> None:
    """Into mutmut's .meta files, under a lock: shards share a module's file, and a save must not undo
    another's (each reads the file afresh and writes it whole, by rename)."""
    with open(MUTANTS / ".meta.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for meta in _metas():
            data = json.loads(meta.read_text())
            hits = {k: v for k, v in results.items() if k in data["exit_code_by_key"]}
            if hits and any(data["exit_code_by_key"][k] != v for k, v in hits.items()):
                data["exit_code_by_key"].update(hits)
                part = meta.with_suffix(".part")
                part.write_text(json.dumps(data, indent=4))
                os.replace(part, meta)


def _refresh() -> None:
    """Copy src/'s files other than Python (the web templates) over mutants/src's: mutmut copies them only when
    it first makes mutants/src, and stale templates fail the page tests with no mutant in place."""
    for path in (ROOT / "src").rglob("*"):
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
            target = MUTANTS / "src" / path.relative_to(ROOT / "src")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _arguments(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Check mutmut's mutants in one pytest session.")
    parser.add_argument("patterns", nargs="*", default=["*"], help="mutant names (fnmatch), checked in this order")
    parser.add_argument("--survivors", action="store_true", help="only mutants not yet killed")
    parser.add_argument("--rest", action="store_true", help="only mutants not yet checked: carry on a run")
    parser.add_argument("--with", dest="extra", action="append", default=[], help="more test files, run for all")
    parser.add_argument("--only-with", action="store_true", help="survivors against the --with tests only")
    parser.add_argument("--shard", default="1/1", help="i/n: this process checks the i-th of n parts")
    parser.add_argument("--select", choices=("line", "function"), default="line",
                        help="tests that execute the changed lines (default), or all that reach the function")
    parser.add_argument("--verify", action="append", default=[], metavar="PATTERN",
                        help="for these mutants, run a survivor against the tests line-level selection left out "
                             "too, record its verdict from all, and log both to mutants/verify.jsonl")
    parser.add_argument("--results", type=Path, help="write the verdicts to this JSON file, not to mutants/")
    parsed = parser.parse_args(args)
    i, _, n = parsed.shard.partition("/")
    if not (i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n)):
        parser.error(f"--shard must be i/n with 1 <= i <= n, not {parsed.shard!r}")
    parsed.shard = (int(i), int(n))
    return parsed


def main(args: list[str]) -> int:
    opts = _arguments(args)
    if not (MUTANTS / "mutmut-stats.json").exists():
        print("no mutants/mutmut-stats.json: run `mutmut run` once first (scripts/mutate.sh does)", file=sys.stderr)
        return 2
    _hypothesis_profile()
    chosen = _chosen(opts.patterns, not opts.survivors, opts.extra, opts.only_with, opts.shard, opts.rest)
    shutil.copytree(ROOT / "tests", MUTANTS / "tests", dirs_exist_ok=True)  # tests written since mutmut ran
    _refresh()
    if not chosen:
        print(f"no mutant matches {opts.patterns} (shard {opts.shard[0]}/{opts.shard[1]})", file=sys.stderr)
        return 2
    print(f"{len(chosen)} mutants, shard {opts.shard[0]}/{opts.shard[1]}, tests chosen by {opts.select}", flush=True)
    # the mutated copy, not the checkout, is what the tests must import
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "src"]
    sys.path.insert(0, str(MUTANTS / "src"))
    save_to = opts.results.resolve() if opts.results else None
    os.chdir(MUTANTS)
    os._exit = _exit_under_mutant  # type: ignore[assignment]
    signal.signal(signal.SIGPROF, _alarm)
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _stop_soon)
    signal.signal(signal.SIGINT, _stop_soon)
    marker = MUTANTS / f"checking-{opts.shard[0]}-of-{opts.shard[1]}.txt"
    again, crashed = _interrupted(marker, chosen)
    if crashed and save_to is None:
        _save({crashed: KILLED})
    if again:  # first, so that a second stall or crash on it is known by the marker's second line
        chosen = {again: chosen[again], **chosen}
    runner = Runner({k: v for k, v in chosen.items() if k != crashed}, opts.select == "line", save_to, opts.verify,
                    opts.only_with)
    runner.marker = marker
    runner.again = again
    files = sorted({t.partition("::")[0] for tests in chosen.values() for t in tests})
    if files:
        # --tb=native: pytest's own report of a failure parses the failing source file to show its lines, and a
        # file of mutants/src holds every mutant of the module: that parse was three quarters of a run's time
        pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir=.", "--tb=native", *files], plugins=[runner])
    elif not opts.only_with:
        runner.results = dict.fromkeys(chosen, NO_TESTS)
    os.chdir(ROOT)
    runner.save()
    if runner.stalled:
        return STALLED
    if runner.broken:
        print(f"these tests fail with no mutant in place (before the mutants, or after them: a mutant then left "
              f"shared state changed, and the kills recorded may be wrong; run again): {runner.broken}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
