"""Referral returns: record-level referrals in, quarterly activity tables out (issue 5).

fields     — the record's columns and which headers are refused as identifying
codelists  — the code list of each categorical field (data under reference/returns/)
stage      — read a CSV or Excel file into DuckDB and classify every value
quality    — errors (block the import) and queries (kept), and blank/invalid counts per field
store      — the records, kept in a DuckDB file in the workspace folder
service    — import / tables / equality: the steps the CLI and the benchmark run
"""
