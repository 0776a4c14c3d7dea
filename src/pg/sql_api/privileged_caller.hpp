// The caller of the privileged call in progress in this backend: who the
// audit trail names as the author of a change, since inside the SECURITY
// DEFINER part the current user is the extension's owner.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// InvalidOid outside a privileged call. Only privileged_call.cpp and
// schedule_batch.cpp set it (through CallerScope), so no SQL can forge it.
extern Oid privileged_caller;

// Sets privileged_caller for its lifetime and restores the outer value, also
// when the privileged part fails (its error travels as a PgError).
class CallerScope {
public:
    explicit CallerScope(Oid caller) noexcept : outer_(privileged_caller) { privileged_caller = caller; }
    ~CallerScope() { privileged_caller = outer_; }
    CallerScope(const CallerScope&) = delete;
    CallerScope& operator=(const CallerScope&) = delete;
    CallerScope(CallerScope&&) = delete;
    CallerScope& operator=(CallerScope&&) = delete;

private:
    Oid outer_;
};

}  // namespace pg_jobs::pg
