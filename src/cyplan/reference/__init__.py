"""Data that ships with cyplan, each row with its source.

defaults/ — what every new workspace starts with: the specification's age bands and the eight
vulnerable groups of seed 003. demo/ — the fictional Exampleshire, built by `cyplan demo`.
"""

from pathlib import Path

DEFAULTS = Path(__file__).parent / "defaults"
DEMO = Path(__file__).parent / "demo"
DEMO_AREA = "E10999999"
