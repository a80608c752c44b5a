"""A file full of errors (issue 11, part 7): how long `cyplan import` takes to refuse it, and its peak memory.

Run alone:  .venv/bin/python benchmarks/error_file.py [--mb 200] [--keep DIR]

Generates a population CSV of about --mb megabytes in which nearly every row repeats a key (one area, one
year, ages 0-25, two sexes: 52 keys, every later row repeats one of them), makes a workspace with that area,
then runs `cyplan import population FILE --problems PROBLEMS.csv` in a fresh process and reports its wall
time (wall and CPU), its peak resident set size (ru_maxrss of the child) against the file's size, the number of problems
saved, and the exit code (2 expected). The target: peak memory under about twice the file's size.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AREA = "E06000001"
ROW = f"{AREA},2025,{{age}},{{sex}},{{count}},ONS mid-year estimates 2025\n"


def generate(path: Path, megabytes: float) -> int:
    """A population CSV of about `megabytes` MB; the number of data rows written."""
    target = int(megabytes * 1_000_000)
    block = "".join(ROW.format(age=i % 26, sex=("female", "male")[i // 26 % 2], count=1000 + i)
                    for i in range(10_000))
    size, rows = 0, 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("area,year,age,sex,count,source\n")
        while size < target:
            f.write(block)
            size += len(block)
            rows += 10_000
    return rows


def cyplan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("cyplan")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, env=os.environ.copy())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the generated file (default 200 MB)")
    parser.add_argument("--keep", type=Path, help="leave the files in this folder (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cyplan-error-file-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ws, data, problems = folder / "ws", folder / "population.csv", folder / "problems.csv"
        ws.mkdir(exist_ok=True)
        rows = generate(data, args.mb)
        (folder / "areas.csv").write_text(f"code,name,kind\n{AREA},Hartlepool,council\n", encoding="utf-8")
        for step in (("init",), ("import", "areas", str(folder / "areas.csv"))):
            done = cyplan(*step, cwd=ws)
            if done.returncode:
                print(done.stdout, done.stderr, file=sys.stderr)
                return 1
        size = data.stat().st_size
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        start = time.perf_counter()
        done = cyplan("import", "population", str(data), "--problems", str(problems), cwd=ws)
        seconds = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss * 1024  # kB on Linux
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        if peak <= before * 1024:
            print("warning: the import's peak is not above the setup's; it may be understated", file=sys.stderr)
        saved = sum(1 for _ in problems.open(encoding="utf-8")) - 1 if problems.exists() else 0
        shown = done.stderr.splitlines()
        print(f"file: {size / 1e6:,.1f} MB, {rows:,} rows")
        print(f"exit code: {done.returncode} (2 expected)")
        print(f"time: {seconds:,.1f} s wall, {cpu:,.1f} s CPU (on a busy machine the CPU time is the steadier)")
        print(f"peak memory: {peak / 1e6:,.0f} MB ({peak / size:.2f}x the file; target about 2x)")
        print(f"problems saved: {saved:,} lines in {problems.name}; on screen: {len(shown)} lines")
        print("first lines on screen:")
        for line in shown[:4]:
            print(f"  {line[:150]}")
        return 0 if done.returncode == 2 else 1
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
