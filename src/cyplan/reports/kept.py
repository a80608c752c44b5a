"""Board papers kept per version of the data (docs/decisions/0016-paper-speed.md): a paper made once is kept as a
file in the workspace's cache folder and handed out again, byte for byte, while its key is the same. The key is
the data version (the latest input and referral-returns imports), every input's rows, the sign-offs, the area, the
format, draws, seed, the day it is dated and cyplan's version: a new import, a restore or a sign-off makes another
key, so a kept paper is never one of older data.

The folder is not data: deleting it loses nothing but time, a folder that cannot be written only means nothing
is kept, and the web app's data version leaves it out (web/state.py). A paper being made has a lock file beside
where it will be kept, made with O_EXCL so that of several web workers asking at once one makes it and the others
wait for it; the lock file says how far it has got (`stage`), and a lock older than STALE (a worker killed
mid-way) is taken over. A paper that could not be made leaves a `.failed` file saying why, for that key."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from cyplan.store import signoffs
from cyplan.store.tables import workspace_info
from cyplan.store.workspace import Workspace

CACHE = "cache"  # under the workspace folder: kept results, not data
STALE = 600.0  # seconds: a paper takes seconds to make; a lock this old was left by a worker that died


def folder(ws: Workspace) -> Path:
    return ws.path / CACHE / "papers"


def charts(ws: Workspace) -> Path:
    """The charts drawn, each kept by its spec's hash (reports/charts.py, svg_of)."""
    return ws.path / CACHE / "charts"


def key(ws: Workspace, frames: dict[str, pl.DataFrame], area: str | None, fmt: str, draws: int, seed: int,
        today: dt.date) -> str:
    """What the paper is made of, as one hash: the same key, the same paper."""
    h = hashlib.sha256()
    with ws.engine.connect() as conn:
        h.update(signoffs.data_version(conn).encode())
        signed = conn.execute(sa.select(workspace_info.c.key, workspace_info.c.value)
                              .where(workspace_info.c.key.startswith(signoffs.KEY))
                              .order_by(workspace_info.c.key)).all()
    h.update(json.dumps([list(r) for r in signed]).encode())
    # the inputs themselves too: an input changed by a path that logs no import must not hand out an old paper
    for kind in sorted(frames):
        frame = frames[kind]
        h.update(f"{kind}:{frame.schema}:{frame.height}".encode())
        if frame.height:
            h.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    h.update(json.dumps([area, fmt, draws, seed, today.isoformat(), _version(), pl.__version__]).encode())
    return h.hexdigest()[:32]


def _version() -> str:
    try:
        return metadata.version("cyplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "(source)"


def path(ws: Workspace, key_: str, fmt: str) -> Path:
    return folder(ws) / f"{key_}.{fmt}"


@dataclass(frozen=True)
class Made:
    """A paper's file and what the CLI says of it: the area's name, its charts and notes, the parts missing."""

    content: bytes
    area: str | None
    area_name: str
    charts: int
    notes: int
    missing: tuple[tuple[str, str], ...]  # (section title, what is missing and how to load it)


def kept(ws: Workspace, key_: str, fmt: str) -> Made | None:
    """The paper kept for this key, if one is (its file and what is said of it, both)."""
    try:
        about = json.loads(path(ws, key_, fmt).with_suffix(f".{fmt}.json").read_text(encoding="utf-8"))
        content = path(ws, key_, fmt).read_bytes()
        return Made(content, about["area"], about["area_name"], about["charts"], about["notes"],
                    tuple(tuple(m) for m in about["missing"]))  # type: ignore[misc]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep(ws: Workspace, key_: str, fmt: str, made: Made) -> None:
    """Keep the paper: each file written whole under a temporary name and renamed, the paper last, so that no one
    reads half a file. A folder that cannot be written (read-only, full) keeps nothing: the paper has been made
    all the same."""
    target = path(ws, key_, fmt)
    about = {"area": made.area, "area_name": made.area_name, "charts": made.charts, "notes": made.notes,
             "missing": made.missing}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(target.with_suffix(f".{fmt}.json"), json.dumps(about).encode())
        _write(target, made.content)
        failed(ws, key_, fmt).unlink(missing_ok=True)
    except OSError:
        return


def _write(target: Path, content: bytes) -> None:
    part = target.with_name(f"{target.name}.{os.getpid()}.part")
    part.write_bytes(content)
    os.replace(part, target)


def failed(ws: Workspace, key_: str, fmt: str) -> Path:
    return folder(ws) / f"{key_}.{fmt}.failed"


def lock(ws: Workspace, key_: str, fmt: str) -> Path:
    return folder(ws) / f"{key_}.{fmt}.making"


def stage(ws: Workspace, key_: str, fmt: str) -> str | None:
    """How far the paper being made has got, or None when no one is making it (a stale lock is no one). A lock
    just made, or being written, reads as starting: only its age says it was left behind."""
    held = lock(ws, key_, fmt)
    try:
        if time.time() - held.stat().st_mtime > STALE:
            return None
        return str(json.loads(held.read_text(encoding="utf-8"))["stage"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return "Starting"


@contextlib.contextmanager
def making(ws: Workspace, key_: str, fmt: str) -> Iterator[Progress | None]:
    """The lock for making this paper: a Progress to report stages on, or None when another worker holds it
    (it is being made already). A stale lock is taken over. The lock goes when the block ends, however it ends."""
    held = lock(ws, key_, fmt)
    try:
        held.parent.mkdir(parents=True, exist_ok=True)
        if held.exists() and stage(ws, key_, fmt) is None:
            held.unlink(missing_ok=True)  # left by a worker that died
        fd = os.open(held, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        yield None
        return
    except OSError:  # a folder that cannot be written: made without a lock, as if by the only worker
        yield Progress(None)
        return
    os.close(fd)
    progress = Progress(held)
    progress("starting")
    try:
        yield progress
    finally:
        held.unlink(missing_ok=True)


class Progress:
    """Writes the stage reached into the lock file, for the status page of any worker to read."""

    def __init__(self, held: Path | None) -> None:
        self.held = held

    def __call__(self, stage_: str) -> None:
        if self.held is None:
            return
        with contextlib.suppress(OSError):
            self.held.write_text(json.dumps({"stage": stage_, "pid": os.getpid()}), encoding="utf-8")
