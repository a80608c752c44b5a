"""The columns of a referral record, in the order the import reads them.

Categorical fields are matched against their code list; milestones take yes / no / blank.
"""

from __future__ import annotations

import re

from cyplan.reference import codelists

ID = "referral_id"
DATE = "received_date"
ACCEPTED = "accepted"
AGE = "age"
CATEGORICAL = codelists.CATEGORICAL  # the fields with a code list
MILESTONES = ("advocate_assigned", "care_plan", "advice_consultation", "concluded")
COLUMNS = (ID, "service", DATE, ACCEPTED, AGE, "gender", "ethnicity", "religion", "referral_source",
           "education_status", "accommodation", "trauma_category", *MILESTONES)
REQUIRED_CELLS = (ID, "service", DATE, ACCEPTED)  # a blank in these is an error; the rest may be blank
MIN_AGE, MAX_AGE = 0, 30  # ages outside this are queried: the vanguards serve 0–25 (seed 004)

# Headers that look like a name, an address or an NHS number: returns are pseudonymised, so such a
# column is refused rather than stored. Matched on the normalised header (lower case, '_' for spaces).
IDENTIFYING = (
    (re.compile(r"(^|_)(first|fore|sur|last|given|full|middle|family|child|patient|client)_?names?($|_)|^names?$"),
     "a name"),
    (re.compile(r"address|post_?code|street|^addr($|_)"), "an address"),
    (re.compile(r"nhs_?(no|num|number|id)?($|_)|chi_?(no|number)($|_)"), "an NHS number"),
    (re.compile(r"(^|_)(dob|date_of_birth|birth_?date)($|_)"), "a date of birth"),
)


def identifying(header: str) -> str | None:
    """What personal identifier a (normalised) header looks like, or None."""
    for pattern, what in IDENTIFYING:
        if pattern.search(header):
            return what
    return None
