"""The sign-in gate's one query for the session and its user's roles (auth/session.py Sessions.find_with_roles,
issue 14 part 8): it must answer exactly what find_in and roles_of answer one after the other, as the gate asked
before — the roles of the session's user in every area and nobody else's, the time-outs, the last use noted."""

from __future__ import annotations

from pathlib import Path

import pytest

from cyplan.auth.roles import Role, grant, roles_of
from cyplan.auth.session import SEEN_EVERY, Sessions, User
from cyplan.store.tables import sessions as sessions_table
from cyplan.store.workspace import Workspace

IDLE, ABSOLUTE = 600.0, 3600.0


@pytest.fixture
def server(tmp_path: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "server")
    with ws.engine.begin() as conn:
        grant(conn, "ann@council.gov.uk", "north", Role.ANALYST, "test")
        grant(conn, "ann@council.gov.uk", "north", Role.APPROVER, "test")
        grant(conn, "ann@council.gov.uk", "south", Role.VIEWER, "test")
        grant(conn, "bob@council.gov.uk", "south", Role.ADMIN, "test")  # another user's: never Ann's
    return ws


def _both(ws: Workspace, sessions: Sessions, key: str, now: float) -> tuple[object, object]:
    """The one query's answer, and the two queries' on a copy of the same state (rolled back)."""
    with ws.engine.connect() as conn:
        with conn.begin() as tx:
            old = sessions.find_in(conn, key, now)
            old_answer = None if old is None else (old, roles_of(conn, old.user.name))
            tx.rollback()
        with conn.begin():
            new = sessions.find_with_roles(conn, key, now)
    return new, old_answer


@pytest.mark.parametrize("user", ["ann@council.gov.uk", "carol@council.gov.uk", " Ann@Council.gov.uk"])
def test_the_one_query_answers_as_the_two_did(server: Workspace, user: str) -> None:
    """Catches another user's roles joined in, roles lost when a user holds several in an area or none at all (the
    outer join's empty row read as a role), and a name kept unlike roles' (spaces, capitals) losing its roles."""
    sessions = Sessions(server.engine, b"secret", IDLE, ABSOLUTE)
    key = sessions.start(User(user, "Someone"), "north", "test")
    t0 = server_time(server, key)
    new, old = _both(server, sessions, key, t0 + 1)
    assert new == old
    expected = {"ann@council.gov.uk": {"north": {Role.ANALYST, Role.APPROVER}, "south": {Role.VIEWER}},
                "carol@council.gov.uk": {}, " Ann@Council.gov.uk": {"north": {Role.ANALYST, Role.APPROVER},
                                                                    "south": {Role.VIEWER}}}[user]
    assert new is not None and new[1] == expected


def test_time_outs_and_the_last_use_as_before(server: Workspace) -> None:
    """Catches the idle or absolute time-out not applied (a session answered after it should have ended, its row
    kept) and the last use not written (the idle time-out counted from the sign-in)."""
    sessions = Sessions(server.engine, b"secret", IDLE, ABSOLUTE)
    key = sessions.start(User("ann@council.gov.uk", "Ann"), "north", "test")
    t0 = server_time(server, key)
    with server.engine.begin() as conn:
        got = sessions.find_with_roles(conn, key, t0 + SEEN_EVERY + 1)
    assert got is not None and got[0].seen == t0 + SEEN_EVERY + 1
    assert server_time(server, key, "seen") == t0 + SEEN_EVERY + 1  # written
    with server.engine.begin() as conn:
        assert sessions.find_with_roles(conn, key, t0 + SEEN_EVERY + 1 + IDLE + 1) is None  # idle
    with server.engine.begin() as conn:
        assert conn.execute(sessions_table.select()).all() == []  # and gone
    key = sessions.start(User("ann@council.gov.uk", "Ann"), "north", "test")
    t0 = server_time(server, key)
    for step in range(1, 9):  # used every 500 s, never idle: the absolute time-out (3,600 s) ends it at 4,000 s
        with server.engine.begin() as conn:
            got = sessions.find_with_roles(conn, key, t0 + 500 * step)
        assert (got is None) == (500 * step > ABSOLUTE)
    with server.engine.begin() as conn:
        assert sessions.find_with_roles(conn, "no-such-session", t0) is None


def server_time(ws: Workspace, key: str, column: str = "started") -> float:
    from cyplan.auth.session import _hash

    with ws.engine.connect() as conn:
        return float(conn.execute(sessions_table.select().where(sessions_table.c.id_hash == _hash(key)))
                     .first()._mapping[column])
