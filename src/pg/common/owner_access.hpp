// Whether a job owner's runs may run in a database now. A worker runs a
// job as a login session of its owner would, so the owner must be able to
// log in (rolcanlogin) and have CONNECT on the database, checked when the
// run is about to start, not only when the job was defined. Superusers
// always may (as PostgreSQL lets them connect without CONNECT).
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

struct OwnerAccess {
    bool allowed;
    // When allowed: whether the worker can connect as the owner (false: a
    // superuser without LOGIN, see WorkerStartInfo), and whether one more
    // session of the owner fits the role's and the database's connection
    // limits now (else no worker is started until one does).
    bool login_as_owner;
    bool may_start;
    // When refused (palloc'd): what the run is failed with.
    int sqlstate;  // 42704 (role dropped), 28000 (no LOGIN) or 42501 (no CONNECT)
    const char* message;
    const char* hint;
};

// Fills `out` for the role `owner_oid` (InvalidOid: no role of that name
// exists; `owner` is its name, for the messages) in database `database_oid`
// named `database`. In a transaction; may ereport.
void check_owner_access(Oid owner_oid, const char* owner, Oid database_oid, const char* database,
                        OwnerAccess* out);

}  // namespace pg_jobs::pg
