"""The paper's details (meeting, contact, recommendations given): the paper_details input, with fields given from
the web form in place of the workspace's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cyplan import results
from cyplan.schema.report import LIST_FIELDS, PAPER_FIELDS

Details = Mapping[str, str | Sequence[str]]


def paper_details(frames: results.Frames, given: Details | None = None) -> dict[str, list[str]]:
    """field → its values in item order: the workspace's paper_details input, with `given` fields (from
    the web form, say) in place of the workspace's."""
    out: dict[str, list[str]] = {}
    for row in frames["paper_details"].sort("field", "item").iter_rows(named=True):
        if row["value"] and row["value"].strip():
            out.setdefault(row["field"], []).append(row["value"].strip())
    for key, value in (given or {}).items():
        if key not in PAPER_FIELDS:
            raise ValueError(f"'{key}' is not a detail of the paper; the details are {', '.join(PAPER_FIELDS)}")
        values = [value] if isinstance(value, str) else list(value)
        values = [v.strip() for v in values if v and v.strip()]
        if values:
            out[key] = values
        else:
            out.pop(key, None)
    return {k: (v if k in LIST_FIELDS else v[:1]) for k, v in out.items()}
