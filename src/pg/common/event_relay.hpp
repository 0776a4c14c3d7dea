// The relay of committed events (run_events.hpp) to channel jobs_events.
// A NOTIFY serializes the commits of every notifying transaction (they take
// one lock, held through the commit), so a worker that notified in each
// claim and finish would make the runs of a burst commit one at a time.
// Instead each transaction, once committed, copies its events into a ring
// in shared memory, and the launcher (connected to jobs.database) sends
// what the ring holds in one transaction of its own: one notifying commit
// per batch. Events keep their commit order; they arrive a moment after
// the change committed, never for a change that did not commit. When the
// ring is full, events are dropped and counted (a LOG line of the launcher
// says how many). Guarded by its own LWLock.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "nodes/pg_list.h"
}

namespace pg_jobs::pg {

// Shared memory: sized and requested in the shmem_request_hook, set up in
// the shmem_startup_hook (shmem.cpp calls these).
Size event_relay_size();
void request_event_relay();
void init_event_relay();

// At commit (cannot fail: no allocation): appends the payload of each
// element of `events` (payload_of gives it, a NUL-terminated JSON text
// shorter than 8000 bytes) to the ring, and wakes the launcher if the ring
// was empty.
void relay_committed_events(const List* events, const char* (*payload_of)(const void* element));

// For the launcher, outside a transaction: sends what the ring holds, in
// batches of one transaction each; logs the events dropped since the last
// call. Throws PgError (a failed batch is lost, and logged by the caller).
void send_relayed_events();

}  // namespace pg_jobs::pg
