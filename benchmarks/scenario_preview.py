"""The scenario builder's preview (issue 17 parts 1 and 4): target under 300 ms on the demo.

Run alone:  .venv/bin/python benchmarks/scenario_preview.py [--repeats 30]

What it does: builds the demo workspace with `cyplan demo` in a temporary folder, starts `cyplan serve` on a free
port of 127.0.0.1 (one uvicorn process, as a user runs it), takes a form token as a browser does (GET /scenarios),
then POSTs the builder's form to /scenarios/preview as htmx does (HX-Request, X-CSRF-Token), one request at a
time, timing each from sending to the last byte:

* **first preview**: the first after the server starts, which also works out the baseline on the preview's draws
  (kept until the data change) — what the first user to open the builder waits for;
* **one change** (20 more NHS mental health practitioners in post) and **three moves** (the demo's skill-mix
  scenario as a draft): `--repeats` previews each, the value changed every time as a user typing would
  (nothing of a preview is kept), reported as median and p95.

And, in this process, the model's part alone: one simulation of the demo under a scenario with the preview's
draws and with the full 1,000 (medians of 3), which is why the preview uses fewer draws. The machine's load
average is printed: figures taken while other work runs are not figures measured alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from web_load import CYPLAN, HOST, env, free_port, start_server

TARGET_MS = 300.0
ONE_CHANGE = {"count": "1", "name": "more", "c0-operation": "add", "c0-input": "workforce", "c0-column": "fte_in_post",
              "c0-where-role": "mh_practitioner", "c0-where-sector": "NHS", "c0-value": "20"}
STEP = "core clinical management ({})"
THREE_MOVES = {"count": "3", "name": "mix", **{
    f"c{i}-{k}": v for i, step in enumerate(("brief", "standard", "intensive"))
    for k, v in {"operation": "move", "input": "role_mix", "column": "share", "where-level": "tertiary",
                 "where-step": STEP.format(step), "where-role": "clinical_psychologist", "value": "0.2",
                 "to_role": "mh_practitioner"}.items()}}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def previews(client: httpx.Client, token: str, form: dict[str, str], values: list[str]) -> list[float]:
    """Each preview's time in ms, the form's value fields set to each of `values` in turn."""
    times = []
    for v in values:
        data = {**form, **{k: v for k in form if k.endswith("-value")}}
        start = time.perf_counter()
        r = client.post("/scenarios/preview", data=data, headers={"HX-Request": "true", "X-CSRF-Token": token})
        times.append((time.perf_counter() - start) * 1000)
        if r.status_code != 200 or 'id="preview-table"' not in r.text:
            sys.exit(f"the preview did not answer with a gap table ({r.status_code}):\n{r.text[:2000]}")
    return times


def model_alone(workspace: Path) -> dict[int, float]:
    """One simulation under the one-change scenario, by draws: medians of 3, in ms."""
    import polars as pl

    from cyplan import results
    from cyplan.store.workspace import Workspace

    ws = Workspace.open(workspace)
    frames = ws.read_all()
    ws.close()
    row = pl.DataFrame({"scenario": ["more"], "input": ["workforce"], "column": ["fte_in_post"],
                        "where": ["role=mh_practitioner;sector=NHS"], "operation": ["add"], "value": [20.0],
                        "to_role": [""], "description": [""], "source": [""]})
    frames = {**frames, "scenarios": row}
    from cyplan.web.routes.scenarios import PREVIEW_DRAWS

    out = {}
    for draws in (PREVIEW_DRAWS, results.DRAWS):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            results.simulation(frames, "more", draws=draws)
            times.append((time.perf_counter() - start) * 1000)
        out[draws] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    folder = Path(tempfile.mkdtemp(prefix="cyplan-preview-"))
    try:
        workspace = folder / "exampleshire"
        subprocess.run([CYPLAN, "demo", str(workspace)], check=True, capture_output=True, env=env())
        port = free_port()
        proc = start_server(workspace, port, folder / "server.log")
        try:
            with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=300) as client:
                page = client.get("/scenarios")
                token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                first = previews(client, token, ONE_CHANGE, ["20"])[0]
                values = [str(20 + i) for i in range(args.repeats)]
                one = previews(client, token, ONE_CHANGE, values)
                moves = previews(client, token, THREE_MOVES, [f"0.{10 + i % 10}" for i in range(args.repeats)])
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        alone = model_alone(workspace)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"First preview (the baseline on the preview's draws worked out too): {first:.0f} ms")
    for label, times in (("one change", one), ("three moves", moves)):
        verdict = "met" if p95(times) < TARGET_MS else "MISSED"
        print(f"Preview, {label}: median {statistics.median(times):.0f} ms, p95 {p95(times):.0f} ms over "
              f"{len(times)} (target {TARGET_MS:.0f} ms: {verdict})")
    print("The model alone, one simulation under a scenario: " + ", ".join(
        f"{d:,} draws {ms:.0f} ms" for d, ms in alone.items()))
    print(f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
