"""What the browser tests need: the real `cyplan serve` in a child process on a free loopback port, Debian's
Chromium driven by Playwright (never a downloaded browser), axe-core from npm, and a watch on every page for
console errors and for requests that leave this computer."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
CYPLAN = str(Path(sys.executable).with_name("cyplan"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
HOST = "127.0.0.1"
STARTUP_SECONDS = 120  # the first page works out the simulation; a slow CI machine gets time, a broken one a message
SERIOUS = ("serious", "critical")

# Serves the app with a small upload limit: `cyplan serve` has no option for it, and a limit test in a real
# browser should not have to send 50 MB. The same create_app and uvicorn settings as `cyplan serve`.
SMALL_LIMIT_SERVER = """
import sys
from pathlib import Path
import uvicorn
from cyplan.web.app import create_app
uvicorn.run(create_app(Path(sys.argv[1]), upload_limit=int(sys.argv[3])), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", server_header=False)
"""


def child_env() -> dict[str, str]:
    """The environment for a child process: none of the shell's CYPLAN_ settings, no wrapped output."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_") and k != "COLUMNS"}


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a server started with start_new_session=True and everything it started: uvicorn's workers outlive a
    supervisor that is killed, and would hold their memory and ports after the tests."""
    if proc.poll() is None:
        proc.terminate()  # uvicorn's supervisor stops its workers on SIGTERM
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (a hung worker, an orphan)
    proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A web server in a child process; `url` is its address."""
    workspace: Path
    log: Path
    upload_limit: int | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        if self.upload_limit is None:
            return [CYPLAN, "serve", "-w", str(self.workspace), "--host", HOST, "--port", str(self.port)]
        return [sys.executable, "-c", SMALL_LIMIT_SERVER, str(self.workspace), str(self.port), str(self.upload_limit)]

    def start(self) -> Server:
        for _ in range(3):  # another process may take the free port between our look and the server's bind
            self.port = free_port()
            with self.log.open("ab") as out:
                self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, env=child_env(),
                                             cwd=self.workspace.parent)
            if self._wait():
                return self
        pytest.fail(f"the web server did not start: {' '.join(self.command())}\n{self.output()}")

    def _wait(self) -> bool:
        """True once the overview answers 200; False if the server stopped (e.g. the port was taken)."""
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/", timeout=STARTUP_SECONDS) as r:
                    if r.status == 200:
                        return True
            except urllib.error.HTTPError as e:  # the app answers, but the overview is broken
                self.stop()
                pytest.fail(f"the overview answered {e.code} on start:\n{self.output()}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"the web server did not answer within {STARTUP_SECONDS} s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, or a failure that says how to get it: a skip would hide a broken CI."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs it (scripts/system_deps.sh --test), "
                    "or `sudo apt-get install chromium`. The browser tests never download a browser.")
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(REPO)} is missing: run `make test`, which installs it from npm "
                    "(scripts/build_web_assets.sh).")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def is_local(url: str) -> bool:
    """A request that stays on this computer: to the loopback server, or data held in the page itself."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or (parts.scheme in ("http", "https") and parts.hostname == HOST)


@dataclass
class Watch:
    """Everything a browser context did that a test must check: console errors, uncaught script errors and
    the address of every request."""
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)  # e.g. 404 for the not-found page

    def attach(self, context: Any, page: Any) -> None:
        context.on("request", lambda r: self.requests.append(r.url))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        # Chromium logs the document's own status as a resource error: expected on the error pages under test.
        if any(f"status of {s} " in text for s in self.expected_statuses) and "Failed to load resource" in text:
            return
        self.console_errors.append(f"{text} ({message.location.get('url', '')})")

    def check(self) -> None:
        assert not self.console_errors, "console errors:\n" + "\n".join(self.console_errors)
        away = [u for u in self.requests if not is_local(u)]
        assert not away, "requests that left loopback:\n" + "\n".join(away)


def wait_for_charts(page: Any) -> int:
    """Waits until every chart on the page is drawn (an <svg> inside each .cyplan-chart) or has said it could
    not be; fails for any chart without its SVG. Returns the number of charts. First every part the page loads
    after it (htmx, hx-trigger="load": the charts and the scenarios side by side of a first page after a change)
    must have come and replaced its placeholder."""
    page.wait_for_function("() => !document.querySelector('[hx-trigger=\"load\"]')")
    page.wait_for_function("""() => [...document.querySelectorAll('.cyplan-chart')].every(
        c => c.querySelector('svg') || (c.dataset.drawn && c.textContent.includes('could not be drawn')))""")
    charts: list[dict[str, Any]] = page.eval_on_selector_all(".cyplan-chart", """els => els.map(e => ({
        id: e.id, svg: !!e.querySelector('svg'), styled: e.classList.contains('vega-embed'), text: e.textContent}))""")
    broken = [f"#{c['id']}: {c['text'].strip()[:200]}" for c in charts if not c["svg"]]
    assert not broken, "charts not drawn:\n" + "\n".join(broken)
    unstyled = [f"#{c['id']}" for c in charts if not c["styled"]]  # vega-embed's class carries its menu's styles
    assert not unstyled, "charts drawn without vega-embed's class (and styles): " + ", ".join(unstyled)
    return len(charts)


def axe_violations(page: Any, impacts: Sequence[str] = SERIOUS) -> list[str]:
    """axe-core's violations on the page as it is now, of the given impacts, one line per element."""
    # through the devtools protocol, not as an inline <script>: the pages' Content-Security-Policy refuses those
    page.evaluate(AXE.read_text() + "\n;0")
    # only the violations come back: the whole result (every rule that passed, with its elements) is megabytes
    # that Playwright checks field by field, seconds a page
    violations = page.evaluate("axe.run({resultTypes: ['violations']}).then(result => result.violations)")
    lines = []
    for v in violations:
        if v.get("impact") in impacts:
            for node in v["nodes"]:
                why = (node.get("failureSummary") or "").strip().splitlines()
                lines.append(f"{v['impact']} {v['id']} ({v['help']}): {' '.join(map(str, node['target']))} — "
                             f"{why[-1].strip() if why else ''}")
    return lines
