"""The contact details, from the paper_details input."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan.reports.paper.document import Section

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("contact", "Contact details")
    labels = {"contact_officer": "Contact officer", "position": "Position", "phone": "Phone no",
              "email": "Email"}
    s.pairs = [(label, b.detail(k) or "") for k, label in labels.items() if b.detail(k)]
    if not s.pairs:
        s.missing = ("No contact details are given: add them with 'cyplan import paper_details FILE' (fields "
                     "contact_officer, position, phone, email).")
    return s
