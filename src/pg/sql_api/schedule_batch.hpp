// Creating many jobs in one statement (issue 11, point 4): the jobs that
// `SELECT jobs.schedule(...) FROM generate_series(...)` creates are written
// with one INSERT when the statement's executor run ends, not one INSERT
// (and one audit trigger firing) each. See schedule_batch.cpp.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg::schedule_batch {

// What the batch needs to know of the privileged part jobs_internal._schedule.
constexpr int kScheduleArgs = 25;
struct Target {
    Oid definer;                       // the owner of jobs_internal._schedule, whose rights write the rows
    Oid schema;                        // the extension's schema (jobs)
    Oid arg_types[kScheduleArgs];      // the argument types of jobs.schedule
    int16 arg_lengths[kScheduleArgs];  // their typlen and typbyval, looked up once
    bool arg_by_value[kScheduleArgs];
};

// For a call of jobs.schedule by `caller`: when an earlier call in the same
// executor run went through jobs_internal._schedule with the same options (all
// arguments but job_name and command), and this one creates a new job whose
// checks that depend on the row alone pass, reserves its job_id, adds it to
// the batch and returns true (*job_id set). Otherwise returns false, having
// written the batch first: the caller then calls jobs_internal._schedule.
bool try_add(FunctionCallInfo fcinfo, Oid caller, const Target& target, int64* job_id);

// After jobs_internal._schedule accepted a call: its options are valid for `caller`
// for the rest of this executor run, when the call was made by a running
// executor (not, say, a PL/pgSQL assignment).
void note_accepted(FunctionCallInfo fcinfo, Oid caller, const Target& target);

// Writes the batch now, if there is one (before any other privileged call,
// and before a lookup of a job by name).
void flush();

// Executor and transaction hooks; from _PG_init.
void install_hooks();

}  // namespace pg_jobs::pg::schedule_batch
