// Jobs belong to roles as PostgreSQL's own objects do (issue 10, point 6):
// DROP ROLE of a role that owns jobs is refused (2BP01), REASSIGN OWNED
// moves its jobs, DROP OWNED removes them (their history stays). A
// ProcessUtility hook hands each of these statements to the extension's SQL
// (jobs_internal._roles_dropped, jobs_internal._reassign_owned, jobs_internal._drop_owned) once
// PostgreSQL has run it, so PostgreSQL's own privilege and dependency checks
// come first and an error of ours rolls the whole statement back.
//
// Like REASSIGN OWNED and DROP OWNED themselves, this acts in the current
// database only, where the extension is installed (jobs.database). DROP ROLE
// is cluster-wide: run from another database it cannot see the jobs, and
// the role's jobs stay; their runs then fail at claim time (the owner no
// longer exists) and never run as a role that takes the name later.
#pragma once

namespace pg_jobs::pg {

// Chains the hook in front of any installed before (_PG_init).
void install_role_ownership_hook();

}  // namespace pg_jobs::pg
