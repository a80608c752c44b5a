"""Outputs (--out, --problems, --mapping-template, …) are never written over what a user would lose: the
workspace's database, its referral records, or the file the command reads. Each case was found by trying it:
`--problems cyplan.db` said "nothing was changed" and then left the workspace destroyed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from conftest import CliResult, folder_bytes, write_text

Run = Callable[[Sequence[object]], CliResult]
BAD_LEVELS = "level,label,coverage\nt,Tier,1.5\n"


def test_problems_are_not_written_over_the_workspace_database(run_cli: Run, demo_workspace: Path,
                                                              tmp_path: Path) -> None:
    bad = write_text(tmp_path / "levels.csv", BAD_LEVELS)
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "levels", bad, "-w", demo_workspace, "--problems",
                            demo_workspace / "cyplan.db"])
    assert code == 2 and "will not write over" in err and "cyplan.db" in err
    assert folder_bytes(demo_workspace) == before
    assert run_cli(["status", "-w", demo_workspace])[0] == 0


def test_problems_are_not_written_over_the_file_being_imported(run_cli: Run, demo_workspace: Path,
                                                               tmp_path: Path) -> None:
    bad = write_text(tmp_path / "levels.csv", BAD_LEVELS)
    code, _, err = run_cli(["import", "levels", bad, "-w", demo_workspace, "--problems", bad])
    assert code == 2 and "it is the file this command reads" in err
    assert bad.read_text() == BAD_LEVELS


def test_results_are_not_written_over_the_database_or_the_records(run_cli: Run, demo_workspace: Path,
                                                                  tmp_path: Path) -> None:
    records = demo_workspace / "returns-records"
    records.mkdir(exist_ok=True)
    before = folder_bytes(demo_workspace)
    for target in (demo_workspace / "cyplan.db", records / "need.csv"):
        code, _, err = run_cli(["need", "-w", demo_workspace, "--format", "csv", "--out", target])
        assert code == 2 and "will not write" in err, (target, err)
    assert folder_bytes(demo_workspace) == before and not (records / "need.csv").exists()
    # anywhere else is written as ever
    code, _, err = run_cli(["need", "-w", demo_workspace, "--format", "csv", "--out", tmp_path / "need.csv"])
    assert code == 0 and (tmp_path / "need.csv").read_text().startswith("area,")
