// Definitions and check hooks of the jobs.* configuration parameters.
#include "core/host_allowlist.hpp"
#include "pg/common/gucs.hpp"

#include "pg/common/pg_time_zone.hpp"
#include "pg/common/pg_headers.hpp"

#include <climits>

extern "C" {
#include "miscadmin.h"
#include "utils/guc.h"
}

namespace pg_jobs::pg {
namespace {

char* jobs_timezone = nullptr;  // owned by the GUC machinery
char* jobs_database_name = nullptr;
int jobs_max_workers = 8;
int jobs_worker_idle_timeout = 5 * 60 * 1000;
char* jobs_http_allowed_hosts = nullptr;
int jobs_http_max_concurrent = 256;
int jobs_http_max_response_size = 64 * 1024;
int jobs_default_timeout = 15 * 60 * 1000;
int jobs_cancel_grace_period = 5 * 1000;
int jobs_max_jobs_per_owner = 1000;   // read by jobs_internal._check_job_quota through current_setting
int jobs_max_running_per_owner = -1;  // -1: jobs.max_workers - 1, at least 1
constexpr int kOneDayS = 24 * 60 * 60;
int jobs_max_timeout = kOneDayS;  // read by jobs_internal._check_run_options through current_setting
constexpr int kOneMbKb = 1024;
constexpr int kMaxPayloadKb = 64 * 1024;  // 64 MB: its JSON text (at most 6x) stays far below 1 GB
int jobs_max_payload_size = kOneMbKb;     // in kB
int jobs_min_schedule_interval = 10;      // seconds; read by jobs_internal._check_schedule_interval
constexpr int kThirtyDaysS = 30 * 24 * 60 * 60;
int jobs_history_per_job = 100;
int jobs_history_max_age = kThirtyDaysS;
int jobs_alert_window = 10 * 1000;  // alerts: in ms
int jobs_history_failed_max_age = -1;
// The level of the log line of a run that ends badly (-1: none).
int jobs_failed_run_log_level = LOG;
const struct config_enum_entry kFailedRunLogLevels[] = {
    {"off", -1, false},  {"debug1", DEBUG1, false},   {"info", INFO, false}, {"notice", NOTICE, false},
    {"log", LOG, false}, {"warning", WARNING, false}, {nullptr, 0, false}};
// events: which events go to channel jobs_events (run_events.hpp).
int jobs_notify_events = 1;
const struct config_enum_entry kNotifyEvents[] = {
    {"off", 0, false}, {"finished", 1, false}, {"all", 2, false}, {nullptr, 0, false}};
int jobs_metrics_max_jobs = 500;  // read by jobs.metrics() through current_setting

// Called by PostgreSQL for SET, ALTER SYSTEM and configuration reloads. Pure
// C calls only: nothing here can throw a C++ exception.
bool check_jobs_timezone(char** new_value, void** /*extra*/, GucSource /*source*/) {
    const char* problem = nullptr;
    if (time_zone_is_usable(*new_value, &problem)) {
        return true;
    }
    if (problem != nullptr) {
        GUC_check_errdetail("%s", problem);
    } else {
        GUC_check_errdetail("Time zone \"%s\" is not known.", *new_value);
    }
    GUC_check_errhint("%s", kTimeZoneHint);
    return false;
}

// A list that does not parse is refused with the parser's words, so a typo
// in postgresql.conf never silently opens or closes everything. The words
// are copied out before PostgreSQL is called: no C++ object is alive then.
bool check_http_allowed_hosts(char** new_value, void** /*extra*/, GucSource /*source*/) {
    char detail[512] = "The list could not be checked (out of memory).";
    char hint[512] = "";
    try {
        const http::AllowlistParseResult parsed = http::HostAllowlist::parse(*new_value);
        if (parsed.ok) {
            return true;
        }
        snprintf(detail, sizeof(detail), "%s (at character %d).", parsed.error.message.c_str(),
                 parsed.error.position + 1);
        snprintf(hint, sizeof(hint), "%s", parsed.error.hint.c_str());
    } catch (...) {  // keep the default detail
    }
    GUC_check_errdetail("%s", detail);
    if (hint[0] != '\0') {
        GUC_check_errhint("%s", hint);
    }
    return false;
}

}  // namespace

void define_gucs() {
    // Server-start settings are PGC_POSTMASTER when the library is
    // preloaded. Loaded later (CREATE EXTENSION on a server without the
    // preload) PostgreSQL refuses to define such a setting with a FATAL that
    // drops the session; then they are defined as reload-only, and the
    // extension script refuses with an ERROR (jobs_internal._require_preload).
    const GucContext start_only = process_shared_preload_libraries_in_progress ? PGC_POSTMASTER : PGC_SIGHUP;
    DefineCustomStringVariable("jobs.timezone", "Time zone in which cron schedules are evaluated.",
                               "Used when a schedule is given without a time zone; any name that "
                               "SET timezone accepts.",
                               &jobs_timezone, "UTC", PGC_USERSET, 0, check_jobs_timezone, nullptr, nullptr);

    DefineCustomStringVariable("jobs.database", "Database that holds the pg_jobs tables.",
                               "The scheduler connects to it; CREATE EXTENSION pg_jobs must run there.",
                               &jobs_database_name, "postgres", start_only, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.max_workers", "Maximum number of SQL worker processes running jobs.",
                            "Counts workers of every database together; each also takes a "
                            "max_worker_processes slot.",
                            &jobs_max_workers, 8, 1, 1000, start_only, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.worker_idle_timeout", "Time after which an idle SQL worker exits.",
                            "Workers stay around this long after their last run so the next one "
                            "starts without a process start.",
                            &jobs_worker_idle_timeout, 5 * 60 * 1000, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
                            nullptr, nullptr, nullptr);

    DefineCustomStringVariable(
        "jobs.http_allowed_hosts", "Hosts that HTTP jobs may call.",
        "Comma-separated: * (any host, but not link-local or metadata addresses), "
        "*.example.com, api.example.com, 10.1.2.3, 10.0.0.0/8, ::1. Checked when a job "
        "is defined and again after DNS resolution when it runs.",
        &jobs_http_allowed_hosts, "*", PGC_SUSET, 0, check_http_allowed_hosts, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.http_max_concurrent", "Maximum number of HTTP requests in flight at once.",
        "Further due HTTP runs wait in the queue; open connections stay within this bound.",
        &jobs_http_max_concurrent, 256, 1, 65536, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.http_max_response_size", "Longest response body kept for an HTTP run.",
                            "Longer bodies are cut to this size before they are stored.",
                            &jobs_http_max_response_size, 64 * 1024, 0, 64 * 1024 * 1024, PGC_SIGHUP,
                            GUC_UNIT_BYTE, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.default_timeout", "Longest time a SQL run may take when its job sets no timeout.",
        "A run still going after it is cancelled and recorded as timed_out.", &jobs_default_timeout,
        15 * 60 * 1000, 1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.cancel_grace_period",
        "How long an SQL run may go on after its timeout or jobs.cancel before its worker "
        "process is ended.",
        "A command that catches the cancel (or never checks for it) is stopped by ending "
        "its worker, as pg_terminate_backend would; the pool starts a new one.",
        &jobs_cancel_grace_period, 5 * 1000, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.history_per_job", "Most finished runs kept per job in jobs.job_execution.",
                            "Older ones are deleted by the launcher in small batches; 0 keeps any number. "
                            "Runs counted by jobs.history_failed_max_age are not counted here.",
                            &jobs_history_per_job, 100, 0, INT_MAX, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.alert_window", "How often the launcher looks for alert events.",
                            "What one alert finds within this window reaches its handler as one payload "
                            "(a batch when it lists several jobs).",
                            &jobs_alert_window, 10 * 1000, 100, 3600 * 1000, PGC_SIGHUP, GUC_UNIT_MS, nullptr,
                            nullptr, nullptr);

    DefineCustomIntVariable("jobs.history_max_age",
                            "Age after which a finished run is deleted from jobs.job_execution.",
                            "Counted from the run's end; 0 keeps runs of any age.", &jobs_history_max_age,
                            kThirtyDaysS, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.history_failed_max_age", "Age after which a failed, timed out or crashed run is deleted.",
        "-1: as jobs.history_max_age, and such runs count toward jobs.history_per_job. "
        "Otherwise they are kept this long (0: forever) and not counted per job.",
        &jobs_history_failed_max_age, -1, -1, INT_MAX, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.max_jobs_per_owner", "Most jobs one role other than a superuser may own (0: no limit).",
        "Creating a job beyond it is refused; redefining an existing job is not.", &jobs_max_jobs_per_owner,
        1000, 0, INT_MAX, PGC_SUSET, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.max_payload_size", "Largest payload (jobs.trigger) or HTTP body a job may carry.",
        "As the jsonb value and as JSON text; larger ones are refused, and a queued run whose "
        "payload exceeds it fails instead of starting.",
        &jobs_max_payload_size, kOneMbKb, 1, kMaxPayloadKb, PGC_SUSET, GUC_UNIT_KB, nullptr, nullptr,
        nullptr);

    DefineCustomIntVariable(
        "jobs.min_schedule_interval",
        "Shortest time between two fire times of a schedule set by a role other than a superuser.",
        "A schedule that fires more often is refused; 0: no limit.", &jobs_min_schedule_interval, 10, 0,
        24 * 60 * 60, PGC_SUSET, GUC_UNIT_S, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.max_running_per_owner", "Most SQL workers (so runs at once) one role's jobs may hold.",
        "-1: one less than jobs.max_workers (at least 1), so another role's queued run always finds a "
        "worker. Free workers go to the roles with the fewest first.",
        &jobs_max_running_per_owner, -1, -1, 1000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable("jobs.max_timeout", "Longest timeout a job may have (0: no limit).",
                            "jobs.schedule, jobs.schedule_http and jobs.alter refuse a longer timeout; "
                            "runs of jobs defined before it was lowered are cut to it.",
                            &jobs_max_timeout, kOneDayS, 0, INT_MAX, PGC_SUSET, GUC_UNIT_S, nullptr, nullptr,
                            nullptr);

    DefineCustomEnumVariable(
        "jobs.failed_run_log_level", "Level of the server log line of a run that does not succeed.",
        "One line per run that ends failed, timed_out, cancelled or crashed, SQL and HTTP alike: "
        "kind, job, execution, status and reason. off: no line.",
        &jobs_failed_run_log_level, LOG, kFailedRunLogLevels, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);

    DefineCustomIntVariable(
        "jobs.metrics_max_jobs", "Most jobs jobs.metrics() reports series of (0: none).",
        "The reader's visible jobs with the lowest job_id, so the set of series stays stable; "
        "pg_jobs_metrics_jobs_omitted counts the others.",
        &jobs_metrics_max_jobs, 500, 0, 100000, PGC_USERSET, 0, nullptr, nullptr, nullptr);

    // events
    DefineCustomEnumVariable(
        "jobs.notify_events", "Which run and job events are sent on the NOTIFY channel jobs_events.",
        "off: none; finished: run_finished (and alert); all: also run_started and job_changed. "
        "Payloads carry ids only.",
        &jobs_notify_events, 1, kNotifyEvents, PGC_SUSET, 0, nullptr, nullptr, nullptr);

    // Last: deletes placeholders for unknown jobs.* names (with a warning),
    // so it must come after every parameter is defined.
    MarkGUCPrefixReserved("jobs");
}

const char* default_time_zone() {
    return jobs_timezone;
}

const char* jobs_database() {
    return jobs_database_name;
}

int max_sql_workers() {
    return jobs_max_workers;
}

int worker_idle_timeout_ms() {
    return jobs_worker_idle_timeout;
}

const char* http_allowed_hosts() {
    return jobs_http_allowed_hosts;
}

int http_max_concurrent() {
    return jobs_http_max_concurrent;
}

int http_max_response_size() {
    return jobs_http_max_response_size;
}

int default_timeout_ms() {
    return jobs_default_timeout;
}

int cancel_grace_period_ms() {
    return jobs_cancel_grace_period;
}

int max_running_per_owner() {
    return jobs_max_running_per_owner;
}

int max_jobs_per_owner() {
    return jobs_max_jobs_per_owner;
}

int max_timeout_s() {
    return jobs_max_timeout;
}

int history_per_job() {
    return jobs_history_per_job;
}

int alert_window_ms() {
    return jobs_alert_window;
}

int history_max_age_s() {
    return jobs_history_max_age;
}

long max_payload_bytes() {
    return static_cast<long>(jobs_max_payload_size) * 1024L;
}

int history_failed_max_age_s() {
    return jobs_history_failed_max_age;
}

int failed_run_log_level() {
    return jobs_failed_run_log_level;
}

int notify_events() {
    return jobs_notify_events;
}

}  // namespace pg_jobs::pg
