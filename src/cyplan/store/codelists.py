"""The workspace's own code lists and value mappings for referral returns (issue 18 part 3), and the lists a
workspace uses: its own, else the services in its register for the service, else the defaults
(reference/codelists.py decides which). Both the returns (returns/) and the population_groups check (io/,
through transfer.py) take their lists from `lists`, so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
import sqlalchemy as sa

from cyplan.reference import codelists as C
from cyplan.store.tables import metadata

codelist_entries = sa.Table(
    "codelist_entries", metadata,
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # the tables' row order
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("aliases", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("field", "position", name="pk_codelist_entries"),
)

codelist_mappings = sa.Table(
    "codelist_mappings", metadata,
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("value_found", sa.Text, nullable=False),  # as found, trimmed; matched as code lists are
    sa.Column("map_to", sa.Text, nullable=False),  # the category it means (its code)
    sa.PrimaryKeyConstraint("field", "value_found", name="pk_codelist_mappings"),
)


def own_entries(engine: sa.Engine) -> dict[str, list[C.Entry]]:
    """The workspace's own lists, by field, in their order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(codelist_entries).order_by(codelist_entries.c.field,
                                                                  codelist_entries.c.position)).all()
    out: dict[str, list[C.Entry]] = {}
    for r in rows:
        out.setdefault(r.field, []).append(C.Entry(r.code, r.label, r.aliases))
    return out


def stored_mappings(engine: sa.Engine) -> dict[str, dict[str, str]]:
    """The workspace's mappings: field → value found → the category it means."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(codelist_mappings)).all()
    out: dict[str, dict[str, str]] = {}
    for r in rows:
        out.setdefault(r.field, {})[r.value_found] = r.map_to
    return out


def register(services: pl.DataFrame | None) -> list[tuple[str, str | None]]:
    """(service, label) of each service in a services register (none if it is not given)."""
    if services is None or not services.height or "service" not in services.columns:
        return []
    labels = services["label"].cast(pl.String) if "label" in services.columns else pl.repeat(None, services.height)
    return list(zip(services["service"].cast(pl.String).to_list(), labels.to_list(), strict=True))


def lists(ws, services: pl.DataFrame | None = None, mappings: Mapping[str, Mapping[str, str]] | None = None,
          ) -> dict[str, C.CodeList]:
    """Every field's code list for the workspace `ws`, with its stored mappings and then `mappings` (a filled-in
    template given on an import: it wins over a stored one for the same value). `services`: the register as
    it will be (an import that brings one); default: the register held."""
    services = ws.read("services") if services is None else services
    found = C.resolve(ws.path, own_entries(ws.engine), register(services))
    combined = {f: dict(m) for f, m in stored_mappings(ws.engine).items()}
    for field, given in (mappings or {}).items():
        combined.setdefault(field, {}).update(given)
    return {f: mapped(cl, combined.get(f, {})) for f, cl in found.items()}


def mapped(codelist: C.CodeList, mapping: Mapping[str, str]) -> C.CodeList:
    """The list with each mapped value meaning its category; a mapping to a category no longer on the list (the
    list changed since) is left out, and the value is queried again."""
    codes = {v: codelist.code(to) for v, to in mapping.items()}
    return C.with_mapping(codelist, {v: c for v, c in codes.items() if c > 0})


def replace_list(conn: sa.Connection, field: str, entries: Sequence[C.Entry]) -> None:
    """Make `entries` the field's own list (none: back to the register's or the default)."""
    conn.execute(codelist_entries.delete().where(codelist_entries.c.field == field))
    if entries:
        conn.execute(codelist_entries.insert(), [
            {"field": field, "position": i, "code": e.code.strip(), "label": e.label.strip(),
             "aliases": e.aliases.strip()} for i, e in enumerate(entries, start=1)])


def drop_mappings(conn: sa.Connection, field: str, values: Sequence[str]) -> None:
    """Forget the kept mappings of these values found in `field`."""
    if values:
        conn.execute(codelist_mappings.delete().where((codelist_mappings.c.field == field)
                                                      & codelist_mappings.c.value_found.in_(list(values))))


def store_mappings(conn: sa.Connection, rows: Mapping[str, Mapping[str, str]]) -> None:
    """Keep these mappings (field → value found → category), in place of any for the same values."""
    for field, mapping in rows.items():
        for value, to in mapping.items():
            conn.execute(codelist_mappings.delete().where((codelist_mappings.c.field == field)
                                                          & (codelist_mappings.c.value_found == value)))
            conn.execute(codelist_mappings.insert().values(field=field, value_found=value, map_to=to))
