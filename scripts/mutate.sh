#!/usr/bin/env bash
# `make mutate`: mutation testing over the model (with disclosure), and the referral returns.
# Runs mutmut one module at a time, so that a run cut short still leaves whole modules scored, and
# records how long each took; then prints killed / total per package (scripts/mutation_score.py).
# `scripts/mutate.sh model/gap returns/quality` runs just those modules. Results are kept in mutants/
# between runs: mutmut re-checks only mutants whose function or tests changed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export OPENBLAS_NUM_THREADS=1  # numpy then starts no thread at import (see scripts/mutmut_preload.txt)
CHILDREN=${MUTATE_CHILDREN:-2}
if [ $# -gt 0 ]; then
    modules=("$@")
else
    # the disclosure and the figures people quote first; services.py (the rating) last: it has the most mutants
    modules=(model/disclosure model/uncertainty model/supply model/gap model/need model/demand model/arrays
             returns/classify returns/codelists returns/fields returns/equality returns/quality returns/service
             model/simulate model/plan model/scenarios model/activity model/build returns/stage returns/store
             model/services)
fi
mkdir -p mutants
for module in "${modules[@]}"; do
    start=$(date +%s)
    "$BIN/mutmut" run --max-children "$CHILDREN" "cyplan.${module//\//.}.*" > "mutants/run-${module//\//-}.log" 2>&1
    echo "$module $(( $(date +%s) - start )) s" | tee -a mutants/times.txt
done
"$BIN/python" scripts/mutation_score.py
