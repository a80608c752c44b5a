"""The shared server's workers, each listening on a socket of its own (issue 14 part 8).

uvicorn's workers share one listening socket, and whichever worker wakes first takes every connection waiting. In
the benchmark (benchmarks/web_load.py --server) the 50 users' connections, opened at once, were split 31/19, 13/37,
19/31 between the two workers, and since a browser (or a reverse proxy) keeps its connection open, the split
stays: the worker holding more people served each of them that much less often, and its queue was the latency's
tail. With SO_REUSEPORT each worker listens on a socket of its own on the same address, and the kernel deals the
new connections among them by a hash of the two ends' addresses: evenly on average, whatever the workers were
doing when the connections came.

A worker that stops is started again on its own socket (the connections dealt to that socket meanwhile wait in
its queue, the parent holding it open); adding or removing workers by signal (uvicorn's SIGTTIN, SIGTTOU) is
refused, since a socket left without a worker would hold its share of connections unanswered. SO_REUSEPORT lets
another program of the same user join the port; such a program could already read the server's memory.
"""

from __future__ import annotations

import logging
import socket

from uvicorn.config import Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


def available() -> bool:
    """Whether this system has SO_REUSEPORT's dealing of connections (Linux; not Windows)."""
    return hasattr(socket, "SO_REUSEPORT")


def listening_sockets(config: Config) -> list[socket.socket]:
    """One socket per worker, each bound to the config's host and port with SO_REUSEPORT (the workers listen)."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    made: list[socket.socket] = []
    try:
        for _ in range(config.workers):
            sock = socket.socket(family, socket.SOCK_STREAM)
            made.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            port = made[0].getsockname()[1] if len(made) > 1 else config.port  # port 0: the one the first got
            sock.bind((config.host, port))
            sock.set_inheritable(True)
    except OSError:
        for sock in made:
            sock.close()
        raise
    return made


class SocketPerWorker(Multiprocess):
    """uvicorn's supervisor (it starts the workers, starts a stopped one again, ends them all on a signal), each
    worker given its own socket; one started in another's place gets that one's."""

    def __init__(self, config: Config, sockets: list[socket.socket]):
        super().__init__(config, sockets)
        self.own = sockets  # the i-th worker's socket

    def init_processes(self) -> None:
        for sock in self.own:
            process = Process(self.config, [sock])
            process.start()
            self.processes.append(process)

    def _each(self, method: str, all_or_none: bool = False) -> None:
        """uvicorn's `method` for each worker in turn, as if it were the only one, on that worker's socket (its
        replacement, if it makes one, is made with self.sockets). `all_or_none`: stop at the first worker left in
        place (uvicorn's restart gives up when a new worker does not start)."""
        everyone = self.processes
        try:
            for i, process in enumerate(everyone):
                self.processes, self.sockets = [process], [self.own[i]]
                getattr(super(), method)()
                everyone[i] = self.processes[0]
                if all_or_none and everyone[i] is process:
                    break
        finally:
            self.processes, self.sockets = everyone, self.own

    def keep_subprocess_alive(self) -> None:
        self._each("keep_subprocess_alive")

    def restart_all(self) -> None:
        self._each("restart_all", all_or_none=True)

    def handle_ttin(self) -> None:
        log.warning("Received SIGTTIN or SIGTTOU: the number of workers is the server's config file's (workers); "
                    "change it there and restart the server.")

    def handle_ttou(self) -> None:
        self.handle_ttin()
