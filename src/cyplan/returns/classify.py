"""Code-list matching in DuckDB, done once per distinct value.

A million records hold only a few hundred distinct values per field, so each field's distinct values
are matched in Python by `CodeList.code` (the one definition of matching) and joined back: far quicker
than matching every record in SQL, and it cannot disagree with the Python rule.
"""

from __future__ import annotations

import duckdb

from cyplan.returns import fields as F
from cyplan.returns.codelists import CodeList


def classify(con: duckdb.DuckDBPyConnection, source: str, lists: dict[str, CodeList], name: str = "classified") -> str:
    """Create a temp view `name`: every column of `source`, plus <field>_code (0 blank, -1 not on the list,
    k the k-th category) and <field>_label (the category's own name; the value as given if not on the
    list) for each categorical field. Returns the view's name."""
    joins, columns = [], []
    for field in F.CATEGORICAL:
        values = [v for (v,) in con.execute(f"SELECT DISTINCT {field} FROM {source} WHERE {field} IS NOT NULL")
                  .fetchall()]
        table = f"{name}_{field}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (value VARCHAR, code SMALLINT, label VARCHAR)")
        if values:
            codes = [lists[field].code(v) for v in values]
            con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?)",
                            [(v, c, lists[field].categories[c - 1] if c > 0 else v.strip() or None)
                             for v, c in zip(values, codes, strict=True)])
        joins.append(f"LEFT JOIN {table} ON {table}.value = s.{field}")
        columns += [f"coalesce({table}.code, 0)::SMALLINT AS {field}_code", f"{table}.label AS {field}_label"]
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT s.*, {', '.join(columns)} FROM {source} s "
                + " ".join(joins))
    return name
