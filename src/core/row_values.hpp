// The values the text columns kind (jobs.scheduled_job, jobs.job_execution)
// and triggered_by (jobs.job_execution) accept. The tables' CHECK
// constraints call them through jobs_internal._is_job_kind and
// jobs_internal._is_run_trigger (and parse_run_status of run_status.hpp
// through jobs_internal._is_run_status): PostgreSQL reads and compiles every
// CHECK expression of a table for each statement that writes it, and a call
// is a much shorter expression to read than an IN list.
#pragma once
#include "core/no_postgres.hpp"

#include <string_view>

namespace pg_jobs {

// sql, http, email, workflow: what a job runs (exactly as stored).
bool is_job_kind(std::string_view text);

// schedule, manual, reboot, retry, workflow (a workflow step): what queued
// a run (exactly as stored).
bool is_run_trigger(std::string_view text);

}  // namespace pg_jobs
