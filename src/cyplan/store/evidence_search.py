"""Full-text search over the evidence library (issue 15 part 5): interventions, practice guides and briefs, in the
database's own full text — SQLite's FTS5, PostgreSQL's to_tsvector / plainto_tsquery — behind one function.

The index is built at query time, inside the query's transaction (decision 0012, "Inputs, ratings and search"): a
library is hundreds of rows, indexed in milliseconds, and an index kept in step on import would be one more thing
every import, restore and scenario had to keep right. Both backends stem English words (FTS5's porter tokenizer,
PostgreSQL's 'english' configuration) and want every word of the query, in any order.
"""

from __future__ import annotations

import re

import polars as pl
import sqlalchemy as sa

from cyplan.store.workspace import Workspace

KINDS = ("intervention", "practice guide", "brief")
MARK = ("[", "]")  # around the words found, in a snippet
SNIPPET_WORDS = 16
HIT_COLUMNS = {"kind": pl.String, "key": pl.String, "name": pl.String, "snippet": pl.String}



def _joined(*columns: str) -> str:
    """The columns as one text, blanks skipped (SQLite before 3.44 has no concat_ws)."""
    return " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)


# one row per thing found: its kind, key, name and the text searched (SQL both backends run)
DOCUMENTS = f"""
SELECT 'intervention' AS kind, intervention AS key, name,
       {_joined("name", "description", "outcomes", "setting", "owner", "level", "delivery_model")} AS body
  FROM interventions
UNION ALL
SELECT 'practice guide', topic, title,
       {_joined("title", "what_works", "why_how", "who_for", "barriers_enablers", "perspectives", "cost_benefit",
                "citation")}
  FROM practice_guides
UNION ALL
SELECT 'brief', topic, title, markdown FROM evidence_briefs
"""

POSTGRESQL = f"""
WITH docs AS ({DOCUMENTS}), q AS (SELECT plainto_tsquery('english', :words) AS q)
SELECT kind, key, name,
       ts_headline('english', body, q.q,
                   'StartSel={MARK[0]}, StopSel={MARK[1]}, MaxWords={SNIPPET_WORDS}, MinWords=6') AS snippet
  FROM docs, q
 WHERE to_tsvector('english', body) @@ q.q
 ORDER BY ts_rank(to_tsvector('english', body), q.q) DESC, kind, key
"""

SQLITE_INDEX = "CREATE VIRTUAL TABLE temp.evidence_search USING fts5(kind UNINDEXED, key UNINDEXED, name UNINDEXED, " \
               "body, tokenize = 'porter unicode61')"
SQLITE = f"""
SELECT kind, key, name, snippet(evidence_search, 3, '{MARK[0]}', '{MARK[1]}', ' … ', {SNIPPET_WORDS}) AS snippet
  FROM evidence_search
 WHERE evidence_search MATCH :query
 ORDER BY bm25(evidence_search), kind, key
"""


def words(text: str) -> list[str]:
    """The query's words: letters and digits, as both backends' tokenizers split them (punctuation is no word)."""
    return re.findall(r"\w+", text.lower())


def search(ws: Workspace, text: str, limit: int = 50) -> pl.DataFrame:
    """Interventions, practice guides and briefs holding every word of `text` (stemmed: 'parents' finds
    'parenting'), best match first: kind, key, name and a snippet with the words found marked [like this]."""
    found = words(text)
    if not found:
        return pl.DataFrame(schema=HIT_COLUMNS)
    with ws.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(sa.text(POSTGRESQL + " LIMIT :limit"), {"words": " ".join(found), "limit": limit})
        else:
            rows = _sqlite(conn, found, limit)
        hits = [tuple(r) for r in rows]
    # a snippet on one line: blank fields and a brief's line breaks leave runs of spaces in the text searched
    return pl.DataFrame(hits, schema=HIT_COLUMNS, orient="row").with_columns(
        pl.col("snippet").str.replace_all(r"\s+", " ").str.strip_chars())


def _sqlite(conn: sa.Connection, found: list[str], limit: int) -> list[sa.Row]:
    conn.execute(sa.text("DROP TABLE IF EXISTS temp.evidence_search"))
    conn.execute(sa.text(SQLITE_INDEX))
    conn.execute(sa.text(f"INSERT INTO temp.evidence_search (kind, key, name, body) {DOCUMENTS}"))
    # each word quoted: FTS5 reads AND, OR, NOT, NEAR and * as its own syntax, and a user's words are only words
    query = " ".join(f'"{w}"' for w in found)
    rows = conn.execute(sa.text(SQLITE + " LIMIT :limit"), {"query": query, "limit": limit}).all()
    conn.execute(sa.text("DROP TABLE temp.evidence_search"))
    return rows
