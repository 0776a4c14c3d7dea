// The HTTP worker process: one process drives every HTTP run with the
// engine of src/http (libcurl multi). It claims queued HTTP runs in batches,
// keeps up to jobs.http_max_concurrent transfers in flight, waits on its
// latch and the engine's descriptor together, and records finished runs in
// batches. At SIGTERM (shutdown) it aborts what is in flight and records
// those runs as cancelled before it exits. It also starts the workflow runs
// whose run_if needs checking, so that the launcher never runs a role's code.
// Those checks, and those of HTTP and e-mail runs, run one per turn of the
// loop, the owners taking turns, between the engine's steps: however slow a
// role's conditions, the transfers in flight and everyone else's runs wait
// for one check at most, not for all of them.
//
// It is the only place where a secret's value is used: the {{secret:NAME}}
// references in a run's headers become the job owner's values right before
// the request is submitted, and values a service echoes back are scrubbed
// before anything is recorded.
//
// Error handling as in sql_worker.cpp: PostgreSQL calls made where C++
// objects are alive go through call_pg, and each transaction through
// transaction.hpp, which rolls a failed one back and logs it after the catch
// block, under call_pg as well. The engine and the lists live on the heap
// for the life of the process.
#include "core/body_template.hpp"
#include "core/http_outcome.hpp"
#include "core/mail_message.hpp"
#include "core/retry_decision.hpp"
#include "core/secret_reference.hpp"
#include "http/engine.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/http/http_allowlist.hpp"
#include "pg/common/run_condition.hpp"
#include "pg/worker/job_context.hpp"
#include "pg/http/run_message.hpp"
#include "pg/store/http_store.hpp"
#include "pg/store/workflow_store.hpp"
#include "pg/store/run_lifecycle.hpp"
#include "pg/store/store_call.hpp"
#include "pg/http/http_worker.hpp"
#include "pg/common/shmem.hpp"
#include "pg/common/transaction.hpp"
#include "pg/common/valid_text.hpp"
#include "pg/common/worker_main.hpp"

#include <ctime>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

extern "C" {
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// Claimed but not yet started requests kept beyond the transfers in flight,
// so a finished transfer's slot is refilled without a round trip.
constexpr int kBacklogFactor = 2;
// Runs claimed or recorded per statement.
constexpr int kBatch = 1000;
// After a database error, wait this long before claiming again.
constexpr long kRetryMs = 1000;
// An owner's runs waiting for their run_if check at most; its other runs
// with a run_if stay queued meanwhile, and everyone else's are claimed.
constexpr int kWaitingChecksPerOwner = 8;
// After a check, transfers in flight get this long before the next one (a
// request on a fast network completes in between).
constexpr long kTransferWindowMs = 50;

volatile sig_atomic_t sigterm_received = false;
MemoryContext loop_context = nullptr;
http::Engine* engine = nullptr;
std::vector<HttpRunOutcome>* pending_outcomes = nullptr;  // runs that never became requests
// The secret values each request in flight carries, to scrub them from what
// the service answers before anything is stored.
std::unordered_map<int64_t, std::vector<std::string>>* secrets_in_flight = nullptr;
// The e-mails in flight (their results read as SMTP replies).
std::unordered_set<int64_t>* mails_in_flight = nullptr;

// A claim's runs, in a memory context of their own that lives until the last
// of them waiting for its run_if check has been checked.
struct ClaimBatch {
    MemoryContext memory;
    int waiting;  // its runs still waiting for their check
};
// A claimed run whose job has a run_if: 'running', not yet checked.
struct WaitingCheck {
    const ClaimedHttpRun* run;
    ClaimBatch* batch;
};
std::deque<WaitingCheck>* waiting_checks = nullptr;  // in claim order
Oid last_checked_owner = InvalidOid;                 // the owners take turns
Oid last_workflow_owner = InvalidOid;                // and the owners of conditional workflow runs too
bool workflow_turn = false;  // the checks of workflow runs and of HTTP runs take turns too

void handle_sigterm(SIGNAL_ARGS) {
    (void)postgres_signal_arg;
    const int saved_errno = errno;
    sigterm_received = true;
    SetLatch(MyLatch);
    errno = saved_errno;
}

void clear_registration(int /*code*/, Datum /*arg*/) {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (shared->http_worker_pid == MyProcPid) {
        shared->http_worker_pid = 0;
        shared->http_worker_latch = nullptr;
    }
    LWLockRelease(shared->lock);
    wake_launcher(shared);
}

void register_in_shared_memory() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    shared->http_worker_pid = MyProcPid;
    shared->http_worker_latch = MyLatch;
    LWLockRelease(shared->lock);
    on_shmem_exit(clear_registration, 0);
}

// --- Outcomes ---------------------------------------------------------------------

// jsonb_in; ereports when `json` is not JSON.
Jsonb* parse_jsonb(const char* json) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

const char* copy_string(const std::string& text) {
    return call_pg([&] { return pnstrdup(text.data(), text.size()); });
}

// Longest redirect Location quoted in an error.
constexpr size_t kMaxLocationBytes = 2048;
// Most bytes of a failed answer's body quoted in its error.
constexpr size_t kBodyStartBytes = 200;

// The body as JSON if it is JSON; else as a JSON string, its bytes that are
// not valid in the database encoding replaced (a body with NUL bytes is
// binary: a note says how long it was). *success_false is set when the body
// is an object whose "success" is false.
const char* result_json(const http::Result& result, bool* success_false) {
    *success_false = false;
    if (result.body.empty()) {
        return nullptr;
    }
    if (result.body.find('\0') != std::string::npos) {
        return copy_string("\"(" + std::to_string(result.body.size()) + " bytes that are not text)\"");
    }
    const char* json = copy_string(is_valid_text(result.body) ? result.body : valid_text(result.body));
    Jsonb* parsed = nullptr;
    try {
        parsed = call_pg([&] { return parse_jsonb(json); });
    } catch (const PgError&) {  // jsonb_in is a pure input function: no rollback (guard.hpp)
        parsed = nullptr;       // not JSON: keep it as text
    }
    if (parsed == nullptr) {
        return call_pg([&] {
            StringInfoData quoted;
            initStringInfo(&quoted);
            escape_json(&quoted, json);
            return quoted.data;
        });
    }
    *success_false = call_pg([&] {
        if (!JB_ROOT_IS_OBJECT(parsed) || JB_ROOT_IS_SCALAR(parsed)) {
            return false;
        }
        JsonbValue key;
        key.type = jbvString;
        key.val.string.val = const_cast<char*>("success");
        key.val.string.len = 7;
        const JsonbValue* success = findJsonbValueFromContainer(&parsed->root, JB_FOBJECT, &key);
        return success != nullptr && success->type == jbvBool && !success->val.boolean;
    });
    return json;
}

std::string timing_json(const http::Timings& timings) {
    char buffer[256];
    snprintf(buffer, sizeof(buffer),
             "{\"dns_ms\": %.3f, \"connect_ms\": %.3f, \"tls_ms\": %.3f, \"first_byte_ms\": %.3f, "
             "\"total_ms\": %.3f}",
             timings.dns * 1000, timings.connect * 1000, timings.tls * 1000, timings.first_byte * 1000,
             timings.total * 1000);
    return buffer;
}

// The error_kind column of a run that got no response (retries read it).
const char* error_kind_text(http::ErrorKind kind) {
    return http::error_kind_name(kind).data();  // a literal: NUL-terminated
}

HttpRunOutcome outcome_of(const http::Result& result) {
    HttpRunOutcome outcome{};
    outcome.execution_id = result.id;
    outcome.http_status = static_cast<int>(result.http_status);
    outcome.timing_json = copy_string(timing_json(result.timings));
    bool success_false = false;
    outcome.result_json = result_json(result, &success_false);
    std::string error;
    switch (result.error) {
        case http::ErrorKind::None:
            if (http::is_success_status(result.http_status)) {
                outcome.status = success_false ? RunStatus::Failed : RunStatus::Succeeded;
                if (success_false) {
                    error = "the service answered HTTP " + std::to_string(result.http_status) +
                            " with \"success\": false";
                }
            } else {
                outcome.status = RunStatus::Failed;
                error = http::failed_answer_error(result.http_status, valid_text(result.reason_phrase),
                                                  result.redirect_location.empty()
                                                      ? valid_text(result.body, kBodyStartBytes)
                                                      : std::string());
                if (!result.redirect_location.empty()) {
                    error += " redirect to " + valid_text(result.redirect_location, kMaxLocationBytes) +
                             " (redirects are not followed)";
                }
            }
            break;
        case http::ErrorKind::Timeout:
            outcome.status = RunStatus::TimedOut;
            outcome.error_kind = error_kind_text(result.error);
            error = "the request did not complete within its timeout: " + result.error_message;
            break;
        case http::ErrorKind::Aborted:
            // Aborted by a shutdown, or by jobs.cancel: no error then, the
            // row says "cancelled by <role>".
            outcome.status = RunStatus::Cancelled;
            outcome.sqlstate = "57014";  // query_canceled
            if (sigterm_received) {
                error = "shutdown: the server stopped during the request";
                outcome.sqlstate = kShutdownSqlState.data();  // admin_shutdown: retried
            }
            break;
        default:
            outcome.status = RunStatus::Failed;
            outcome.error_kind = error_kind_text(result.error);
            error = std::string(http::error_kind_name(result.error)) + ": " + result.error_message;
            break;
    }
    if (result.body_truncated) {
        error += error.empty() ? "" : "; ";
        error +=
            "response cut: the body was longer than jobs.http_max_response_size, and result holds "
            "its first " +
            std::to_string(result.body.size()) + " bytes";
    }
    // libcurl's messages may quote what the server sent.
    outcome.error = error.empty() ? nullptr : copy_string(valid_text(error));
    return outcome;
}

// An e-mail run's outcome: http_status holds the last SMTP reply code, and a
// refusal (4xx, 5xx) says so first; retries read the code (4xx transient,
// 5xx permanent) and the error kind.
HttpRunOutcome mail_outcome_of(const http::Result& result) {
    HttpRunOutcome outcome{};
    outcome.execution_id = result.id;
    outcome.http_status = static_cast<int>(result.http_status);
    outcome.timing_json = copy_string(timing_json(result.timings));
    std::string error;
    switch (result.error) {
        case http::ErrorKind::None:
            outcome.status = RunStatus::Succeeded;
            break;
        case http::ErrorKind::Timeout:
            outcome.status = RunStatus::TimedOut;
            outcome.error_kind = error_kind_text(result.error);
            error = "the e-mail was not sent within the timeout: " + result.error_message;
            break;
        case http::ErrorKind::Aborted:
            outcome.status = RunStatus::Cancelled;
            outcome.sqlstate = "57014";
            if (sigterm_received) {
                error = "shutdown: the server stopped while the e-mail was being sent";
                outcome.sqlstate = kShutdownSqlState.data();
            }
            break;
        default:
            outcome.status = RunStatus::Failed;
            outcome.error_kind = error_kind_text(result.error);
            if (result.http_status >= 400) {
                error = "SMTP " + std::to_string(result.http_status) +
                        (result.http_status < 500 ? " (transient)" : " (permanent)") + ": " +
                        result.error_message;
            } else {
                error = std::string(http::error_kind_name(result.error)) + ": " + result.error_message;
            }
            break;
    }
    outcome.error = error.empty() ? nullptr : copy_string(valid_text(error));
    return outcome;
}

// --- Secrets ------------------------------------------------------------------------

// A service that echoes a secret back (in its body, an error or a redirect)
// gets "***" stored instead.
void scrub_echoed_secrets(http::Result& result) {
    const auto found = secrets_in_flight->find(result.id);
    if (found == secrets_in_flight->end()) {
        return;
    }
    result.body = secrets::scrub(result.body, found->second);
    result.error_message = secrets::scrub(result.error_message, found->second);
    result.redirect_location = secrets::scrub(result.redirect_location, found->second);
    secrets_in_flight->erase(found);
}

// A run that cannot become a request: failed, with an error that names what
// is wrong (a secret's name, never a value), not retried (invalid_request).
void fail_before_sending(int64 execution_id, const std::string& error, const char* sqlstate) {
    HttpRunOutcome outcome{};
    outcome.execution_id = execution_id;
    outcome.status = RunStatus::Failed;
    outcome.error_kind = error_kind_text(http::ErrorKind::InvalidRequest);
    outcome.error = copy_string("invalid_request: " + error);
    outcome.sqlstate = sqlstate;
    pending_outcomes->push_back(outcome);
}

// A claimed run whose job was dropped, or changed kind, after it was queued.
void fail_missing_job(int64 execution_id, const char* error) {
    HttpRunOutcome missing{};
    missing.execution_id = execution_id;
    missing.status = RunStatus::Failed;
    missing.error = error;
    pending_outcomes->push_back(missing);
}

// opts: a run whose job has a run_if goes on only when it holds; otherwise
// its ending is queued: skipped ("run_if was false") or failed with the
// check's error. One transaction per checked run; runs without run_if pay
// nothing.
bool run_if_lets_through(const ClaimedHttpRun& run) {
    if (run.run_if == nullptr) {
        return true;
    }
    RunIfAnswer answer = RunIfAnswer::Failed;
    PendingError failure;
    set_job_context(run.context_json);  // jobs.context() of the run, as in an SQL job's run_if
    const bool checked = run_in_transaction_or_log("pg_jobs http worker: could not check a run_if", [&] {
        answer = check_run_if_as_owner(run.run_if, run.owner, &failure);
    });
    clear_job_context();
    if (!checked) {
        failure.message = "the run_if could not be checked";
        failure.sqlstate = ERRCODE_INTERNAL_ERROR;
    }
    if (answer == RunIfAnswer::Holds) {
        return true;
    }
    HttpRunOutcome outcome{};
    outcome.execution_id = run.execution_id;
    if (answer == RunIfAnswer::False) {
        outcome.status = RunStatus::Skipped;
        outcome.error = kRunIfFalse;
    } else {
        outcome.status = RunStatus::Failed;
        outcome.error = copy_string(std::string(kRunIfErrorPrefix) + run_if_failure_message(failure));
        outcome.sqlstate = copy_string(unpack_sql_state(run_if_failure_sqlstate(failure)));
    }
    pending_outcomes->push_back(outcome);
    return false;
}

// The owner's secrets the run refers to, by name.
secrets::Lookup secret_lookup(const ClaimedHttpRun& run) {
    return [&run](std::string_view name) -> std::optional<std::string_view> {
        for (int i = 0; i < run.secret_count; ++i) {
            if (name == run.secret_names[i]) {
                return std::string_view(run.secret_values[i]);
            }
        }
        return std::nullopt;
    };
}

// Adds the run's headers to `request`, each {{secret:NAME}} replaced by the
// owner's value. False (and the run failed) when a secret is missing.
bool add_headers(const ClaimedHttpRun& run, http::Request& request, std::vector<std::string>& used) {
    const secrets::Lookup lookup = secret_lookup(run);
    for (int h = 0; h < run.header_count; ++h) {
        const std::string_view value = run.header_values[h];
        if (value.find("{{") == std::string_view::npos) {
            request.headers.push_back({run.header_names[h], std::string(value)});
            continue;
        }
        secrets::Expansion expanded = secrets::expand(value, lookup);
        if (expanded.error) {
            fail_before_sending(
                run.execution_id,
                "header \"" + std::string(run.header_names[h]) + "\": " + expanded.error->message, "22023");
            return false;
        }
        if (!expanded.missing.empty()) {
            fail_before_sending(run.execution_id,
                                "secret \"" + expanded.missing + "\" does not exist (header \"" +
                                    run.header_names[h] +
                                    "\"); the job's owner creates it with jobs.set_secret",
                                "42704");
            return false;
        }
        request.headers.push_back({run.header_names[h], std::move(expanded.value)});
        used.insert(used.end(), expanded.used.begin(), expanded.used.end());
    }
    return true;
}

// `value` with its secret references replaced; false (and the run failed)
// when one is missing. `what` names the field in the error.
bool expand_login_field(const ClaimedHttpRun& run, const char* value, const char* what, std::string* out,
                        std::vector<std::string>& used) {
    if (value == nullptr) {
        out->clear();
        return true;
    }
    secrets::Expansion expanded = secrets::expand(value, secret_lookup(run));
    if (expanded.error) {
        fail_before_sending(run.execution_id, std::string(what) + ": " + expanded.error->message, "22023");
        return false;
    }
    if (!expanded.missing.empty()) {
        fail_before_sending(run.execution_id,
                            "secret \"" + expanded.missing + "\" does not exist (" + what +
                                "); the job's owner creates it with jobs.set_secret",
                            "42704");
        return false;
    }
    *out = std::move(expanded.value);
    used.insert(used.end(), expanded.used.begin(), expanded.used.end());
    return true;
}

// The text of `field` filled from the run's context; false (and the run
// failed) when it has a malformed placeholder.
bool fill(const ClaimedHttpRun& run, const char* text, const char* field, templates::Escaping escaping,
          std::string* out) {
    std::string error;
    std::optional<std::string> filled =
        fill_placeholders(text != nullptr ? text : "", run.context_json, escaping, &error);
    if (!filled) {
        fail_before_sending(run.execution_id, std::string(field) + ": " + error, "22023");
        return false;
    }
    *out = std::move(*filled);
    return true;
}

// The domain of an address ("example.com" of "ops@example.com").
std::string_view domain_of(std::string_view address) {
    const size_t at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view("pg_jobs") : address.substr(at + 1);
}

// Submits an e-mail run: its subject and body filled, the message composed,
// the login's secrets put in.
void submit_mail(const ClaimedHttpRun& run) {
    if (run.smtp_url == nullptr) {
        fail_missing_job(run.execution_id, "the job no longer exists, or is no longer an e-mail job");
        return;
    }
    mail::Message message;
    message.from = run.mail_from;
    for (int i = 0; i < run.mail_to_count; ++i) {
        message.to.emplace_back(run.mail_to[i]);
    }
    if (!fill(run, run.mail_subject, "subject", templates::Escaping::one_line, &message.subject) ||
        !fill(run, run.mail_body, "body", templates::Escaping::plain, &message.body)) {
        return;
    }
    std::vector<std::string> used;
    http::MailEnvelope envelope;
    if (!expand_login_field(run, run.smtp_username, "username", &envelope.username, used) ||
        !expand_login_field(run, run.smtp_password, "password", &envelope.password, used)) {
        return;
    }
    envelope.from = message.from;
    envelope.recipients = message.to;
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    const std::string message_id = "pg_jobs." + std::to_string(run.execution_id) + "." + std::to_string(now) +
                                   "@" + std::string(domain_of(message.from));
    http::Request request;
    request.id = run.execution_id;
    request.url = run.smtp_url;
    request.body = mail::compose(message, now, message_id);
    request.mail = std::move(envelope);
    request.timeout_ms = run.timeout_ms > 0 ? run.timeout_ms : 1;
    request.max_response_bytes = static_cast<size_t>(http_max_response_size());
    if (engine->submit(std::move(request))) {
        mails_in_flight->insert(run.execution_id);
        if (!used.empty()) {
            (*secrets_in_flight)[run.execution_id] = std::move(used);
        }
    }
}

// --- The loop ---------------------------------------------------------------------

// Hands a claimed run whose run_if holds (or that has none) to the engine,
// or queues its ending when it cannot become a request.
void start_claimed_run(const ClaimedHttpRun& run) {
    if (run.is_email) {
        submit_mail(run);
        return;
    }
    if (run.method == nullptr) {
        fail_missing_job(run.execution_id, "the job no longer exists, or is no longer an HTTP job");
        return;
    }
    http::Request request;
    request.id = run.execution_id;
    request.method = run.method;
    request.url = run.url;
    if (run.send_body) {
        std::string body;
        if (!fill(run, run.body_template, "body", templates::Escaping::json_string, &body)) {
            return;
        }
        request.body = std::move(body);
    } else {
        request.body = std::string(run.body_json);
    }
    request.timeout_ms = run.timeout_ms > 0 ? run.timeout_ms : 1;
    request.max_response_bytes = static_cast<size_t>(http_max_response_size());
    request.headers.push_back({"Content-Type", "application/json"});
    request.headers.push_back({"Idempotency-Key", std::to_string(run.first_execution_id)});
    std::vector<std::string> used;
    if (!add_headers(run, request, used)) {
        return;
    }
    if (engine->submit(std::move(request)) && !used.empty()) {
        (*secrets_in_flight)[run.execution_id] = std::move(used);
    }
}

void release_batch(ClaimBatch* batch) {
    if (--batch->waiting > 0) {
        return;
    }
    MemoryContextDelete(batch->memory);
    delete batch;
}

// Claims up to `limit` runs: those without a run_if go to the engine, the
// others wait for their check (check_next_waiting). Returns how many left
// the queue, started or ended by the claim (-1 after a database error).
int claim_and_submit(int limit) {
    std::unordered_map<Oid, int> waiting_by_owner;
    for (const WaitingCheck& waiting : *waiting_checks) {
        ++waiting_by_owner[waiting.run->owner];
    }
    std::vector<Oid> full_owners;
    for (const auto& [owner, count] : waiting_by_owner) {
        if (count >= kWaitingChecksPerOwner) {
            full_owners.push_back(owner);
        }
    }
    auto* batch = new ClaimBatch{nullptr, 1};  // the claim holds it until the end of this function
    batch->memory = call_pg(
        [] { return AllocSetContextCreate(TopMemoryContext, "pg_jobs http claim", ALLOCSET_DEFAULT_SIZES); });
    ClaimedHttpRun* runs = nullptr;
    int claimed = 0;
    int ended = 0;
    if (!run_in_transaction_or_log("pg_jobs http worker: could not claim runs", [&] {
            claimed = claim_http_runs(limit, full_owners.data(), static_cast<int>(full_owners.size()),
                                      batch->memory, &runs, &ended);
        })) {
        release_batch(batch);
        return -1;
    }
    for (int i = 0; i < claimed; ++i) {
        if (runs[i].run_if != nullptr) {
            waiting_checks->push_back({&runs[i], batch});
            ++batch->waiting;
        } else {
            start_claimed_run(runs[i]);
        }
    }
    release_batch(batch);
    return claimed + ended;
}

// The waiting run to check next: the oldest of the next owner after the
// last one checked (by OID, wrapping around).
size_t next_check_index() {
    std::optional<size_t> after;  // the next owner's oldest
    size_t first = 0;             // the lowest owner's oldest
    for (size_t i = 0; i < waiting_checks->size(); ++i) {
        const Oid owner = (*waiting_checks)[i].run->owner;
        if (owner > last_checked_owner && (!after || owner < (*waiting_checks)[*after].run->owner)) {
            after = i;
        }
        if (owner < (*waiting_checks)[first].run->owner) {
            first = i;
        }
    }
    return after.value_or(first);
}

// Checks one waiting run's run_if, as its owner; starts the run when it holds.
void check_next_waiting() {
    if (waiting_checks->empty()) {
        return;
    }
    const size_t index = next_check_index();
    const WaitingCheck waiting = (*waiting_checks)[index];
    waiting_checks->erase(waiting_checks->begin() + static_cast<std::ptrdiff_t>(index));
    last_checked_owner = waiting.run->owner;
    if (run_if_lets_through(*waiting.run)) {
        start_claimed_run(*waiting.run);
    }
    release_batch(waiting.batch);
}

// A waiting run's ending when it is cancelled before its check: by
// jobs.cancel, or by a shutdown (then retried, as an aborted request is).
void cancel_waiting(int64 execution_id) {
    for (auto it = waiting_checks->begin(); it != waiting_checks->end(); ++it) {
        if (it->run->execution_id != execution_id) {
            continue;
        }
        HttpRunOutcome outcome{};
        outcome.execution_id = execution_id;
        outcome.status = RunStatus::Cancelled;
        outcome.sqlstate = "57014";  // query_canceled
        if (sigterm_received) {
            outcome.error = "shutdown: the server stopped before the run's run_if was checked";
            outcome.sqlstate = kShutdownSqlState.data();  // admin_shutdown: retried
        }
        pending_outcomes->push_back(outcome);
        ClaimBatch* batch = it->batch;
        waiting_checks->erase(it);
        release_batch(batch);
        return;
    }
}

// flow: starts the oldest due workflow run whose run_if is checked here, as
// for HTTP runs (workflow_store.hpp), of the next owner in turn: one check
// per call. Sets *checked when one was due (its condition ran); returns
// whether more may be due: after a start, the next call looks (false when
// none was due, or after a database error: the next wake-up looks again).
bool start_conditional_workflow_run(bool* checked) {
    bool more = false;
    (void)run_in_transaction_or_log("pg_jobs http worker: could not start workflow runs", [&] {
        Oid owner = InvalidOid;
        if (next_conditional_workflow_owner(last_workflow_owner, &owner)) {
            *checked = true;
            last_workflow_owner = owner;
            (void)start_workflow_runs(true, 1, owner);
            more = true;
        }
    });
    return more;
}

// One role's condition checked per turn of the loop: a waiting HTTP or
// e-mail run's, or a workflow run's, in turn. Returns whether a condition
// ran (a role's code, which may have reset the latch).
bool check_one_condition(bool* workflows_due) {
    bool checked = false;
    if (*workflows_due && (workflow_turn || waiting_checks->empty())) {
        *workflows_due = start_conditional_workflow_run(&checked);
    } else if (!waiting_checks->empty()) {
        check_next_waiting();
        checked = true;
    }
    workflow_turn = !workflow_turn;
    return checked;
}

// Aborts the transfers jobs.cancel asked for (cancel_request.cpp). When
// more cancels came than the shared list holds, the rows say which.
void abort_cancelled_runs() {
    SchedulerShared* shared = scheduler_shared();
    int64 ids[HttpCancels::kCapacity];
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    HttpCancels& cancels = shared->http_cancels;
    const int count = cancels.count;
    const bool overflowed = cancels.overflowed;
    memcpy(ids, cancels.execution_ids, sizeof(int64) * count);
    cancels.count = 0;
    cancels.overflowed = false;
    LWLockRelease(shared->lock);
    for (int i = 0; i < count; ++i) {
        (void)engine->abort(ids[i]);
        cancel_waiting(ids[i]);
    }
    if (!overflowed) {
        return;
    }
    int64* marked = nullptr;
    int marked_count = 0;
    if (!run_in_transaction_or_log("pg_jobs http worker: could not read cancelled runs",
                                   [&] { marked_count = cancelled_http_runs(loop_context, &marked); })) {
        return;
    }
    for (int i = 0; i < marked_count; ++i) {
        (void)engine->abort(marked[i]);
        cancel_waiting(marked[i]);
    }
}

// Records what finished. After a database error (logged) the runs of the
// failed batch stay 'running' until the launcher notices this process is
// gone and marks them crashed.
void record_finished() {
    std::vector<http::Result> results = engine->take_results();
    if (results.empty() && pending_outcomes->empty()) {
        return;
    }
    std::vector<HttpRunOutcome> outcomes;
    outcomes.swap(*pending_outcomes);
    for (http::Result& result : results) {
        scrub_echoed_secrets(result);
        outcomes.push_back(mails_in_flight->erase(result.id) > 0 ? mail_outcome_of(result)
                                                                 : outcome_of(result));
    }
    for (size_t start = 0; start < outcomes.size(); start += kBatch) {
        const int count = static_cast<int>(std::min<size_t>(kBatch, outcomes.size() - start));
        const HttpRunOutcome* batch = outcomes.data() + start;
        (void)run_in_transaction_or_log(
            ("pg_jobs http worker: could not record " + std::to_string(count) + " run(s)").c_str(),
            [&] { (void)record_http_outcomes(batch, count); });
    }
    ConditionVariableBroadcast(&scheduler_shared()->run_finished);
    // Look for runs again: a scheduled run waiting for one of these (its
    // job's overlap policy) may start now.
    SetLatch(MyLatch);
}

long wait_timeout_ms(TimestampTz last_work) {
    long timeout = engine->timeout_ms();
    if (engine->idle()) {
        const long idle_ms = static_cast<long>((GetCurrentTimestamp() - last_work) / 1000);
        const long left = worker_idle_timeout_ms() - idle_ms;
        timeout = timeout < 0 ? left : Min(timeout, left);
    }
    return timeout;
}

// Built once, never destroyed: the process ends with proc_exit. Throws when
// the engine cannot be built.
void start_engine() {
    http::EngineOptions options;
    options.max_concurrent = http_max_concurrent();
    options.user_agent = std::string("pg_jobs/") + PG_JOBS_VERSION;
    options.policy = check_http_connection;
    engine = new http::Engine(std::move(options));
    pending_outcomes = new std::vector<HttpRunOutcome>();
    secrets_in_flight = new std::unordered_map<int64_t, std::vector<std::string>>();
    mails_in_flight = new std::unordered_set<int64_t>();
    waiting_checks = new std::deque<WaitingCheck>();
}

void run_loop() {
    TimestampTz last_work = GetCurrentTimestamp();
    bool look_for_runs = true;  // the latch was set or the last claim was full
    bool workflows_due = true;  // conditional workflow runs may wait for their check
    // Runs wait for their run_if check.
    const auto checks_left = [&workflows_due] { return workflows_due || !waiting_checks->empty(); };
    TimestampTz last_check_end = 0;
    long retry_ms = -1;
    for (;;) {
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
            engine->set_max_concurrent(http_max_concurrent());
        }
        MemoryContextReset(loop_context);
        MemoryContextSwitchTo(loop_context);
        call_pg([] { renew_kept_plans(); });  // between statements (store_call.hpp)
        if (sigterm_received) {
            const size_t aborted = engine->abort_all();
            while (!waiting_checks->empty()) {
                cancel_waiting(waiting_checks->front().run->execution_id);
            }
            record_finished();
            if (aborted > 0) {
                ereport(LOG, (errmsg("pg_jobs http worker: shutdown cancelled %zu request(s) in flight",
                                     aborted)));
            }
            proc_exit(0);
        }
        if (look_for_runs) {
            workflows_due = true;
            const http::EngineStats stats = engine->stats();
            // The runs waiting for their check take no room: whatever they
            // wait for, the others' runs are claimed (kWaitingChecksPerOwner).
            const int room =
                http_max_concurrent() * kBacklogFactor - static_cast<int>(stats.queued + stats.in_flight);
            const int limit = Min(room, kBatch);
            if (limit > 0) {
                const int claimed = claim_and_submit(limit);
                retry_ms = claimed < 0 ? kRetryMs : -1;
                look_for_runs = claimed == limit;
                if (claimed > 0) {
                    last_work = GetCurrentTimestamp();
                }
            } else {
                look_for_runs = true;  // come back when transfers finish
            }
        }
        abort_cancelled_runs();
        engine->step();     // the transfers in flight move on between two checks
        record_finished();  // what finished is recorded before a check, not after it
        long check_in_ms = 0;
        if (checks_left() && !engine->idle()) {
            check_in_ms =
                kTransferWindowMs - static_cast<long>((GetCurrentTimestamp() - last_check_end) / 1000);
        }
        bool checked = false;
        if (checks_left() && check_in_ms <= 0) {
            checked = check_one_condition(&workflows_due);
            if (checked) {
                // The check may have consumed a wake-up (pg_sleep resets the
                // latch): look for runs again whatever the latch says.
                look_for_runs = true;
                last_check_end = GetCurrentTimestamp();
                last_work = last_check_end;
                abort_cancelled_runs();
                engine->step();
            }
            check_in_ms = engine->idle() ? 0 : kTransferWindowMs;
        }
        record_finished();
        if (!engine->idle()) {
            last_work = GetCurrentTimestamp();
        }
        if (look_for_runs && !checked && engine->stats().queued == 0) {
            continue;  // more runs wait and there is room: claim before sleeping
        }
        long timeout = wait_timeout_ms(last_work);
        if (engine->idle() && !checks_left() && timeout <= 0 && retry_ms < 0) {
            proc_exit(0);  // idle too long; the launcher starts it again when needed
        }
        if (retry_ms >= 0) {
            timeout = timeout < 0 ? retry_ms : Min(timeout, retry_ms);
        }
        if (checks_left()) {
            // The next check comes once the transfers in flight had their window.
            timeout = timeout < 0 ? check_in_ms : Min(timeout, check_in_ms);
        }
        if (look_for_runs) {
            timeout = 0;  // after a check: one look at the latch, the sockets and the postmaster first
        }
        const int events = WaitLatchOrSocket(
            MyLatch,
            WL_LATCH_SET | WL_SOCKET_READABLE | WL_EXIT_ON_PM_DEATH | (timeout >= 0 ? WL_TIMEOUT : 0),
            engine->wait_fd(), timeout, PG_WAIT_EXTENSION);
        if ((events & WL_LATCH_SET) != 0) {
            ResetLatch(MyLatch);
            look_for_runs = true;
        }
        if (retry_ms >= 0 && (events & WL_TIMEOUT) != 0) {
            look_for_runs = true;
        }
    }
}

// The HTTP worker's main; ends with proc_exit. A failure to build the
// engine (out of memory, libcurl) throws, and run_worker logs it.
void run_http_worker() {
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, handle_sigterm);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(jobs_database(), nullptr, 0);
    register_in_shared_memory();
    pgstat_report_activity(STATE_IDLE, nullptr);
    loop_context = AllocSetContextCreate(TopMemoryContext, "pg_jobs http worker", ALLOCSET_DEFAULT_SIZES);
    start_engine();
    ereport(LOG, (errmsg("pg_jobs http worker started")));
    run_loop();
}

// The worker this launcher started last; kept to tell "still starting" from
// "gone" (a worker that failed before attaching never clears a flag).
BackgroundWorkerHandle* handle = nullptr;

}  // namespace

bool http_worker_stopped() {
    pid_t pid = 0;
    if (handle == nullptr || GetBackgroundWorkerPid(handle, &pid) != BGWH_STOPPED) {
        return false;
    }
    pfree(handle);  // said once: the next wake_or_start_http_worker starts another
    handle = nullptr;
    return true;
}

bool wake_or_start_http_worker() {
    SchedulerShared* shared = scheduler_shared();
    LWLockAcquire(shared->lock, LW_SHARED);
    Latch* latch = shared->http_worker_latch;
    if (latch != nullptr) {
        SetLatch(latch);
    }
    LWLockRelease(shared->lock);
    if (latch != nullptr) {
        return true;
    }
    if (handle != nullptr) {
        pid_t pid = 0;
        const BgwHandleStatus status = GetBackgroundWorkerPid(handle, &pid);
        if (status == BGWH_STARTED || status == BGWH_NOT_YET_STARTED) {
            return true;  // it claims the queued runs once it is up
        }
        pfree(handle);
        handle = nullptr;
    }
    BackgroundWorker worker{};
    worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
    worker.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_jobs");
    snprintf(worker.bgw_function_name, BGW_MAXLEN, "pg_jobs_http_worker_main");
    snprintf(worker.bgw_name, BGW_MAXLEN, "pg_jobs http worker");
    snprintf(worker.bgw_type, BGW_MAXLEN, "pg_jobs http worker");
    worker.bgw_notify_pid = MyProcPid;
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    const bool registered = RegisterDynamicBackgroundWorker(&worker, &handle);
    MemoryContextSwitchTo(old);
    if (!registered) {
        handle = nullptr;
        static TimestampTz last_said = 0;  // said once a minute at most: the launcher retries every second
        const TimestampTz now = GetCurrentTimestamp();
        if (now - last_said >= 60 * USECS_PER_SEC) {
            last_said = now;
            ereport(LOG,
                    (errmsg("pg_jobs: could not start the HTTP worker: no background worker slot is free"),
                     errhint("Raise max_worker_processes: it must exceed jobs.max_workers plus the launcher, "
                             "the HTTP worker and any other background workers.")));
        }
    }
    return registered;
}

}  // namespace pg_jobs::pg

void pg_jobs_http_worker_main(Datum /*argument*/) {
    pg_jobs::pg::run_worker("pg_jobs http worker", [] { pg_jobs::pg::run_http_worker(); });
}
