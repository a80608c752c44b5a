"""The board paper's own input: the meeting it goes to, who wrote it and whom to contact, and any wording
the author wants in place of the draft cyplan writes from the results (docs/user-guide.md, 'Board paper').
The fields are those on the cover of seed 004's papers, plus the lead member and wards that council papers
carry."""

from cyplan.schema.columns import Column, InputKind

# field → what it holds; the order is the one the data-formats page lists them in
PAPER_FIELDS: dict[str, str] = {
    "meeting": "the board or committee, e.g. 'Children and Young People Board'",
    "meeting_date": "the date of the meeting, as it is to be printed, e.g. 'Tuesday, 23 January 2024'",
    "meeting_time": "the time of the meeting, e.g. '11.00 am'",
    "venue": "where the meeting is held",
    "item": "the agenda item number",
    "title": "the report's title (default: 'Children and young people's services in AREA: need, workforce and "
             "reach')",
    "purpose": "the purpose of the report (default: 'For decision')",
    "plan_theme": "the council's plan theme the report serves, e.g. 'Putting people first'",
    "contact_officer": "the contact officer's name",
    "position": "the contact officer's position",
    "phone": "the contact officer's phone number",
    "email": "the contact officer's email address",
    "lead_member": "the lead member (councillor) for the report",
    "wards_affected": "the wards affected (default: 'All')",
    "summary": "a paragraph of the summary, in place of cyplan's draft (one row per paragraph)",
    "background": "a paragraph of local background, printed before cyplan's (one row per paragraph)",
    "recommendations": "a recommendation, in place of cyplan's drafts (one row per recommendation)",
    "next_steps": "a next step, in place of cyplan's drafts (one row per step)",
    "preferred_scenario": "the scenario to recommend (default: the one with the lowest cost to close)",
}
LIST_FIELDS = ("summary", "background", "recommendations", "next_steps")  # may have several items

PAPER_DETAILS = InputKind(
    "paper_details",
    "Board paper details",
    "The meeting, the contact details and any wording of the board paper (cyplan report) that replaces the "
    "draft worked out from the results.",
    (
        Column("field", "enum", "Which detail: " + "; ".join(f"{k}: {v}" for k, v in PAPER_FIELDS.items()) + ".",
               "contact_officer", allowed=tuple(PAPER_FIELDS)),
        Column("item", "integer", "For a field with several rows (summary, background, recommendations, next "
               "steps): their order, 1, 2, 3 …; blank means 1.", "1", required=False, blank_ok=True, default="1",
               minimum=1, maximum=99),
        Column("value", "text", "The text, as it is to be printed.", "Jo Bloggs"),
    ),
    key=("field", "item"),
)

REPORT_KINDS = (PAPER_DETAILS,)
