// The SQL that applies the per-job run policies (see core/run_policies.hpp)
// where runs are queued and claimed, kept set-based: one statement per batch
// of due runs, one extra index probe or two per claim.
//  - overlap: decided when the launcher queues a scheduled run, from the
//    job's unfinished runs (job_execution_active_by_job); and at claim time
//    a scheduled run of a job whose overlap is not 'allow' waits until every
//    earlier run of the job has finished, so queued runs of one job never
//    run side by side (workers would otherwise run them concurrently).
//  - starting_deadline: a scheduled run already past it when queued, or
//    when a worker would start it, is recorded 'skipped'.
//  - max_runs and one-shot jobs (run_at): the job disables itself in the
//    transaction that queues its last run, and tells the launcher's agenda.
//  - skipped fire times: consecutive ones of a job share one 'skipped' row
//    (skipped_count), so a job that cannot keep up writes no row a second.
//  - jobs.max_payload_size: a queued run whose payload (or HTTP body) is
//    larger fails at its claim, alone, before its context is built.
#pragma once
#include "pg/store/run_lifecycle_sql.hpp"

namespace pg_jobs::pg {

// $1 bigint[] job ids, $2 timestamptz[] fire times, $3 boolean catch-up
// (misfire catch-up runs: queued whatever the overlap policy, they wait for
// the earlier runs at claim time). Returns one row: runs queued, runs
// replaced, jobs disabled, waits woken.
inline constexpr const char* kQueueScheduledRunsSql =
    "WITH due AS ("
    "  SELECT j.job_id, j.job_name, j.owner, j.database, j.command, j.kind, d.fire_time, $3::boolean AS "
    "catch_up, "
    "    j.overlap, j.max_concurrent, j.starting_deadline, j.max_runs, j.schedule IS NULL AS one_shot, "
    "    a.running, a.waiting, a.running_id, a.running_since, a.waiting_id, j.priority, j.blackout, "
    // opts (issue 15): the end of the blackout the fire time falls in (NULL:
    // none); a deferred run is queued for that time, once (the unique index
    // on scheduled_for merges the fire times of one blackout).
    "    CASE WHEN j.blackout IS NOT NULL THEN jobs_internal._blackout_end(j.blackout, j.timezone, d.fire_time) END "
    "      AS blackout_end, j.blackout_policy, a.queued_for, "
    "    row_number() OVER (PARTITION BY j.job_id ORDER BY d.fire_time) AS nth, "
    // Scheduled runs since the job was last defined, changed or enabled.
    "    CASE WHEN j.max_runs IS NOT NULL THEN (SELECT count(*) FROM jobs.job_execution AS r "
    "      WHERE r.job_id = j.job_id AND r.triggered_by = 'schedule' AND r.status <> 'skipped' "
    "        AND r.queued_at >= j.updated_at) END AS runs_so_far "
    "  FROM unnest($1::bigint[], $2::timestamptz[]) AS d(job_id, fire_time) "
    "  JOIN jobs.scheduled_job AS j ON j.job_id = d.job_id "
    "  CROSS JOIN LATERAL ("
    "    SELECT count(*) FILTER (WHERE r.status = 'running') AS running, "
    "      count(*) FILTER (WHERE r.status = 'queued') AS waiting, "
    "      min(r.execution_id) FILTER (WHERE r.status = 'running') AS running_id, "
    "      min(r.started_at) FILTER (WHERE r.status = 'running') AS running_since, "
    "      min(r.execution_id) FILTER (WHERE r.status = 'queued') AS waiting_id, "
    "      max(r.scheduled_for) FILTER (WHERE r.status = 'queued' AND r.triggered_by = 'schedule') AS queued_for "
    "    FROM jobs.job_execution AS r WHERE r.job_id = j.job_id AND r.status IN ('queued', 'running')) AS a "
    "  WHERE j.enabled AND (j.schedule IS NOT NULL OR j.run_at = d.fire_time)), "
    "decided AS ("
    "  SELECT due.*, coalesce(due.runs_so_far + due.nth > due.max_runs, false) AS over_limit, "
    // The policies are SQL functions of their own (tested case by case in
    // test/pgtap/run_policies.sql), inlined here.
    "    CASE WHEN due.blackout_end IS NOT NULL AND due.blackout_policy = 'defer' THEN due.blackout_end END "
    "      AS defer_to, "
    "    CASE "
    "      WHEN due.blackout_end IS NOT NULL AND due.blackout_policy = 'skip' THEN "
    "        format('skipped: %s is in the blackout \"%s\" (blackout_policy skip)', due.fire_time, due.blackout) "
    "      WHEN due.blackout_end IS NOT NULL AND due.queued_for = due.blackout_end THEN "
    "        format('skipped: %s is in the blackout \"%s\", and a run deferred to its end (%s) is queued "
    "already (blackout_policy defer)', due.fire_time, due.blackout, due.blackout_end) "
    "      WHEN jobs_internal._missed_starting_deadline(due.fire_time, due.starting_deadline, clock_timestamp()) THEN "
    "        format('skipped: missed its starting deadline of %s (scheduled for %s)', "
    "               due.starting_deadline, due.fire_time) "
    "      WHEN due.catch_up THEN NULL "
    "      ELSE jobs_internal._overlap_skip_reason(due.overlap, due.max_concurrent, due.running, due.waiting, "
    "        due.running_id, due.running_since, due.waiting_id) "
    "    END AS skip_reason "
    "  FROM due), "
    // Skipped fire times are one row per run of them: a job whose due times
    // in this batch are all skipped gets one row with their count, or adds
    // them to its latest row if that is a skipped one already (a job
    // skipping every second of a long run writes one row, not one a second).
    // (Only skipped rows are looked at: a burst of due runs pays nothing.)
    "skips AS ("
    "  SELECT DISTINCT ON (d.job_id) d.*, count(*) OVER (PARTITION BY d.job_id)::integer AS n, "
    "    d.fire_time AS last_time, d.skip_reason AS reason "
    "  FROM decided AS d WHERE NOT d.over_limit AND d.skip_reason IS NOT NULL "
    "    AND NOT EXISTS (SELECT FROM decided AS o WHERE o.job_id = d.job_id AND NOT o.over_limit "
    "      AND o.skip_reason IS NULL) "
    "  ORDER BY d.job_id, d.fire_time DESC), "
    "skip_rows AS ("
    "  SELECT s.*, coalesce(l.status = 'skipped' AND l.triggered_by = 'schedule', false) AS add_to_last, "
    "    l.execution_id AS last_id "
    "  FROM skips AS s "
    "  LEFT JOIN LATERAL (SELECT r.execution_id, r.status, r.triggered_by FROM jobs.job_execution AS r "
    "    WHERE r.job_id = s.job_id ORDER BY r.execution_id DESC LIMIT 1) AS l ON true "
    // A fire time recorded already (queued again after a launcher crash).
    "  WHERE NOT EXISTS (SELECT FROM jobs.job_execution AS x WHERE x.job_id = s.job_id "
    "    AND x.triggered_by = 'schedule' AND x.scheduled_for = s.last_time)), "
    "coalesced AS ("
    "  UPDATE jobs.job_execution AS r "
    "  SET skipped_count = coalesce(r.skipped_count, 1) + s.n, scheduled_for = s.last_time, "
    "    finished_at = clock_timestamp(), error = s.reason "
    "  FROM skip_rows AS s WHERE s.add_to_last AND r.execution_id = s.last_id AND r.status = 'skipped' "
    "  RETURNING r.execution_id), "
    "inserted AS ("
    "  INSERT INTO jobs.job_execution (job_id, job_name, owner, owner_name, database, command, kind, "
    "    triggered_by, scheduled_for, status, finished_at, error, skipped_count, not_before, priority) "
    "  SELECT * FROM ("
    "    SELECT d.job_id, d.job_name, d.owner, pg_get_userbyid(d.owner), d.database, d.command, d.kind, "
    "      'schedule', coalesce(d.defer_to, d.fire_time), "
    "      CASE WHEN d.skip_reason IS NULL THEN 'queued' ELSE 'skipped' END, "
    "      CASE WHEN d.skip_reason IS NOT NULL THEN clock_timestamp() END, d.skip_reason, "
    "      CASE WHEN d.skip_reason IS NOT NULL THEN 1 END, "
    // Queued ahead of its fire time (kQueueAheadUs): no claim starts it
    // before then.
    "      CASE WHEN d.skip_reason IS NULL AND coalesce(d.defer_to, d.fire_time) > clock_timestamp() "
    "        THEN coalesce(d.defer_to, d.fire_time) END, d.priority "
    "    FROM decided AS d "
    "    WHERE NOT d.over_limit AND NOT EXISTS (SELECT FROM skips AS s WHERE s.job_id = d.job_id) "
    "    UNION ALL "
    "    SELECT s.job_id, s.job_name, s.owner, pg_get_userbyid(s.owner), s.database, s.command, s.kind, "
    "      'schedule', s.last_time, 'skipped', clock_timestamp(), s.reason, s.n, NULL::timestamptz, s.priority "
    "    FROM skip_rows AS s WHERE NOT s.add_to_last) AS u(job_id, job_name, owner, owner_name, database, "
    "      command, kind, triggered_by, scheduled_for, status, finished_at, error, skipped_count, "
    "      not_before, priority) "
    "  ORDER BY u.scheduled_for, u.job_id "  // catch-ups: oldest first
    "  ON CONFLICT (job_id, scheduled_for) WHERE triggered_by = 'schedule' DO NOTHING "
    "  RETURNING execution_id, job_id, status), "
    // overlap replace: the job's unfinished runs make way for the new one
    // (the statement's snapshot does not see it), locked so no worker claims
    // or finishes them meanwhile. A queued one ends now (jobs_internal._finish_runs,
    // as every run that ends); a running one is interrupted at commit and
    // recorded cancelled with this error by its worker.
    "to_replace AS ("
    "  SELECT r.execution_id, r.status, r.kind, pg_get_userbyid(r.owner) AS by_role, "
    "    format('replaced by run %s (overlap replace)', i.execution_id) AS reason "
    "  FROM inserted AS i, jobs.scheduled_job AS j, jobs.job_execution AS r "
    "  WHERE i.status = 'queued' AND j.job_id = i.job_id AND j.overlap = 'replace' "
    // Only the runs of the batch's 'replace' jobs are looked at, through the
    // index (job_id = ANY of an array computed once): a plan that scans the
    // unfinished runs against every run just queued costs their product,
    // seconds when thousands are queued at once.
    "    AND r.job_id = ANY (ARRAY(SELECT d.job_id FROM decided AS d WHERE d.overlap = 'replace' "
    "      AND d.skip_reason IS NULL AND NOT d.over_limit)) "
    "    AND r.job_id = i.job_id AND r.status IN " PG_JOBS_UNFINISHED_STATUSES_SQL " FOR UPDATE OF r), "
    "interrupted AS ("
    "  UPDATE jobs.job_execution AS r SET error = t.reason, cancel_requested_by = t.by_role "
    "  FROM to_replace AS t WHERE r.execution_id = t.execution_id AND t.status = 'running' "
    "  RETURNING jobs_internal._request_cancel(r.execution_id, r.kind)), "
    "ended AS ("
    "  SELECT CASE WHEN count(*) = 0 THEN 0 ELSE "
    PG_JOBS_FINISH_RUNS_CALL_SQL("'queued'", "array_agg(t.execution_id)", "'{cancelled}'",
                                 ", errors => array_agg(t.reason), sqlstates => '{57014}', "
                                 "cancelled_by => array_agg(t.by_role)") " END AS n "
    "  FROM to_replace AS t WHERE t.status = 'queued'), "
    "woken AS ("  // wakes jobs.wait at commit
    "  SELECT jobs_internal._request_cancel(t.execution_id, 'queued') FROM to_replace AS t WHERE t.status = 'queued'), "
    "disabled AS ("
    "  UPDATE jobs.scheduled_job AS j SET enabled = false, "
    "    disabled_reason = CASE WHEN d.one_shot THEN 'one-shot run done' "
    "      ELSE format('max_runs (%s) reached', d.max_runs) END "
    "  FROM decided AS d "
    "  WHERE j.job_id = d.job_id AND j.enabled AND (d.one_shot OR d.over_limit "
    "    OR (d.skip_reason IS NULL AND d.runs_so_far + d.nth >= d.max_runs)) "
    "  RETURNING jobs_internal._wake_scheduler(true, j.job_id)) "
    "SELECT (SELECT count(*) FROM inserted WHERE status = 'queued'), "
    "  (SELECT count(*) FROM interrupted) + (SELECT n FROM ended), "
    "  (SELECT count(*) FROM disabled), (SELECT count(*) FROM woken)";

// $1 bigint[] job ids, $2 timestamptz[] their end_at: jobs whose active
// window is over disable themselves (and tell the launcher's agenda).
inline constexpr const char* kEndJobWindowsSql =
    "UPDATE jobs.scheduled_job AS j "
    "SET enabled = false, disabled_reason = format('end_at %s passed', d.end_at) "
    "FROM unnest($1::bigint[], $2::timestamptz[]) AS d(job_id, end_at) "
    "WHERE j.job_id = d.job_id AND j.enabled AND j.end_at = d.end_at "
    "RETURNING jobs_internal._wake_scheduler(true, j.job_id)";

// $1 bigint[] job ids: one-shot jobs whose run_at passed while the
// scheduler was down (or the job disabled), with misfire 'skip'.
inline constexpr const char* kExpireOneShotsSql =
    "UPDATE jobs.scheduled_job AS j "
    "SET enabled = false, disabled_reason = format('one-shot run_at %s was missed (misfire skip)', j.run_at) "
    "WHERE j.job_id = ANY ($1) AND j.enabled AND j.schedule IS NULL "
    "RETURNING jobs_internal._wake_scheduler(true, j.job_id)";

// $1 bigint[] job ids, $2 text[] reasons: jobs the scheduler cannot run
// (issue 10, points 13-14) disable themselves with the reason.
inline constexpr const char* kDisableBrokenJobsSql =
    "UPDATE jobs.scheduled_job AS j "
    "SET enabled = false, disabled_reason = d.reason, updated_at = now() "
    "FROM unnest($1::bigint[], $2::text[]) AS d(job_id, reason) "
    "WHERE j.job_id = d.job_id AND j.enabled "
    "RETURNING jobs_internal._wake_scheduler(true, j.job_id)";

// The condition on a queued run `q` that it may start now as far as its
// job's overlap policy goes: a scheduled run of a job whose overlap is not
// 'allow' waits until the job's earlier runs have finished. Two probes of
// job_execution_active_by_job and the job's primary key.
#define PG_JOBS_MAY_START_SQL                                                         \
    "NOT (q.triggered_by = 'schedule' "                                               \
    "  AND EXISTS (SELECT FROM jobs.job_execution AS r WHERE r.job_id = q.job_id "    \
    "    AND r.status IN ('queued', 'running') AND r.execution_id < q.execution_id) " \
    "  AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = q.job_id AND j.overlap <> 'allow'))"

// The starting deadline of a queued run `q` (NULL: none), as column
// "deadline" of the claim's candidate `c`.
#define PG_JOBS_DEADLINE_COLUMN_SQL                                                                        \
    "CASE WHEN q.triggered_by = 'schedule' THEN (SELECT j.starting_deadline FROM jobs.scheduled_job AS j " \
    "  WHERE j.job_id = q.job_id) END AS deadline"
// Whether the role that owns queued run `q` is gone (dropped from another
// database than jobs.database, where DROP ROLE could not see its jobs), as
// column "owner_gone" of `c`, with its last known name from the job's
// history ("last_owner_name"): such a run fails instead of starting, and
// never runs as a role that takes the name later.
#define PG_JOBS_OWNER_GONE_COLUMNS_SQL                                                                     \
    "NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS o WHERE o.oid = q.owner) AS owner_gone, "              \
    "CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS o WHERE o.oid = q.owner) THEN "              \
    "  (SELECT h.owner_name FROM jobs.job_execution AS h WHERE h.job_id = q.job_id AND h.owner = q.owner " \
    "     AND h.owner_name NOT LIKE 'unknown (OID=%' ORDER BY h.execution_id DESC LIMIT 1) "               \
    "END AS last_owner_name"
// The same two columns for a claim whose caller has just checked the owner
// (check_owner_access: the SQL worker before each claim, the launcher before
// it hands runs to workers in other databases): no catalog probe per claim.
// A role dropped in between fails the run when it starts ("role ... does not
// exist", job_runner.cpp), and never runs as another role.
#define PG_JOBS_OWNER_CHECKED_COLUMNS_SQL "false AS owner_gone, NULL::name AS last_owner_name"
// Why queued run `q` cannot start at all (jobs_internal._payload_refusal: a payload
// or HTTP body, the SQL expression `config`, larger than
// jobs.max_payload_size), as column "refusal" of the candidate `c`; NULL if
// it can. Such a run fails alone instead of making the claim fail.
#define PG_JOBS_REFUSAL_COLUMN_SQL(config) "jobs_internal._payload_refusal(q.payload, " config ") AS refusal"
// The candidate `c` of a claim: `selected` (a SELECT of queued runs `q`
// with columns execution_id, scheduled_for and the four above, limited and
// locked), plus whether each is past its deadline (column "late", the SQL
// function inlined). Computed once per run here, not in each SET item that
// asks: the claim's plan then initializes in less time, which is time
// before a triggered run starts.
#define PG_JOBS_CLAIM_CANDIDATE_SQL(selected)                                                              \
    "SELECT x.*, jobs_internal._missed_starting_deadline(x.scheduled_for, x.deadline, clock_timestamp()) " \
    "AS late "                                                                                             \
    "FROM (" selected ") AS x"
// Whether claimed run `e` is past that deadline.
#define PG_JOBS_LATE_SQL "c.late"
// Whether claimed run `e` does not start: too late, its owner is gone, or
// its payload is refused.
#define PG_JOBS_NOT_STARTED_SQL "(" PG_JOBS_LATE_SQL " OR c.owner_gone OR c.refusal IS NOT NULL)"
// Whether it fails because its owner is gone.
#define PG_JOBS_OWNER_GONE_SQL "(c.owner_gone AND NOT " PG_JOBS_LATE_SQL ")"
// Whether it fails because its payload is refused (said after the others).
#define PG_JOBS_REFUSED_SQL "(c.refusal IS NOT NULL AND NOT c.owner_gone AND NOT " PG_JOBS_LATE_SQL ")"
// The SET clause of a claim of run `e` by `worker_pid` (an SQL expression):
// 'running'; or 'skipped' with the reason when it is too late to start;
// or 'failed' when its owner no longer exists (42704) or its payload is
// larger than jobs.max_payload_size (54000).
#define PG_JOBS_CLAIM_SET_SQL(worker_pid)                                                                    \
    "status = CASE WHEN " PG_JOBS_LATE_SQL                                                                   \
    " THEN 'skipped' WHEN c.owner_gone OR c.refusal IS NOT NULL THEN 'failed' "                              \
    "ELSE 'running' END, "                                                                                   \
    "started_at = CASE WHEN " PG_JOBS_NOT_STARTED_SQL                                                        \
    " THEN NULL ELSE clock_timestamp() END, "                                                                \
    "finished_at = CASE WHEN " PG_JOBS_NOT_STARTED_SQL                                                       \
    " THEN clock_timestamp() END, "                                                                          \
    "worker_pid = CASE WHEN " PG_JOBS_NOT_STARTED_SQL " THEN NULL ELSE " worker_pid                          \
    " END, "                                                                                                 \
    "skipped_count = CASE WHEN " PG_JOBS_LATE_SQL                                                            \
    " THEN 1 END, "                                                                                          \
    "error = CASE WHEN " PG_JOBS_LATE_SQL                                                                    \
    " THEN format('skipped: missed its starting deadline of %s "                                             \
    "(scheduled for %s, no worker was free in time)', c.deadline, e.scheduled_for) "                         \
    "WHEN c.owner_gone THEN format('the owner of job \"%s\" no longer exists (role OID %s%s)', e.job_name, " \
    "  e.owner::oid, ', last known as \"' || c.last_owner_name || '\"') "                                    \
    "WHEN c.refusal IS NOT NULL THEN c.refusal END, "                                                        \
    "sqlstate = CASE WHEN " PG_JOBS_OWNER_GONE_SQL " THEN '42704' WHEN " PG_JOBS_REFUSED_SQL                 \
    " THEN '54000' ELSE e.sqlstate END, "                                                                    \
    "error_detail = CASE WHEN " PG_JOBS_OWNER_GONE_SQL                                                       \
    " THEN 'The role was dropped from another database "                                                     \
    "than jobs.database, where its jobs stayed. A superuser can remove the job with "                        \
    "jobs.unschedule(job_id) "                                                                               \
    "or give it to a role with UPDATE jobs.scheduled_job SET owner = ''role''.' ELSE e.error_detail END, "   \
    "owner_name = CASE WHEN " PG_JOBS_OWNER_GONE_SQL                                                         \
    " THEN coalesce(c.last_owner_name, e.owner_name) "                                                       \
    "ELSE e.owner_name END "

}  // namespace pg_jobs::pg
