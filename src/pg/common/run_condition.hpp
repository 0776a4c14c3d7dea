// opts (issue 15): the run_if of the runs that no owner's session starts,
// checked by the process that serves every role's HTTP runs: the HTTP
// worker (HTTP and e-mail runs, right before it sends one; a workflow run,
// right before it starts: jobs_internal._check_run_if). Never the launcher:
// however slow a condition, nobody's scheduling waits for it. Those runs live in
// jobs.database, where both are connected, so the check runs there, in a
// subtransaction of its own, as the job's owner: the owner's rights, with
// SECURITY_RESTRICTED_OPERATION (no temporary tables, no SET ROLE, no
// deferred trigger, no session state that outlives the check), every
// setting it changes undone, session-level advisory locks it took released.
// Since the process serves every role, a check may take at most
// kRunIfTimeoutMs.
#pragma once
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

inline constexpr int kRunIfTimeoutMs = 5000;

// What the error column of a run skipped by its run_if says (every process
// that checks run_if).
inline constexpr const char* kRunIfFalse = "run_if was false";

// A run stopped by a failed check records kRunIfErrorPrefix followed by
// run_if_failure_message, with run_if_failure_sqlstate.
inline constexpr const char* kRunIfErrorPrefix = "run_if: ";
const char* run_if_failure_message(const PendingError& failure);
int run_if_failure_sqlstate(const PendingError& failure);

enum class RunIfAnswer { Holds, False, Failed };

// Evaluates `run_if` as role `owner`; Failed fills *failure (its message and
// SQLSTATE are the run's error). Call inside a transaction.
RunIfAnswer check_run_if_as_owner(const char* run_if, Oid owner, PendingError* failure);

}  // namespace pg_jobs::pg
