"""The paper's HTML printed to an A4 PDF by a headless Chromium (docs/decisions/0020-pdf-renderer.md): the same
page and print stylesheet as the HTML paper, with page numbers from the stylesheet's @page rule, the headings as
the PDF's outline and the PDF tagged for screen readers.

Chromium is driven over a pair of pipes with the DevTools protocol (`--remote-debugging-pipe`: commands in on its
file descriptor 3, answers out on 4, each a JSON message ending in a NUL byte), so nothing listens on a port and
no library is needed. `Chromium.start()` returns at once: the browser starts, and opens its tab, while the caller
works out the paper (on another core), and `pdf()` waits for it only when the HTML is ready. No Chromium found
means None, and the caller falls back to WeasyPrint (render.py)."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import tempfile
import time
from typing import Any

# the lightest first: the headless shell is Chromium without the browser's own start-up (Debian's
# chromium-headless-shell), about a third of the full browser's processor time to print the paper
NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DIRECT = "/usr/lib/chromium/chromium-headless-shell"  # Debian's binary, without the shell script around it
# the browser's profile (about 70 files it writes as it starts) in memory where there is a place for it: deleting it
# from the disk's temporary folder took 0.2–0.4 s on a loaded machine, from memory 0.06 s, after the PDF is printed
MEMORY = "/dev/shm"
TIMEOUT = 120.0  # seconds for any one answer: the paper prints in well under one; a hung browser must not hang us
FLAGS = (
    "--headless", "--remote-debugging-pipe",
    # the page is our own HTML with its scripts turned off and nothing fetched (below): the sandbox, which cannot
    # start as root or in many containers, guards against hostile pages
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
    "--disable-sync", "--mute-audio", "--hide-scrollbars",
    "--font-render-hinting=none",  # text placed as the fonts' own metrics say, not snapped to a screen's pixels
)
PRINT = {  # Page.printToPDF: the stylesheet's @page (A4, its margins and the page numbers in its margin box)
    "preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False,
    "generateTaggedPDF": True, "generateDocumentOutline": True, "transferMode": "ReturnAsBase64",
}


class ChromiumError(RuntimeError):
    """Chromium did not print the paper: it would not start, exited, answered with an error or not at all."""


def executable() -> str | None:
    """The Chromium to print with: $CYPLAN_CHROMIUM if set (empty: none, WeasyPrint prints), else the first found."""
    chosen = os.environ.get("CYPLAN_CHROMIUM")
    if chosen is not None:
        return shutil.which(chosen) if chosen else None
    if os.access(DIRECT, os.X_OK):
        return DIRECT
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def _spawn(argv: list[str], commands: int, answers: int) -> int:
    """Starts the browser with `commands` as its descriptor 3 and `answers` as 4, nothing on 0–2, in a process
    group of its own (killed whole, helpers too, if it must be). posix_spawn, not subprocess: only it places
    descriptors at given numbers without running Python in the child (preexec_fn), unsafe in the web app's threads."""
    quiet = [(os.POSIX_SPAWN_OPEN, n, os.devnull, os.O_RDWR, 0) for n in (0, 1, 2)]
    return os.posix_spawn(argv[0], argv, os.environ, setsid=True,
                          file_actions=[(os.POSIX_SPAWN_DUP2, commands, 3), (os.POSIX_SPAWN_DUP2, answers, 4), *quiet])


class Chromium:
    """One headless Chromium with one tab, for printing one or more papers; close() ends it (or use `with`)."""

    def __init__(self, exe: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="cyplan-chromium-", dir=MEMORY if os.access(MEMORY, os.W_OK) else None)
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()
        # the browser's ends renumbered 10 and up (close-on-exec), so that placing them at 3 and 4 overwrites neither
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
        for fd in (to_browser, from_browser):
            os.close(fd)
        try:
            self.pid = _spawn([exe, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"], *theirs)
        except OSError as e:
            self.pid = 0
            self._end()
            raise ChromiumError(f"Chromium ({exe}) would not start: {e}") from e
        finally:
            for fd in theirs:
                os.close(fd)
        self.status: int | None = None
        self._buffer = b""
        self._next = 0
        self._session: str | None = None
        # asked now, answered when the browser is up: the tab opens while the caller works out the paper
        self._target = self._send("Target.createTarget", {"url": "about:blank"})

    @classmethod
    def start(cls) -> Chromium | None:
        """A Chromium starting, or None when there is none to start."""
        exe = executable()
        if exe is None:
            return None
        try:
            return cls(exe)
        except ChromiumError:
            return None

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pdf(self, html: str) -> bytes:
        """The page printed as the stylesheet's print media lays it out."""
        if self._session is None:
            target = self._answer(self._target)["targetId"]
            self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            # nothing on the page runs or is fetched: the paper is one file, and its text is the data's
            self._call("Emulation.setScriptExecutionDisabled", {"value": True}, self._session)
            self._call("Network.enable", {}, self._session)
            self._call("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                            "uploadThroughput": -1}, self._session)
        frame = self._call("Page.getFrameTree", {}, self._session)["frameTree"]["frame"]["id"]
        self._call("Page.setDocumentContent", {"frameId": frame, "html": html}, self._session)
        return base64.b64decode(self._call("Page.printToPDF", PRINT, self._session)["data"])

    def close(self) -> None:
        """Ends the browser, its helpers and its profile. Killed, not asked to close: its profile is thrown away, so
        it has nothing to save, and waiting for a polite close cost 0.2–0.5 s that the user waited for."""
        if self._running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.status = os.waitpid(self.pid, 0)[1]
        self._end()

    def _running(self) -> bool:
        """Whether the browser is still running (reaped once it has exited: no zombie left)."""
        if self.status is None and self.pid:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None and bool(self.pid)

    def _end(self) -> None:
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _call(self, method: str, params: dict[str, Any], session: str | None = None) -> dict[str, Any]:
        return self._answer(self._send(method, params, session))

    def _send(self, method: str, params: dict[str, Any], session: str | None = None) -> int:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._commands, data):]
        except OSError as e:  # a broken pipe: the browser has gone
            raise ChromiumError(f"Chromium stopped before {method} ({e})") from e
        return self._next

    def _answer(self, wanted: int) -> dict[str, Any]:
        """The result of command `wanted`; events and other answers read on the way are dropped (none is needed:
        each command is answered before the next is sent)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            found, self._buffer = messages(self._buffer)
            for message in found:
                if message.get("id") == wanted:
                    if "error" in message:
                        raise ChromiumError(f"Chromium: {message['error'].get('message', message['error'])}")
                    return dict(message.get("result", {}))
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise ChromiumError(f"Chromium did not answer within {TIMEOUT:.0f} s")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise ChromiumError("Chromium exited before it had printed")
            self._buffer += chunk


def messages(buffer: bytes) -> tuple[list[dict[str, Any]], bytes]:
    """The whole messages `buffer` holds (each a JSON object ending in a NUL byte), in order, and what is left: the
    start of the next, read so far."""
    *whole, rest = buffer.split(b"\0")
    try:
        found = [json.loads(m) for m in whole]
    except ValueError as e:
        raise ChromiumError(f"Chromium answered with something not JSON ({e})") from e
    if not all(isinstance(m, dict) for m in found):
        raise ChromiumError("Chromium answered with something not a message")
    return found, rest
