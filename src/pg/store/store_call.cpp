// See store_call.hpp.
#include "pg/store/store_call.hpp"

extern "C" {
#include "executor/spi.h"
#include "utils/guc.h"
}

namespace pg_jobs::pg {
namespace {

// Plans kept for the life of the process, by the address of their SQL text.
// The launcher and the workers run the same few statements all the time, and
// planning the bigger ones (the queueing of due runs with its policies) costs
// more than running them. PostgreSQL's plan cache re-plans a kept plan when a
// table it uses changes, or when the extension is dropped and created again.
struct KeptPlan {
    const char* sql;
    SPIPlanPtr plan;
};
constexpr int kMaxKeptPlans = 64;
KeptPlan kept_plans[kMaxKeptPlans];
int kept_plan_count = 0;

SPIPlanPtr plan_for(const char* sql, int nargs, Oid* types) {
    for (int i = 0; i < kept_plan_count; ++i) {
        if (kept_plans[i].sql == sql) {
            return kept_plans[i].plan;
        }
    }
    // A generic plan, made once: with the default plan_cache_mode each call
    // would plan afresh whenever custom plans look cheaper.
    SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
    if (plan == nullptr) {
        elog(ERROR, "pg_jobs: could not prepare %s: %s", sql, SPI_result_code_string(SPI_result));
    }
    if (kept_plan_count < kMaxKeptPlans && SPI_keepplan(plan) == 0) {
        kept_plans[kept_plan_count++] = KeptPlan{sql, plan};
    }
    return plan;
}

}  // namespace

void forget_kept_plans() {
    for (int i = 0; i < kept_plan_count; ++i) {
        (void)SPI_freeplan(kept_plans[i].plan);
    }
    kept_plan_count = 0;
}

int begin_store_call() {
    const int nest_level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
    // No JIT: a batch of 10,000 due runs is estimated costly enough to be
    // compiled, which takes a second where running it takes a few dozen ms.
    (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    return nest_level;
}

void end_store_call(int nest_level) {
    SPI_finish();
    AtEOXact_GUC(true, nest_level);
}

void execute_stored(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, int expected) {
    const int rc = SPI_execute_plan(plan_for(sql, nargs, types), values, nulls, false, 0);
    if (rc != expected) {
        elog(ERROR, "pg_jobs: unexpected result %s from: %s", SPI_result_code_string(rc), sql);
    }
}

uint64 execute_counted(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls,
                       int expected) {
    const int nest = begin_store_call();
    execute_stored(sql, nargs, types, values, nulls, expected);
    const uint64 processed = SPI_processed;
    end_store_call(nest);
    return processed;
}

}  // namespace pg_jobs::pg
