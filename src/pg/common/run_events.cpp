// The events of channel jobs_events, kept until commit; see run_events.hpp.
#include "pg/common/run_events.hpp"

#include "pg/common/event_relay.hpp"
#include "pg/common/gucs.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

// NOTIFY refuses a payload of this many bytes or more (async.c).
constexpr size_t kMaxPayloadBytes = 8000;

// One queued event: its payload and the (sub)transaction level that queued it.
struct QueuedEvent {
    int level;
    char* payload;
};

bool callbacks_registered = false;
// The events of the current transaction, in TopTransactionContext (gone
// with it: forgetting them frees nothing).
List* queued_events = NIL;

void forget_events() {
    queued_events = NIL;
}

const char* payload_of(const void* element) {
    return static_cast<const QueuedEvent*>(element)->payload;
}

// Once the transaction has committed, its events go to the relay
// (event_relay.hpp), which the launcher sends from. Nothing here may fail.
void at_transaction_event(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_COMMIT:
            relay_committed_events(queued_events, payload_of);
            forget_events();
            break;
        case XACT_EVENT_PRE_PREPARE:  // a prepared transaction's events are dropped
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PREPARE:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_PARALLEL_ABORT:
            forget_events();
            break;
        default:
            break;
    }
}

// A subtransaction rolled back takes its events with it; one committed
// gives them to its parent.
void at_subtransaction_event(SubXactEvent event, SubTransactionId /*sub*/, SubTransactionId /*parent*/,
                             void* /*arg*/) {
    if (queued_events == NIL) {
        return;
    }
    const int level = GetCurrentTransactionNestLevel();
    if (event == SUBXACT_EVENT_ABORT_SUB) {
        List* kept = NIL;
        ListCell* cell = nullptr;
        MemoryContext caller = MemoryContextSwitchTo(TopTransactionContext);
        foreach (cell, queued_events) {
            auto* queued = static_cast<QueuedEvent*>(lfirst(cell));
            if (queued->level < level) {
                kept = lappend(kept, queued);
            }
        }
        MemoryContextSwitchTo(caller);
        queued_events = kept;
    } else if (event == SUBXACT_EVENT_COMMIT_SUB) {
        ListCell* cell = nullptr;
        foreach (cell, queued_events) {
            auto* queued = static_cast<QueuedEvent*>(lfirst(cell));
            if (queued->level >= level) {
                queued->level = level - 1;
            }
        }
    }
}

void queue_owned_payload(char* payload) {
    if (!callbacks_registered) {
        RegisterXactCallback(at_transaction_event, nullptr);
        RegisterSubXactCallback(at_subtransaction_event, nullptr);
        callbacks_registered = true;
    }
    MemoryContext caller = MemoryContextSwitchTo(TopTransactionContext);
    auto* queued = static_cast<QueuedEvent*>(palloc(sizeof(QueuedEvent)));
    queued->level = GetCurrentTransactionNestLevel();
    queued->payload = payload;
    queued_events = lappend(queued_events, queued);
    MemoryContextSwitchTo(caller);
}

}  // namespace

bool notify_finished_runs() {
    return notify_events() != static_cast<int>(NotifyEvents::Off);
}

bool notify_all_events() {
    return notify_events() == static_cast<int>(NotifyEvents::All);
}

void queue_run_event(const char* event, int64 execution_id, int64 job_id, const char* status, int attempt) {
    char job[32] = "null";
    if (job_id >= 0) {
        snprintf(job, sizeof(job), "%lld", static_cast<long long>(job_id));
    }
    // event and status are the extension's own words: nothing to escape.
    MemoryContext caller = MemoryContextSwitchTo(TopTransactionContext);
    char* payload = psprintf(
        "{\"event\": \"%s\", \"execution_id\": %lld, \"job_id\": %s, \"status\": \"%s\", "
        "\"attempt\": %d}",
        event, static_cast<long long>(execution_id), job, status, attempt);
    MemoryContextSwitchTo(caller);
    queue_owned_payload(payload);
}

namespace {

void queue_row_event(const char* event, HeapTuple tuple, TupleDesc desc, int id, int job, int status,
                     int attempt) {
    bool is_null = false;
    const int64 execution_id = DatumGetInt64(SPI_getbinval(tuple, desc, id, &is_null));
    const Datum job_value = SPI_getbinval(tuple, desc, job, &is_null);
    const int64 job_id = is_null ? -1 : DatumGetInt64(job_value);
    const Datum attempt_value = SPI_getbinval(tuple, desc, attempt, &is_null);
    const int attempt_number = is_null ? 1 : DatumGetInt32(attempt_value);
    const char* status_name = SPI_getvalue(tuple, desc, status);
    queue_run_event(event, execution_id, job_id, status_name != nullptr ? status_name : "unknown",
                    attempt_number);
}

}  // namespace

void queue_run_event_of_row(HeapTuple tuple, TupleDesc desc, int id, int job, int status, int attempt) {
    const char* status_name = SPI_getvalue(tuple, desc, status);
    if (status_name != nullptr && strcmp(status_name, "running") == 0) {
        if (notify_all_events()) {
            queue_row_event("run_started", tuple, desc, id, job, status, attempt);
        }
    } else if (notify_finished_runs()) {
        queue_row_event("run_finished", tuple, desc, id, job, status, attempt);
    }
}

void queue_run_finished(HeapTuple tuple, TupleDesc desc, int id, int job, int status, int attempt) {
    if (notify_finished_runs()) {
        queue_row_event("run_finished", tuple, desc, id, job, status, attempt);
    }
}

void queue_event_payload(const char* payload) {
    if (strlen(payload) >= kMaxPayloadBytes) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("event payload too long (%zu bytes)", strlen(payload)),
                        errdetail("A payload on channel %s must be shorter than %zu bytes.", kEventChannel,
                                  kMaxPayloadBytes)));
    }
    queue_owned_payload(MemoryContextStrdup(TopTransactionContext, payload));
}

Datum pending_event_payloads() {
    const int count = list_length(queued_events);
    auto* texts = static_cast<Datum*>(palloc(sizeof(Datum) * Max(count, 1)));
    int i = 0;
    ListCell* cell = nullptr;
    foreach (cell, queued_events) {
        texts[i++] = CStringGetTextDatum(static_cast<const QueuedEvent*>(lfirst(cell))->payload);
    }
    return PointerGetDatum(construct_array(texts, count, TEXTOID, -1, false, TYPALIGN_INT));
}

}  // namespace pg_jobs::pg
