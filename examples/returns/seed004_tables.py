"""Seed 004's Framework for Integrated Care (Community) tables, typed in from the seed text (Annex 2
slides, 'Framework for Integrated Care (Community) Data': April 2022 to September 2023, 4,111 referrals
accepted of 4,411 received). Categories are the code lists' names (reference/returns/); rows the seed
labels NULL are under '(blank)', its 'Invalid …' rows under INVALID. Shared by make_seed004_records.py
and tests/test_returns_seed004.py.

Where the seed's tables disagree, the choice made is written next to the figures.
"""

from __future__ import annotations

INVALID = "Invalid - Provided response did not match valid options"
QUARTERS = ("2022/23 Q1", "2022/23 Q2", "2022/23 Q3", "2022/23 Q4", "2023/24 Q1", "2023/24 Q2")
ACCEPTED = (663, 504, 524, 853, 853, 714)  # every table's Grand Total row
RECEIVED_TOTAL = 4411  # by quarter not given: the 300 not accepted are spread 50 a quarter

TABLES: dict[str, dict[str, tuple[int, ...]]] = {
    "service": {
        "Affinity": (173, 77, 49, 164, 141, 58),
        "Bristol, North Somerset and South Gloucestershire": (37, 68, 106, 74, 83, 72),
        "Coventry and Warwickshire": (0, 3, 7, 19, 67, 74),
        "Humber and North Yorkshire": (90, 75, 83, 103, 99, 50),
        "Lincolnshire County Council": (235, 235, 201, 285, 227, 213),
        "Liverpool and Sefton": (0, 0, 0, 16, 22, 29),
        "Newcastle and Gateshead": (0, 0, 0, 0, 90, 82),
        "North East London": (43, 23, 14, 32, 21, 28),
        "North London Central": (66, 8, 23, 50, 26, 23),
        "South East London": (19, 15, 26, 43, 30, 24),
        "Surrey": (0, 0, 0, 1, 2, 17),
        "Thames Valley": (0, 0, 15, 66, 45, 44),
    },
    "ethnicity": {
        "Asian or Asian British": (10, 3, 5, 18, 15, 14),
        "African": (75, 16, 37, 69, 56, 42),
        "Mixed or Multiple ethnic groups": (49, 33, 32, 50, 55, 44),
        "White British": (402, 328, 327, 536, 584, 506),
        "White Minorities": (26, 33, 31, 41, 50, 31),
        "Not known or recorded/stated": (74, 76, 69, 107, 68, 56),
        INVALID: (21, 14, 20, 19, 13, 14),
        "Other": (6, 1, 3, 13, 12, 7),
    },
    # The seed's last two religion rows are garbled: as printed, 'Not known or recorded/Other' reads
    # 5 2 . 1 3 13 (total 44) and 'Other' 5 2 . 13 4 3 (no total), which makes Q1 and Q2 add up to 668 and
    # 506, not 663 and 504. The Grand Total row and the Total column (44 for the two rows together) are
    # kept: the quarters left after the other rows are 5 2 0 14 7 16, split as the printed Q4–Q2 figures
    # show, with Q1's 5 and Q2's 2 counted once, on the first row.
    "religion": {
        "Christian": (78, 63, 65, 100, 92, 77),
        "Muslim": (14, 7, 5, 17, 16, 9),
        "No religion": (128, 116, 114, 189, 229, 211),
        "Not known or recorded/Other": (5, 2, 0, 1, 3, 13),
        "Other": (0, 0, 0, 13, 4, 3),
        INVALID: (438, 316, 340, 533, 509, 401),
    },
    "referral_source": {
        "Dynamic Support Register": (0, 0, 0, 1, 0, 0),
        "Education Referral": (190, 119, 118, 231, 202, 90),
        "Essex Child and Family Wellbeing Service": (1, 0, 0, 0, 0, 0),
        "Housing Services": (3, 0, 0, 0, 0, 1),
        "Justice Referral": (183, 208, 200, 228, 231, 225),
        "Local Authority": (97, 66, 60, 131, 185, 136),
        "NHS Referral": (12, 13, 20, 42, 39, 35),
        "Not known/recorded": (1, 1, 4, 2, 0, 1),
        "Not stated": (7, 1, 0, 2, 2, 0),
        "(blank)": (0, 0, 1, 0, 0, 0),
        "Other": (5, 15, 5, 14, 10, 14),
        "Peer referral": (25, 9, 12, 30, 12, 1),
        "Self referral": (1, 0, 0, 0, 0, 0),
        "Self Family Career": (42, 9, 15, 21, 19, 10),
        "Social Services": (78, 52, 71, 123, 136, 165),
        "Victim and witness care services": (0, 1, 0, 1, 1, 0),
        "Voluntary Sector": (8, 4, 7, 6, 12, 25),
        "Youth Services": (10, 6, 11, 21, 4, 11),
    },
    "education_status": {
        "Alternative education provision (Pupil Referral Unit)": (44, 49, 57, 74, 87, 72),
        "Apprenticeship": (3, 5, 4, 10, 1, 2),
        "Extended School Non-Attendance (ESNA)": (1, 0, 1, 4, 3, 5),
        "Home educated": (5, 8, 6, 11, 7, 18),
        "Mainstream school/college": (359, 272, 249, 477, 407, 329),
        "Not in education, employment or training (NEET)": (59, 39, 43, 65, 97, 91),
        "Not known or recorded/Not stated": (62, 34, 73, 69, 29, 32),
        "(blank)": (107, 72, 66, 92, 169, 121),
        "Other": (4, 1, 5, 8, 13, 13),
        "Private tutoring": (1, 1, 1, 1, 3, 1),
        "Special school": (18, 23, 19, 42, 37, 30),
    },
    "accommodation": {
        "Acute/long stay healthcare residential facility": (0, 0, 1, 1, 1, 2),
        "Bail/Probation hostel": (0, 0, 0, 0, 1, 3),
        "Childrens home (Local Authority)": (2, 0, 4, 12, 37, 31),
        "Childrens home (Private Sector)": (1, 1, 1, 3, 7, 15),
        "Emergency Local Authority accommodation": (0, 0, 1, 1, 1, 3),
        "Homeless": (7, 1, 3, 3, 2, 1),
        "Homeless at home due to safety risk": (4, 1, 1, 0, 1, 0),
        "Hostel": (0, 0, 1, 1, 2, 0),
        "Immigration Removal Centre": (0, 0, 0, 1, 0, 0),
        "Living independently": (4, 1, 1, 6, 9, 7),
        "Living with foster carers": (0, 1, 4, 10, 54, 58),
        "Living with other family members": (3, 2, 8, 23, 37, 48),
        "Living with parents": (107, 91, 133, 193, 340, 342),
        "Missing from home": (0, 0, 1, 1, 2, 1),
        "Not known or recorded": (11, 17, 21, 89, 68, 37),
        "Not stated": (0, 0, 0, 0, 6, 3),
        "(blank)": (495, 386, 336, 481, 247, 126),
        "Other": (8, 1, 1, 3, 1, 6),
        "Prison": (5, 1, 4, 7, 6, 1),
        "Refuge": (1, 0, 0, 0, 1, 0),
        "Secure Childrens Home": (0, 0, 0, 2, 1, 1),
        "Sofa surfing": (2, 0, 0, 3, 4, 1),
        "Squatting": (0, 0, 0, 1, 0, 0),
        "Supported accommodation (by staff or caretaker)": (5, 0, 2, 5, 14, 23),
        "Temporary Local Authority accommodation": (7, 1, 1, 7, 9, 5),
        "Young Offender Institution": (1, 0, 0, 0, 2, 0),
    },
    "trauma_category": {
        "Assault or Violence": (53, 12, 18, 52, 128, 88),
        "Bullying": (15, 11, 2, 15, 28, 15),
        "Discrimination of protected characteristic": (2, 1, 2, 6, 2, 2),
        "Emotional neglect": (5, 5, 6, 46, 81, 81),
        "Household alcohol abuse": (0, 0, 4, 9, 19, 14),
        "Household domestic violence": (43, 47, 61, 65, 96, 79),
        "Household drug abuse": (1, 1, 6, 2, 14, 14),
        "Household mental illness": (7, 4, 5, 18, 21, 26),
        "Incarceration of a household member": (1, 0, 1, 4, 3, 1),
        "(blank)": (505, 396, 379, 573, 374, 323),
        "Other": (14, 10, 10, 13, 25, 19),
        "Parental separation": (9, 16, 20, 27, 34, 29),
        "Physical abuse": (3, 0, 4, 8, 7, 8),
        "Physical neglect": (0, 0, 1, 2, 3, 3),
        "Sexual abuse": (3, 0, 3, 11, 11, 4),
        "Traumatic accident": (0, 1, 0, 1, 4, 6),
        "Verbal abuse": (2, 0, 2, 1, 2, 1),
        "War": (0, 0, 0, 0, 1, 1),
    },
}

# Referral Demographics (no quarters). The seed's NULL row (3 female, 40 male) has no age; its
# 'Invalid Age/Age Unknown' 280 has neither age nor gender (it stands outside the Female and Male
# sub-totals, 1,253 + 2,578 + 280 = 4,111), so both are 'Unknown age', the 280 as 'Other or unknown gender'.
AGE_GENDER: dict[str, tuple[int, int, int]] = {  # Female, Male, Other or unknown gender
    "Nursery": (1, 0, 0), "4 to 6": (32, 96, 0), "7 to 9": (52, 199, 0), "10 to 11": (99, 210, 0),
    "12 to 15": (795, 1350, 0), "16 to 17": (246, 556, 0), "18": (9, 22, 0), "19": (7, 20, 0),
    "20 to 24": (6, 68, 0), "25+": (3, 17, 0), "Unknown age": (3, 40, 280),
}

# Intervention key findings: counts of yes and the share 'Null' (blank), of the 4,111. The seed gives
# no blank share for 'concluded' (none are made blank) and no counts of blank: they are the rounded shares
# × 4,111, the nearest count that gives the printed percentage. The seed's '2218 (52%)' does not agree:
# 2,218 is 54.0% of 4,111 (52% would be about 2,138); the count is kept.
MILESTONES: dict[str, tuple[int, int]] = {  # yes, blank
    "Advocate assigned": (2218, 1480),  # Null 36%
    "Formulation-based care plan": (1441, 1357),  # 35%, Null 33%
    "Advice and consultation": (2321, 1562),  # 56%, Null 38%
    "Intervention concluded": (1753, 0),  # 43%
}
PERCENT_YES = {"Advocate assigned": 52, "Formulation-based care plan": 35, "Advice and consultation": 56,
               "Intervention concluded": 43}
PERCENT_BLANK = {"Advocate assigned": 36, "Formulation-based care plan": 33, "Advice and consultation": 38}
