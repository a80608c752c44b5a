"""Data that ships with cyplan, each row with its source.

defaults/ — what every new workspace starts with: the specification's age bands and the eight
vulnerable groups of seed 003. demo/ — the fictional Exampleshire, built by `cyplan demo`.
demo-send-therapy/ — the same made-up county's therapists for children and young people with SEND (seed 002),
built by `cyplan demo --model send-therapy`. evidence/ — the starter evidence library, built only from the seeds,
each row citing its seed (`cyplan demo` and `cyplan init --starter` load it); evidence/demo/ — the demo's made-up
delivery hours for it.
"""

from pathlib import Path

DEFAULTS = Path(__file__).parent / "defaults"
DEMO = Path(__file__).parent / "demo"
DEMO_SEND = Path(__file__).parent / "demo-send-therapy"
EVIDENCE = Path(__file__).parent / "evidence"
DEMO_AREA = "E10999999"
DEMO_MODELS = {"mental-health": DEMO, "send-therapy": DEMO_SEND}  # `cyplan demo --model NAME`; the first is the default
