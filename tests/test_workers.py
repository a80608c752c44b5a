"""The shared server's workers each on a socket of their own (web/workers.py, issue 14 part 8).

uvicorn's workers shared one listening socket, and whichever woke first took every connection waiting: the
benchmark's 50 kept-open connections were split up to 13/37, and the busier worker's people waited up to three
times as long. These tests run web/workers.py's supervisor on a small app that answers with its worker's process
id, as `cyplan serve --config` runs the shared server's."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

PID_APP = '''
import os


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})
'''
SUPERVISOR = '''
import sys

import uvicorn

from cyplan.web import workers

config = uvicorn.Config("pid_app:app", host="127.0.0.1", port=int(sys.argv[1]), workers=2, log_level="warning")
workers.SocketPerWorker(config, workers.listening_sockets(config)).run()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(conn: socket.socket) -> int:
    """The worker's process id, over a connection kept open (HTTP/1.1)."""
    conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < int(
            got.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0]):
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        got += chunk
    return int(got.split(b"\r\n\r\n", 1)[1])


def _connections(port: int, n: int) -> tuple[list[socket.socket], Counter[int]]:
    """n connections opened at once, as the benchmark's users do, then each asked once (30 s at most: a connection
    dealt to a socket no worker listens on is never answered)."""
    conns = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(n)]
    return conns, Counter(_ask(c) for c in conns)


def _workers(supervisor: int, port: int) -> set[int]:
    """The supervisor's children listening on the port (not multiprocessing's resource tracker)."""
    children = subprocess.run(["pgrep", "-P", str(supervisor)], capture_output=True, text=True).stdout.split()
    return {int(p) for p in children if _listening_sockets(int(p), port)}


def _listening_sockets(pid: int, port: int) -> set[str]:
    """The inodes of the listening TCP sockets on `port` among the process's open files."""
    listening: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A":  # 0A: LISTEN
                listening.add(f[9])
    held = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):  # closed meanwhile
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in listening:
                    held.add(target[8:-1])
    except (FileNotFoundError, PermissionError):  # the process has ended
        return set()
    return held


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    (tmp_path / "pid_app.py").write_text(PID_APP)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.Popen([sys.executable, "-c", SUPERVISOR, str(port)], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_workers(proc.pid, port)) < 2:
            assert proc.poll() is None, "the supervisor stopped"
            assert time.monotonic() < deadline, "the workers did not start listening within 60 s"
            time.sleep(0.2)
        yield proc, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_each_worker_listens_on_a_socket_of_its_own_and_both_get_connections(
        supervisor: tuple[subprocess.Popen[bytes], int]) -> None:
    """Catches the workers sharing one socket (the first to wake taking the connections waiting) or one worker
    listening on both: each holds exactly one listening socket, not the other's, and 40 connections opened at once
    are dealt to both (the kernel's hash: fewer than 8 of 40 to either happens about once in 40,000 runs)."""
    proc, port = supervisor
    held = [_listening_sockets(w, port) for w in _workers(proc.pid, port)]
    assert [len(h) for h in held] == [1, 1] and held[0] != held[1]
    conns, by_worker = _connections(port, 40)
    try:
        assert set(by_worker) == _workers(proc.pid, port)
        assert min(by_worker.values()) >= 8, by_worker
    finally:
        for c in conns:
            c.close()


def test_a_worker_that_stops_is_replaced_on_its_own_socket(supervisor: tuple[subprocess.Popen[bytes], int]) -> None:
    """Catches a stopped worker's socket left with no one listening (its share of new connections never answered:
    the 30 s time-out fails the test) or its replacement put on another worker's socket; each worker in turn."""
    proc, port = supervisor
    for stopped in sorted(_workers(proc.pid, port)):
        before = _workers(proc.pid, port)
        its_socket = _listening_sockets(stopped, port)
        os.kill(stopped, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(now := _workers(proc.pid, port) - {stopped}) < 2:
            assert time.monotonic() < deadline, "no worker was started in the stopped one's place within 60 s"
            time.sleep(0.2)
        (new,) = now - before
        assert _listening_sockets(new, port) == its_socket
        conns, by_worker = _connections(port, 40)
        try:
            assert set(by_worker) == now
        finally:
            for c in conns:
                c.close()
