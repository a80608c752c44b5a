"""Roles per area (issue 14 part 3): who may do what in which server area.

Four roles, each a fixed set of permissions; a person may hold several roles in an area and different roles in
different areas. The rows live in the server workspace's `user_roles` table (docs/decisions/0011 says why a
table and not a policy engine). The one-person app on loopback has no sign-in and its one user holds every role.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

import sqlalchemy as sa

from cyplan.store.tables import user_roles


class Role(enum.StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    APPROVER = "approver"
    ADMIN = "admin"


class Permission(enum.StrEnum):
    VIEW_PUBLISHED = "view published figures"  # disclosure-controlled tables, the plan's results, the board paper
    VIEW_UNPUBLISHED = "view unpublished counts"  # unsuppressed counts, the quality report, record-level downloads
    IMPORT = "import data"
    RUN_SCENARIOS = "run scenarios"
    SIGN_OFF = "sign off the rating judgement and the board paper"
    MANAGE_USERS = "manage the area's users and roles"
    VIEW_AUDIT = "read the area's audit trail"


ALLOWS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW_PUBLISHED}),
    Role.ANALYST: frozenset({Permission.VIEW_PUBLISHED, Permission.VIEW_UNPUBLISHED, Permission.IMPORT,
                             Permission.RUN_SCENARIOS}),
    Role.APPROVER: frozenset({Permission.VIEW_PUBLISHED, Permission.SIGN_OFF}),
    Role.ADMIN: frozenset({Permission.VIEW_PUBLISHED, Permission.MANAGE_USERS, Permission.VIEW_AUDIT}),
}
EVERY_ROLE = frozenset(Role)  # the one-person app's user


def permissions(roles: Iterable[Role]) -> frozenset[Permission]:
    return frozenset().union(*(ALLOWS[r] for r in roles))


def can(roles: Iterable[Role], permission: Permission) -> bool:
    return permission in permissions(roles)


def user_name(name: str) -> str:
    """A sign-in name as roles are kept: trimmed, lower case (e-mail addresses and UPNs are case-blind)."""
    return name.strip().lower()


def roles_of(conn: sa.Connection, user: str) -> dict[str, frozenset[Role]]:
    """Every area the user holds a role in, with those roles."""
    return by_area(conn.execute(sa.select(user_roles.c.area, user_roles.c.role)
                                .where(user_roles.c.user == user_name(user))).all())


def by_area(rows: Iterable[tuple[str, str]]) -> dict[str, frozenset[Role]]:
    """(area, role) rows as each area's roles."""
    found: dict[str, set[Role]] = {}
    for area, role in rows:
        found.setdefault(area, set()).add(Role(role))
    return {area: frozenset(rs) for area, rs in found.items()}


def members(conn: sa.Connection, area: str) -> dict[str, frozenset[Role]]:
    """Everyone holding a role in the area, with their roles."""
    rows = conn.execute(sa.select(user_roles.c.user, user_roles.c.role).where(user_roles.c.area == area)
                        .order_by(user_roles.c.user)).all()
    found: dict[str, set[Role]] = {}
    for user, role in rows:
        found.setdefault(user, set()).add(Role(role))
    return {user: frozenset(rs) for user, rs in found.items()}


def grant(conn: sa.Connection, user: str, area: str, role: Role, by: str) -> bool:
    """Give the user the role in the area (in the caller's transaction); False when they already held it."""
    user = user_name(user)
    held = conn.execute(sa.select(sa.func.count()).select_from(user_roles).where(
        user_roles.c.user == user, user_roles.c.area == area, user_roles.c.role == role.value)).scalar()
    if held:
        return False
    conn.execute(user_roles.insert().values(user=user, area=area, role=role.value, granted_by=by,
                                            granted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
    return True


def revoke(conn: sa.Connection, user: str, area: str, role: Role) -> bool:
    """Take the role away (in the caller's transaction); False when the user did not hold it."""
    done = conn.execute(user_roles.delete().where(user_roles.c.user == user_name(user), user_roles.c.area == area,
                                                  user_roles.c.role == role.value))
    return bool(done.rowcount)
