// See store_call.hpp.
#include "pg/store/store_call.hpp"

extern "C" {
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Plans kept by the address of their SQL text. The launcher and the workers
// run the same few statements all the time, and planning the bigger ones
// (the queueing of due runs with its policies) costs more than running them.
// PostgreSQL's plan cache re-plans a kept plan when a table it uses changes
// its definition, not its size: a plan made over an empty jobs.job_execution
// (a seq scan) would stay while a burst queues 10,000 runs, each claim then
// reading them all. So each plan is made again after twice as many uses as
// when it was last made, and after a minute: a few plannings per burst, one
// a minute at most when idle. A use counts the rows it processed, since
// those are what the tables grow by: the HTTP worker records up to 256 runs'
// ends in one statement, and counting that as one use kept the plan made
// over the warm-up run's one row (a seq scan per statement, 55 ms where 5 ms
// do) for the first 4,000 runs of a burst of 10,000.
struct KeptPlan {
    const char* sql;
    SPIPlanPtr plan;  // nullptr: made again at the next use
    uint64 uses;      // statements run, plus the rows each processed
    uint64 replan_at_uses;
    TimestampTz made_at;
};
constexpr int kMaxKeptPlans = 64;
constexpr uint64 kFirstReplanUses = 16;
constexpr int64 kReplanAgeUs = 60 * USECS_PER_SEC;
KeptPlan kept_plans[kMaxKeptPlans];
int kept_plan_count = 0;

SPIPlanPtr prepare(const char* sql, int nargs, Oid* types) {
    // A generic plan, made once: with the default plan_cache_mode each call
    // would plan afresh whenever custom plans look cheaper.
    SPIPlanPtr plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
    if (plan == nullptr) {
        elog(ERROR, "pg_jobs: could not prepare %s: %s", sql, SPI_result_code_string(SPI_result));
    }
    return plan;
}

KeptPlan* find_kept(const char* sql) {
    for (int i = 0; i < kept_plan_count; ++i) {
        if (kept_plans[i].sql == sql) {
            return &kept_plans[i];
        }
    }
    return nullptr;
}

// The plan of `sql`, and in *entry its kept-plan entry (nullptr when every
// slot is taken: the plan then serves this call alone).
SPIPlanPtr plan_for(const char* sql, int nargs, Oid* types, KeptPlan** entry) {
    KeptPlan* kept = find_kept(sql);
    *entry = kept;
    if (kept != nullptr && kept->plan != nullptr) {
        ++kept->uses;
        return kept->plan;
    }
    SPIPlanPtr plan = prepare(sql, nargs, types);
    if (kept == nullptr && kept_plan_count < kMaxKeptPlans) {
        kept = &kept_plans[kept_plan_count++];
        *kept = KeptPlan{sql, nullptr, 0, kFirstReplanUses, 0};
        *entry = kept;
    }
    if (kept != nullptr && SPI_keepplan(plan) == 0) {
        kept->plan = plan;
        kept->uses += 1;
        kept->made_at = GetCurrentTimestamp();
    }
    return plan;
}

void drop_plan(KeptPlan& kept) {
    if (kept.plan != nullptr) {
        (void)SPI_freeplan(kept.plan);
        kept.plan = nullptr;
    }
}

}  // namespace

void forget_kept_plans() {
    for (int i = 0; i < kept_plan_count; ++i) {
        drop_plan(kept_plans[i]);
    }
}

void renew_kept_plans() {
    const TimestampTz now = GetCurrentTimestamp();
    for (int i = 0; i < kept_plan_count; ++i) {
        KeptPlan& kept = kept_plans[i];
        if (kept.plan != nullptr &&
            (kept.uses >= kept.replan_at_uses || now - kept.made_at >= kReplanAgeUs)) {
            drop_plan(kept);
            kept.replan_at_uses = Max(kept.uses * 2, kFirstReplanUses);
        }
    }
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
    KeptPlan* kept = nullptr;
    const int rc = SPI_execute_plan(plan_for(sql, nargs, types, &kept), values, nulls, false, 0);
    if (rc != expected) {
        elog(ERROR, "pg_jobs: unexpected result %s from: %s", SPI_result_code_string(rc), sql);
    }
    if (kept != nullptr) {
        kept->uses += SPI_processed;
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
