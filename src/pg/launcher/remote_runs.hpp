// The launcher's side of runs in databases other than jobs.database (see
// run_mailbox.hpp): it claims a run for an idle worker there, hands it over,
// and records what the worker reports. Each function works in transactions
// of its own and throws PgError on a PostgreSQL error, with the transaction
// left for the caller to abort; what stays in a mailbox after an error is
// settled by the next call of settle_remote_runs.
#pragma once
#include "pg/common/pg_headers.hpp"

namespace pg_jobs::pg {

// Records the outcomes workers posted, queues again runs whose hand-over did
// not complete, and marks 'crashed' the runs whose worker ended during them.
void settle_remote_runs();

// Gives each idle worker of the pair (`database_oid`, `owner_oid`) one of
// that owner's queued runs there, at most `queued` in all.
void hand_out_remote_runs(Oid database_oid, Oid owner_oid, const char* database, int64 queued);

// The executions held in mailboxes (handed over, running or reported but
// not yet recorded), so crash recovery leaves them to settle_remote_runs.
// `out` has room for every slot; returns how many were written.
int runs_in_mailboxes(int64* out);

}  // namespace pg_jobs::pg
