#!/usr/bin/env bash
# The start gate (core/start_gate.hpp): one owner's workers start runs at
# most as many at once as there are CPUs, and a run that goes on past a few
# milliseconds no longer counts, so long runs still run side by side.
# The cluster runs on one CPU (taskset), so the gate lets one worker in:
#   - 300 jobs of one role due at the same second (short runs, an INSERT
#     each): all succeed, and almost none overlaps another run (without the
#     gate, its 7 workers take turns on the CPU and most runs overlap);
#   - 4 triggered runs of pg_sleep(30): all 4 run at once.
#
#   test/integration/scheduler_start_gate.sh   (needs pg_jobs installed: make install)
#
# Prints "ok - ..." per check; exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
source test/lib/cluster.sh
# shellcheck source=test/lib/scheduler.sh
source test/lib/scheduler.sh
# shellcheck source=test/lib/bench.sh
source test/lib/bench.sh

bench_cluster_start scheduler_start_gate --burst "jobs.max_workers = 8"
# The postmaster and what it has started so far; later workers inherit it.
postmaster="$(cluster_pid)"
for pid in "$postmaster" $(pgrep -P "$postmaster"); do
    taskset -p -c 0 "$pid" >/dev/null
done
cluster_psql -o /dev/null -c "CREATE ROLE alice LOGIN" -c "GRANT USAGE ON SCHEMA jobs TO alice" \
    -c "GRANT INSERT ON public.sink TO alice"

n=300
due="$(PGUSER=alice bench_create_burst "$n")"
runs="FROM jobs.job_execution WHERE scheduled_for = '$due'::timestamptz AND job_name LIKE 'burst\\_%'"
wait_until 120 "SELECT count(*) = $n $runs AND status = 'succeeded'" ||
    fail "all $n runs of the burst succeed ($(value "SELECT string_agg(status || ':' || c, ', ')
                                                      FROM (SELECT status, count(*) AS c $runs GROUP BY 1) s"))"
overlapping="$(value "SELECT count(*) $runs AND EXISTS (
                          SELECT FROM jobs.job_execution AS o
                          WHERE o.scheduled_for = job_execution.scheduled_for AND o.job_name LIKE 'burst\\_%'
                            AND o.execution_id <> job_execution.execution_id
                            AND o.started_at < job_execution.finished_at
                            AND job_execution.started_at < o.finished_at)")"
workers="$(value "SELECT count(DISTINCT worker_pid) $runs")"
((overlapping <= n / 10)) ||
    fail "on one CPU, at most 1 in 10 of the burst's short runs overlaps another ($overlapping of $n do, $workers workers ran them)"
pass "a burst of $n short runs on one CPU: $overlapping overlap another ($workers worker(s) ran them)"

value "SELECT jobs.schedule('sleeper', NULL, 'SELECT pg_sleep(30)', overlap => 'allow', max_concurrent => 4)" >/dev/null
value "SELECT count(jobs.trigger('sleeper')) FROM generate_series(1, 4)" >/dev/null
wait_until 60 "SELECT count(*) = 4 FROM jobs.job_execution WHERE job_name = 'sleeper' AND status = 'running'" ||
    fail "4 long runs of one owner run at once on one CPU ($(value "SELECT count(*) FROM jobs.job_execution
                                                               WHERE job_name = 'sleeper' AND status = 'running'") running)"
pass "4 long runs of one owner run at once on one CPU"
# The sleepers end with the cluster (SIGTERM cancels their runs).
