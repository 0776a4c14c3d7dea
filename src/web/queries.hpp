// pg_jobs_web: the SQL the dashboard runs, through the extension's SQL API
// only (views jobs.job_status and jobs.job_history, tables it may read under
// row level security, and jobs.* functions). Every statement answers one JSON
// document, and runs on the signed-in role's own connection.
#pragma once

namespace pg_jobs_web::sql {

// The jobs page's filters: each is added only when asked for, with its value
// as the next parameter ("?" becomes $n).
inline constexpr const char* jobs_filter_q =
    "(j.job_name ILIKE '%' || ? || '%' OR j.schedule ILIKE '%' || ? || '%')";
inline constexpr const char* jobs_filter_owner = "pg_catalog.pg_get_userbyid(j.owner) = ?";
inline constexpr const char* jobs_filter_kind = "j.kind = ?";
inline constexpr const char* jobs_filter_tag = "? = ANY (j.tags)";
inline constexpr const char* jobs_filter_enabled = "j.enabled";
inline constexpr const char* jobs_filter_disabled = "NOT j.enabled";
inline constexpr const char* jobs_filter_running =
    "EXISTS (SELECT FROM jobs.job_execution AS e WHERE e.job_id = j.job_id AND e.status = 'running')";
inline constexpr const char* jobs_filter_never =
    "NOT EXISTS (SELECT FROM jobs.job_execution AS e WHERE e.job_id = j.job_id AND e.started_at IS NOT NULL)";
// The status of each job's latest started run, as jobs.job_status says it:
// its latest finished run (jobs.job_last_run, kept as runs end, through its
// status index), unless a run with a higher execution_id is running.
#define PG_JOBS_WEB_RUNNING_JOBS                                                       \
    "(SELECT r.job_id, max(r.execution_id) AS running_id FROM jobs.job_execution AS r" \
    " WHERE r.status = 'running' GROUP BY r.job_id)"
inline constexpr const char* jobs_filter_last_status =
    "j.job_id IN (SELECT l.job_id FROM jobs.job_last_run AS l LEFT JOIN " PG_JOBS_WEB_RUNNING_JOBS
    " AS r ON r.job_id = l.job_id WHERE l.status = ? AND (r.running_id IS NULL OR r.running_id < "
    "l.execution_id))";
#undef PG_JOBS_WEB_RUNNING_JOBS
// The jobs of one page ({PAGE} of jobs_page), with their columns.
#define PG_JOBS_WEB_PAGE_COLUMNS                                                                         \
    " j.job_id, j.job_name, j.owner, j.kind, j.schedule, j.timezone, j.enabled, j.database, j.http_url," \
    " j.updated_at, j.tags, j.description"
// {WHERE}, {ORDER} (a whitelisted column list), {LIMIT} and {OFFSET} (numbers).
inline constexpr const char* jobs_page_rows = "SELECT" PG_JOBS_WEB_PAGE_COLUMNS
                                              " FROM jobs.scheduled_job AS j WHERE {WHERE}"
                                              " ORDER BY {ORDER} LIMIT {LIMIT} OFFSET {OFFSET}";
// Sorted by last status ({DIR}: empty or " DESC"; jobs never run last), as
// jobs.job_status says it, without reading every job's: the first {N}
// (LIMIT + OFFSET) of the jobs whose latest finished run is their latest
// started one, through the status index of jobs.job_last_run; the jobs whose
// latest started run is running (few); and the jobs never run, looked for
// only when the others are fewer than {N} (the last pages).
#define PG_JOBS_WEB_NEWER_RUNNING(job, after)                           \
    "EXISTS (SELECT FROM jobs.job_execution AS r WHERE r.job_id = " job \
    " AND r.status = 'running'"                                         \
    " AND r.execution_id > " after ")"
#define PG_JOBS_WEB_FINISHED_LAST                                                      \
    " FROM jobs.job_last_run AS l JOIN jobs.scheduled_job AS j ON j.job_id = l.job_id" \
    " WHERE {WHERE} AND NOT " PG_JOBS_WEB_NEWER_RUNNING(                               \
        "l.job_id", "l.execution_id") " ORDER BY l.status{DIR}, l.job_id{DIR} LIMIT {N}"
#define PG_JOBS_WEB_RUNNING_LAST                                                                           \
    " FROM jobs.scheduled_job AS j WHERE {WHERE} AND j.job_id IN (SELECT r.job_id FROM jobs.job_execution" \
    " AS r LEFT JOIN jobs.job_last_run AS l ON l.job_id = r.job_id"                                        \
    " WHERE r.status = 'running' AND r.execution_id > coalesce(l.execution_id, 0))"
inline constexpr const char* jobs_page_rows_by_last_status =
    "SELECT" PG_JOBS_WEB_PAGE_COLUMNS " FROM ("
    " (SELECT l.status AS last_status," PG_JOBS_WEB_PAGE_COLUMNS PG_JOBS_WEB_FINISHED_LAST ")"
    " UNION ALL"
    " (SELECT 'running'," PG_JOBS_WEB_PAGE_COLUMNS PG_JOBS_WEB_RUNNING_LAST ")"
    " UNION ALL"
    " (SELECT NULL," PG_JOBS_WEB_PAGE_COLUMNS " FROM jobs.scheduled_job AS j WHERE {WHERE}"
    "  AND NOT EXISTS (SELECT FROM jobs.job_last_run AS l WHERE l.job_id = j.job_id)"
    "  AND NOT " PG_JOBS_WEB_NEWER_RUNNING("j.job_id", "0") " ORDER BY j.job_id{DIR}"
    "  LIMIT greatest(0, {N} - (SELECT count(*) FROM (SELECT" PG_JOBS_WEB_FINISHED_LAST ") AS f)"
    "                       - (SELECT count(*)" PG_JOBS_WEB_RUNNING_LAST ")))"
    ") AS j ORDER BY j.last_status{DIR} NULLS LAST, j.job_id{DIR} LIMIT {LIMIT} OFFSET {OFFSET}";
#undef PG_JOBS_WEB_NEWER_RUNNING
#undef PG_JOBS_WEB_FINISHED_LAST
#undef PG_JOBS_WEB_RUNNING_LAST
#undef PG_JOBS_WEB_PAGE_COLUMNS

// {PAGE}: jobs_page_rows or jobs_page_rows_by_last_status; {WHERE}: the
// filters.
inline constexpr const char* jobs_page =
    "WITH page AS MATERIALIZED ({PAGE})"
    " SELECT json_build_object("
    "  'total', (SELECT count(*) FROM jobs.scheduled_job AS j WHERE {WHERE}),"
    "  'rows', coalesce((SELECT json_agg(row ORDER BY ord) FROM ("
    "    SELECT row_number() OVER () AS ord, json_build_object("
    "      'job_id', p.job_id, 'job_name', p.job_name, 'owner', pg_catalog.pg_get_userbyid(p.owner),"
    "      'kind', p.kind, 'schedule', p.schedule, 'timezone', p.timezone, 'enabled', p.enabled,"
    "      'database', p.database, 'http_url', p.http_url, 'tags', p.tags, 'description', p.description,"
    "      'describe', CASE WHEN p.schedule IS NOT NULL THEN jobs.describe(p.schedule, p.timezone) END,"
    "      'next_run_at', s.next_run_at, 'last_status', s.last_status, 'last_started_at', s.last_started_at,"
    "      'last_duration_ms', round(extract(epoch FROM s.last_duration) * 1000, 1),"
    "      'running', s.running, 'total_runs', s.total_runs, 'succeeded_runs', s.succeeded_runs,"
    "      'failed_runs', s.failed_runs, 'disabled_reason', s.disabled_reason,"
    "      'p95_ms', r.p95_ms, 'recent', r.recent) AS row"
    "    FROM page AS p"
    "    LEFT JOIN LATERAL (SELECT * FROM jobs.job_status AS s WHERE s.job_id = p.job_id OFFSET 0) AS s ON "
    "true"
    "    LEFT JOIN LATERAL ("
    "      SELECT round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t.ms)::numeric, 1) AS p95_ms,"
    "             json_agg(json_build_object('s', t.status, 'ms', round(t.ms::numeric, 1))"
    "                      ORDER BY t.execution_id) AS recent"
    "      FROM (SELECT e.execution_id, e.status, extract(epoch FROM e.duration) * 1000 AS ms"
    "            FROM jobs.job_execution AS e"
    "            WHERE e.job_id = p.job_id AND e.duration IS NOT NULL"
    "            ORDER BY e.execution_id DESC LIMIT 30) AS t) AS r ON true) AS x), '[]'::json))";

// $1 job_id
inline constexpr const char* job_detail =
    "SELECT CASE WHEN j.job_id IS NULL THEN NULL ELSE json_build_object("
    "  'job', (to_jsonb(j) - 'http_headers' - 'owner') || jsonb_build_object("
    "     'owner', pg_catalog.pg_get_userbyid(j.owner),"
    "     'http_headers', (SELECT jsonb_object_agg(h.key, CASE WHEN h.key ~* "
    "        '(authorization|cookie|token|key|secret|password|passwd|auth|signature)'"
    "        OR h.value::text ~ '\\{\\{secret:' THEN to_jsonb('***'::text) ELSE h.value END)"
    "        FROM jsonb_each(j.http_headers) AS h)),"
    "  'status', (SELECT to_json(s) FROM jobs.job_status AS s WHERE s.job_id = j.job_id),"
    "  'explain', (SELECT json_agg(x.reason) FROM jobs.explain(j.job_id) AS x),"
    "  'describe', CASE WHEN j.schedule IS NOT NULL THEN jobs.describe(j.schedule, j.timezone) END,"
    "  'next_runs', CASE WHEN j.enabled AND j.schedule IS NOT NULL THEN"
    "     (SELECT json_agg(r) FROM jobs.next_runs(j.schedule, 10,"
    "        greatest(now(), j.start_at - interval '1 microsecond'), j.timezone) AS r"
    "      WHERE j.end_at IS NULL OR r <= j.end_at) END,"
    "  'audit', (SELECT json_agg(a ORDER BY a.audit_id DESC) FROM ("
    "     SELECT audit_id, changed_at, changed_by, action, fields, old_values, new_values"
    "     FROM jobs.job_audit WHERE job_id = j.job_id ORDER BY audit_id DESC LIMIT 20) AS a),"
    "  'now', now()) END"
    " FROM (SELECT 1) AS one LEFT JOIN jobs.scheduled_job AS j ON j.job_id = $1::bigint";

// $1 job_id, $2 status, $3 since, $4 text search on the job's name; {WHERE}
inline constexpr const char* runs_where =
    "($1::bigint IS NULL OR e.job_id = $1::bigint) AND ($2::text IS NULL OR e.status = $2)"
    " AND ($3::timestamptz IS NULL OR e.queued_at >= $3::timestamptz)"
    " AND ($4::text IS NULL OR e.job_name ILIKE '%' || $4 || '%')";

// $5 limit, $6 offset. The total is counted up to 10,001.
inline constexpr const char* runs_page =
    "SELECT json_build_object("
    "  'total', (SELECT count(*) FROM (SELECT FROM jobs.job_execution AS e WHERE {WHERE} LIMIT 10001) AS c),"
    "  'rows', coalesce((SELECT json_agg(json_build_object("
    "      'execution_id', e.execution_id, 'job_id', e.job_id, 'job_name', e.job_name,"
    "      'owner', coalesce(pg_catalog.pg_get_userbyid(nullif(e.owner::oid, 0)), e.owner_name),"
    "      'status', e.status, 'triggered_by', e.triggered_by, 'scheduled_for', e.scheduled_for,"
    "      'queued_at', e.queued_at, 'started_at', e.started_at, 'finished_at', e.finished_at,"
    "      'duration_ms', round(extract(epoch FROM e.duration) * 1000, 1), 'attempt', e.attempt,"
    "      'error', e.error, 'sqlstate', e.sqlstate, 'http_status', e.http_status,"
    "      'skipped_count', e.skipped_count) ORDER BY e.execution_id DESC)"
    "    FROM (SELECT * FROM jobs.job_execution AS e WHERE {WHERE}"
    "          ORDER BY e.execution_id DESC LIMIT $5 OFFSET $6) AS e), '[]'::json))";

// $1 execution_id
inline constexpr const char* run_detail =
    "SELECT to_jsonb(e) - 'owner' || jsonb_build_object('owner',"
    "   coalesce(pg_catalog.pg_get_userbyid(nullif(e.owner::oid, 0)), e.owner_name),"
    "   'duration_ms', round(extract(epoch FROM e.duration) * 1000, 1))"
    " FROM jobs.job_execution AS e WHERE e.execution_id = $1::bigint";

inline constexpr const char* overview =
    "SELECT json_build_object("
    "  'now', now(), 'version', (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_jobs'),"
    "  'running', (SELECT count(*) FROM jobs.job_execution WHERE status = 'running'),"
    "  'queued', (SELECT count(*) FROM jobs.job_execution WHERE status = 'queued'),"
    "  'lag_ms', (SELECT round(extract(epoch FROM now() - min(coalesce(not_before, queued_at))) * 1000)"
    "             FROM jobs.job_execution WHERE status = 'queued' AND coalesce(not_before, queued_at) <= "
    "now()),"
    "  'jobs', jobs.n, 'jobs_disabled', jobs.disabled,"
    // The scheduler's own verdict: ok / degraded / down with its reasons.
    "  'health', (SELECT json_build_object('status', h.status, 'reasons', h.reasons,"
    "      'workers_busy', h.workers_busy, 'workers_idle', h.workers_idle, 'workers_max', h.workers_max,"
    "      'due_lag_ms', round(extract(epoch FROM h.due_lag) * 1000)) FROM jobs.health() AS h),"
    "  'day', (SELECT json_build_object('runs', count(*),"
    "            'succeeded', count(*) FILTER (WHERE status = 'succeeded'),"
    "            'failed', count(*) FILTER (WHERE status IN ('failed', 'timed_out', 'crashed')))"
    "          FROM jobs.job_execution WHERE status NOT IN ('queued', 'running')"
    "          AND coalesce(finished_at, queued_at) > now() - interval '24 hours'),"
    // Jobs whose latest run failed, among the latest 500 failures of the day.
    "  'failing', (SELECT coalesce(json_agg(f ORDER BY f.finished_at DESC), '[]') FROM ("
    "      SELECT c.job_id, last.job_name, last.status, last.finished_at, last.error"
    "      FROM (SELECT DISTINCT e.job_id FROM (SELECT job_id FROM jobs.job_execution"
    "              WHERE status NOT IN ('queued', 'running') AND status IN ('failed', 'timed_out', 'crashed')"
    "                AND coalesce(finished_at, queued_at) > now() - interval '24 hours'"
    "              ORDER BY coalesce(finished_at, queued_at) DESC LIMIT 500) AS e) AS c"
    "      CROSS JOIN LATERAL (SELECT e.job_name, e.status, e.finished_at, e.error FROM jobs.job_execution "
    "AS e"
    "          WHERE e.job_id = c.job_id AND e.status NOT IN ('queued', 'running', 'skipped')"
    "          ORDER BY e.execution_id DESC LIMIT 1) AS last"
    "      WHERE last.status IN ('failed', 'timed_out', 'crashed')"
    "        AND EXISTS (SELECT FROM jobs.scheduled_job AS j WHERE j.job_id = c.job_id)"
    "      ORDER BY last.finished_at DESC LIMIT 20) AS f),"
    "  'timeline', (SELECT coalesce(json_agg(t ORDER BY t.execution_id), '[]') FROM ("
    "      SELECT * FROM ("
    "        SELECT e.execution_id, e.job_id, e.job_name, e.status, e.started_at, e.finished_at"
    "        FROM jobs.job_execution AS e WHERE e.status NOT IN ('queued', 'running')"
    "          AND coalesce(e.finished_at, e.queued_at) > now() - interval '1 hour' AND e.started_at IS NOT "
    "NULL"
    "        UNION ALL"
    "        SELECT e.execution_id, e.job_id, e.job_name, e.status, e.started_at, e.finished_at"
    "        FROM jobs.job_execution AS e WHERE e.status = 'running') AS u"
    "      ORDER BY u.execution_id DESC LIMIT 2000) AS t))"
    " FROM (SELECT count(*) AS n, count(*) FILTER (WHERE NOT enabled) AS disabled FROM jobs.scheduled_job) "
    "AS jobs";

// $1 schedule, $2 time zone
inline constexpr const char* validate_schedule =
    "SELECT json_build_object('description', jobs.describe($1, coalesce($2, "
    "current_setting('jobs.timezone'))),"
    "  'next_runs', (SELECT json_agg(r) FROM jobs.next_runs($1, 10, now(),"
    "                 coalesce($2, current_setting('jobs.timezone'))) AS r))";

inline constexpr const char* trigger =
    "SELECT json_build_object('execution_id', jobs.trigger($1::bigint, $2::jsonb))";
inline constexpr const char* enable = "SELECT json_build_object('done', true) FROM jobs.enable($1::bigint)";
inline constexpr const char* disable = "SELECT json_build_object('done', true) FROM jobs.disable($1::bigint)";
inline constexpr const char* cancel = "SELECT json_build_object('cancelled', jobs.cancel($1::bigint))";
inline constexpr const char* unschedule = "SELECT json_build_object('removed', jobs.unschedule($1::bigint))";
inline constexpr const char* alter_schedule =
    "SELECT json_build_object('done', true)"
    " FROM jobs.alter($1::bigint, schedule => $2, timezone => $3)";

// The signed-in role's alerts (jobs.alert_status shows each role its own),
// each with the jobs it has seen: firing or not, deliveries, handler runs.
inline constexpr const char* alerts =
    "SELECT coalesce(json_agg(a ORDER BY a.alert_name), '[]') FROM ("
    "  SELECT s.alert_id, s.alert_name, s.owner, s.handler, s.events, d.jobs AS watched_jobs,"
    "    d.long_running_after::text AS long_running_after, d.repeat_after::text AS repeat_after,"
    "    bool_or(s.firing) AS firing, sum(s.deliveries)::bigint AS deliveries,"
    "    sum(s.suppressed)::bigint AS suppressed, max(s.last_delivered_at) AS last_delivered_at,"
    "    coalesce(json_agg(json_build_object('job_id', s.job_id, 'job_name', s.job_name, 'firing', s.firing,"
    "        'firing_since', s.firing_since, 'last_event', s.last_event, 'last_event_at', s.last_event_at,"
    "        'last_delivered_at', s.last_delivered_at, 'deliveries', s.deliveries, 'suppressed', "
    "s.suppressed,"
    "        'last_handler_execution_id', s.last_handler_execution_id, 'last_error', s.last_error)"
    "      ORDER BY s.firing DESC, s.job_name) FILTER (WHERE s.job_id IS NOT NULL), '[]') AS jobs"
    "  FROM jobs.alert_status AS s JOIN jobs.alert_definition AS d ON d.alert_id = s.alert_id"
    "  GROUP BY s.alert_id, s.alert_name, s.owner, s.handler, s.events, d.jobs, d.long_running_after,"
    "    d.repeat_after) AS a";

inline constexpr const char* whoami =
    "SELECT json_build_object('role', current_user, 'superuser', (SELECT rolsuper FROM pg_catalog.pg_roles"
    " WHERE rolname = current_user), 'jobs_admin', pg_catalog.pg_has_role(current_user, 'jobs_admin', "
    "'USAGE'))";

}  // namespace pg_jobs_web::sql
