// The server log without secrets; see secret_logging.hpp.
#include "core/secret_reference.hpp"
#include "pg/hooks/secret_logging.hpp"

extern "C" {
#include "tcop/tcopprot.h"
#include "utils/elog.h"
}

namespace pg_jobs::pg {
namespace {

emit_log_hook_type previous_emit_log_hook = nullptr;

// Runs for every message about to reach the server log: nothing here may
// ereport or throw.
void hide_secret_statements(ErrorData* edata) noexcept {
    if (!edata->hide_stmt && debug_query_string != nullptr &&
        secrets::statement_may_carry_secrets(debug_query_string)) {
        edata->hide_stmt = true;
    }
    if (previous_emit_log_hook != nullptr) {
        previous_emit_log_hook(edata);
    }
}

}  // namespace

void install_secret_log_hook() {
    previous_emit_log_hook = emit_log_hook;
    emit_log_hook = hide_secret_statements;
}

void hide_statement_of_errors(void* /*arg*/) {
    errhidestmt(true);
}

}  // namespace pg_jobs::pg
