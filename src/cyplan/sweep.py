"""Which inputs drive the gap (issue 16 parts 5 and 6): one-at-a-time swings and Sobol indices, the model runs
sent in batches to this process or to Dask.

A Sobol analysis is N × (k + 2) runs of the model (SALib's Saltelli scheme without second-order terms). They are
cut into batches of a fixed size, whichever engine runs them; each batch is one simulate() call with the batch as
its draws (NumPy, vectorised). Nothing in a batch is random — SALib's sample is drawn here, once, from the seed —
and the batches are the same on every engine, so Dask gives what one process gives, figure for figure.
Without a scheduler address Dask runs a LocalCluster of processes on this machine; with one, the tasks go to that
cluster (whose workers must have cyplan installed). model/ stays pure: the engines live here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np
import polars as pl

from cyplan.model import sensitivity as sens

Method = Literal["oat", "sobol"]
Evaluate = Callable[[np.ndarray], np.ndarray]  # levels [batch, k] → the measure [output, batch]
BATCH = 512  # runs in one task: big enough that NumPy's vectorising pays, small enough to spread over workers
CONFIDENCE = 0.95
CONNECT_SECONDS = 10  # a scheduler that does not answer in this time is reported, not waited on
# LocalCluster processes per core: a batch is NumPy-bound, so past one a core they only queue for the cores, each
# with its own copy of the inputs; a few a core leave room for a worker waiting on its data
WORKERS_PER_CORE = 4


def cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the machine's whole count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def most_workers() -> int:
    """The most LocalCluster worker processes `--workers` may ask for on this machine."""
    return WORKERS_PER_CORE * cores()


@dataclass(frozen=True)
class Engine:
    """Where the batches run: Dask at `scheduler` (tcp://HOST:PORT), or a LocalCluster of `workers` processes
    when there is no address."""

    scheduler: str | None = None
    workers: int = 2


@dataclass(frozen=True)
class Analysis:
    """What a sensitivity run found: a table (one row per input, and per area when asked), sorted with the input
    that drives the measure most first, and notes for the reader."""

    table: pl.DataFrame
    method: Method
    runs: int
    notes: tuple[str, ...] = field(default=())


def run(evaluate: Evaluate, levels: np.ndarray, engine: Engine | None = None, batch: int = BATCH) -> np.ndarray:
    """The measure [output, run] for each row of `levels`, batch by batch: here, or as Dask tasks."""
    if engine is None:
        return np.concatenate([evaluate(c) for c in batches(levels, batch)], axis=1)
    with client(engine) as c:
        return run_on(c, evaluate, levels, batch)


def batches(levels: np.ndarray, batch: int = BATCH) -> list[np.ndarray]:
    """The runs cut into tasks: the same cut on every engine, so every engine sums in the same order."""
    return [levels[i:i + batch] for i in range(0, len(levels), batch)]


def run_on(c: Any, evaluate: Evaluate, levels: np.ndarray, batch: int = BATCH) -> np.ndarray:
    """run() on a Dask client already open: one task per batch, the results in the batches' order."""
    shared = c.scatter(evaluate, broadcast=True)  # the inputs travel to each worker once, not with every task
    return np.concatenate(c.gather(c.map(_apply, batches(levels, batch), evaluate=shared, pure=False)), axis=1)


def _apply(levels: np.ndarray, evaluate: Evaluate) -> np.ndarray:
    """One task: one batch of runs."""
    return evaluate(levels)


@contextmanager
def client(engine: Engine) -> Iterator[Any]:
    """A Dask client on the cluster at the engine's address, or on a LocalCluster made (and closed) here."""
    from dask.distributed import Client, LocalCluster  # imported when used: the rest of cyplan never needs it

    if engine.scheduler:
        with Client(engine.scheduler, timeout=CONNECT_SECONDS) as c:
            yield c
        return
    with LocalCluster(n_workers=engine.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as c:
        yield c


def sobol(evaluate: Evaluate, k: int, n: int, seed: int, engine: Engine | None = None, batch: int = BATCH
          ) -> tuple[np.ndarray, ...]:
    """(S1, S1 confidence, ST, ST confidence), each [output, k]: first-order and total Sobol indices of the
    measure over k inputs, from SALib's Saltelli sample of N × (k + 2) levels in [0, 1] and its bootstrap 95%
    intervals (half-widths). An output that does not vary has every index 0."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": k, "names": [f"x{j}" for j in range(k)], "bounds": [[0.0, 1.0]] * k}
    levels = sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = run(evaluate, levels, engine, batch)
    out = np.zeros((4, y.shape[0], k))
    for o, values in enumerate(y):
        if np.ptp(values) > 1e-9 * max(1.0, float(np.abs(values).max())):
            s = analyze.analyze(problem, values, calc_second_order=False, conf_level=CONFIDENCE, seed=seed)
            out[:, o] = s["S1"], s["S1_conf"], s["ST"], s["ST_conf"]
    return tuple(out)


def analyse(frames: dict[str, pl.DataFrame], spec: sens.Spec, area_codes: Sequence[str], labels: dict,
            method: Method = "oat", n: int = 256, seed: int = 1, engine: Engine | None = None,
            batch: int = BATCH) -> Analysis:
    """The sensitivity of the measure `spec` to every uncertain input of the chosen areas (`area_codes`, in the
    order of spec.areas). The model runs on those areas alone (sens.only_areas)."""
    kept = [c for c in frames["areas"]["code"] if c in set(area_codes)]  # the model's order of areas
    frames = sens.only_areas(frames, kept)
    spec = replace(spec, areas=tuple(kept.index(c) for c in area_codes))
    factors = sens.factors(frames, area_codes, labels)
    if not factors:
        return Analysis(pl.DataFrame(), method, 0, ("no input has a range: every low equals its central and high",))
    evaluate = partial(sens.evaluate, frames, factors, spec=spec, central=sens.centrals(frames))
    notes = _notes(frames, method)
    if method == "oat":
        y = run(evaluate, sens.one_at_a_time(len(factors)), engine, batch)
        return Analysis(_oat_table(factors, y, spec, area_codes), method, y.shape[1], notes)
    s1, s1c, st, stc = sobol(evaluate, len(factors), n, seed, engine, batch)
    return Analysis(_sobol_table(factors, (s1, s1c, st, stc), spec, area_codes), method,
                    n * (len(factors) + 2), notes)


def _notes(frames: dict[str, pl.DataFrame], method: Method) -> tuple[str, ...]:
    correlated = frames.get("correlations")
    if method == "sobol" and correlated is not None and not correlated.is_empty():
        return ("the correlations input is not applied: Sobol indices, as worked out here, treat the inputs as "
                "independent",)
    return ()


def _areas_column(spec: sens.Spec, area_codes: Sequence[str]) -> list[str]:
    return list(area_codes) if spec.per_area else [", ".join(area_codes)]


def _oat_table(factors: Sequence[sens.Factor], y: np.ndarray, spec: sens.Spec,
               area_codes: Sequence[str]) -> pl.DataFrame:
    """Each input at its low and at its high, the rest central: the measure at each and the swing between them,
    the biggest swing first (within each area)."""
    rows = []
    for o, area in enumerate(_areas_column(spec, area_codes)):
        for j, f in enumerate(factors):
            if spec.per_area and not f.in_area(o):
                continue
            here = (f.areas == o) | (f.areas < 0) if spec.per_area else np.ones(len(f.rows), bool)
            rows.append({"area": area, "input": f.name, **_one(f, here), "at_central": y[o, 0],
                         "at_low": y[o, 1 + 2 * j], "at_high": y[o, 2 + 2 * j],
                         "swing": abs(y[o, 2 + 2 * j] - y[o, 1 + 2 * j])})
    return _ranked(pl.DataFrame(rows, infer_schema_length=None), "swing")


def _sobol_table(factors: Sequence[sens.Factor], indices: tuple[np.ndarray, ...], spec: sens.Spec,
                 area_codes: Sequence[str]) -> pl.DataFrame:
    """Each input's first-order and total index with their 95% intervals, the biggest total first."""
    s1, s1c, st, stc = indices
    rows = [{"area": area, "input": f.name, "first_order": s1[o, j], "first_order_ci": s1c[o, j],
             "total_order": st[o, j], "total_order_ci": stc[o, j]}
            for o, area in enumerate(_areas_column(spec, area_codes)) for j, f in enumerate(factors)
            if not spec.per_area or f.in_area(o)]
    return _ranked(pl.DataFrame(rows, infer_schema_length=None), "total_order")


def _one(f: sens.Factor, here: np.ndarray) -> dict[str, float | None]:
    """The input's low, central and high values, when its rows share them (else blank)."""
    out: dict[str, float | None] = {}
    for name, values in (("low", f.low), ("central", f.central), ("high", f.high)):
        v = np.unique(values[here])
        out[name] = float(v[0]) if len(v) == 1 else None
    return out


def _ranked(table: pl.DataFrame, by: str) -> pl.DataFrame:
    """Sorted within each area by `by`, largest first (ties by name), with each input's rank."""
    table = table.sort(["area", by, "input"], descending=[False, True, False], maintain_order=True)
    return table.with_columns(pl.int_range(1, pl.len() + 1).over("area").alias("rank")).select(
        "area", "rank", pl.exclude("area", "rank"))


def depends_most(table: pl.DataFrame, year: int, measure: sens.Measure, top: int = 3) -> str:
    """The sentence a board reads: 'The 2035 gap depends most on: the leaver rate of …, tertiary prevalence at
    12–17 and …', the `top` inputs with the widest swings or largest total indices (the first area's ranking
    when the table holds several)."""
    if table.is_empty():
        return f"No input of the {year} {_WHAT[measure]} has a range, so nothing drives it."
    first = table.filter(pl.col("area") == table["area"][0]) if "area" in table.columns else table
    names = [_with_article(n) for n in first["input"].head(top)]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    # several areas' rankings (--all-areas): say whose this is, or it reads as every area's
    whose = f" of {table['area'][0]} (the first area; each area's own is in the table)" \
        if first.height < table.height else ""
    return f"The {year} {_WHAT[measure]}{whose} depends most on: {listed}."


_WHAT = {"gap": "gap", "cost": "cost of closing the gap"}


def _with_article(name: str) -> str:
    """'leaver rate of …' reads 'the leaver rate of …' in a sentence; a level's prevalence needs no article."""
    return name if " prevalence at " in name else f"the {name}"
