#!/usr/bin/env bash
# `make mutate`: mutation testing over the model (with disclosure) and the referral returns.
# 1. mutmut writes the mutants into mutants/ and records which tests reach which function (it also checks
#    returns/fields.py's one mutant, the cheapest way to make it do only that);
# 2. scripts/mutate_fast.py checks the mutants one module at a time, in one process (why: its docstring),
#    recording how long each module took in mutants/times.txt;
# 3. scripts/mutation_score.py prints killed / total per module and package.
# classify._sql's mutants are left unchecked (AT_IMPORT in mutate_fast.py; docs/testing.md says why).
# `scripts/mutate.sh model/gap returns/quality` checks just those modules. mutants/ is kept between runs
# (mutmut makes again only what changed); delete it to start afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export OPENBLAS_NUM_THREADS=1  # numpy's thread pool buys nothing here and the machine is shared
# the tests run inside mutants/, whose ../shared/seeds is not the repository's: name the seeds' folder
export CYPLAN_SEEDS=${CYPLAN_SEEDS:-$(cd .. && pwd)/shared/seeds}
if [ $# -gt 0 ]; then
    modules=("$@")
else
    # the disclosure and the figures people quote first; services.py (the rating) last: it has the most mutants
    modules=(model/disclosure model/uncertainty model/supply model/gap model/need model/demand model/arrays
             returns/classify reference/codelists returns/equality returns/quality returns/service
             model/simulate model/plan model/scenarios model/activity model/build returns/stage returns/store
             model/services)
fi
mkdir -p mutants
"$BIN/mutmut" run --max-children 1 "cyplan.returns.fields.*" > mutants/mutmut-run.log 2>&1 || {
    tail -c 3000 mutants/mutmut-run.log; exit 1; }
for module in "${modules[@]}"; do
    start=$(date +%s)
    "$BIN/python" scripts/mutate_fast.py "cyplan.${module//\//.}.*" > "mutants/run-${module//\//-}.log" 2>&1 || {
        tail -n 20 "mutants/run-${module//\//-}.log"; exit 1; }
    echo "$module $(( $(date +%s) - start )) s" | tee -a mutants/times.txt
done
"$BIN/python" scripts/mutation_score.py
