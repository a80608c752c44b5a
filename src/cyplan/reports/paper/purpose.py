"""The purpose of the report, as seed 004's papers open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.reports.paper.document import Paragraph, Section

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    return Section("purpose", "Purpose of report", [Paragraph((b.detail("purpose") or "For decision.",))])
