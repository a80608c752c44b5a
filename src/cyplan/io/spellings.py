"""Values as NHS and ONS files write them: sex as M/F, 1/2 or males/females, yes and no as Y/N, 1/0 or
TRUE/FALSE, and dates as YYYY-MM-DD or day first (dd/mm/yyyy, as UK files write them). One definition, read by
the inputs' validation and the referral returns alike."""

from __future__ import annotations

import datetime as dt
import re

THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"  # 1,000 or 12,345.6: a number written with commas
SEX_SPELLINGS = {"female": "female", "male": "male", "f": "female", "m": "male", "2": "female", "1": "male",
                 "females": "female", "males": "male"}
ALL_SPELLINGS = {"all": "all", "persons": "all"}  # where the column also takes 'all' (both sexes)
YES_NO_SPELLINGS = {"yes": "yes", "no": "no", "y": "yes", "n": "no", "1": "yes", "0": "no", "true": "yes",
                    "false": "no"}


def spellings(allowed: tuple[str, ...]) -> dict[str, str]:
    """Each lower-case spelling a coded column with these values reads → its value."""
    table = {a.lower(): a for a in allowed}
    if {"female", "male"} <= set(allowed):
        table |= SEX_SPELLINGS | (ALL_SPELLINGS if "all" in allowed else {})
    if set(allowed) == {"yes", "no"}:
        table |= YES_NO_SPELLINGS
    return table


def read_coded(allowed: tuple[str, ...], text: str) -> str | None:
    """The value `text` (trimmed, any case) spells, or None."""
    return spellings(allowed).get(text.strip().lower())


# ASCII: \d alone also matches other scripts' digits ('٣'), which int() reads as numbers
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
UK_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$", re.ASCII)  # day, month, year: one separator


def read_date(text: str) -> dt.date | None:
    """The day `text` names, as YYYY-MM-DD or as the UK writes it, day first (dd/mm/yyyy, also with '.' or '-'
    between): 03/04/2025 is 3 April. None for anything else, or a day that does not exist."""
    text = text.strip()
    iso, uk = ISO_DATE.match(text), UK_DATE.match(text)
    year, month, day = (iso[1], iso[2], iso[3]) if iso else (uk[4], uk[3], uk[1]) if uk else ("", "", "")
    try:
        return dt.date(int(year), int(month), int(day)) if year else None
    except ValueError:
        return None
