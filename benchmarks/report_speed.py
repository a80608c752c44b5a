"""How long `cyplan` takes to answer, and to write the board paper (issue 17 parts 2 and 3), each in a fresh process
as a user runs it.

Run alone:  .venv/bin/python benchmarks/report_speed.py [--repeats 5] [--paper-repeats 3] [--paper html,pdf]
            [--before SRC|REV] [--workspace DIR]

Times, wall clock of the whole process (start-up, imports, work, exit), each the median of its runs:
* `cyplan --help` and `cyplan need` on the demo workspace: --repeats runs each (default 5);
* `cyplan report` on the demo as HTML and as PDF: --paper-repeats runs each (default 3), each made from nothing (the
  workspace's cache folder emptied first: no paper or chart kept from an earlier run), then "kept": the same again
  with the paper kept by the run before (reports/kept.py; docs/decisions/0016-paper-speed.md), as a second
  `cyplan report` on the same data runs;
* "libraries": Python importing only the libraries `cyplan need` cannot do without (Typer and the pydantic it
  checks options with, Rich, Polars, NumPy; not SQLAlchemy since it reads a workspace at rest with Python's sqlite3),
  as often as `need`: the floor under its time.
Each run's processor time (user + system, the child's own and its helpers': the PDF's Chromium leaves processes
to end after it, which are waited for too) is printed beside it: on a shared machine the wall time includes waiting
for a core, the processor time does not. Beside the targets, what the PDF adds to the HTML (the HTML → PDF step,
the difference of their medians made from nothing), for each tree.

The `cyplan` timed is this repository's (its src/ first on PYTHONPATH). With --before, a second tree is timed in the
same run, turn by turn with this one (so that the machine's ups and downs fall on both), and every ratio printed is
before ÷ after, both measured in this run: --before SRC is another tree's src/ folder, --before REV a git revision
of this repository (its src/ exported by `git archive` into the run's temporary folder). Each tree makes its own
demo workspace with its own `cyplan demo` (an older tree cannot open a workspace a newer one made: the database
migrations differ), or with --workspace both work on copies of that folder. One run of each command, not timed,
comes first: Python writes each tree's bytecode then, as installing cyplan does.

Targets (issue 17): --help under 0.3 s, `cyplan need` under 0.6 s, the HTML paper under 1.5 s and the PDF within
1.3× the HTML's time, judged on the papers made from nothing and on those kept. Exit status 1 if a command fails.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "src"
CYPLAN = Path(sys.executable).with_name("cyplan")
TARGETS = {"cyplan --help": 0.3, "cyplan need": 0.6, "report html": 1.5, "report html kept": 1.5}
CACHE = "cache"  # the workspace's folder of papers and charts kept (reports/kept.py); absent in older trees
# what `cyplan need` cannot do without: Typer (with the pydantic it checks options with), Rich, Polars and NumPy
# (SQLAlchemy no more: a workspace at rest is read with Python's sqlite3, store/folder.py), imported alone in a
# fresh Python, timed as the commands are: the floor under `cyplan need`'s time
LIBRARIES = "import typer, typer._adapters, rich.console, rich.table, polars, numpy"
PDF_TO_HTML = 1.3
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


@dataclass
class Tree:
    """A cyplan source tree to time, with its own copy of the demo workspace."""

    name: str
    src: Path
    workspace: Path
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_") and k != "PYTHONDONTWRITEBYTECODE"}
        return {**env, "PYTHONPATH": str(self.src), "COLUMNS": "200"}

    def run(self, measure: str, argv: list[str], timed: bool = True) -> None:
        """One fresh process: its wall time and its processor time, kept under `measure`."""
        if measure.startswith("report") and not measure.endswith("kept"):  # made from nothing: nothing kept
            shutil.rmtree(self.workspace / CACHE, ignore_errors=True)
        before, had = resource.getrusage(resource.RUSAGE_CHILDREN), children()
        start = time.perf_counter()
        done = subprocess.run(argv, env=self.env(), cwd=self.workspace.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600)
        wall = time.perf_counter() - start
        reap_orphans(had)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            shown = " ".join(["cyplan", *argv[1:]] if argv[0] == str(CYPLAN) else argv)
            raise RuntimeError(f"{self.name}: {shown} exited {done.returncode}:\n{done.stderr}")
        if timed:
            self.wall.setdefault(measure, []).append(wall)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            self.cpu.setdefault(measure, []).append(cpu)


def adopt_orphans() -> None:
    """Makes this process the one a timed command's orphans are handed to (Linux's child subreaper): the PDF's
    Chromium leaves helper processes, the renderer that printed among them, to end after it, and their processor
    time counts in RUSAGE_CHILDREN only if someone here waits for them (reap_orphans). Elsewhere: nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def children() -> set[int]:
    """This process's children now (/proc/PID/stat: the parent is the second field after the command's name)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.add(int(stat.parent.name))
    return found


def reap_orphans(before: set[int]) -> None:
    """Waits for each process the command just run left behind (this process's children that were not before)."""
    for pid in children() - before:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def commands(tree: Tree, papers: list[str]) -> dict[str, list[str]]:
    """Each measure's command line."""
    ws, cyplan = str(tree.workspace), str(CYPLAN)
    out = {"cyplan --help": [cyplan, "--help"], "cyplan need": [cyplan, "need", "-w", ws],
           "libraries": [sys.executable, "-c", LIBRARIES]}
    for fmt in papers:
        paper = tree.workspace.parent / f"paper.{fmt}"
        out[f"report {fmt}"] = [cyplan, "report", "-w", ws, "--format", fmt, "--out", str(paper)]
        # right after it, before the next one made from nothing empties the cache: it finds the paper that run kept
        out[f"report {fmt} kept"] = out[f"report {fmt}"]
    return out


def demo(folder: Path, src: Path) -> Path:
    """The demo workspace, made by `cyplan demo` of the tree at `src`."""
    path = folder / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")} | {"PYTHONPATH": str(src)}
    subprocess.run([str(CYPLAN), "demo", str(path)], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=600)
    return path


def median(values: list[float]) -> float:
    return statistics.median(values)


def seconds(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def report(trees: list[Tree], papers: list[str]) -> list[str]:
    """The lines printed: each measure's median (all runs beside it), the ratios and the targets."""
    after = trees[-1]
    lines = []
    for measure in after.wall:
        for tree in trees:
            lines.append(f"{measure:<14} {tree.name:<6} median {median(tree.wall[measure]):6.2f} s "
                         f"({seconds(tree.wall[measure])}); processor {median(tree.cpu[measure]):.2f} s")
        if len(trees) == 2:
            before = trees[0]
            wall = median(before.wall[measure]) / median(after.wall[measure])
            cpu = median(before.cpu[measure]) / median(after.cpu[measure])
            lines.append(f"{measure:<14} before ÷ after: {wall:.2f}× (processor {cpu:.2f}×), both measured in this run")
    lines.append("")
    for measure, target in TARGETS.items():
        if measure in after.wall:
            got = median(after.wall[measure])
            lines.append(f"target {measure} < {target} s: {got:.2f} s, {'met' if got < target else 'NOT met'}")
    for tree in trees:
        if {"report html", "report pdf"} <= set(tree.wall):  # the HTML → PDF step, made from nothing
            step = median(tree.wall["report pdf"]) - median(tree.wall["report html"])
            cpu = median(tree.cpu["report pdf"]) - median(tree.cpu["report html"])
            lines.append(f"{tree.name}: the PDF adds {step:.2f} s to the HTML (processor {cpu:.2f} s)")
    for kept in ("", " kept"):
        if {f"report html{kept}", f"report pdf{kept}"} <= set(after.wall):
            ratio = median(after.wall[f"report pdf{kept}"]) / median(after.wall[f"report html{kept}"])
            lines.append(f"target PDF within {PDF_TO_HTML}× the HTML{kept}: {ratio:.2f}×, "
                         f"{'met' if ratio <= PDF_TO_HTML else 'NOT met'}")
    return lines


def exported(before: str, folder: Path) -> Path:
    """The src/ folder to time for --before: the folder given, or a git revision's src/ exported into `folder`."""
    if Path(before).is_dir():
        return Path(before).resolve()
    repo = HERE.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", before, "src"], capture_output=True, timeout=120)
    if archive.returncode != 0:
        raise SystemExit(f"--before {before}: neither a folder nor a git revision of {repo}: "
                         f"{archive.stderr.decode(errors='replace').strip()}")
    folder.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True, timeout=120)
    return folder / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of --help and need (the median is reported)")
    parser.add_argument("--paper-repeats", type=int, default=3, help="runs of each board paper format")
    parser.add_argument("--paper", default="html,pdf", help="the paper's formats to time, comma-separated "
                        "(html, pdf, docx; none: '')")
    parser.add_argument("--before", help="another tree's src/ folder, or a git revision, timed in the same run")
    parser.add_argument("--workspace", type=Path, help="a demo workspace to copy (default: made by cyplan demo)")
    args = parser.parse_args(argv)
    papers = [p for p in args.paper.split(",") if p]
    started = dt.datetime.now(dt.UTC)
    print(f"report_speed: {started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f} at the start; cyplan {CYPLAN}")
    with tempfile.TemporaryDirectory(prefix="report-speed-") as tmp:
        base = Path(tmp)
        names = [("before", exported(args.before, base / "before-tree")), ("after", HERE)] if args.before \
            else [("this", HERE)]
        trees = []
        for name, src in names:
            (base / name).mkdir()
            workspace = (Path(shutil.copytree(args.workspace, base / name / "demo")) if args.workspace
                         else demo(base / name, Path(src).resolve()))  # each tree's own, made by its own cyplan
            trees.append(Tree(name, Path(src).resolve(), workspace))
            print(f"  {name}: {trees[-1].src}")
        try:
            for tree in trees:  # not timed: each tree's bytecode written, the files in the OS's cache
                for measure, cmd in commands(tree, papers).items():
                    tree.run(measure, cmd, timed=False)
            for turn in range(max(args.repeats, args.paper_repeats)):
                for tree in trees:
                    for measure, cmd in commands(tree, papers).items():
                        if turn < (args.paper_repeats if measure.startswith("report") else args.repeats):
                            tree.run(measure, cmd)
        except RuntimeError as e:
            print(f"FAILED: {e}")
            return 1
    print(f"load average {os.getloadavg()[0]:.2f} at the end\n")
    print("\n".join(report(trees, papers)))
    return 0


if __name__ == "__main__":
    adopt_orphans()  # as the program only: a test calling main() leaves its process as it was
    sys.exit(main())
