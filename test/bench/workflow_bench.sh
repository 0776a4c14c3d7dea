#!/usr/bin/env bash
# Workflows against plain triggers (issue 15), on one throwaway cluster
# (jobs.max_workers = 4), time from the trigger to the last step's end:
#   fan-out: a workflow of FAN independent steps, against FAN jobs.trigger
#            calls of the same job in one transaction;
#   chain:   a workflow of CHAIN steps each after the one before, against a
#            client that triggers the job and waits for it (jobs.wait),
#            CHAIN times in a row, in one psql session.
# Every step runs the same SQL job (SELECT 1). Times come from the rows:
# from the workflow run's queued_at (the plain runs' first queued_at) to the
# latest finished_at of its steps (of the plain runs). Prints medians over
# RUNS runs and the ratio workflow / plain.
#
#   test/bench/workflow_bench.sh [--quick]
#       --quick (or PG_JOBS_BENCH_QUICK=1): FAN = 100, CHAIN = 20, RUNS = 1.
#       Default: FAN = 1000, CHAIN = 100, RUNS = 3. FAN, CHAIN, RUNS override.
# Exits 0 whatever the figures; non-zero only when something errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/bench.sh
source test/lib/bench.sh

bench_args "$@"
if ((quick)); then
    FAN="${FAN:-100}" CHAIN="${CHAIN:-20}" RUNS="${RUNS:-1}"
else
    FAN="${FAN:-1000}" CHAIN="${CHAIN:-100}" RUNS="${RUNS:-3}"
fi

scheduler_start workflow_bench "jobs.max_workers = 4" "jobs.max_running_per_owner = 4" "jobs.history_per_job = 0" \
    "max_worker_processes = 16"
cluster_psql -o /dev/null <<SQL
SELECT jobs.schedule('noop', NULL, 'SELECT 1');
SELECT jobs.schedule_workflow('fan', NULL,
    (SELECT jsonb_agg(jsonb_build_object('step', 's' || i, 'job', 'noop')) FROM generate_series(1, $FAN) AS i));
SELECT jobs.schedule_workflow('chain', NULL,
    (SELECT jsonb_agg(jsonb_build_object('step', 's' || i, 'job', 'noop',
                                         'after', CASE WHEN i > 1 THEN jsonb_build_array('s' || (i - 1)) ELSE '[]' END))
     FROM generate_series(1, $CHAIN) AS i));
SQL

# Seconds from the workflow run's queueing to its last step's end.
workflow_seconds() {
    local run
    run="$(value "SELECT jobs.trigger('$1')")"
    [[ "$(value "SELECT status FROM jobs.wait($run, interval '10 minutes')")" == succeeded ]] ||
        error "workflow run $run of $1 did not succeed"
    value "SELECT round(extract(epoch FROM (SELECT max(s.finished_at) FROM jobs.job_execution AS s
                                            WHERE s.workflow_execution_id = $run) - w.queued_at)::numeric, 3)
           FROM jobs.job_execution AS w WHERE w.execution_id = $run"
}
# Seconds from the first plain run's queueing to the last one's end; runs
# after execution_id $1.
plain_seconds() {
    local after="$1" count="$2"
    wait_for 600 holds "SELECT count(*) = $count FROM jobs.job_execution WHERE execution_id > $after
                          AND job_name = 'noop' AND status = 'succeeded'" || error "the $count plain runs succeed"
    value "SELECT round(extract(epoch FROM max(finished_at) - min(queued_at))::numeric, 3) FROM jobs.job_execution
           WHERE execution_id > $after AND job_name = 'noop'"
}
last_id() { value "SELECT coalesce(max(execution_id), 0) FROM jobs.job_execution"; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

chain_script="$(mktemp /tmp/pg_jobs-workflow-bench.XXXXXX)"
cluster_on_exit "rm -f '$chain_script'"  # a plain trap would replace the cluster's and leave it running
for ((i = 0; i < CHAIN; i++)); do
    echo "SELECT jobs.trigger('noop') AS id \\gset"
    echo "SELECT (jobs.wait(:id, interval '1 minute')).status \\g /dev/null"
done >"$chain_script"
chmod 644 "$chain_script"

fan_wf=() fan_plain=() chain_wf=() chain_plain=()
for ((run = 1; run <= RUNS; run++)); do
    fan_wf+=("$(workflow_seconds fan)")
    start="$(last_id)"
    value "SELECT count(jobs.trigger('noop')) FROM generate_series(1, $FAN)" >/dev/null
    fan_plain+=("$(plain_seconds "$start" "$FAN")")
    chain_wf+=("$(workflow_seconds chain)")
    start="$(last_id)"
    cluster_psql -o /dev/null -f "$chain_script"
    chain_plain+=("$(plain_seconds "$start" "$CHAIN")")
    echo "workflow_bench: run $run: fan-out $FAN: workflow ${fan_wf[-1]} s, plain ${fan_plain[-1]} s;" \
        "chain $CHAIN: workflow ${chain_wf[-1]} s, plain ${chain_plain[-1]} s" >&2
done

fw="$(echo "${fan_wf[*]}" | median)" fp="$(echo "${fan_plain[*]}" | median)"
cw="$(echo "${chain_wf[*]}" | median)" cp="$(echo "${chain_plain[*]}" | median)"
echo "workflow_bench (medians of $RUNS, jobs.max_workers = 4, trigger to last step's end):"
printf '  fan-out of %5d steps: workflow %8.3f s, plain triggers %8.3f s, ratio %.2f\n' "$FAN" "$fw" "$fp" \
    "$(awk -v a="$fw" -v b="$fp" 'BEGIN { print (b > 0 ? a / b : 0) }')"
printf '  chain of   %5d steps: workflow %8.3f s, trigger+wait    %8.3f s, ratio %.2f\n' "$CHAIN" "$cw" "$cp" \
    "$(awk -v a="$cw" -v b="$cp" 'BEGIN { print (b > 0 ? a / b : 0) }')"
