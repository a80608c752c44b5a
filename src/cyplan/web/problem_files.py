"""The full list of a refused upload's problems, kept for the page's download link.

A refused upload's page shows its problems in groups; the list of every problem (one a line, as the CLI's
--problems writes it) is saved here, outside the workspace (a refused upload changes nothing in it), under an
unguessable name, and the last KEPT lists are kept until the server stops."""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from cyplan.io.write import write_csv_parts

KEPT = 20  # lists kept at once: enough for every upload a person tries in a sitting, never a disk filled
KEPT_BYTES = 500 * 2**20  # and at most this much of them: a bad 50 MB upload can list a gigabyte of problems
TOKEN = r"[A-Za-z0-9_-]{24}"  # what secrets.token_urlsafe(18) makes: a name that cannot leave the folder


class ProblemFiles:
    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="cyplan-problems-"))
        atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
        self._kept: OrderedDict[str, str] = OrderedDict()  # token → the download's file name
        self._lock = threading.Lock()

    def save(self, frames: Iterable[pl.DataFrame], name: str) -> str:
        """Write the frames (of PROBLEM_SCHEMA) as one CSV, as they come; the token that downloads it as `name`."""
        token = secrets.token_urlsafe(18)
        write_csv_parts(frames, self._path(token))
        with self._lock:
            self._kept[token] = name
            # the oldest lists go first; the newest is kept whatever its size (its page links to it)
            while len(self._kept) > KEPT or (len(self._kept) > 1 and self._bytes() > KEPT_BYTES):
                old, _ = self._kept.popitem(last=False)
                self._path(old).unlink(missing_ok=True)
        return token

    def _bytes(self) -> int:
        return sum(self._path(t).stat().st_size for t in self._kept if self._path(t).exists())

    def find(self, token: str) -> tuple[Path, str] | None:
        """The saved list and its download name, or None for a token not kept (never made, or pruned)."""
        with self._lock:
            name = self._kept.get(token)
        return (self._path(token), name) if name is not None else None

    def _path(self, token: str) -> Path:
        return self._folder / f"{token}.csv"
