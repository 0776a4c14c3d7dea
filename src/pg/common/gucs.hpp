// pg_jobs configuration parameters (GUCs), all under the "jobs." prefix.
#pragma once

namespace pg_jobs::pg {

// Defines every jobs.* parameter and reserves the prefix; called once from
// _PG_init. Add new parameters in define_gucs, before the reservation.
void define_gucs();

// jobs.timezone: the zone schedules are evaluated in when none is given.
const char* default_time_zone();

// jobs.database: where the extension's tables live and the launcher connects.
const char* jobs_database();

// jobs.max_workers: SQL worker processes across all databases (fixed at
// server start: it sizes shared memory).
int max_sql_workers();

// jobs.worker_idle_timeout, in milliseconds: an idle SQL worker exits after it.
int worker_idle_timeout_ms();

// jobs.http_allowed_hosts: the hosts HTTP jobs may call (core/host_allowlist.hpp
// describes the syntax; the check hook has validated it).
const char* http_allowed_hosts();

// jobs.http_max_concurrent: HTTP transfers in flight at once.
int http_max_concurrent();

// jobs.http_max_response_size, in bytes: longer response bodies are cut.
int http_max_response_size();

// jobs.default_timeout, in milliseconds: the timeout of SQL runs whose job has none.
int default_timeout_ms();

// jobs.cancel_grace_period, in milliseconds: how long an SQL run may go on
// after its timeout or jobs.cancel before its worker process is ended.
int cancel_grace_period_ms();
// jobs.max_running_per_owner: SQL workers one owner may hold (-1: automatic,
// see running_per_owner_limit in core/worker_demand.hpp).
int max_running_per_owner();

// jobs.max_jobs_per_owner: most jobs a role other than a superuser may own (0: no limit).
int max_jobs_per_owner();

// jobs.max_timeout, in seconds: the longest timeout a run may have (0: no limit).
int max_timeout_s();

// jobs.history_per_job: finished runs kept per job (0: no limit).
int history_per_job();

// jobs.history_max_age, in seconds: finished runs older than this are deleted (0: no limit).
int history_max_age_s();

// jobs.alert_window, in milliseconds: the launcher's alert pass runs this often while an alert exists.
int alert_window_ms();

// jobs.history_failed_max_age, in seconds: -1 treats failed, timed_out and
// crashed runs like the others; otherwise they are kept this long (0:
// forever) and not counted by jobs.history_per_job.
int history_failed_max_age_s();

// jobs.max_payload_size, in bytes: the largest payload or HTTP body (as jsonb).
long max_payload_bytes();

// jobs.failed_run_log_level: the elevel of the one server log line of a
// run that does not succeed (-1: no line).
int failed_run_log_level();

// events: jobs.notify_events, which events go to channel jobs_events
// (NotifyEvents of run_events.hpp: 0 off, 1 finished, 2 all).
int notify_events();

}  // namespace pg_jobs::pg
