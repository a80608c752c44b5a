"""Faults of the machine or of the workspace's own files, told in plain words: a full disk, a read-only
folder, a damaged or busy database, a missing records file. One place turns each into a message that
names the file and says what to do; the CLI shows it and exits with code 3 (bad input is 2), and the web
app can show the same words. Anything else is not a fault of the machine: None, and it goes on as it was.
"""

from __future__ import annotations

import errno
import re
import sqlite3
import sys
from pathlib import Path

from cyplan.returns import store
from cyplan.store.folder import DB_FILE

EXIT_CODE = 3
WHOLE = "Nothing was left half-changed."
FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def describe(e: BaseException, workspace: Path) -> str | None:
    """The message for a fault of the machine or the workspace's files met using `workspace`, or None."""
    if isinstance(e, store.Damaged):
        return str(e)
    sa = sys.modules.get("sqlalchemy")  # not loaded (a command that read the workspace at rest): none of its errors
    if sa is not None and (isinstance(e, sa.exc.OperationalError) or type(e) is sa.exc.DatabaseError):
        return _database(str(getattr(e, "orig", e)), workspace)  # not IntegrityError &c.: bugs
    if isinstance(e, sqlite3.OperationalError) or type(e) is sqlite3.DatabaseError:
        return _database(str(e), workspace)
    if isinstance(e, OSError):
        return _os(e, workspace)
    return None


def _database(message: str, workspace: Path) -> str:
    db = workspace / DB_FILE if (workspace / DB_FILE).exists() else f"the database of the workspace {workspace}"
    said = message.lower()
    if "full" in said:
        return _full(db, message)
    if "readonly" in said or "read-only" in said or "unable to open" in said:
        return _read_only(db, message)
    if "locked" in said or "busy" in said:
        return (f"{db} is busy: another cyplan command is writing to it. {WHOLE} Wait for that command to "
                "finish, then run this one again.")
    if "not a database" in said or "malformed" in said or "corrupt" in said:
        return (f"{db} is damaged and cannot be read as a database ({message}). cyplan has not changed it. "
                "Restore the workspace folder from a backup (or, if you have none, make a new workspace with "
                "'cyplan init' and import your files again).")
    if "i/o" in said:
        return _io(db, message)
    return f"{db} could not be used ({message}). {WHOLE} Check the disk and the folder, then run the command again."


def of_the_machine(e: OSError) -> bool:
    """A full disk, a folder that cannot be written, a failing disk: not a wrong path the user gave."""
    return _number(e) in (*FULL, *READ_ONLY, errno.EIO)


def _number(e: OSError) -> int | None:
    return e.errno if e.errno is not None else _polars_errno(str(e))


def _os(e: OSError, workspace: Path) -> str:
    number = _number(e)
    where = e.filename or workspace
    reason = e.strerror or str(e)
    if number in FULL:
        return _full(where, reason)
    if number in READ_ONLY:
        return _read_only(where, reason)
    if number == errno.EIO:
        return _io(where, reason)
    if number == errno.ENOENT:
        return (f"{where} is missing ({reason}). {WHOLE} If it is one of the workspace's own files, restore the "
                f"workspace folder {workspace} from a backup.")
    return f"cannot use {where} ({reason}). {WHOLE} Check the disk and the folder, then run the command again."


def _polars_errno(message: str) -> int | None:
    """Polars raises OSError with the error number only in its message: '… (os error 28)'."""
    found = re.search(r"\(os error (\d+)\)", message)
    return int(found[1]) if found else None


def _full(where: object, reason: str) -> str:
    return (f"the disk holding {where} is full ({reason}). {WHOLE} Free some space on that disk, then run the "
            "command again.")


def _read_only(where: object, reason: str) -> str:
    return (f"cannot write to {where} ({reason}). {WHOLE} The workspace folder must be one you can write to: "
            "make it writable, or copy the folder somewhere you can write and use the copy, then run the "
            "command again. (Commands that only read, such as 'cyplan status', work as they are.)")


def _io(where: object, reason: str) -> str:
    return (f"the disk reported an error reading or writing {where} ({reason}). {WHOLE} Check the disk, then run "
            "the command again; if the error comes back, restore the workspace folder from a backup.")
