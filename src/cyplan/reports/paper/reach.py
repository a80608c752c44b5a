"""Who services reach: the referral returns by quarter and service, as published."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    published_count,
    sentence,
)
from cyplan.returns import service as returns

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

def section(b: Builder) -> Section:
    s = Section("reach", "Who services reach")
    try:
        made = returns.tables(b.ws)
    except returns.NoReturns as e:
        s.missing = f"{sentence(str(e))} Without referral returns this paper cannot say who services reach."
        return s
    published = returns.publishable(made)
    b.findings["published"] = published
    ref = b.returns_note()
    summary = published["summary"]
    quarters = [c for c in summary.columns if c not in ("measure", "Total")]
    cell = {r["measure"]: r for r in summary.iter_rows(named=True)}
    received, accepted = published_count(cell["Received"]["Total"]), published_count(cell["Accepted"]["Total"])
    b.findings["reach"] = {"received": received, "accepted": accepted, "ref": ref, "quarters": quarters}
    s.blocks.append(Paragraph((
        f"The referral returns hold {received} referrals received in {len(quarters)} quarter"
        f"{'s' if len(quarters) != 1 else ''} from {quarters[0]} to {quarters[-1]}, of which {accepted} were "
        "accepted", ref, ". Figures are rounded to the nearest 5, and counts of 1 to 7 withheld (*), so that "
        "no child can be identified.") if quarters else ("The referral returns hold no referrals.", ref)))
    advice = returns.combine_quarters_advice(published)
    if advice:
        s.blocks.append(Paragraph((advice, ref)))
    rows = tuple((q, *(published_count(cell[m][q]) for m in ("Received", "Accepted", "Not accepted")))
                 for q in quarters)
    rows += (("Total", received, accepted, published_count(cell["Not accepted"]["Total"])),)
    s.blocks.append(Table("Referrals by quarter (as published)", ("Quarter", "Received", "Accepted",
                                                                   "Not accepted"),
                          (False, True, True, True), rows, (ref.number,), total=True))
    s.blocks.append(b.figure("Referrals by quarter", charts.referrals_by_quarter(summary), [ref]))
    by_service = published.get("service")
    if by_service is not None:
        label = by_service.columns[0]
        # the code list names every service in the country: show those with referrals
        services = by_service.filter((pl.col(label) != "Total") & (pl.col("Total") != "0"))
        rows = tuple((r[label], published_count(r["Total"])) for r in services.iter_rows(named=True))
        s.blocks.append(Table("Accepted referrals by service (as published)", ("Service", "Accepted"),
                              (False, True), rows, (ref.number,)))
    return s
