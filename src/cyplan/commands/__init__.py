"""Sub-commands of `cyplan`, one module per part of the plan."""
