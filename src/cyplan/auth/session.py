"""Sign-in sessions on the shared server (issue 14 part 2): kept server-side, in the server workspace.

The browser holds a random session id, signed by the server (itsdangerous) in an HttpOnly cookie; the database
holds only the id's SHA-256, with who signed in, the area they chose, when the session began and when it was last
used. A session ends at sign-out (its row deleted, so the old cookie no longer works), after `idle` seconds without
a request or `absolute` seconds after sign-in, whichever comes first. Every sign-in gets a new id (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from cyplan.auth.roles import Role, by_area, roles_of, user_name
from cyplan.store.tables import sessions, user_roles

COOKIE = "cyplan_session"
# seconds: a session's last use is written at most this often, not on every request (a page's scripts and styles
# come at once); a session may so end up to this much before its idle time-out (a tenth of it when that is short)
SEEN_EVERY = 5.0


@dataclass(frozen=True)
class User:
    name: str  # the sign-in name, lower case: an e-mail address or UPN
    display: str  # the person's name, for the page's header


@dataclass(frozen=True)
class Session:
    key: str  # the id as the browser holds it (unsigned)
    user: User
    tenant: str | None
    started: float
    seen: float


def clock() -> float:
    """Seconds since the epoch: the one clock every session time is read from (start, find, sweep), so that tests
    can move it forward ("ten minutes later") instead of sleeping through a time-out."""
    return time.time()


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Sessions:
    def __init__(self, engine: sa.Engine, secret: bytes, idle: float, absolute: float):
        self.engine, self.idle, self.absolute = engine, idle, absolute
        self._signer = URLSafeSerializer(secret, salt="cyplan-session")

    def cookie(self, key: str) -> str:
        return self._signer.dumps(key)

    def key(self, cookie: str | None) -> str | None:
        """The session id in a cookie this server signed; None for a missing, made-up or altered one."""
        if not cookie:
            return None
        try:
            key = self._signer.loads(cookie)
        except BadSignature:
            return None
        return key if isinstance(key, str) else None

    def start(self, user: User, tenant: str | None, source: str) -> str:
        """A new session (a new id, whatever the browser held before); returns the id."""
        key, now = secrets.token_urlsafe(32), clock()
        with self.engine.begin() as conn:
            conn.execute(sessions.insert().values(id_hash=_hash(key), user=user.name, display=user.display,
                                                  area=tenant, started=now, seen=now, source=source))
        return key

    def find(self, key: str | None, now: float | None = None) -> Session | None:
        """The live session with this id, its last use noted; None (and the row gone) when it has timed out."""
        if key is None:
            return None
        with self.engine.begin() as conn:
            return self.find_in(conn, key, now)

    def find_in(self, conn: sa.Connection, key: str, now: float | None = None) -> Session | None:
        """find() in the caller's transaction."""
        return self._live(conn, key, conn.execute(sa.select(sessions).where(sessions.c.id_hash == _hash(key))).first(),
                          now)

    def find_with_roles(self, conn: sa.Connection, key: str,
                        now: float | None = None) -> tuple[Session, dict[str, frozenset[Role]]] | None:
        """find_in() and its user's roles in every area (roles_of) in one query, in the caller's transaction: the
        sign-in gate's, at every request of the shared server, where each query is a round trip to the database."""
        rows = conn.execute(sa.select(sessions, user_roles.c.area.label("role_area"), user_roles.c.role.label("held"))
                            .select_from(sessions.outerjoin(user_roles, user_roles.c.user == sessions.c.user))
                            .where(sessions.c.id_hash == _hash(key))).all()
        session = self._live(conn, key, rows[0] if rows else None, now)
        if session is None:
            return None
        if session.user.name != user_name(session.user.name):  # roles are kept under the name as roles_of makes it
            return session, roles_of(conn, session.user.name)
        return session, by_area((r.role_area, r.held) for r in rows if r.role_area is not None)

    def _live(self, conn: sa.Connection, key: str, row: sa.Row[Any] | None, now: float | None) -> Session | None:
        """The session of a row of the sessions table, its last use noted; None (and the row gone) when it has timed
        out or there is no row."""
        now = clock() if now is None else now
        if row is None:
            return None
        if now - row.seen > self.idle or now - row.started > self.absolute:
            conn.execute(sessions.delete().where(sessions.c.id_hash == row.id_hash))
            return None
        if now - row.seen >= min(SEEN_EVERY, self.idle / 10):
            conn.execute(sessions.update().where(sessions.c.id_hash == row.id_hash).values(seen=now))
        return Session(key, User(row.user, row.display), row.area, row.started, now)

    def choose(self, key: str, tenant: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.update().where(sessions.c.id_hash == _hash(key)).values(area=tenant))

    def end(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.id_hash == _hash(key)))

    def sweep(self, now: float | None = None) -> None:
        """Forget sessions that have timed out (they are refused anyway; this keeps the table small)."""
        now = clock() if now is None else now
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sa.or_(sessions.c.seen < now - self.idle,
                                                        sessions.c.started < now - self.absolute)))
