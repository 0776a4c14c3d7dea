// See owner_access.hpp.
#include "pg/common/owner_access.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
}

namespace pg_jobs::pg {

void check_owner_access(Oid owner_oid, const char* owner, Oid database_oid, const char* database,
                        OwnerAccess* out) {
    *out = OwnerAccess{false, false, false, 0, nullptr, nullptr};
    HeapTuple role = OidIsValid(owner_oid) ? SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner_oid)) : nullptr;
    if (role == nullptr || !HeapTupleIsValid(role)) {
        out->sqlstate = ERRCODE_UNDEFINED_OBJECT;
        out->message = psprintf("role \"%s\" does not exist", owner);
        out->hint =
            "A job runs as its owner, and that role was dropped. Remove the job with jobs.unschedule, "
            "or schedule it again as an existing role.";
        return;
    }
    const auto* form = reinterpret_cast<Form_pg_authid>(GETSTRUCT(role));
    const bool is_superuser = form->rolsuper;
    const bool can_login = form->rolcanlogin;
    const int connection_limit = form->rolconnlimit;
    ReleaseSysCache(role);
    if (is_superuser) {
        *out = OwnerAccess{true, can_login, true, 0, nullptr, nullptr};
        return;
    }
    if (!can_login) {
        out->sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
        out->message = psprintf("role \"%s\" is not permitted to log in", owner);
        out->hint = psprintf(
            "A job runs as a login session of its owner. ALTER ROLE %s LOGIN to let the job run, or remove "
            "it "
            "with jobs.unschedule.",
            quote_identifier(owner));
        return;
    }
    if (pg_database_aclcheck(database_oid, owner_oid, ACL_CONNECT) != ACLCHECK_OK) {
        out->sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
        out->message = psprintf("permission denied for database \"%s\"", database);
        out->hint = psprintf(
            "Role \"%s\" does not have CONNECT privilege, which a job's owner needs for its runs there. "
            "GRANT "
            "CONNECT ON DATABASE %s TO %s, or point the job at another database with jobs.alter.",
            owner, quote_identifier(database), quote_identifier(owner));
        return;
    }
    bool may_start = connection_limit < 0 || CountUserBackends(owner_oid) < connection_limit;
    HeapTuple database_tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(database_oid));
    if (HeapTupleIsValid(database_tuple)) {
        const int database_limit =
            reinterpret_cast<Form_pg_database>(GETSTRUCT(database_tuple))->datconnlimit;
        ReleaseSysCache(database_tuple);
        may_start = may_start && (database_limit < 0 || CountDBConnections(database_oid) < database_limit);
    }
    *out = OwnerAccess{true, true, may_start, 0, nullptr, nullptr};
}

}  // namespace pg_jobs::pg
