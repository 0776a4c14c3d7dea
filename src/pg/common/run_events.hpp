// Events on channel jobs_events (LISTEN/NOTIFY): a small JSON payload of
// ids, never names, commands, payloads or errors - every role may LISTEN,
// and what a run is stays behind the views' row level security.
//   {"event":"run_started","execution_id":41,"job_id":7,"status":"running","attempt":1}
//   {"event":"run_finished","execution_id":41,"job_id":7,"status":"failed","attempt":1}
//   {"event":"job_changed","job_id":7,"change":"altered"}
//   {"event":"alert", ...}  (jobs_internal._notify_event; the alerts' own shape)
// jobs.notify_events says which are sent: off, finished (run_finished and
// alert) or all.
//
// An event is sent when, and only when, the transaction that changed the
// status commits: the payloads are kept here until then, and handed to the
// relay (event_relay.hpp: the launcher sends them, a moment later) once it
// has committed; dropped at rollback (of the transaction or of the
// subtransaction that queued them) and at PREPARE (a two-phase commit sends
// nothing).
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "access/htup.h"
#include "access/tupdesc.h"
}

namespace pg_jobs::pg {

// The values of jobs.notify_events.
enum class NotifyEvents { Off = 0, Finished = 1, All = 2 };

// The channel every event goes to.
inline constexpr const char* kEventChannel = "jobs_events";

// Whether run_finished (and alert) events are sent.
bool notify_finished_runs();
// Whether run_started and job_changed events are sent.
bool notify_all_events();

// Queues {"event":<event>,"execution_id":..,"job_id":..,"status":..,"attempt":..}
// for the commit of the current transaction (job_id < 0: null). May ereport
// (out of memory) like palloc; no check of the setting here.
void queue_run_event(const char* event, int64 execution_id, int64 job_id, const char* status, int attempt);

// Queues the event of a claimed or finished run from a row of an SPI result
// whose columns `id`, `job`, `status` and `attempt` hold its execution_id,
// job_id, status and attempt: run_started for a run now 'running' (when
// jobs.notify_events is all), else run_finished (unless it is off).
void queue_run_event_of_row(HeapTuple tuple, TupleDesc desc, int id, int job, int status, int attempt);
// The same for a run known to have finished.
void queue_run_finished(HeapTuple tuple, TupleDesc desc, int id, int job, int status, int attempt);

// Queues a payload as it is (a JSON text shorter than NOTIFY's limit:
// 22023 otherwise).
void queue_event_payload(const char* payload);

// The payloads queued so far by the current transaction, in order, as a
// text[] (jobs_internal._pending_events, for tests); an empty array if none.
Datum pending_event_payloads();

}  // namespace pg_jobs::pg
