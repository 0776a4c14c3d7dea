// See run_condition.hpp.
#include "pg/common/run_condition.hpp"

#include "pg/common/command_syntax.hpp"
#include "pg/common/transaction.hpp"

extern "C" {
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/timeout.h"
}

namespace pg_jobs::pg {
namespace {

// Plain C-style: may ereport (the subtransaction's rollback then restores
// the user, the security context and the settings).
bool evaluate_as_owner(const char* run_if, Oid owner) {
    Oid saved_user = InvalidOid;
    int saved_context = 0;
    GetUserIdAndSecContext(&saved_user, &saved_context);
    SetUserIdAndSecContext(owner,
                           saved_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
    const int nest_level = NewGUCNestLevel();
    // The owner's names, not the worker's pg_catalog-only path.
    (void)set_config_option("search_path", "\"$user\", public", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    const bool holds = evaluate_run_if(run_if, nullptr);
    AtEOXact_GUC(false, nest_level);
    SetUserIdAndSecContext(saved_user, saved_context);
    return holds;
}

}  // namespace

const char* run_if_failure_message(const PendingError& failure) {
    const char* message = failure.pg_error != nullptr ? failure.pg_error->message : failure.message;
    return message != nullptr ? message : "failed";
}

int run_if_failure_sqlstate(const PendingError& failure) {
    return failure.pg_error != nullptr ? failure.pg_error->sqlerrcode : failure.sqlstate;
}

RunIfAnswer check_run_if_as_owner(const char* run_if, Oid owner, PendingError* failure) {
    bool holds = false;
    enable_timeout_after(STATEMENT_TIMEOUT, kRunIfTimeoutMs);
    const bool evaluated = try_in_subtransaction([&] { holds = evaluate_as_owner(run_if, owner); }, failure);
    disable_timeout(STATEMENT_TIMEOUT, false);
    LockReleaseAll(USER_LOCKMETHOD, true);  // pg_advisory_lock taken by the check
    if (!evaluated) {
        return RunIfAnswer::Failed;
    }
    return holds ? RunIfAnswer::Holds : RunIfAnswer::False;
}

}  // namespace pg_jobs::pg
