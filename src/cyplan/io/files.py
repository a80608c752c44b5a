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
    """The file's SHA-256 (what `sha256sum` prints), read through a buffer. Not mapped: a file cut short while it
    was hashed (saved again by the user mid-import) killed the process with SIGBUS, no message; and mapped
    pages counted in the import's peak memory."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
