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

`--cold N` (issue 17 part 4): the first page after a change, instead of the load. After each upload of the demo's
population file through the data page (the web upload, as a person makes a change; it changes the data's version, so
every result is worked out again), the overview or the workforce page is asked for once and timed: N times each, in
turn, then the medians (`--pause S`: asked for S seconds after the upload's answer, as a person's click; by default
at once). Beside the page's own time, "with what it loads after" adds the requests the page makes
once shown (its charts, the scenarios side by side: htmx asks for them as soon as the page is in), one after
another as the server answers them — the time until the page is whole. With `--before SRC` (a copy of an earlier
`src` folder, e.g. `git archive COMMIT src | tar -x -C /tmp/before`, with its built static/vendor files) a second
server runs that code on a copy of the same workspace, and the two are timed in turns, so the machine's ups and
downs fall on both alike; and first both servers' pages, loaded whole, must show the same figures — every table's
cells and every chart's spec, on the overview, the workforce page and the workforce page for 2030 under the
scenario 'training' — or the benchmark says what differs and exits 1.

    .venv/bin/python benchmarks/web_load.py --cold 7 [--before /tmp/before/src]

`--server` (issue 14 part 8): the shared server instead, set up as docs/deployment.md says, all by the CLI — a
throwaway PostgreSQL (Debian's postgresql, on a unix socket in a temporary folder: an owner role and the app role
from `cyplan server migrate --app-role`), the tests' OpenID Connect provider (tests/oidc/provider.mjs, npm
oauth2-mock-server), 10 areas made with `cyplan server add-area` and the demo's inputs and referral returns
imported into each (`cyplan import all`, `cyplan returns import`), 50 users granted with `cyplan server grant`
(viewers and analysts in turn, five to an area), and `cyplan serve --config server.toml` with 2 workers. Each user
signs in for real (httpx following the redirects to the provider and back); every request of the load carries
one of the 50 users' session cookies in turn (wrk's Lua script), and any answer but 200 (a redirect to sign-in
included) is a failure. Phase 1: the 50 users on / and /workforce (25 on each, closed loop). Phase 2: the same
while one more analyst, in an 11th area, uploads the demo's population, prevalence and workforce files in turn
through the data page (the web upload, as a person would) and opens the overview after each (which works that
area's results out again). Target (issue 14): p95 under 200 ms on both pages, no failures.

    .venv/bin/python benchmarks/web_load.py --server [--users 50] [--areas 10] [--duration 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pwd
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
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


def start_server(workspace: Path, port: int, log: Path, src: Path | None = None) -> subprocess.Popen[bytes]:
    """`cyplan serve` on the workspace; with `src`, that folder's code (an earlier version's) rather than this."""
    with log.open("wb") as out:
        proc = subprocess.Popen([CYPLAN, "serve", "-w", str(workspace), "--host", HOST, "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT,
                                env={**env(), "PYTHONPATH": str(src)} if src else env())
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
        """Connections or reads that failed, time-outs, and answers but 200 (a redirect to sign-in counts: wrk's
        own status count is of 4xx and 5xx only, so the server mode's script counts every answer but 200)."""
        answers = self.stats["not200"] if "not200" in self.stats else self.stats["status"]
        return int(sum(self.stats[k] for k in ("connect", "read", "write", "timeout")) + answers)


def run_wrk(wrk: str, script: Path, loads: dict[str, int], url: str, duration: int,
            cookies: Path | None = None) -> tuple[list[Result], float]:
    """wrk processes at once, one per page with its users; returns their results and wrk's CPU seconds. With
    `cookies` (a file of Cookie headers, one a line) the script sends each in turn instead of COOKIE."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    extra = (["--", str(cookies)], []) if cookies else ([], ["-H", f"Cookie: {COOKIE}"])
    procs = {page: subprocess.Popen(
        [wrk, "-t1", f"-c{users}", f"-d{duration}s", "--timeout", "10s", *extra[1], "-s", str(script),
         url + PAGES[page], *extra[0]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
    ap.add_argument("--users", type=int, help="concurrent users in all (default 20; 50 with --server)")
    ap.add_argument("--duration", type=int, default=30, help="seconds of load per phase (default 30)")
    ap.add_argument("--mode", choices=["split", "turns"], default="split",
                    help="split: half the users on each page at once (default); turns: all users on each page in turn")
    ap.add_argument("--server", action="store_true", help="the shared server: PostgreSQL, sign-in, 2 workers, "
                    "--users signed-in users over --areas areas (issue 14 part 8)")
    ap.add_argument("--areas", type=int, default=10, help="with --server: areas the users are spread over (10)")
    ap.add_argument("--repeat", type=int, default=3, help="with --server: runs of both phases on the one server, "
                    "then the medians (3)")
    ap.add_argument("--cold", type=int, metavar="N", help="the first page after a change, N times each, instead of "
                    "the load (issue 17 part 4)")
    ap.add_argument("--pause", type=float, default=0.0, metavar="S", help="with --cold: seconds between the upload's "
                    "answer and asking for the page, as a person's click (default 0: at once)")
    ap.add_argument("--before", type=Path, metavar="SRC", help="with --cold: also an earlier src folder's server, "
                    "timed in turns with this one, their figures compared first")
    args = ap.parse_args()
    if args.cold:
        cold_main(args.cold, args.before, args.pause)
        return
    if args.server:
        server_main(argparse.Namespace(**{**vars(args), "users": args.users or 50}))
        return
    args.users = args.users or 20
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


# -- the first page after a change (--cold) --------------------------------------------------------------------

# what a page loads once shown (htmx, hx-trigger="load"): its charts and the scenarios side by side, when not kept
LATER = re.compile(r'hx-get="(/(?:charts|workforce/scenarios)[^"]*)" hx-trigger="load"')
SHOWN = ("/", "/workforce", "/workforce?year=2030&scenario=training")  # the pages whose figures are compared
TABLE = re.compile(r"<table.*?</table>", re.S)
SPEC = re.compile(r'id="([^"]+)" data-vega-spec="([^"]*)"')
TABLE_ID = re.compile(r'<table[^>]*\bid="([^"]+)"')


@dataclass
class Cold:
    """One server for --cold: its code, its address and an HTTP client with its CSRF cookie."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    client: object
    times: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # page → (page, page with later)

    def get(self, path: str, **headers: str) -> str:
        r = self.client.get(self.url + path, headers=headers)  # type: ignore[attr-defined]
        if r.status_code != 200:
            sys.exit(f"{self.name}: {path} answered {r.status_code}")
        return str(r.text)

    def change(self) -> None:
        """Upload the demo's population file through the data page: a change, as a person makes one."""
        from cyplan import reference
        from cyplan.web import security

        page = self.get("/data")
        token = re.search(rf'name="{security.CSRF_FIELD}" value="([^"]+)"', page)
        done = self.client.post(self.url + "/data/upload", data={  # type: ignore[attr-defined]
            "kind": "population", "mode": "replace", security.CSRF_FIELD: token.group(1) if token else ""},
            files={"file": ("population.csv", (reference.DEMO / "population.csv").read_bytes())})
        if done.status_code != 200 or "Imported" not in done.text:
            sys.exit(f"{self.name}: the upload failed ({done.status_code})")

    def timed(self, path: str, pause: float) -> None:
        """The page after a change (`pause` s after the upload's answer), and with what it loads after it, one
        request after another."""
        self.change()
        time.sleep(pause)
        start = time.perf_counter()
        html = self.get(path)
        page = time.perf_counter() - start
        for later in LATER.findall(html):
            self.get(later.replace("&amp;", "&"), **{"HX-Request": "true"})
        self.times.setdefault(path, []).append((page, time.perf_counter() - start))

    def figures(self, path: str) -> tuple[dict[str, str], dict[str, str]]:
        """The page as a browser ends up with it (what it loads after, then the page again): its tables' text and
        its charts' specs, each by its id (a table without one by its place)."""
        html = self.get(path)
        for _ in range(3):  # again if the data's version moved meanwhile (on SQLite a checkpoint touches the file)
            for later in LATER.findall(html):
                self.get(later.replace("&amp;", "&"), **{"HX-Request": "true"})
            html = self.get(path)
            if not LATER.search(html):
                tables = {(m.group(1) if (m := TABLE_ID.match(t)) else f"table {i}"): t
                          for i, t in enumerate(TABLE.findall(html))}
                return tables, dict(SPEC.findall(html))
        sys.exit(f"{self.name}: {path} still loads parts after it once they are worked out")


def cold_main(turns: int, before: Path | None, pause: float = 0.0) -> None:
    import httpx

    load0 = os.getloadavg()[0]
    print(f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; load average {load0:.2f} before the "
          f"run; the busiest processes:\n{others()}")
    with tempfile.TemporaryDirectory(prefix="cyplan-web-cold-") as tmp:
        folder = Path(tmp)
        subprocess.run([CYPLAN, "demo", str(folder / "after")], check=True, capture_output=True, env=env())
        codes = [("this code", folder / "after", None)]
        if before:  # its own demo, by its own code: an earlier tree cannot open a workspace a later migration made
            subprocess.run([CYPLAN, "demo", str(folder / "before")], check=True, capture_output=True,
                           env={**env(), "PYTHONPATH": str(before)})
            codes.insert(0, (f"before ({before})", folder / "before", before))
        servers: list[Cold] = []
        try:
            for name, workspace, src in codes:
                port = free_port()
                proc = start_server(workspace, port, folder / f"{workspace.name}.log", src)
                client = httpx.Client(headers={"Cookie": COOKIE}, timeout=300)
                servers.append(Cold(name, f"http://{HOST}:{port}", proc, client))
            for server in servers:
                for path in WARM:
                    server.get(path)
            if len(servers) == 2:
                print("\nThe check, first: the figures each server's pages show, loaded whole")
                for path in SHOWN:
                    got = [server.figures(path) for server in servers]
                    # a figure both show must be the same; one only the later code shows is a section it added
                    tables, specs = (sum(got[0][i][k] != got[1][i][k] for k in got[0][i].keys() & got[1][i].keys())
                                     for i in (0, 1))
                    only = [k for i in (0, 1) for k in got[0][i].keys() ^ got[1][i].keys()]
                    print(f"  {path:<40} {len(got[1][0])} tables, {len(got[1][1])} charts: "
                          + ("identical" if not tables and not specs else f"{tables} tables, {specs} charts DIFFER")
                          + (f" (shown by one only: {', '.join(sorted(only))})" if only else ""))
                    if tables or specs:
                        sys.exit("The figures differ: no times are reported.")
            print(f"\nThe first page after a change, {turns} times each (servers in turns), asked for "
                  + (f"{pause:g} s after the upload's answer:" if pause else "as soon as the upload is answered:"))
            for _ in range(turns):
                for path in PAGES.values():
                    for server in servers:
                        server.timed(path, pause)
            print(f"\n{'code':<28} {'page':<12} {'median ms':>10} {'with what it loads after':>25}  each page, ms")
            for server in servers:
                for path, got in server.times.items():
                    page, whole = statistics.median(t[0] for t in got), statistics.median(t[1] for t in got)
                    print(f"{server.name[:28]:<28} {path:<12} {page * 1000:>10.0f} {whole * 1000:>25.0f}  "
                          + ", ".join(f"{t[0] * 1000:.0f}" for t in got))
            if len(servers) == 2:
                for path in PAGES.values():
                    old, new = (statistics.median(t[0] for t in s.times[path]) for s in servers)
                    print(f"  {path}: this code's median is {new / old:.2f}× the earlier code's")
            print(f"\nLoad average {load0:.2f} before, {os.getloadavg()[0]:.2f} after (other work on the machine)")
        finally:
            for server in servers:
                server.proc.terminate()
                server.proc.wait(timeout=10)


# -- the shared server (--server) -----------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
PROVIDER_SCRIPT = REPO / "tests" / "oidc" / "provider.mjs"
SERVER_TARGET_P95_MS = 200.0
OWNER, APP, DATABASE = "cyplan_owner", "cyplan_app", "cyplan"
CLIENT_SECRET = "benchmark-client-secret"
IMPORTED = ("population", "prevalence", "workforce")  # the files the phase-2 analyst uploads in turn

# Each request carries the next of the users' Cookie headers (the file given after --); every answer but 200 is
# counted (wrk's own status count is of 4xx and 5xx only: a redirect to sign-in would pass).
ROTATE_LUA = r"""
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args)
  reqs, n, not200 = {}, 0, 0
  for line in io.lines(args[1]) do reqs[#reqs + 1] = wrk.format(nil, nil, {["Cookie"] = line}) end
end
request = function()
  n = n % #reqs + 1
  return reqs[n]
end
response = function(status, headers, body)
  if status ~= 200 then not200 = not200 + 1 end
end
done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("not200") end
  local e = summary.errors
  io.write("JSON:" .. string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
    .. '"timeout": %d, "not200": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean) .. "\n")
end
"""


def server_env() -> dict[str, str]:
    """The secret kept out of server.toml, as docs/deployment.md says (commands reading --config need it too)."""
    return {**env(), "CYPLAN_OIDC_CLIENT_SECRET": CLIENT_SECRET}


def run(*args: str | Path) -> str:
    """A cyplan command, as the IT team types it, run in this process by Typer's runner (as the tests do: some 75
    commands, each a second or more of start-up as a program of its own); stops the benchmark with its message if
    it fails."""
    from typer.testing import CliRunner

    from cyplan.cli import app

    done = CliRunner().invoke(app, [str(a) for a in args], env={"CYPLAN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                                                               "CYPLAN_DATABASE_URL": None, "COLUMNS": "200"})
    if done.exit_code:
        sys.exit(f"cyplan {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}{done.exception or ''}")
    return done.stdout


@dataclass
class Postgres:
    folder: Path  # holds the data folder, the unix socket and the log (short: a socket's path has ≤ 107 bytes)
    bin: Path
    user: str | None  # PostgreSQL refuses to run as root: then as Debian's postgres user

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.folder / "log"
            sys.exit(f"{program} failed: {done.stderr}{log.read_text() if log.exists() else ''}")

    def url(self, role: str) -> str:
        return f"postgresql+psycopg://{role}@/{DATABASE}?host={self.folder}"

    def sql(self, statement: str) -> None:
        import psycopg  # the server mode's own need: cyplan[postgres]

        with psycopg.connect(host=str(self.folder), user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)

    @property
    def pid(self) -> int:
        return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL with its defaults (durable commits: fsync on, as a council's would be), on a unix
    socket only; stopped and deleted at the end whatever happens."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parents[1].name))
    if not found:
        sys.exit("PostgreSQL's server programs are missing: run scripts/system_deps.sh --test (Debian's postgresql)")
    user = None if os.geteuid() else pwd.getpwnam("postgres").pw_name
    folder = Path(tempfile.mkdtemp(prefix="cyplan-pg-"))
    if user:
        shutil.chown(folder, user)
    pg, data = Postgres(folder, found[-1].parent, user), folder / "data"
    try:
        pg.run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8")
        pg.run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
               f"-k {folder} -c listen_addresses=''", "start")
        yield pg
    finally:
        if (data / "postmaster.pid").exists():
            pg.run("pg_ctl", "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def oidc_provider() -> Iterator[str]:
    """The tests' OpenID Connect provider (npm oauth2-mock-server) on a free loopback port; its issuer URL."""
    if shutil.which("node") is None or not (REPO / "node_modules" / "oauth2-mock-server").exists():
        sys.exit("the OIDC provider needs node and npm's oauth2-mock-server: run scripts/build_web_assets.sh")
    proc = subprocess.Popen(["node", str(PROVIDER_SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        issuer = proc.stdout.readline().decode().strip()
        if not issuer.startswith("http://127.0.0.1:"):
            sys.exit(f"the OIDC provider did not start: {issuer}")
        yield issuer
    finally:
        proc.stdin.close()  # the script stops when its input ends
        proc.wait(timeout=10)


@dataclass
class User:
    email: str
    area: str
    role: str
    cookie: str = ""  # the Cookie header the browser sends once signed in
    client: object = field(default=None, repr=False)  # its httpx.Client, kept for the phase-2 analyst


def users_of(count: int, areas: list[str]) -> list[User]:
    """`count` users spread over the areas in turn, viewers and analysts alternating in each area."""
    return [User(f"user{i + 1:02d}@council.example", areas[i % len(areas)],
                 "viewer" if (i // len(areas)) % 2 == 0 else "analyst") for i in range(count)]


def write_config(folder: Path, issuer: str, port: int, url: str, areas: list[str]) -> Path:
    path = folder / "server.toml"
    listed = "".join(f'\n[[areas]]\ncode = "{a}"\nname = "Area {a}"\n' for a in areas)
    path.write_text(f"""data_dir = "data"
public_url = "http://{HOST}:{port}"
host = "{HOST}"
port = {port}
workers = 2
database_url = "{url}"

[oidc]
discovery_url = "{issuer}/.well-known/openid-configuration"
client_id = "cyplan-benchmark"
{listed}""")
    return path


def set_up(config: Path, pg: Postgres, areas: list[str], users: list[User]) -> None:
    """Everything through the CLI as docs/deployment.md says: migrate as the owner, the areas as the app role, the
    demo's data into each, the roles."""
    from cyplan import reference

    pg.sql(f"CREATE ROLE {OWNER} LOGIN CREATEROLE")
    pg.sql(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
    run("server", "migrate", "--db", pg.url(OWNER), "--app-role", APP)
    run("server", "add-area", areas[0], "--config", config)  # the first also makes the server's own workspace
    data = config.parent / "data"

    for code in areas:
        if code != areas[0]:
            run("server", "add-area", code, "--config", config)
        run("import", "all", reference.DEMO, "-w", data / "areas" / code)
        run("returns", "import", reference.DEMO / "returns" / "referrals.csv", "-w", data / "areas" / code)
    for u in users:
        run("server", "grant", u.email, "--area", u.area, "--role", u.role, "--data-dir", data)


def sign_in(issuer: str, url: str, user: User) -> None:
    """A browser's way: /signin, the provider, back to the callback, then the overview; the cookies it holds."""
    import httpx

    r = httpx.post(issuer + "/test/claims", json={"claims": {"email": user.email, "name": user.email.split("@")[0]}})
    r.raise_for_status()
    client = httpx.Client(timeout=300, follow_redirects=True)
    page = client.get(url + "/signin", params={"next": "/"})
    if page.status_code != 200 or str(page.url) != url + "/":
        sys.exit(f"{user.email} could not sign in: {page.status_code} at {page.url}\n{page.text[-1000:]}")
    user.client = client
    user.cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


def start_shared(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen([CYPLAN, "serve", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                env=server_env())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"cyplan serve --config stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    sys.exit(f"cyplan serve --config did not start within 120 s:\n{log.read_text()}")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its children now alive (the uvicorn workers; PostgreSQL's backends) and those
    that ended (a backend whose connection closed: the parent's cutime and cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = cpu_seconds(pid) + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with suppress(FileNotFoundError, ProcessLookupError):  # ended meanwhile
                total += tree_cpu(int(child))
    return total


def machine_busy() -> tuple[float, float]:
    """All CPUs' busy and total jiffies so far (/proc/stat): the whole machine, other people's work included."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Importer(threading.Thread):
    """Phase 2's analyst: uploads the demo's files in turn through the data page, opening the overview after each,
    until stopped. Every answer must be 200; each upload's time and the overview's are kept."""

    def __init__(self, user: User, url: str):
        super().__init__(daemon=True)
        self.user, self.url, self.stop = user, url, threading.Event()
        self.uploads: list[float] = []
        self.views: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        import httpx

        n = 0
        while not self.stop.is_set():
            try:
                self.once(IMPORTED[n % len(IMPORTED)])
            except httpx.HTTPError as e:  # a connection the server dropped: a failure, not the end of the phase
                self.failures.append(f"{type(e).__name__}: {e}")
            n += 1

    def once(self, kind: str) -> None:
        from cyplan import reference
        from cyplan.web import security

        client = self.user.client
        page = client.get(self.url + "/data")  # type: ignore[attr-defined]
        token = re.search(rf'name="{security.CSRF_FIELD}" value="([^"]+)"', page.text)
        start = time.perf_counter()
        done = client.post(self.url + "/data/upload", data={  # type: ignore[attr-defined]
            "kind": kind, "mode": "replace", security.CSRF_FIELD: token.group(1) if token else ""},
            files={"file": (f"{kind}.csv", (reference.DEMO / f"{kind}.csv").read_bytes())})
        self.uploads.append(time.perf_counter() - start)
        if done.status_code != 200 or "Imported" not in done.text:
            self.failures.append(f"upload {kind}: {done.status_code}")
        start = time.perf_counter()
        view = client.get(self.url + "/")  # type: ignore[attr-defined]
        self.views.append(time.perf_counter() - start)
        if view.status_code != 200:
            self.failures.append(f"overview: {view.status_code}")


def load_phase(wrk: str, script: Path, cookies: Path, url: str, users: int, duration: int,
               server: int, pg: int) -> dict[str, object]:
    """Half the users on each page at once for `duration` s; the figures, the CPU each part used and how the load's
    connections were shared between the workers (looked at 3 s in: wrk keeps each connection for the phase)."""
    cpu0, pg0, busy0, t0 = tree_cpu(server), tree_cpu(pg), machine_busy(), time.perf_counter()
    split: dict[int, int] = {}
    looker = threading.Timer(min(3, duration / 2), lambda: split.update(connections_by_worker(server, url)))
    looker.start()
    results, wrk_cpu = run_wrk(wrk, script, {p: users // len(PAGES) for p in PAGES}, url, duration, cookies)
    looker.join()
    wall, busy1 = time.perf_counter() - t0, machine_busy()
    return {"results": results, "wall": wall, "server": tree_cpu(server) - cpu0, "pg": tree_cpu(pg) - pg0,
            "wrk": wrk_cpu, "machine": (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1) * (os.cpu_count() or 1),
            "split": split}


def connections_by_worker(server: int, url: str) -> dict[int, int]:
    """How many of wrk's connections each of the server's worker processes holds (ss: the server's ends of the
    connections whose other end is a wrk process's)."""
    port = url.rsplit(":", 1)[1]
    lines = [x.split() for x in subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True,
                                               text=True).stdout.splitlines()]
    wrk_ends = {x[2] for x in lines if len(x) > 4 and x[3].endswith(f":{port}") and '"wrk"' in x[4]}
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(server)], capture_output=True,
                                              text=True).stdout.split()]
    held = {w: 0 for w in workers}
    for x in lines:
        if len(x) > 4 and x[2].endswith(f":{port}") and x[3] in wrk_ends:
            for w in workers:
                held[w] += f"pid={w}," in x[4]
    return {w: n for w, n in held.items() if n}


def print_phase(title: str, got: dict[str, object]) -> None:
    print(f"\n{title}")
    print(f"{'page':<10} {'users':>5} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'failed':>7}  target p95 < {SERVER_TARGET_P95_MS:.0f} ms")
    for r in got["results"]:  # type: ignore[attr-defined]
        met = "met" if r.ms("p95") < SERVER_TARGET_P95_MS and not r.failures else "MISSED"
        print(f"{r.page:<10} {r.users:>5} {r.stats['requests']:>9,.0f} {r.rps:>8.1f} {r.ms('p50'):>8.1f} "
              f"{r.ms('p95'):>8.1f} {r.ms('p99'):>8.1f} {r.ms('max'):>8.1f} {r.failures:>7}  {met}")
    wall = float(got["wall"])  # type: ignore[arg-type]
    split = "/".join(str(n) for n in sorted(got["split"].values(), reverse=True)) or "not seen"  # type: ignore
    print(f"The load's connections held by each worker: {split}")
    print(f"CPU over {wall:.1f} s, in cores: cyplan's workers {float(got['server']) / wall:.2f}, "  # type: ignore
          f"PostgreSQL {float(got['pg']) / wall:.2f}, wrk {float(got['wrk']) / wall:.2f}; "  # type: ignore
          f"the whole machine {float(got['machine']):.2f} of {os.cpu_count()}")  # type: ignore


def server_main(args: argparse.Namespace) -> None:
    wrk = ensure_wrk()
    if args.users % len(PAGES) or args.users < args.areas:
        sys.exit(f"--users must be even and at least --areas ({args.areas})")
    print(f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f} before the run; the busiest processes:\n{others()}")
    areas = [f"area{i + 1:02d}" for i in range(args.areas)]
    readers = users_of(args.users, areas)
    analyst = User("importer@council.example", "imports", "analyst")
    with tempfile.TemporaryDirectory(prefix="cyplan-server-load-") as tmp, postgres() as pg, \
            oidc_provider() as issuer:
        folder, port = Path(tmp), free_port()
        url = f"http://{HOST}:{port}"
        config = write_config(folder, issuer, port, pg.url(APP), [*areas, analyst.area])
        t0 = time.perf_counter()
        set_up(config, pg, [*areas, analyst.area], [*readers, analyst])
        viewers = sum(u.role == "viewer" for u in readers)
        print(f"Set up with cyplan's commands in {time.perf_counter() - t0:.0f} s: {len(areas)} areas with the "
              f"demo's data (+1 for the importer), {len(readers)} users ({viewers} viewers, {len(readers) - viewers} "
              f"analysts; {len(readers) // len(areas)} to an area)")
        server = start_shared(config, port, folder / "server.log")
        try:
            t0 = time.perf_counter()
            for user in [*readers, analyst]:
                sign_in(issuer, url, user)
            print(f"{len(readers) + 1} users signed in through the provider in {time.perf_counter() - t0:.1f} s")
            warm(url, readers)
            cookies = folder / "cookies.txt"
            cookies.write_text("".join(u.cookie + "\n" for u in readers))
            script = folder / "rotate.lua"
            script.write_text(ROTATE_LUA)
            print(f"\nLoad: {args.users} signed-in users, closed loop, {args.duration} s a phase, half on each page; "
                  "each request carries the next user's cookies")
            phases: list[tuple[dict[str, object], dict[str, object]]] = []
            for n in range(1, args.repeat + 1):
                print(f"\n== Run {n} of {args.repeat} (load average {os.getloadavg()[0]:.2f}) ==")
                phases.append(both_phases(wrk, script, cookies, url, args, server.pid, pg.pid, analyst))
            medians(phases)
            server_log(folder / "server.log")
            print(f"Load average {os.getloadavg()[0]:.2f} after the run (other work on the machine shows here)")
        finally:
            server.terminate()
            server.wait(timeout=30)


def both_phases(wrk: str, script: Path, cookies: Path, url: str, args: argparse.Namespace, server: int, pg: int,
                analyst: User) -> tuple[dict[str, object], dict[str, object]]:
    one = load_phase(wrk, script, cookies, url, args.users, args.duration, server, pg)
    print_phase("Phase 1: readers alone", one)
    importer = Importer(analyst, url)
    importer.start()
    two = load_phase(wrk, script, cookies, url, args.users, args.duration, server, pg)
    importer.stop.set()
    importer.join(timeout=300)
    print_phase(f"Phase 2: readers while an analyst in another area uploads {', '.join(IMPORTED)} in turn through "
                "the data page, opening the overview after each", two)
    ms = [statistics.median(x) * 1000 if x else float("nan") for x in (importer.uploads, importer.views)]
    print(f"The analyst: {len(importer.uploads)} uploads (median {ms[0]:.0f} ms), overview after each (median "
          f"{ms[1]:.0f} ms, the area's results worked out again); failures: {', '.join(importer.failures) or 'none'}")
    two["importer_failures"] = len(importer.failures)
    return one, two


def medians(runs: list[tuple[dict[str, object], dict[str, object]]]) -> None:
    """Each page's median over the runs of p50, p95, p99 and req/s, and every failure summed."""
    print(f"\n== Medians over {len(runs)} run{'s' if len(runs) > 1 else ''} (target p95 < "
          f"{SERVER_TARGET_P95_MS:.0f} ms, no failures) ==")
    print(f"{'phase':<8} {'page':<10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'failed':>7}  "
          "p95 of each run")
    for i, name in enumerate(("readers", "+import")):
        for page in PAGES:
            got = [next(r for r in run[i]["results"] if r.page == page) for run in runs]  # type: ignore[attr-defined]
            p95 = statistics.median(r.ms("p95") for r in got)
            failed = sum(r.failures for r in got) + sum(int(run[i].get("importer_failures", 0))  # type: ignore
                                                         for run in runs)
            each = ", ".join(f"{r.ms('p95'):.0f}" for r in got)
            met = "met" if p95 < SERVER_TARGET_P95_MS and not failed else "MISSED"
            print(f"{name:<8} {page:<10} {statistics.median(r.rps for r in got):>8.1f} "
                  f"{statistics.median(r.ms('p50') for r in got):>8.1f} {p95:>8.1f} "
                  f"{statistics.median(r.ms('p99') for r in got):>8.1f} {failed:>7}  "
                  f"{each}  {met}")


def server_log(log: Path) -> None:
    """How many errors the server logged, and the first with its traceback (the folder is deleted at the end)."""
    lines = log.read_text().splitlines()
    errors = [i for i, line in enumerate(lines) if "ERROR" in line]
    print(f"Server log: {len(errors)} error lines")
    if errors:
        first = lines[errors[0]:errors[0] + 60]
        end = next((i for i, line in enumerate(first[1:], 1) if "ERROR" in line), len(first))
        print("  The first:\n" + "\n".join("    " + line for line in first[:end]))


def others() -> str:
    """The busiest processes on the machine now (other people's work shows here)."""
    out = subprocess.run(["ps", "-eo", "pcpu,etime,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    return "\n".join("  " + line for line in out.splitlines()[:8])


def warm(url: str, readers: list[User]) -> None:
    """Each worker works out each area's results on its first request for it, and keeps a page whole once a browser
    has loaded what the page loads after it: every user asks for both pages as a browser does (the page, then its
    later parts), two at a time, each on a new connection (so that both workers are asked, whichever the kernel
    gives it to), until a round finds every page whole and quick. wrk's browsers then ask for pages kept whole, as
    people returning to a page would."""
    print("Warming (each worker works out each area's results and keeps each page whole):")
    for n in range(1, 16):
        start = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            got = list(pool.map(lambda a: _as_a_browser(url, a[1], a[0].client.cookies), [  # type: ignore
                (u, p) for u in readers for p in PAGES.values()]))
        took, partial = max(t for t, _ in got), sum(not whole for _, whole in got)
        print(f"  round {n}: {time.perf_counter() - start:5.1f} s, slowest page {took * 1000:6.0f} ms, "
              f"{partial} of {len(got)} pages not yet whole")
        if took < 0.5 and not partial:
            return
    sys.exit("the pages were not all kept whole after 15 rounds of warming")


def _as_a_browser(url: str, path: str, cookies: object) -> tuple[float, bool]:
    """The page on a new connection, then what it loads after it; the page's time and whether it came whole."""
    import httpx

    with httpx.Client(base_url=url, timeout=300, cookies=cookies) as client:  # type: ignore[arg-type]
        start = time.perf_counter()
        page = client.get(path)
        took = time.perf_counter() - start
        if page.status_code != 200:
            sys.exit(f"{path}: {page.status_code} (a redirect to sign-in: the session has ended)")
        later = LATER.findall(page.text)
        for part in later:
            if (r := client.get(part.replace("&amp;", "&"), headers={"HX-Request": "true"})).status_code != 200:
                sys.exit(f"{part}: {r.status_code}")
    return took, not later


if __name__ == "__main__":
    main()
