// See internal_schema.hpp.
#include "pg/common/internal_schema.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "utils/builtins.h"
#include "utils/syscache.h"
}

namespace pg_jobs::pg {

Oid internal_function(const char* name, int nargs, const Oid* types) {
    Oid schema = get_namespace_oid(kInternalSchema, true);
    if (!OidIsValid(schema)) {
        // Until ALTER EXTENSION pg_jobs UPDATE reaches 0.2.0, the internals
        // are still in schema jobs (0.1.0's layout).
        schema = get_namespace_oid("jobs", true);
    }
    if (!OidIsValid(schema)) {
        return InvalidOid;
    }
    oidvector* arg_types = buildoidvector(types, nargs);
    return GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum(name),
                           PointerGetDatum(arg_types), ObjectIdGetDatum(schema));
}

}  // namespace pg_jobs::pg
