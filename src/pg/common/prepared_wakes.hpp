// Two-phase commit: a transaction that queued runs or changed jobs and was
// then PREPAREd gets no commit callback - COMMIT PREPARED happens later,
// maybe in another session, maybe after a restart. So at PREPARE its wake
// (and changed job ids) is parked here under its xid, and the session that
// runs COMMIT PREPARED or ROLLBACK PREPARED (a ProcessUtility hook) hands
// the parked wakes of finished transactions to the launcher, as the commit
// callback would have. Prepared transactions that survived a restart left
// nothing here: until the launcher has seen that none remain, every COMMIT
// PREPARED reloads all jobs and wakes the launcher. Costs nothing when no
// transaction is prepared. In SchedulerShared, under its lock.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

struct SchedulerShared;

struct PreparedWake {
    // More changed jobs than this: reload every job instead.
    static constexpr int kJobCapacity = 16;
    TransactionId xid;
    bool everything;  // reload every job
    int job_count;    // else: the jobs that changed (0: only runs queued)
    int64 job_ids[kJobCapacity];
};

struct PreparedWakes {
    static constexpr int kCapacity = 64;
    int count;  // wakes[0, count) are parked
    // A prepared transaction with an unknown wake may exist (it predates
    // this server start, or did not fit here): see the file comment.
    bool unknown;
    uint64 unknown_since;  // bumped whenever `unknown` is set
    PreparedWake wakes[kCapacity];
};

// At server start (shared memory initialisation): prepared transactions of
// the previous run may exist.
void init_prepared_wakes(PreparedWakes* wakes);

// At PREPARE of a transaction that asked for a wake: parks it. Takes the
// LWLock briefly and cannot fail (when full it marks the state unknown).
void park_prepared_wake(SchedulerShared* shared, TransactionId xid, const int64* job_ids, int job_count,
                        bool everything);

// Installs the ProcessUtility hook; from _PG_init (shared_preload_libraries).
void install_prepared_wake_hook();

// For the launcher, in a transaction of its own: once no prepared
// transaction exists, clears `unknown` so COMMIT PREPARED costs nothing
// again. Throws PgError.
void forget_unknown_prepared_wakes();

}  // namespace pg_jobs::pg
