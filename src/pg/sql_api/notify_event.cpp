// jobs_internal._notify_event(payload jsonb): sends an event on channel jobs_events
// when the calling transaction commits, if jobs.notify_events lets its kind
// through (run_events.hpp): run_started and job_changed need 'all', every
// other event (run_finished, alert) only that it is not 'off'. Returns
// whether it was queued. For the extension's own SQL (the job_changed
// trigger, alerts); EXECUTE is revoked from PUBLIC, it runs with the
// caller's rights and leaves nothing but the queued NOTIFY. The payload is
// sent as it is: callers put ids in it, never names (anyone may LISTEN).
// jobs_internal._pending_events(): the payloads the calling transaction will send
// at commit, for tests (EXECUTE revoked from PUBLIC too).
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/common/run_events.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/jsonb.h"
}

namespace pg_jobs::pg {
namespace {

Datum notify_event(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) {
        PG_RETURN_BOOL(false);
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    Jsonb* payload = PG_GETARG_JSONB_P(0);
    JsonbValue event_value;
    const JsonbValue* event = JB_ROOT_IS_OBJECT(payload)
                                  ? getKeyJsonValueFromContainer(&payload->root, "event", 5, &event_value)
                                  : nullptr;
    if (event == nullptr || event->type != jbvString) {
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("an event payload is a JSON object with an \"event\" string")));
    }
    const char* name = pnstrdup(event->val.string.val, event->val.string.len);
    const bool wanted = strcmp(name, "run_started") == 0 || strcmp(name, "job_changed") == 0
                            ? notify_all_events()
                            : notify_finished_runs();
    if (wanted) {
        queue_event_payload(JsonbToCString(nullptr, &payload->root, static_cast<int>(VARSIZE(payload))));
    }
    PG_RETURN_BOOL(wanted);
}

Datum pending_events(FunctionCallInfo /*fcinfo*/) {
    return pending_event_payloads();
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_notify_event);
Datum pg_jobs_notify_event(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._notify_event", [&] { return pg_jobs::pg::notify_event(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_pending_events);
Datum pg_jobs_pending_events(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._pending_events",
                                    [&] { return pg_jobs::pg::pending_events(fcinfo); });
}
