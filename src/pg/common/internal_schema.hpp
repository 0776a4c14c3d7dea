// The schema that holds pg_jobs' internals (jobs_internal), and the lookup
// of a function in it on behalf of a role that has no USAGE on it.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

inline constexpr const char* kInternalSchema = "jobs_internal";

// The OID of jobs_internal.<name>(<types>) (of jobs.<name> at 0.1.0), or
// InvalidOid when it does not exist. Unlike LookupFuncName it checks no USAGE on the
// schema: ordinary roles have none, and the callers run the function through
// fmgr on their behalf, where it runs with its owner's rights (SECURITY
// DEFINER). In a transaction; may ereport.
Oid internal_function(const char* name, int nargs, const Oid* types);

}  // namespace pg_jobs::pg
