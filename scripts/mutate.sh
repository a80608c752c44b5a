#!/usr/bin/env bash
# `make mutate`: mutation testing over the model (with disclosure), the referral returns and the code lists.
# 1. mutmut writes the mutants into mutants/ and records which tests reach which function (it also checks
#    returns/fields.py's one mutant, the cheapest way to make it do only that);
# 2. scripts/mutate_fast.py checks the mutants in one pytest session per shard (why: its docstring), each
#    mutant against the tests that execute the lines it changes; SHARDS processes (2 unless set) split the
#    mutants by function, each logging to mutants/run-I.log;
# 3. scripts/mutation_ledger.py saves the verdicts into docs/mutation-verdicts.json, which is committed (a
#    fresh mutants/ is first filled from it, so a run goes on from the last one kept, on any machine);
# 4. scripts/mutation_score.py prints killed / total per module and package.
# classify._sql's mutants are left unchecked (AT_IMPORT in mutate_fast.py; docs/testing.md says why).
# `scripts/mutate.sh model/gap returns/quality` checks just those modules; options for mutate_fast.py pass
# through (`scripts/mutate.sh --survivors model/gap`). mutants/ is kept between runs (mutmut makes again
# only what changed, and a run checks only the mutants not checked yet); delete it and the ledger to start
# afresh. Stop a
# run with SIGTERM to the mutate_fast.py processes: each saves what it has checked.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export OPENBLAS_NUM_THREADS=1  # numpy's thread pool buys nothing here and the machine is shared
# the tests run inside mutants/, whose ../shared/seeds is not the repository's: name the seeds' folder
export CYPLAN_SEEDS=${CYPLAN_SEEDS:-$(cd .. && pwd)/shared/seeds}
SHARDS=${SHARDS:-2}
options=() modules=()
for arg in "$@"; do
    case $arg in --*) options+=("$arg") ;; *) modules+=("$arg") ;; esac
done
patterns=()
if [ ${#modules[@]} -gt 0 ]; then
    for module in "${modules[@]}"; do patterns+=("cyplan.${module//\//.}.*"); done
else
    # the disclosure and the figures people quote first; services.py (the rating) late: it has the most
    # mutants; then every other module mutmut mutated
    for module in model/disclosure model/uncertainty model/supply model/gap model/need model/demand model/arrays \
                  returns/classify reference/codelists returns/equality returns/quality returns/service \
                  model/simulate model/plan model/scenarios model/activity model/build returns/stage returns/store \
                  model/services; do
        patterns+=("cyplan.${module//\//.}.*")
    done
    patterns+=("cyplan.*")
fi
mkdir -p mutants
# mutmut copies src/'s other files (the web templates the page tests render) only when it first makes
# mutants/src, and keeps them while the Python is unchanged: copy the current ones over them
if [ -d mutants/src ]; then
    (cd src && find . -type f ! -name '*.py' ! -path '*/__pycache__/*' -exec cp --parents {} ../mutants/src/ \;)
fi
"$BIN/python" scripts/mutation_ledger.py restore
"$BIN/mutmut" run --max-children 1 "cyplan.returns.fields.*" > mutants/mutmut-run.log 2>&1 || {
    tail -c 3000 mutants/mutmut-run.log; exit 1; }
# with no options a run carries on where the last one stopped: only the mutants never checked (--rest); delete
# mutants/ to check every one again, or give --survivors to check again those not killed
[ ${#options[@]} -eq 0 ] && options=(--rest)
# a shard whose process ended while checking a mutant (a crash, or a test that stalled: its marker file is left,
# see mutate_fast.py's _interrupted) is started again, up to 20 times
shard() {
    local i=$1 marker="mutants/checking-$1-of-$SHARDS.txt" tries=0 rc
    while true; do
        rc=0
        "$BIN/python" scripts/mutate_fast.py --shard="$i/$SHARDS" "${options[@]}" "${patterns[@]}" \
            >> "mutants/run-$i.log" 2>&1 || rc=$?
        [ -e "$marker" ] && [ $((tries += 1)) -le 20 ] || return $rc
        echo "  shard $i ended while checking $(head -n 1 "$marker") (exit code $rc): started again" >> "mutants/run-$i.log"
    done
}
pids=()
for i in $(seq 1 "$SHARDS"); do
    : > "mutants/run-$i.log"
    shard "$i" &
    pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { failed=1; tail -n 20 "mutants/run-$((i + 1)).log"; }
done
"$BIN/python" scripts/mutation_ledger.py save
"$BIN/python" scripts/mutation_score.py
exit $failed
