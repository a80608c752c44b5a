"""The web app under load (issue 6): `cyplan serve` on the demo workspace, 20 concurrent users on loopback for
30 s on the dashboard pages — the overview (/) and the workforce page (/workforce). Target (DESIGN.md): p95
under 150 ms.

Run alone:  .venv/bin/python benchmarks/web_load.py [--users 20] [--duration 30] [--mode split|turns]

What it does: builds the demo workspace with `cyplan demo` in a temporary folder, starts `cyplan serve` on a
free port of 127.0.0.1 (exactly as a user would: one uvicorn process), and loads each page of the app once to
warm it (the first load works out the simulation, which is then kept until the data changes; those first
times are printed too). Then the load:

* `--mode split` (default): half the users on each page at the same time — 10 on the overview and 10 on the
  workforce page for the whole 30 s, so the server carries 20 concurrent users throughout;
* `--mode turns`: all 20 users on the overview for 30 s, then all 20 on the workforce page for 30 s.

Each user sends its next request as soon as the last one is answered (a closed loop, no think time), with the
CSRF cookie a returning browser holds. Latency is from sending the request to the last byte of the answer;
p50/p95/p99 and requests per second are per page. Every answer must be 200: others are counted and reported.

The load generator is `wrk` from Debian (installed with apt-get if missing; the benchmark says so). Why wrk and
not a Python client: the machine has 2 cores and the server is one Python process; a Python load generator
(httpx, aiohttp) spends ~0.3–1 ms of CPU per request in its own interpreter, which at these rates would take a
large share of the other core and of the server's. wrk is C on epoll: each wrk process here has one thread
(two processes in `split` mode, one per page, so each page gets its own figures) and its CPU time is measured
and printed beside the server's, so the cost is shown, not assumed — typically a few per cent of a core.
wrk does not correct for coordinated omission; in a closed loop with no think time that is the usual
definition of a user's latency. Latencies are wrk's own histogram (microsecond resolution).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
CYPLAN = str(Path(sys.executable).with_name("cyplan"))
PAGES = {"overview": "/", "workforce": "/workforce"}
WARM = ["/", "/workforce", "/services", "/returns", "/data", "/api/overview"]
TARGET_P95_MS = 150.0
COOKIE = "cyplan_csrf=benchmark-user-token-0123456789abcdefghijklmnop"

# wrk's summary as one line of JSON after a marker (latencies in microseconds).
REPORT_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("JSON:" .. string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
    .. '"timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean) .. "\n")
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        print(f"Load generator: {found} (Debian's wrk)")
        return found
    print("wrk is missing: installing it from Debian (apt-get install wrk)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed: install it (apt-get install wrk) and run the benchmark again")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}


def get(url: str) -> tuple[int, float]:
    start = time.perf_counter()
    req = urllib.request.Request(url, headers={"Cookie": COOKIE})
    with urllib.request.urlopen(req, timeout=300) as r:
        r.read()
        return r.status, time.perf_counter() - start


def start_server(workspace: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen([CYPLAN, "serve", "-w", str(workspace), "--host", HOST, "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"cyplan serve stopped:\n{log.read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    sys.exit(f"cyplan serve did not start within 60 s:\n{log.read_text()}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    page: str
    users: int
    stats: dict[str, float]

    @property
    def seconds(self) -> float:
        return self.stats["duration_us"] / 1e6

    @property
    def rps(self) -> float:
        return self.stats["requests"] / self.seconds

    def ms(self, key: str) -> float:
        return self.stats[key] / 1000

    @property
    def failures(self) -> int:
        return int(sum(self.stats[k] for k in ("connect", "read", "write", "status", "timeout")))


def run_wrk(wrk: str, script: Path, loads: dict[str, int], url: str, duration: int) -> tuple[list[Result], float]:
    """wrk processes at once, one per page with its users; returns their results and wrk's CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = {page: subprocess.Popen(
        [wrk, "-t1", f"-c{users}", f"-d{duration}s", "--timeout", "10s", "-H", f"Cookie: {COOKIE}",
         "-s", str(script), url + PAGES[page]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for page, users in loads.items()}
    results = []
    for page, proc in procs.items():
        out, _ = proc.communicate()
        line = next((x for x in out.splitlines() if x.startswith("JSON:")), None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"wrk failed on {page}:\n{out}")
        results.append(Result(page, loads[page], json.loads(line[5:])))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return results, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=20, help="concurrent users in all (default 20)")
    ap.add_argument("--duration", type=int, default=30, help="seconds of load per phase (default 30)")
    ap.add_argument("--mode", choices=["split", "turns"], default="split",
                    help="split: half the users on each page at once (default); turns: all users on each page in turn")
    args = ap.parse_args()
    if args.mode == "split" and args.users % len(PAGES):
        ap.error(f"--users must divide among the {len(PAGES)} pages")

    wrk = ensure_wrk()
    print(f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} before the run")
    with tempfile.TemporaryDirectory(prefix="cyplan-web-load-") as tmp:
        folder = Path(tmp)
        subprocess.run([CYPLAN, "demo", str(folder / "exampleshire")], check=True, capture_output=True, env=env())
        script = folder / "report.lua"
        script.write_text(REPORT_LUA)
        port = free_port()
        url = f"http://{HOST}:{port}"
        server = start_server(folder / "exampleshire", port, folder / "server.log")
        try:
            print("\nWarming each page once (first loads work out the results and keep them):")
            for path in WARM:
                status, took = get(url + path)
                print(f"  {path:<14} {status}  {took * 1000:8.0f} ms first, ", end="")
                status, took = get(url + path)
                print(f"{took * 1000:6.1f} ms second")
            phases = ([{p: args.users // len(PAGES) for p in PAGES}] if args.mode == "split"
                      else [{p: args.users} for p in PAGES])
            print(f"\nLoad: {args.users} concurrent users, {args.duration} s"
                  + (" — half on each page at once" if args.mode == "split" else " on each page in turn") + "\n")
            print(f"{'page':<10} {'users':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'max ms':>8} {'failed':>7}  target p95 < {TARGET_P95_MS:.0f} ms")
            server_cpu = wrk_cpu = wall = 0.0
            results: list[Result] = []
            for loads in phases:
                cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
                got, cpu = run_wrk(wrk, script, loads, url, args.duration)
                server_cpu += cpu_seconds(server.pid) - cpu0
                wall += time.perf_counter() - t0
                wrk_cpu += cpu
                results += got
            for r in results:
                met = "met" if r.ms("p95") < TARGET_P95_MS and not r.failures else "MISSED"
                print(f"{r.page:<10} {r.users:>5} {r.stats['requests']:>9,.0f} {r.rps:>8.1f} {r.ms('p50'):>8.1f} "
                      f"{r.ms('p95'):>8.1f} {r.ms('p99'):>8.1f} {r.ms('max'):>8.1f} {r.failures:>7}  {met}")
            print(f"\nCPU over the load ({wall:.1f} s): server {server_cpu:.1f} s ({server_cpu / wall:.0%} of a core), "
                  f"wrk {wrk_cpu:.1f} s ({wrk_cpu / wall:.0%} of a core); load average {os.getloadavg()[0]:.2f} "
                  "after the run (other work on the machine shows here)")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
