"""Evidence briefs (issue 15 part 5): Markdown in the shape of seed 000 — key messages with numbered references —
attached to a practice guide topic, one brief a topic. Storing one replaces the topic's brief, in one transaction
with its audit entry, as an import of an input is.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from cyplan.io.brief import Brief
from cyplan.store import audit
from cyplan.store.tables import evidence_briefs
from cyplan.store.workspace import Workspace

BRIEF_COLUMNS = ("topic", "title", "markdown", "sha256", "imported_at")


def store_brief(ws: Workspace, brief: Brief, file: str, by: str | None = None) -> None:
    """Keep `brief` as its topic's brief (replacing any), with an audit entry, in one transaction."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with ws.engine.begin() as conn:
        conn.execute(evidence_briefs.delete().where(evidence_briefs.c.topic == brief.topic))
        conn.execute(evidence_briefs.insert(), [{"topic": brief.topic, "title": brief.title,
                                                 "markdown": brief.markdown, "sha256": brief.sha256,
                                                 "imported_at": stamp}])
        audit.append(conn, "import", {"kind": "evidence_brief", "topic": brief.topic, "file": file,
                                      "sha256": brief.sha256, "rows": 1, "mode": "replace"}, who=by)


def briefs(ws: Workspace) -> pl.DataFrame:
    """Every brief, by topic."""
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(*(evidence_briefs.c[c] for c in BRIEF_COLUMNS))
                            .order_by(evidence_briefs.c.topic)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema={c: pl.String for c in BRIEF_COLUMNS}, orient="row")
