"""scripts/mutation_ledger.py: the mutation verdicts kept in the repository, so that a run cut short by the end of
a session (whose machine is not kept) goes on where it stopped, and mutation_score.py reading them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import load_benchmark

ledger = load_benchmark("mutation_ledger", "scripts")
sys.path.insert(0, str(Path(ledger.__file__).parent))  # mutation_score imports the ledger as its neighbour
score = load_benchmark("mutation_score", "scripts")

# a .meta file as mutmut 3 writes it: a function with three mutants (killed, survived, not checked) and a
# method with two (killed, no tests)
META = {
    "exit_code_by_key": {
        "cyplan.model.gap.x_gap__mutmut_1": 1,
        "cyplan.model.gap.x_gap__mutmut_2": 0,
        "cyplan.model.gap.x_gap__mutmut_3": None,
        "cyplan.model.gap.xǁPlanǁtotal__mutmut_1": 1,
        "cyplan.model.gap.xǁPlanǁtotal__mutmut_2": 33,
    },
    "hash_by_function_name": {"x_gap": "aaa111", "xǁPlanǁtotal": "bbb222"},
    "type_check_error_by_key": {}, "durations_by_key": {}, "estimated_durations_by_key": {},
}
PATH = "src/cyplan/model/gap.py"


def test_a_meta_file_read_into_the_ledger_and_written_back_is_the_same():
    functions = ledger.from_meta(META)
    assert functions == {"x_gap": ("aaa111", [1, 0, None]), "xǁPlanǁtotal": ("bbb222", [1, 33])}
    assert ledger.to_meta(PATH, functions) == META
    assert ledger.loads(ledger.dumps({PATH: functions})) == {PATH: functions}


def test_mutants_numbered_with_a_gap_are_refused_not_renumbered():
    meta = {**META, "exit_code_by_key": {"cyplan.model.gap.x_gap__mutmut_1": 1,
                                         "cyplan.model.gap.x_gap__mutmut_3": 0}}
    with pytest.raises(ValueError, match="not 1 to 2"):
        ledger.from_meta(meta)


def test_a_kept_verdict_fills_only_an_unchecked_mutant_of_an_unchanged_function():
    kept = {PATH: {"x_gap": ("aaa111", [1, 1, 0]), "xǁPlanǁtotal": ("old999", [0, 0]), "x_gone": ("c", [1])}}
    current = {PATH: {"x_gap": ("aaa111", [None, 0, None]), "xǁPlanǁtotal": ("bbb222", [None, 1])}}
    assert ledger.merged(kept, current) == {PATH: {
        "x_gap": ("aaa111", [1, 0, 0]),  # unchanged: mutant 1 and 3 from the ledger, mutant 2 as checked now
        "xǁPlanǁtotal": ("bbb222", [None, 1]),  # changed since: nothing carried over
    }}  # x_gone is no longer in the source: dropped


def test_saved_then_restored_into_a_fresh_mutants_folder_mutmut_reads_the_same_verdicts(tmp_path, monkeypatch):
    from mutmut.mutation.data import SourceFileMutationData

    meta = tmp_path / "run" / "mutants" / f"{PATH}.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps(META))
    kept = tmp_path / "verdicts.json"
    assert ledger.save(kept, tmp_path / "run" / "mutants") == 0

    fresh = tmp_path / "fresh"
    assert ledger.restore(kept, fresh / "mutants") == 0
    monkeypatch.chdir(fresh)
    data = SourceFileMutationData(path=Path(PATH))
    data.load()  # mutmut's own reader: it refuses a file with keys it does not know
    assert data.exit_code_by_key == META["exit_code_by_key"]
    assert data.hash_by_function_name == META["hash_by_function_name"]


def test_restore_leaves_a_mutants_folder_that_has_results_alone(tmp_path):
    meta = tmp_path / "mutants" / f"{PATH}.meta"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps(META))
    kept = tmp_path / "verdicts.json"
    kept.write_text(ledger.dumps({PATH: {"x_gap": ("aaa111", [0, 0, 0])}}))
    assert ledger.restore(kept, tmp_path / "mutants") == 0
    assert json.loads(meta.read_text()) == META


def test_the_score_from_the_ledger_counts_killed_over_checked(tmp_path, capsys):
    kept = tmp_path / "verdicts.json"
    kept.write_text(ledger.dumps({PATH: ledger.from_meta(META)}))
    assert score.main(ledger=kept) == 0
    # 5 mutants: 2 killed, 1 survived, 1 no tests, 1 not checked → 2 of the 4 checked, 50.0%
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split() == ["model/gap", "2", "/", "4", "killed", "50.0%", "survived", "1", "no", "tests", "1",
                             "(1", "not", "checked)"]


def test_the_ledger_in_the_repository_is_well_formed():
    """Every function has a hash and one verdict a mutant, each an exit code mutmut gives or not yet checked."""
    if not ledger.LEDGER.exists():
        pytest.fail(f"{ledger.LEDGER} is missing: `make mutate` writes it")
    known = score.KILLED | score.SURVIVED | score.NO_TESTS
    for path, functions in ledger.loads(ledger.LEDGER.read_text()).items():
        assert (Path(ledger.ROOT) / path).exists(), f"{path} is in the ledger but not in the source"
        for function, (h, codes) in functions.items():
            assert h, f"{path} {function}: no hash"
            assert codes and all(c is None or c in known for c in codes), f"{path} {function}: {codes}"


explained = load_benchmark("mutation_explained", "scripts")

DOC = """
#### `model/gap.py`

| mutant | change | verdict |
|---|---|---|
| x_gap_table__mutmut_202 | a join's order | **not killed**: … |

#### `returns/quality`: `_listed` (sixth run)

| mutant | change | verdict |
|---|---|---|
| 3, 5-7 | … | **equivalent** |
| _counted 53, 58; Plan.total 2 | … | **equivalent** |
| 9 | … | **killed** by `test_x` |

### Something else
| 1 | not a survivors' table |
"""


def test_the_explanations_are_read_by_module_function_and_number():
    named = explained.explained(DOC)
    assert named == {
        ("model/gap", "x_gap_table", 202): False,
        **{("returns/quality", "x__listed", n): False for n in (3, 5, 6, 7)},
        ("returns/quality", "x__counted", 53): False, ("returns/quality", "x__counted", 58): False,
        ("returns/quality", "xǁPlanǁtotal", 2): False,
        ("returns/quality", "xǁPlanǁtotal", 9): True,  # numbers alone: the function of the row above
    }


def test_a_survivor_not_named_is_reported_and_fails_the_check(tmp_path, monkeypatch, capsys):
    kept = tmp_path / "verdicts.json"
    kept.write_text(ledger.dumps({
        "src/cyplan/model/gap.py": {"x_gap_table": ("h", [None] * 201 + [0, 0])},  # 202 named, 203 not
        "src/cyplan/returns/quality.py": {"xǁPlanǁtotal": ("h", [1] * 8 + [0])},  # 9 said killed, alive
    }))
    doc = tmp_path / "testing.md"
    doc.write_text(DOC)
    monkeypatch.setattr(explained, "LEDGER", kept)
    monkeypatch.setattr(explained, "DOC", doc)
    monkeypatch.setattr(explained, "ROOT", tmp_path)
    assert explained.main(use_ledger=True) == 1
    out = capsys.readouterr().out
    assert "not explained: model/gap x_gap_table__mutmut_203" in out
    assert "said killed, but survives: returns/quality xǁPlanǁtotal__mutmut_9" in out
    assert "3 survivors: 2 named in testing.md, 1 not; 1 said killed" in out


def test_mutmut_keeps_a_restored_verdict_while_its_function_is_unchanged_and_checks_a_changed_one_again(
        tmp_path, monkeypatch, request):
    """The ledger's promise, with mutmut's own code: verdicts saved from one mutants/ and restored into a fresh
    one on another machine survive mutmut making the mutants again for every function whose source is unchanged,
    and are dropped (to be checked again) for a function that changed. Wrong answers caught: a restored file
    mutmut ignores or overwrites (every verdict lost), and a verdict kept for code that changed."""
    from mutmut.__main__ import create_mutants_for_file
    from mutmut.configuration import reset_config

    reset_config()  # mutmut reads its settings once, from the folder it is in: this test's
    request.addfinalizer(reset_config)
    source = tmp_path / "src" / "pkg" / "m.py"
    source.parent.mkdir(parents=True)
    source.write_text("def f(a, b):\n    return a + b\n\n\ndef g(a):\n    return a * 2\n")
    (tmp_path / "pyproject.toml").write_text('[tool.mutmut]\nsource_paths = ["src/"]\n')
    monkeypatch.chdir(tmp_path)

    def make() -> dict:
        target = Path("mutants/src/pkg/m.py")
        target.parent.mkdir(parents=True, exist_ok=True)
        assert create_mutants_for_file(Path("src/pkg/m.py"), target).error is None
        return json.loads(Path("mutants/src/pkg/m.py.meta").read_text())

    meta = make()
    assert set(meta["exit_code_by_key"]) == {"pkg.m.x_f__mutmut_1", "pkg.m.x_g__mutmut_1", "pkg.m.x_g__mutmut_2"}
    meta["exit_code_by_key"] = {"pkg.m.x_f__mutmut_1": 1, "pkg.m.x_g__mutmut_1": 0, "pkg.m.x_g__mutmut_2": 1}
    Path("mutants/src/pkg/m.py.meta").write_text(json.dumps(meta))
    kept = tmp_path / "verdicts.json"
    assert ledger.save(kept, tmp_path / "mutants") == 0

    import shutil

    shutil.rmtree("mutants")  # a fresh machine: no mutants/
    source.write_text("def f(a, b):\n    return a + b\n\n\ndef g(a):\n    return a * 3\n")  # g changed
    assert ledger.restore(kept, tmp_path / "mutants") == 0
    assert make()["exit_code_by_key"] == {"pkg.m.x_f__mutmut_1": 1, "pkg.m.x_g__mutmut_1": None,
                                          "pkg.m.x_g__mutmut_2": None}
