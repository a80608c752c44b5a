"""The audit trail (issue 14 part 5): who imported, restored, exported, downloaded, ran or made what, when, in which
area and from where, each entry hash-chained to the one before.

Only `append` and `read` touch the table: nothing in cyplan changes or deletes an entry, and the database's
triggers refuse to (migration 0020_audit). An entry's hash is SHA-256 over a canonical encoding of the hash before
it and its own fields (`entry_hash`), so an entry edited, deleted or moved breaks the chain where it happened, and
`verify` names it. What the chain does not prove is in docs/decisions/audit-trail.md.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cyplan.store.history import who as os_user
from cyplan.store.tables import audit, import_log, workspace_info

BEGAN = "audit_began"  # workspace_info's key for when the trail began (migration 0021_audit_began), UTC, to the second
GENESIS = "0" * 64  # the prev_hash of the first entry
TRIES = 5  # an entry of its own chained again after another writer's, at most this many times
# every action an entry can have; the sign-in ones are kept in the server workspace's trail
ACTIONS = ("import", "restore", "export", "download", "view", "scenario", "report", "sign-in", "sign-in failed",
           "sign-out", "sign-off", "role change")
FIELDS = ("prev_hash", "at", "who", "area", "action", "what", "source")  # what an entry's hash covers, in order

# where the change came from: "cli" unless the web app says otherwise for the request it is answering
SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("audit_source", default="cli")
# who: the signed-in user on the shared server (set by its gate for the request it is answering), else the OS user
WHO: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_who", default=None)


def canonical(what: Mapping[str, Any]) -> str:
    """`what` as stored and hashed: JSON with sorted keys and no spaces, so the same facts are the same text."""
    return json.dumps(what, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the entry's FIELDS as a JSON array of strings and nulls (UTF-8, no spaces): a field's
    boundaries cannot shift between fields, as they could if the fields were simply joined."""
    encoded = json.dumps([entry[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def append(conn: sa.Connection | sa.Engine, action: str, what: Mapping[str, Any], area: str | None = None,
           who: str | None = None) -> str:
    """Add an entry in the caller's transaction (so a change and its entry land together or not at all), or, given
    the engine, in a transaction of its own (an export or a download, which changes nothing else); returns its
    hash. `who` is, unless given, the signed-in user (WHO) or else the OS user; the source is SOURCE's value."""
    if isinstance(conn, sa.Engine):
        return _on_its_own(conn, action, what, area, who)
    if conn.dialect.name == "postgresql":  # one writer at a time reads the last hash and chains to it
        conn.execute(sa.text("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE"))
    last = conn.execute(sa.select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)).scalar()
    entry = {"prev_hash": last or GENESIS, "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
             "who": who or WHO.get() or os_user(), "area": area, "action": action, "what": canonical(what),
             "source": SOURCE.get()}
    entry["hash"] = entry_hash(entry)
    conn.execute(audit.insert(), [entry])
    return entry["hash"]


def _on_its_own(engine: sa.Engine, action: str, what: Mapping[str, Any], area: str | None,
                who: str | None) -> str:
    for _ in range(TRIES - 1):
        try:
            with engine.begin() as own:
                return append(own, action, what, area, who)
        except sa.exc.IntegrityError:
            # another writer chained to the same last entry first (SQLite reads the last hash before its write
            # lock is taken; the unique prev_hash refused the fork): chain to theirs instead
            continue
    with engine.begin() as own:
        return append(own, action, what, area, who)


def read(conn: sa.Connection, action: str | None = None, since: str | None = None, *, before: str | None = None,
         who: str | None = None) -> list[dict[str, Any]]:
    """The entries, oldest first; only those of one action, at or after `since` and before `before` (ISO dates or
    times, UTC), or by one person (`who`, as recorded)."""
    query = sa.select(audit).order_by(audit.c.id)
    if action is not None:
        query = query.where(audit.c.action == action)
    if since is not None:
        query = query.where(audit.c.at >= since)
    if before is not None:
        query = query.where(audit.c.at < before)
    if who is not None:
        query = query.where(audit.c.who == who)
    return [dict(r._mapping) for r in conn.execute(query)]


@dataclass(frozen=True)
class Broken:
    """The first entry where the chain breaks, and how."""

    id: int
    reason: str


def verify(entries: Iterable[Mapping[str, Any]]) -> Broken | None:
    """None if every entry's hash is its own and its prev_hash is the hash of the entry before (all entries, oldest
    first); otherwise the first that is not. An edited entry fails its own hash; a deleted or moved one leaves the
    next entry's prev_hash pointing at a hash that is not the one before it."""
    previous = GENESIS
    for e in entries:
        if e["prev_hash"] != previous:
            return Broken(e["id"], "its prev_hash is not the hash of the entry before it: an entry before it has "
                                   "been deleted, or the entries reordered")
        if entry_hash(e) != e["hash"]:
            return Broken(e["id"], "its hash does not match its contents: the entry has been edited")
        previous = e["hash"]
    return None


def began(conn: sa.Connection) -> str | None:
    """When the trail began (YYYY-MM-DDTHH:MM:SS, UTC): every import since has an entry."""
    return conn.execute(sa.select(workspace_info.c.value).where(workspace_info.c.key == BEGAN)).scalar()


def _since_began(conn: sa.Connection) -> sa.Select[Any]:
    """The import log's rows since the trail began (imported_at is UTC to the second, as `began` is)."""
    start = began(conn)
    query = sa.select(import_log).order_by(import_log.c.id)
    return query if start is None else query.where(sa.func.substr(import_log.c.imported_at, 1, 19) >= start)


def missing_imports(conn: sa.Connection) -> list[dict[str, Any]]:
    """The import log's rows since the trail began that no import or restore entry records: each row is matched
    to an entry of the same input, file, sheet, SHA-256, rows and mode, one entry to one row. An entry deleted
    from anywhere in the trail (even all of them, or the last) leaves its import here. (Referral-return imports
    are not checked: one finished after a kill has a log row and, by design, no entry.)"""
    entries: dict[tuple[Any, ...], int] = {}
    query = sa.select(audit.c.what).where(audit.c.action.in_(("import", "restore")))
    for (what,) in conn.execute(query):
        try:
            key = _key(json.loads(what))
        except (ValueError, TypeError, AttributeError):  # an entry made non-JSON: the chain's check names it
            continue
        entries[key] = entries.get(key, 0) + 1
    missing = []
    for row in conn.execute(_since_began(conn)).mappings():
        key = _key(row)
        if entries.get(key, 0):
            entries[key] -= 1
        else:
            missing.append(dict(row))
    return missing


def _key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(r.get(f) for f in ("kind", "file", "sheet", "sha256", "rows", "mode"))


def tail_broken(conn: sa.Connection) -> str | None:
    """Why the trail is broken, judged cheaply, or None: the latest entry's own hash, the first entry's link to
    the start, and fewer import entries than imports logged since the trail began (two counts). Cheap enough for
    every import and `cyplan status`; `audit verify` checks every entry and matches every import."""
    last = conn.execute(sa.select(audit).order_by(audit.c.id.desc()).limit(1)).mappings().first()
    if last is not None and entry_hash(last) != last["hash"]:
        return f"its latest entry ({last['id']}) does not match its hash: it has been edited"
    first = conn.execute(sa.select(audit.c.id, audit.c.prev_hash).order_by(audit.c.id).limit(1)).first()
    if first is not None and first.prev_hash != GENESIS:
        return f"its first entry ({first.id}) follows one that is not there: entries have been deleted"
    logged = conn.execute(sa.select(sa.func.count()).select_from(_since_began(conn).subquery())).scalar() or 0
    entries = conn.execute(sa.select(sa.func.count()).where(
        audit.c.action.in_(("import", "restore")),
        audit.c.what.not_like('%"kind":"referral returns"%'))).scalar() or 0  # those have a log of their own
    if entries < logged:
        return (f"{logged - entries:,} of the {logged:,} imports since it began have no entry: entries have been "
                "deleted")
    return None
