"""benchmarks/report_speed.py (issue 17) run with one repeat of each: every measure timed and printed with its
median, the ratios said to be measured in this run, and a command that fails reported as a failure, not timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import load_benchmark

report_speed = load_benchmark("report_speed")


def test_the_paper_is_timed_as_cyplan_report_writes_it(tmp_path: Path) -> None:
    """Catches the paper's measure timing something other than `cyplan report` of the tree's own workspace in the
    format named (the wrong workspace, a format dropped, the paper written outside the tree's folder)."""
    tree = report_speed.Tree("this", Path("src"), tmp_path / "this" / "demo")
    run = report_speed.commands(tree, ["html", "pdf"])
    cyplan, ws = str(report_speed.CYPLAN), str(tree.workspace)
    for fmt in ("html", "pdf"):
        assert run[f"report {fmt}"] == [cyplan, "report", "-w", ws, "--format", fmt,
                                        "--out", str(tmp_path / "this" / f"paper.{fmt}")]
    assert run["cyplan need"] == [cyplan, "need", "-w", ws] and run["cyplan --help"] == [cyplan, "--help"]


def test_one_run_of_each_with_a_tree_before(demo_workspace: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a measure left out of the report, a ratio printed without saying both times were measured in this
    run, and the two trees not both timed (here the same tree twice, so each ratio is about 1).

    Every command is a real `cyplan` child process, but the paper's is `cyplan report --help`: the harness is what
    is tested here (the paper's own command line is pinned above, and `cyplan report` itself by test_report.py), and
    four real papers (two trees, each warmed up and timed) were a minute of the suite's time."""
    real = report_speed.commands

    def cheap_paper(tree: report_speed.Tree, papers: list[str]) -> dict[str, list[str]]:
        return {measure: ([*argv[:2], "--help"] if measure.startswith("report ") else argv)
                for measure, argv in real(tree, papers).items()}

    monkeypatch.setattr(report_speed, "commands", cheap_paper)
    assert report_speed.main(["--repeats", "1", "--paper-repeats", "1", "--paper", "html",
                              "--workspace", str(demo_workspace), "--before", str(report_speed.HERE)]) == 0
    out = capsys.readouterr().out
    for measure in ("cyplan --help", "cyplan need", "report html", "report html kept"):
        assert f"{measure:<14} before median" in out and f"{measure:<14} after  median" in out, measure
        ratio = next(line for line in out.splitlines() if line.startswith(f"{measure:<14} before ÷ after"))
        assert ratio.endswith("both measured in this run"), ratio
    assert "target cyplan --help < 0.3 s:" in out and "target report html < 1.5 s:" in out
    assert "target report html kept < 1.5 s:" in out


def test_before_a_git_revision_is_its_src_exported(tmp_path: Path) -> None:
    """Catches --before REV timing this tree instead of the revision's, or failing on a revision (the mode each tree
    then makes its own demo for): HEAD's src/ exported, holding cyplan as committed."""
    src = report_speed.exported("HEAD", tmp_path / "tree")
    assert src == tmp_path / "tree" / "src" and (src / "cyplan" / "cli.py").is_file()
    assert src.resolve() != report_speed.HERE
    with pytest.raises(SystemExit, match="neither a folder nor a git revision"):
        report_speed.exported("no-such-revision-anywhere", tmp_path / "other")


def test_a_failing_command_is_reported_not_timed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Catches a failed command's time taken for a result (a workspace that is not one: `cyplan need` exits 1)."""
    (tmp_path / "empty").mkdir()
    assert report_speed.main(["--repeats", "1", "--paper", "", "--workspace", str(tmp_path / "empty")]) == 1
    out = capsys.readouterr().out
    assert "FAILED: this: cyplan need" in out and "not a cyplan workspace" in out
    assert "median" not in out


def test_the_report_says_what_is_met() -> None:
    """Catches a target judged the wrong way round (the PDF's is a ratio to the HTML's time, not seconds)."""
    tree = report_speed.Tree("this", Path("src"), Path("ws"))
    tree.wall = {"cyplan --help": [0.2, 0.4, 0.25], "cyplan need": [0.7], "report html": [1.0], "report pdf": [1.4]}
    tree.cpu = {k: [0.1] for k in tree.wall}
    lines = report_speed.report([tree], ["html", "pdf"])
    assert "target cyplan --help < 0.3 s: 0.25 s, met" in lines
    assert "target cyplan need < 0.6 s: 0.70 s, NOT met" in lines
    assert "target report html < 1.5 s: 1.00 s, met" in lines
    assert "target PDF within 1.3× the HTML: 1.40×, NOT met" in lines
