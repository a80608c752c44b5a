"""What every reader asks of a file before reading it, and the fingerprint an import log records."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cyplan.io.problems import InputError, Problem


def require_file(path: Path) -> None:
    """InputError unless `path` is a file that exists."""
    if not path.exists():
        raise InputError([Problem(str(path), None, None, "no such file")])
    if path.is_dir():
        raise InputError([Problem(str(path), None, None, "this is a folder, not a file")])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
