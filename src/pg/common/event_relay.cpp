// The ring of committed events and the launcher's sending; see event_relay.hpp.
#include "pg/common/event_relay.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/run_events.hpp"
#include "pg/common/shmem.hpp"
#include "pg/common/transaction.hpp"

extern "C" {
#include "commands/async.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

constexpr const char* kTrancheName = "pg_jobs events";
constexpr const char* kShmemName = "pg_jobs events";
// About 10,000 events of a run (each ~90 bytes): a burst's backlog while
// the launcher is busy queueing it.
constexpr uint64 kRingBytes = 1024 * 1024;
// One transaction sends at most this much (NOTIFY keeps each payload of a
// transaction in memory until commit).
constexpr uint64 kBatchBytes = 256 * 1024;

// Each entry: its length (uint16, native order) then the payload bytes.
struct EventRing {
    LWLock* lock;
    uint64 head;     // bytes ever written
    uint64 tail;     // bytes ever consumed
    uint64 dropped;  // events dropped for want of room, ever
    char data[kRingBytes];
};

EventRing* ring = nullptr;
uint64 dropped_reported = 0;  // the launcher's: dropped events already logged
char* batch = nullptr;        // the launcher's: kBatchBytes, taken out of the ring

void copy_in(uint64 at, const void* bytes, uint64 length) {
    const uint64 offset = at % kRingBytes;
    const uint64 first = Min(length, kRingBytes - offset);
    memcpy(ring->data + offset, bytes, first);
    memcpy(ring->data, static_cast<const char*>(bytes) + first, length - first);
}

void copy_out(uint64 at, void* bytes, uint64 length) {
    const uint64 offset = at % kRingBytes;
    const uint64 first = Min(length, kRingBytes - offset);
    memcpy(bytes, ring->data + offset, first);
    memcpy(static_cast<char*>(bytes) + first, ring->data, length - first);
}

// Takes up to kBatchBytes of whole entries out of the ring into `out`
// (kBatchBytes long); returns the bytes taken.
uint64 take_batch(char* out) {
    LWLockAcquire(ring->lock, LW_EXCLUSIVE);
    uint64 end = ring->tail;
    while (end < ring->head) {
        uint16 length = 0;
        copy_out(end, &length, sizeof(length));
        if (end + sizeof(length) + length - ring->tail > kBatchBytes) {
            break;
        }
        end += sizeof(length) + length;
    }
    const uint64 taken = end - ring->tail;
    copy_out(ring->tail, out, taken);
    ring->tail = end;
    LWLockRelease(ring->lock);
    return taken;
}

// Plain C-style: its ereport runs under call_pg.
void log_dropped(uint64 count) {
    ereport(LOG, (errmsg("pg_jobs: %llu events of channel %s were dropped (the relay was full)",
                         static_cast<unsigned long long>(count), kEventChannel)));
}

}  // namespace

Size event_relay_size() {
    return sizeof(EventRing);
}

void request_event_relay() {
    RequestAddinShmemSpace(event_relay_size());
    RequestNamedLWLockTranche(kTrancheName, 1);
}

void init_event_relay() {
    bool found = false;
    auto* state = static_cast<EventRing*>(ShmemInitStruct(kShmemName, event_relay_size(), &found));
    if (!found) {
        state->lock = &(GetNamedLWLockTranche(kTrancheName))->lock;
        state->head = 0;
        state->tail = 0;
        state->dropped = 0;
    }
    ring = state;
}

void relay_committed_events(const List* events, const char* (*payload_of)(const void* element)) {
    if (ring == nullptr || events == NIL) {
        return;
    }
    LWLockAcquire(ring->lock, LW_EXCLUSIVE);
    const bool was_empty = ring->head == ring->tail;
    const ListCell* cell = nullptr;
    foreach (cell, events) {
        const char* payload = payload_of(lfirst(cell));
        const auto length = static_cast<uint16>(strlen(payload));  // < 8000: checked when queued
        if (ring->head - ring->tail + sizeof(length) + length > kRingBytes) {
            ++ring->dropped;
            continue;
        }
        copy_in(ring->head, &length, sizeof(length));
        copy_in(ring->head + sizeof(length), payload, length);
        ring->head += sizeof(length) + length;
    }
    const bool filled = ring->head != ring->tail;
    LWLockRelease(ring->lock);
    SchedulerShared* shared = scheduler_shared();
    if (was_empty && filled && shared != nullptr) {
        wake_launcher_for_events(shared);
    }
}

void send_relayed_events() {
    if (ring == nullptr) {
        return;
    }
    for (;;) {
        LWLockAcquire(ring->lock, LW_SHARED);
        const bool empty = ring->head == ring->tail;
        const uint64 dropped = ring->dropped;
        LWLockRelease(ring->lock);
        if (dropped != dropped_reported) {
            const uint64 count = dropped - dropped_reported;
            dropped_reported = dropped;
            call_pg([&] { log_dropped(count); });
        }
        if (empty) {
            return;
        }
        if (batch == nullptr) {
            // Kept for the launcher's life: a fresh one per send costs a
            // large malloc and free, and the page faults of touching it.
            batch =
                static_cast<char*>(call_pg([] { return MemoryContextAlloc(TopMemoryContext, kBatchBytes); }));
        }
        run_in_transaction([&] {
            const uint64 taken = take_batch(batch);
            char payload[8192];
            for (uint64 at = 0; at < taken;) {
                uint16 length = 0;
                memcpy(&length, batch + at, sizeof(length));
                memcpy(payload, batch + at + sizeof(length), length);
                payload[length] = '\0';
                Async_Notify(kEventChannel, payload);
                at += sizeof(length) + length;
            }
        });
    }
}

}  // namespace pg_jobs::pg
