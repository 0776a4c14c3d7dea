// flow: the start of workflow runs (issue 15), as the SQL function
// jobs_internal._start_workflow_runs (extension/pg_jobs--0.2.0.sql): the due queued
// workflow runs become 'running' with their root steps queued, each in the
// one transaction. The launcher starts those of workflows without a run_if;
// the HTTP worker, which checks the conditions of HTTP runs already, those
// with one (with_conditions), so that no role's condition, however slow,
// holds up the launcher. Everything after that happens in the transactions that
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

// Whether a queued workflow run of a workflow with (with_conditions) or
// without a run_if may be due: a probe of the pending index, so an
// iteration without workflows costs no more.
bool has_queued_workflow_runs(bool with_conditions);

// Starts the due queued workflow runs of workflows with (with_conditions)
// or without a run_if, at most max_runs of them (0: all), of role
// only_owner (InvalidOid: any), oldest first; returns how many started (a
// run whose run_if stops it ends, uncounted).
uint64 start_workflow_runs(bool with_conditions, int max_runs = 0, Oid only_owner = InvalidOid);

// The owner of a due queued workflow run with a run_if that comes next
// after role `after` (by OID, wrapping around), if there is one: the HTTP
// worker checks the owners' conditions in turn.
bool next_conditional_workflow_owner(Oid after, Oid* owner);

}  // namespace pg_jobs::pg
