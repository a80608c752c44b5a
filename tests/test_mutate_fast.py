"""scripts/mutate_fast.py's pure parts: which lines a mutant changes, which statement coverage records for
them, which tests a mutant then needs, in which order, and how mutants are split between shards."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from coverage.parser import PythonParser

from conftest import load_benchmark

mutate_fast = load_benchmark("mutate_fast", "scripts")

# a mutated file as mutmut writes it: the original and two mutants of one function (line numbers on the right)
SOURCE = '''\
def x_f__mutmut_orig(a, b=1):          # 1
    """Doc."""                           # 2
    total = (a +                         # 3
             b)                          # 4
    if total > 2:                        # 5
        return total                     # 6
    else:                                # 7
        return 0                         # 8
def x_f__mutmut_1(a, b=2):             # 9
    """Doc."""                           # 10
    total = (a +                         # 11
             b)                          # 12
    if total > 2:                        # 13
        return total                     # 14
    else:                                # 15
        return 0                         # 16
def x_f__mutmut_2(a, b=1):             # 17
    """Doc."""                           # 18
    total = (a +                         # 19
             b + 1)                      # 20
    if total > 2:                        # 21
        return total                     # 22
    else:                                # 23
        return 0                         # 24
def x_f__mutmut_3(a, b=1):             # 25
    """Doc."""                           # 26
    total = (a +                         # 27
             b)                          # 28
    if total > 2:                        # 29
        return total                     # 30
    else:                                # 31
        return 1                         # 32
'''
# the comments differ per line only by their number, which the diff must not see: strip them
SOURCE = "\n".join(line.split("#")[0].rstrip() for line in SOURCE.splitlines()) + "\n"


def _changed(mutant: str) -> set[int] | None:
    found = mutate_fast.functions(SOURCE)
    return mutate_fast.changed_lines(found["x_f__mutmut_orig"], found[mutant], "x_f__mutmut_orig", mutant)


def test_a_change_on_a_continuation_line_is_pinned_to_the_original_line_and_then_to_its_statement() -> None:
    """Catches the mutant's own line numbers used instead of the original's (20 instead of 4), and a change on the
    second line of a statement looked up as that line, which coverage never records (it records line 3)."""
    assert _changed("x_f__mutmut_2") == {4}
    parser = PythonParser(text=SOURCE)
    parser.parse_source()
    first = {line: parser.first_line(line) for line in range(1, 33)}
    assert mutate_fast.statements({4}, first, set(parser.statements)) == {3}
    assert mutate_fast.statements({8}, first, set(parser.statements)) == {8}


def test_a_changed_default_or_an_else_falls_back_to_every_test_of_the_function() -> None:
    """Catches a signature change pinned to the def line (defaults are evaluated at import, so no test's
    coverage shows the def line) and an `else:` line, which coverage does not record, taken as executed by no test
    (both would make the mutant 'no tests' without running anything)."""
    assert _changed("x_f__mutmut_1") is None
    parser = PythonParser(text=SOURCE)
    parser.parse_source()
    first = {line: parser.first_line(line) for line in range(1, 33)}
    assert 7 not in parser.statements
    assert mutate_fast.statements({7}, first, set(parser.statements)) is None
    assert mutate_fast.statements({6, 7}, first, set(parser.statements)) is None


def test_a_line_added_between_two_falls_back() -> None:
    """Catches an inserted line (no original line changed) taken as 'changes nothing', which would run no test."""
    orig = mutate_fast.Function(1, 2, ("def x_g__mutmut_orig():", "    a = 1", "    return a"))
    added = mutate_fast.Function(5, 6, ("def x_g__mutmut_1():", "    a = 1", "    a += 1", "    return a"))
    assert mutate_fast.changed_lines(orig, added, "x_g__mutmut_orig", "x_g__mutmut_1") is None
    changed = mutate_fast.Function(5, 6, ("def x_g__mutmut_1():", "    a = 2", "    return a"))
    assert mutate_fast.changed_lines(orig, changed, "x_g__mutmut_orig", "x_g__mutmut_1") == {2}


def test_only_tests_executing_a_changed_statement_are_chosen_and_those_kept() -> None:
    """Catches a test that never executes the changed statement kept (no saving), one that does dropped (a wrong
    'survived'), a test that does not reach the function added, and a hypothesis test dropped (its next examples
    may take the line)."""
    reaching = ["t::c", "t::a", "t::b", "t::h"]
    by_line = {10: {"t::b", "t::z"}, 12: {"t::c"}}
    assert mutate_fast.select(reaching, {10}, by_line, {"t::h"}) == (["t::b", "t::h"], "line")
    assert mutate_fast.select(reaching, {10, 12}, by_line, set()) == (["t::b", "t::c"], "line")
    assert mutate_fast.select(reaching, {11}, by_line, {"t::h"}) == (["t::h"], "unexecuted")
    assert mutate_fast.select(reaching, {11}, by_line, set()) == ([], "unexecuted")
    assert mutate_fast.select(reaching, None, by_line, set()) == (["t::a", "t::b", "t::c", "t::h"], "function")


def test_a_test_whose_module_fixture_executes_the_line_is_chosen_whichever_test_made_the_fixture() -> None:
    """Catches the tests sharing a module fixture left out when the line runs only while the fixture is made
    (coverage saw it under the fixture's context, not theirs: a wrong 'survived'), and a fixture context no
    known test uses taken as used by none (it must fall back to every test of the function)."""
    made = mutate_fast.fixture_context("plan", "tests/test_m.py")
    reaching = ["tests/test_m.py::a", "tests/test_m.py::b", "tests/test_n.py::c"]
    by_line = {10: {made}, 12: {"tests/test_n.py::c"}}
    users = {made: {"tests/test_m.py::a", "tests/test_m.py::b"}}
    assert mutate_fast.select(reaching, {10}, by_line, set(), users) == (
        ["tests/test_m.py::a", "tests/test_m.py::b"], "line")
    assert mutate_fast.select(reaching, {12}, by_line, set(), users) == (["tests/test_n.py::c"], "line")
    assert mutate_fast.select(reaching, {10}, by_line, set(), {}) == (sorted(reaching), "function")


def test_hypothesis_tests_are_chosen_by_line_only_when_their_examples_are_the_same_every_run() -> None:
    """Catches a hypothesis test left to line-level choice while it draws new examples each run (its next
    examples may take the changed line), and one kept for every mutant when the "ci" profile fixes them."""
    from hypothesis import given, settings, strategies

    @given(strategies.integers())
    def drawn(x: int) -> None:
        pass

    item = type("Item", (), {"obj": drawn})()
    assert mutate_fast._always(item, derandomized=False)
    assert not mutate_fast._always(item, derandomized=True)
    assert not mutate_fast._always(type("Item", (), {"obj": lambda: None})(), derandomized=False)
    previous = settings.default
    try:
        settings.load_profile("ci")  # as tests/conftest.py registers it
        assert mutate_fast._derandomized()
        settings.register_profile("drawn", derandomize=False)
        settings.load_profile("drawn")
        assert not mutate_fast._derandomized()
    finally:
        settings.register_profile("previous", previous)
        settings.load_profile("previous")


def test_killers_go_first_latest_first_then_the_fastest() -> None:
    """Catches the killers ignored (fastest first only), a killer not chosen for this mutant run anyway, and the
    rest not ordered by their clean time."""
    seconds = {"a": 5.0, "b": 0.5, "c": 2.0, "d": 0.1}
    assert mutate_fast.order(["a", "b", "c", "d"], ["c", "x", "a"], seconds) == ["c", "a", "d", "b"]
    assert mutate_fast.order(["a", "b"], [], seconds) == ["b", "a"]


def test_shards_split_by_function_evenly_whatever_the_order() -> None:
    """Catches one function's mutants split between shards (killer-first would then learn half as much), an
    uneven split, and a split that depends on the order the names come in. Worked by hand: sizes f 5, g 3,
    h 3, k 1; largest first to the emptier shard: f→1 (5), g→2 (3), h→2 (6), k→1 (6)."""
    names = ([f"m.x_f__mutmut_{i}" for i in range(1, 6)] + [f"m.x_g__mutmut_{i}" for i in range(1, 4)]
             + [f"m.x_h__mutmut_{i}" for i in range(1, 4)] + ["m.x_k__mutmut_1"])
    assert mutate_fast.shards(names, 2) == [{"m.x_f", "m.x_k"}, {"m.x_g", "m.x_h"}]
    assert mutate_fast.shards(reversed(names), 2) == [{"m.x_f", "m.x_k"}, {"m.x_g", "m.x_h"}]
    assert mutate_fast.shards(names, 1) == [{"m.x_f", "m.x_g", "m.x_h", "m.x_k"}]


def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, codes: dict[str, int | None]) -> Path:
    meta = tmp_path / "src" / "m.py.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({"exit_code_by_key": codes}))
    stats = {"tests_by_mangled_function_name": {"m.x_f": ["t::a"], "m.x_g": ["t::b"]}}
    (tmp_path / "mutmut-stats.json").write_text(json.dumps(stats))
    monkeypatch.setattr(mutate_fast, "MUTANTS", tmp_path)
    return meta


def test_a_shard_keeps_its_functions_after_others_were_checked_and_saves_do_not_undo_each_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches shards split over the mutants still to check (a shard started later would then take functions the
    other already has), and a save that writes back a stale copy of the .meta file, undoing the other shard's."""
    codes: dict[str, int | None] = {"m.x_f__mutmut_1": None, "m.x_f__mutmut_2": None, "m.x_g__mutmut_1": None}
    meta = _workspace(tmp_path, monkeypatch, codes)
    first = mutate_fast._chosen(["*"], False, [], False, (1, 2))
    second = mutate_fast._chosen(["*"], False, [], False, (2, 2))
    assert first == {"m.x_f__mutmut_1": ["t::a"], "m.x_f__mutmut_2": ["t::a"]}
    assert second == {"m.x_g__mutmut_1": ["t::b"]}
    mutate_fast._save({"m.x_f__mutmut_1": 1})  # shard 1 kills one of f's
    mutate_fast._save({"m.x_g__mutmut_1": 0})  # shard 2, from its own results only
    assert json.loads(meta.read_text())["exit_code_by_key"] == {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": None,
                                                                "m.x_g__mutmut_1": 0}
    assert mutate_fast._chosen(["*"], False, [], False, (2, 2)) == {"m.x_g__mutmut_1": ["t::b"]}
    assert mutate_fast._chosen(["*"], False, [], False, (1, 2)) == {"m.x_f__mutmut_2": ["t::a"]}


def test_a_run_carried_on_checks_only_the_mutants_never_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    """Catches --rest checking again a mutant already killed or already found to survive (a run stopped and
    started again would then spend its time on the mutants it had done), or leaving out one never checked."""
    _workspace(tmp_path, monkeypatch, {"m.x_f__mutmut_1": 1, "m.x_f__mutmut_2": 0, "m.x_f__mutmut_3": None,
                                       "m.x_g__mutmut_1": 36})
    assert mutate_fast._chosen(["*"], True, [], False, (1, 1), rest=True) == {"m.x_f__mutmut_3": ["t::a"]}
    assert set(mutate_fast._chosen(["*"], True, [], False, (1, 1))) == {
        "m.x_f__mutmut_1", "m.x_f__mutmut_2", "m.x_f__mutmut_3", "m.x_g__mutmut_1"}


def test_mutants_come_in_the_patterns_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the patterns' order ignored (mutate.sh puts the figures people quote first)."""
    _workspace(tmp_path, monkeypatch, {"m.x_f__mutmut_1": None, "m.x_g__mutmut_1": None})
    assert list(mutate_fast._chosen(["m.x_g*", "m.x_f*"], True, [], False, (1, 1))) == ["m.x_g__mutmut_1",
                                                                                     "m.x_f__mutmut_1"]


@pytest.mark.parametrize("shard", ["0/2", "3/2", "a/2", "2"])
def test_a_shard_out_of_range_is_refused(shard: str) -> None:
    """Catches --shard=3/2 (or 0/2) accepted, which would check nothing, or crash with an IndexError."""
    with pytest.raises(SystemExit) as stopped:
        mutate_fast._arguments([f"--shard={shard}"])
    assert stopped.value.code == 2


def test_the_fixture_contexts_of_a_test_are_the_ones_its_wider_fixtures_are_made_under(tmp_path: Path) -> None:
    """Catches a test mapped to a fixture context other than the one pytest makes its fixture for (the module's,
    the class's): the lines the fixture runs would then choose no test, or the wrong ones. Function and session
    fixtures have none (one is the test's own context; the other is made once, with no mutant)."""
    (tmp_path / "test_shapes.py").write_text(
        "import pytest\n"
        "@pytest.fixture(scope='module')\ndef plan(): return 1\n"
        "@pytest.fixture(scope='class')\ndef per_class(): return 2\n"
        "@pytest.fixture(scope='session')\ndef once(): return 3\n"
        "@pytest.fixture\ndef per_test(plan, once): return plan\n"
        "def test_a(per_test): pass\n"
        "class TestB:\n    def test_b(self, per_class, plan): pass\n")
    made: set[tuple[str, str]] = set()
    contexts: dict[str, set[str]] = {}

    class Watch:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_fixture_setup(self, fixturedef: object, request: pytest.FixtureRequest) -> object:
            if getattr(fixturedef, "scope", None) in mutate_fast.WIDE:
                made.add((request.fixturename or "", request.node.nodeid))
            yield

        def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
            contexts.update({item.name: mutate_fast._fixture_contexts(item) for item in items})

    assert pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), "-c", "/dev/null",
                        str(tmp_path / "test_shapes.py")], plugins=[Watch()]) == 0
    module = "test_shapes.py"
    assert contexts == {"test_a": {f"fixture:plan@{module}"},
                        "test_b": {f"fixture:plan@{module}", f"fixture:per_class@{module}::TestB"}}
    assert {mutate_fast.fixture_context(*m) for m in made} == contexts["test_a"] | contexts["test_b"]


def test_the_check_of_line_level_selection_counts_a_left_out_killer_as_a_wrong_choice() -> None:
    """Catches scripts/mutation_compare.py counting a mutant the left-out tests killed as agreement (the proof of
    soundness would then hide its counter-example), or a timeout not counted as killed."""
    compare = load_benchmark("mutation_compare", "scripts")
    rows = [{"mutant": "m.x_f__mutmut_1", "line": 1, "function": 1, "how": "line"},
            {"mutant": "m.x_f__mutmut_2", "line": 0, "function": 0, "how": "line"},
            {"mutant": "m.x_f__mutmut_3", "line": 33, "function": 36, "how": "unexecuted"},
            {"mutant": "m.x_g__mutmut_1", "line": 0, "function": 0, "how": "function"}]
    counts, wrong = compare.summary(rows)
    assert wrong == ["m.x_f__mutmut_3"]
    assert counts["m"]["checked"] == 4
    assert counts["m"]["killed by line-level tests"] == 1
    assert counts["m"]["not killed, then run against the rest"] == 2
    assert counts["m"]["killed by a left-out test"] == 1


def test_what_the_mutated_code_remembers_is_forgotten_before_each_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a classify rule's remembered answers kept from one test to the next: a mutant of `_asked` then
    never runs for labels an earlier test used (a wrong 'survived'), and can leave wrong answers for later ones.
    Only the mutated packages' memories are emptied; another module's is left alone."""
    import types

    def rule() -> object:
        known: dict[str, object] = {"a": 1}

        def apply(values: list[str]) -> list[object]:
            return [known.get(v) for v in values]
        return apply

    mutated, other = types.ModuleType("cyplan.returns.rules_here"), types.ModuleType("cyplan.web.rules_here")
    mutated.RULE, other.RULE = rule(), rule()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, mutated.__name__, mutated)
    monkeypatch.setitem(sys.modules, other.__name__, other)
    mutate_fast._forget()
    assert mutated.RULE(["a"]) == [None]  # type: ignore[attr-defined]
    assert other.RULE(["a"]) == [1]  # type: ignore[attr-defined]
    mutated.RULE.__closure__[0].cell_contents["a"] = 2  # type: ignore[attr-defined]  # remembered by the next test
    mutate_fast._forget()  # before the one after it: the closures found once, emptied each time
    assert mutated.RULE(["a"]) == [None]  # type: ignore[attr-defined]


def test_the_mutant_a_shard_was_checking_when_it_stopped_is_checked_again_once_then_counted_killed(
        tmp_path: Path) -> None:
    """A shard's marker names the mutant it was checking (written before each check, removed after): one left
    behind means the process ended or stalled during that check (a crash in native code, a deadlock), which may be
    chance: the next run checks it again, first, and its marker then has a second line. Left behind again, the
    mutant is counted killed (as mutmut counts a worker that died or hung) and not checked again. A marker naming a
    mutant not in this run's selection, or none, changes nothing. Wrong answers caught: a stall by chance counted
    as a kill, a mutant that stops the shard every time it is checked, and a verdict for a mutant this run was not
    asked about."""
    marker = tmp_path / "checking-1-of-2.txt"
    chosen = {"cyplan.m.x_f__mutmut_1": ["t"], "cyplan.m.x_f__mutmut_2": ["t"]}
    marker.write_text("cyplan.m.x_f__mutmut_2\n")
    assert mutate_fast._interrupted(marker, chosen) == ("cyplan.m.x_f__mutmut_2", None)
    assert not marker.exists()
    marker.write_text("cyplan.m.x_f__mutmut_2\nagain")
    assert mutate_fast._interrupted(marker, chosen) == (None, "cyplan.m.x_f__mutmut_2")
    assert not marker.exists()
    assert mutate_fast._interrupted(marker, chosen) == (None, None)
    marker.write_text("cyplan.m.x_g__mutmut_9")
    assert mutate_fast._interrupted(marker, chosen) == (None, None) and not marker.exists()


def test_a_test_stopped_by_the_wall_clock_is_a_stall_and_by_cpu_time_a_timeout() -> None:
    """SIGPROF (CPU time: an endless loop) is a timeout, a verdict; SIGALRM (wall clock, the CPU time unused: a
    deadlock) marks the test stalled, so the shard stops without a verdict for the mutant. Both raise only inside
    the mutated code (or after 600 put-offs). Wrong answer caught: a deadlock in polars' thread pool, which then
    stalls every later query, counted as a kill of this mutant and of every one after it."""
    import signal

    inside = SimpleNamespace(f_code=SimpleNamespace(co_filename=str(mutate_fast.MUTANTS / "src" / "cyplan" / "m.py")))
    mutate_fast._stalled[0] = False
    with pytest.raises(mutate_fast.MutantTimeout):
        mutate_fast._alarm(signal.SIGPROF, inside)
    assert mutate_fast._stalled[0] is False
    with pytest.raises(mutate_fast.MutantTimeout):
        mutate_fast._alarm(signal.SIGALRM, inside)
    assert mutate_fast._stalled[0] is True
    mutate_fast._stalled[0] = False


def test_os_exit_under_a_mutant_fails_the_test_instead_of_ending_the_shard() -> None:
    """While mutants are checked os._exit is replaced: a call raises MutantExit in the code that made it and is
    remembered (so a test whose code swallowed the exception still counts as failed), where the real os._exit
    would have ended the shard with every later mutant in it. Wrong answer caught: faults.point(None) (which
    matches the unset fault variable) ending a whole run."""
    mutate_fast._exits.clear()
    with pytest.raises(mutate_fast.MutantExit, match=r"os._exit\(137\)"):
        mutate_fast._exit_under_mutant(137)
    assert mutate_fast._exits == [137]
    mutate_fast._exits.clear()
