"""Sign-offs (issue 14 part 3): an approver signs off the services rating judgement, or an area's board paper,
for the data as they stand. Each is kept in workspace_info (one key per thing signed, the latest sign-off wins;
the audit trail keeps every one), with who, when and the version of the data signed: the import log's and the
referral returns' latest import. An import or restore after it makes the sign-off one for an earlier version,
and the pages and the paper say so."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from cyplan.store import audit
from cyplan.store.returns_tables import returns_imports
from cyplan.store.tables import import_log, workspace_info

RATING, PAPER = "rating", "paper"  # what can be signed off
KEY = "signed_off:"  # workspace_info's key: signed_off:rating, signed_off:paper:<area>


@dataclass(frozen=True)
class SignOff:
    what: str
    area: str | None
    who: str
    at: str  # UTC, to the second
    version: str  # the data signed
    current: bool  # the data are still that version

    def words(self) -> str:
        """'Signed off by … on …', and whether the data have changed since."""
        when = dt.datetime.fromisoformat(self.at)
        on = f"{when.day} {when:%B %Y at %H:%M} UTC"
        said = f"Signed off by {self.who} on {on}"
        return said + ("." if self.current else ", for an earlier version of the data: the data have been imported "
                                                 "or restored since, and this has not been signed off again.")


def data_version(conn: sa.Connection) -> str:
    """The data as they stand: the latest input import (or restore) and the latest referral-returns import."""
    inputs = conn.execute(sa.select(sa.func.max(import_log.c.id))).scalar() or 0
    returns = conn.execute(sa.select(sa.func.max(returns_imports.c.id))).scalar() or 0
    return f"inputs {inputs}, returns {returns}"


def _key(what: str, area: str | None) -> str:
    return KEY + what + (f":{area}" if area else "")


def sign(conn: sa.Connection, what: str, area: str | None, who: str, detail: dict[str, object]) -> SignOff:
    """Record the sign-off and its audit entry in the caller's transaction (both land, or neither)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    version = data_version(conn)
    value = json.dumps({"who": who, "at": at, "version": version})
    conn.execute(workspace_info.delete().where(workspace_info.c.key == _key(what, area)))
    conn.execute(workspace_info.insert().values(key=_key(what, area), value=value))
    audit.append(conn, "sign-off", {"signed": what, "data": version, **detail}, area, who)
    return SignOff(what, area, who, at, version, True)


def latest(engine: sa.Engine, what: str, area: str | None = None) -> SignOff | None:
    with engine.connect() as conn:
        return signed(conn, what, area)


def as_json(s: SignOff | None) -> dict[str, object] | None:
    return None if s is None else {"by": s.who, "at": s.at, "data_version": s.version, "current": s.current,
                                   "words": s.words()}


def signed(conn: sa.Connection, what: str, area: str | None = None) -> SignOff | None:
    """The latest sign-off of `what` (for the area), or None."""
    value = conn.execute(sa.select(workspace_info.c.value).where(workspace_info.c.key == _key(what, area))).scalar()
    if value is None:
        return None
    kept = json.loads(value)
    return SignOff(what, area, kept["who"], kept["at"], kept["version"], kept["version"] == data_version(conn))
