"""How results are shown: each column's heading and number format, one definition for the command line, the
web pages and the board paper. Files keep codes and full precision; these are for people."""

NUMBER_FORMATS = {"population": "{:,.0f}", "cases": "{:,.0f}", "group_uplift": "{:,.0f}", "per_1000": "{:,.1f}",
                  "hours": "{:,.0f}", "fte": "{:,.1f}", "cost": "£{:,.0f}"}
HEADINGS = {"area": "Area", "year": "Year", "age_band": "Age band", "level": "Level", "sex": "Sex", "role": "Role",
            "population": "Population", "cases": "Cases", "group_uplift": "of which group uplift",
            "per_1000": "per 1,000", "hours": "Direct hours", "fte": "FTE", "cost": "Cost a year"}

MEASURE_HEADINGS = {"demand_fte": "Demand FTE", "supply_fte": "Supply FTE", "gap_fte": "Gap FTE",
                    "share_met": "Need met", "cost_to_close": "Cost to close",
                    "joiners_needed": "Extra joiners a year", "sector": "Sector", "scenario": "Scenario"}
MEASURE_FORMATS = {"demand_fte": "{:,.1f}", "supply_fte": "{:,.1f}", "gap_fte": "{:,.1f}", "share_met": "{:.0%}",
                   "cost_to_close": "£{:,.0f}", "joiners_needed": "{:,.1f}"}

SERVICE_HEADINGS = {"band": "Age band", "level": "Level", "provision": "Provision", "label": "Provision",
                    "state": "State", "covered": "Covered", "in_place": "In place", "developing": "Planned or "
                    "being developed", "group": "Group", "provisions": "Provisions", "kind": "Gap", "item": "Item",
                    "why": "Why", "rank": "#", "delivery_vehicles": "Possible delivery vehicles", "weight": "Weight",
                    "need_share": "Share of need", "holds_rating": "Holds rating", "capacity": "Capacity a year",
                    "capacity_per_case": "Capacity per case", "shortfall": "Shortfall",
                    "services_with_capacity": "Services with capacity", "services_without_capacity":
                    "Services without", "agency": "Agency", "involvement": "Involvement", "key_representative":
                    "Key representative", "name": "Name", "engaged": "Engaged", "representative": "Representative",
                    "missing": "Missing"}
SERVICE_FORMATS = {"covered": "{:.0%}", "need_share": "{:.1%}", "weight": "{:.3f}", "capacity": "{:,.0f}",
                   "capacity_per_case": "{:.2f}", "shortfall": "{:,.0f}"}

EQUALITY_FORMATS = ({c: "{:,.1f}" for c in ("rate_per_10000", "rate_low", "rate_high")}
                    | {c: "{:.2f}" for c in ("rate_ratio", "ratio_low", "ratio_high")}
                    | {"referrals": "{:,}", "population": "{:,.0f}"})
EQUALITY_HEADINGS = {"referrals": "Referrals", "rate_per_10000": "per 10,000", "rate_low": "95% low",
                     "rate_high": "95% high", "rate_ratio": "Rate ratio", "ratio_low": "95% low",
                     "ratio_high": "95% high", "note": "Note"}

SHOWN_QUERIES = 20  # referral-return queries listed on screen and on the returns page (all are in --queries)

SKILLS_HEADINGS = {"skill_area": "Skill area", "staff": "Staff (headcount)", "share_trained": "Trained now",
                   "target_share": "Target", "target_year": "By", "leaver_rate": "Leaving a year",
                   "a_year": "To train a year", "to_target": "To train in all", "cost_to_target": "Cost to target",
                   "then_a_year": "Then a year, to hold it", "to_train": "To train", "share_after": "Trained after",
                   "phase": "Phase"}
SKILLS_FORMATS = {"staff": "{:,.0f}", "share_trained": "{:.0%}", "target_share": "{:.0%}", "target_year": "{}",
                  "leaver_rate": "{:.1%}", "a_year": "{:,.2f}", "to_target": "{:,.2f}", "cost_to_target": "£{:,.0f}",
                  "then_a_year": "{:,.2f}", "to_train": "{:,.2f}", "share_after": "{:.0%}", "cost": "£{:,.0f}"}
