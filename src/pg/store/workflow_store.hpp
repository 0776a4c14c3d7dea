// flow: the launcher's part of workflows (issue 15), as the SQL function
// jobs_internal._start_workflow_runs (extension/pg_jobs--0.2.0.sql): the due queued
// workflow runs become 'running' with their root steps queued, each in the
// one transaction. Everything after that happens in the transactions that
// record each step's end (the trigger workflow_status_changed). Call inside a
// transaction with an active snapshot; may ereport.
#pragma once
#include "pg/common/pg_headers.hpp"

// Whether run `alias` is a step's run of a workflow run not ended yet:
// history retention keeps it, since the workflow run's advance reads it
// (a step without its run would be decided, and run, again).
#define PG_JOBS_STEP_OF_UNFINISHED_WORKFLOW_SQL(alias)                                    \
    "(" alias                                                                             \
    ".workflow_execution_id IS NOT NULL AND EXISTS (SELECT FROM jobs.job_execution AS w " \
    "WHERE w.execution_id = " alias ".workflow_execution_id AND w.status IN ('queued', 'running')))"

namespace pg_jobs::pg {

// Whether a queued workflow run may be due: one probe of the pending index,
// so an iteration without workflows costs no more.
bool has_queued_workflow_runs();

// Starts the due queued workflow runs; returns how many started.
uint64 start_workflow_runs();

}  // namespace pg_jobs::pg
