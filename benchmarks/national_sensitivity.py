"""Which inputs drive the gap, for the whole country (issue 16 part 7): Sobol indices for every upper-tier council
at once, in one process against a 2-worker Dask LocalCluster, and what a 16-worker cluster would take.

Run alone:  .venv/bin/python benchmarks/national_sensitivity.py [--areas 153] [--n 256] [--repeats 3]
            [--batch 512] [--workers 2]

Inputs: benchmarks/model_scale.py's synthetic councils (a fixed seed; 153 areas × 11 years × ages 0–25, 4 levels,
8 groups, 12 roles, a census of 1–2 sectors per area and role with leaver and joiner ranges, training pipelines).
The measure: each area's gap in the last year, every role together, per area (`cyplan sensitivity --all-areas`):
an input is one row of an input with a range, the same row in every area (the leaver rate of NHS clinical
psychologists) — so one set of N × (k + 2) runs of the model over all 153 areas at once gives each area's indices.

Measured: the wall time of the runs (SALib's sample made once before the clock starts; the indices after it) in this
process, and on a LocalCluster of --workers processes (started once, before the clock; its start-up is timed apart),
each the median of --repeats; the peak resident memory (VmHWM) of this process and of each worker; the time per
task (one batch: one simulate() call over every area with --batch runs as its draws), as the median over the
single-process tasks. Estimated, and labelled so: a cluster of 16 workers, as ⌈tasks / 16⌉ × the time per task
plus the scatter-and-gather overhead measured on the LocalCluster (its wall time less ⌈tasks / workers⌉ × the time
per task). Exit status 1 if the cluster's figures differ from the single process's at all.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from functools import partial

from cyplan import results, sweep
from cyplan.model import sensitivity as sens
from model_scale import synthetic_inputs


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (VmHWM, Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def setup(n_areas: int, n: int, seed: int = 1) -> tuple[sweep.Evaluate, np.ndarray, int]:
    """(the evaluation of a batch, SALib's levels, k) for every area's own gap in the last year."""
    from SALib.sample import sobol as sample

    frames = synthetic_inputs(n_areas)
    codes = frames["areas"]["code"].to_list()
    years = sorted(frames["population"]["year"].unique().to_list())
    spec = sens.Spec("gap", len(years) - 1, tuple(range(len(codes))), per_area=True)
    factors = sens.factors(frames, codes, results.labels(frames))
    evaluate = partial(sens.evaluate, frames, factors, spec=spec, central=sens.centrals(frames))
    k = len(factors)
    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    return evaluate, sample.sample(problem, n, calc_second_order=False, seed=seed), k


def one_process(evaluate: sweep.Evaluate, levels: np.ndarray, batch: int) -> tuple[float, list[float], np.ndarray]:
    """(wall time, each task's time, the measure) with every batch run here, one after another."""
    times, parts = [], []
    start = time.perf_counter()
    for chunk in sweep.batches(levels, batch):
        t = time.perf_counter()
        parts.append(evaluate(chunk))
        times.append(time.perf_counter() - t)
    return time.perf_counter() - start, times, np.concatenate(parts, axis=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--areas", type=int, default=153)
    parser.add_argument("--n", type=int, default=256, help="Sobol's base sample (a power of 2)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=sweep.BATCH)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    evaluate, levels, k = setup(args.areas, args.n)
    runs, tasks = len(levels), math.ceil(len(levels) / args.batch)
    print(f"cyplan national sensitivity benchmark — {platform.node()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{args.areas} areas, k = {k} inputs with a range, N = {args.n}: {runs:,} runs of the model over every "
          f"area ({runs * args.areas:,} area-runs), {tasks} tasks of {args.batch} runs")

    evaluate(levels[:2])  # warm up (imports, first allocations): not a cost of the runs
    local = [one_process(evaluate, levels, args.batch) for _ in range(args.repeats)]
    wall = statistics.median(r[0] for r in local)
    per_task = statistics.median(t for r in local for t in r[1])
    y_local = local[0][2]
    print(f"one process:      {wall:7.1f} s (median of {args.repeats}, measured); {per_task:.2f} s per task "
          f"(median, measured); peak memory {peak_rss_mb():,.0f} MB (measured)")

    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        startup = time.perf_counter() - started
        client.run(evaluate, levels[:2])  # each worker warmed up as this process was
        cluster_runs = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            y_cluster = sweep.run_on(client, evaluate, levels, args.batch)
            cluster_runs.append(time.perf_counter() - t)
        memory = client.run(peak_rss_mb)
    on_cluster = statistics.median(cluster_runs)
    print(f"LocalCluster ({args.workers} workers): {on_cluster:7.1f} s (median of {args.repeats}, measured), "
          f"{wall / on_cluster:.2f}× one process; start-up {startup:.1f} s (measured, not in the time)")
    for worker, mb in sorted(memory.items()):
        print(f"  worker {worker}: peak memory {mb:,.0f} MB (measured)")
    overhead = max(on_cluster - math.ceil(tasks / args.workers) * per_task, 0.0)
    sixteen = math.ceil(tasks / 16) * per_task + overhead
    print(f"16 workers:       {sixteen:7.1f} s (estimated: ⌈{tasks} / 16⌉ × {per_task:.2f} s per task + "
          f"{overhead:.1f} s overhead measured on the LocalCluster)")
    if not np.array_equal(y_local, y_cluster):
        print("FAIL: the cluster's figures differ from one process's", file=sys.stderr)
        return 1
    print("The cluster's figures equal one process's, bit for bit.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
