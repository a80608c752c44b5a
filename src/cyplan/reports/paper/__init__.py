"""The board paper: the results for one area put in the shape of seed 004's board papers (purpose, summary,
recommendations, contact details, background, the findings, financial and equalities implications, next
steps), as data first (`build_paper` → `Paper`), then rendered (`render_html`, `render_pdf`,
`render_docx`).

Every figure quoted carries a numbered note that names where it comes from: the inputs and their `source`
column values, the model step, and the draws and seed. A part whose inputs are missing says so, and how to
load them, instead of stopping the paper. Referral figures are published figures: they pass the disclosure
control of returns/service.publishable (counts 1–7 withheld, others rounded to 5), and a category whose
referrals are withheld has its rates withheld too.

The recommendations and next steps are a draft worked out from the results; the paper_details input can
replace them, and gives the meeting and contact details (schema/report.py).

One module per section (need, services, evidence, workforce, reach, financial, equalities, background, purpose,
summary, recommendations, contact, next_steps, and the practice_guides annex); builder.py puts them in order and
keeps the notes; document.py is the paper as data, words.py how numbers are written, render.py the HTML and PDF,
render_docx.py the Word document.
"""

from cyplan.reports.paper.builder import UnknownArea, build_paper
from cyplan.reports.paper.details import Details, paper_details
from cyplan.reports.paper.document import Figure, Footnote, Heading, Paper, Paragraph, Ref, Section, Table
from cyplan.reports.paper.equalities import published_view
from cyplan.reports.paper.render import render_html, render_pdf
from cyplan.reports.paper.render_docx import render_docx

__all__ = ["Details", "Figure", "Footnote", "Heading", "Paper", "Paragraph", "Ref", "Section", "Table", "UnknownArea",
           "build_paper", "paper_details", "published_view", "render_docx", "render_html",
           "render_pdf"]
