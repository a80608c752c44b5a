"""Named points in the steps that change a workspace, where a test makes a fault happen.

Each step that writes calls `point("name")` as it passes. Nothing happens unless a test has asked for a
fault there: `inject("manifest-renamed", action)` runs `action` at that point (to raise an error, or to
copy the workspace as a kill would leave it and then raise), and a process started with
CYPLAN_FAULT=<name> in its environment exits at once at that point, as if killed (no cleanup, no
`finally`), so that a test can kill an import at an exact step without timing anything.

The points, in the order an import passes them, are listed in POINTS; docs/decisions/0005 says what
each one proves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

ENV = "CYPLAN_FAULT"
KILLED = 137  # the exit code of a process killed by SIGKILL, as a shell reports it

# a referral-return import (returns/service.py, returns/store.py), in the order it passes them
RETURNS_POINTS = (
    "returns-settled",  # the lock is held, an earlier import cut short has been finished or undone
    "returns-file-written",  # each new Arrow file (the import's records and counts, older imports rewritten)
    "returns-log-added",  # the log row is inserted (not committed) beside the new files
    "manifest-written",  # the new manifest is written and synced beside the old one
    "manifest-renamed",  # the new manifest is in place: the commit point
    "returns-superseded-removed",  # the files the new manifest no longer names are deleted
    "returns-log-committed",  # the log row is committed
)
# an input import (store/workspace.py Workspace.write)
INPUT_POINTS = (
    "inputs-begun",  # the transaction is open
    "input-replaced",  # each kind's table is emptied and filled again
    "inputs-logged",  # the import log rows are inserted
    "inputs-committed",  # the transaction is committed
)
POINTS = RETURNS_POINTS + INPUT_POINTS

_actions: dict[str, Callable[[str], None]] = {}


def point(name: str) -> None:
    """A step has been passed: run the fault asked for here, if any."""
    if os.environ.get(ENV) == name:
        os._exit(KILLED)  # a kill: no exception handler, no finally, no flush
    action = _actions.get(name)
    if action is not None:
        action(name)


@contextmanager
def inject(name: str, action: Callable[[str], None]) -> Iterator[None]:
    """Run `action(name)` each time the step `name` is passed, while the block runs."""
    if name not in POINTS:
        raise ValueError(f"no fault point named {name!r}")
    _actions[name] = action
    try:
        yield
    finally:
        _actions.pop(name, None)
