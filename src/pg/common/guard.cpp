// The only PG_TRY in pg_jobs, and the conversion of C++ exceptions into
// PostgreSQL errors; see guard.hpp.
#include "pg/common/guard.hpp"

#include <new>
#include <stdexcept>

extern "C" {
#include "utils/memutils.h"
}

namespace pg_jobs::pg {

const char* PgError::what() const noexcept {
    return data_ != nullptr && data_->message != nullptr ? data_->message : "PostgreSQL error";
}

namespace {

// Copies `text` into the current memory context without any chance of
// ereport (we are inside a catch block); nullptr when memory is short.
const char* copy_or_null(const std::string& text) noexcept {
    if (text.empty()) {
        return nullptr;
    }
    void* copy = MemoryContextAllocExtended(CurrentMemoryContext, text.size() + 1,
                                            MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
    if (copy == nullptr) {
        return nullptr;
    }
    memcpy(copy, text.c_str(), text.size() + 1);
    return static_cast<const char*>(copy);
}

void set_out_of_memory(PendingError* out) noexcept {
    out->sqlstate = ERRCODE_OUT_OF_MEMORY;
    out->message = "out of memory";
    out->detail = nullptr;
    out->hint = nullptr;
}

// Replaces the context collected where the error was raised (every frame,
// the internal ones first) by the context of the frames still alive here,
// which are the caller's: the error context callbacks run as they would
// have for an error raised at this point. A position in an internal query
// goes with it; SQLSTATE, message, DETAIL, HINT, hide_stmt (the statement
// of a secret-bearing call stays out of the log) and the rest are kept.
void hide_internal_context(ErrorData* error) {
    char* outer = GetErrorContextStack();
    error->context = outer != nullptr && outer[0] != '\0' ? outer : nullptr;
    error->internalquery = nullptr;
    error->internalpos = 0;
    error->cursorpos = 0;
}

}  // namespace

void capture_current_exception(const char* function_name, PendingError* out) noexcept {
    out->function_name = function_name;
    try {
        // Only called from a catch block (see run_guarded): there is one.
        // cppcheck-suppress rethrowNoCurrentException
        throw;
    } catch (const PgError& error) {
        out->pg_error = error.data();
    } catch (const UserError& error) {
        out->sqlstate = error.sqlstate();
        out->message = copy_or_null(error.message());
        if (out->message == nullptr) {
            set_out_of_memory(out);
            return;
        }
        out->detail = copy_or_null(error.detail());
        out->hint = copy_or_null(error.hint());
    } catch (const std::bad_alloc&) {
        set_out_of_memory(out);
    } catch (const std::exception& error) {
        // what() may name C++ library internals: keep it in the server log.
        out->unexpected = true;
        out->detail_log = copy_or_null(error.what());
    } catch (...) {
        out->unexpected = true;
    }
}

void raise_pending(const PendingError& pending) {
    if (pending.pg_error != nullptr) {
        if (pending.hide_internal_context) {
            hide_internal_context(pending.pg_error);
        }
        ReThrowError(pending.pg_error);
    }
    if (pending.unexpected) {
        ereport(ERROR,
                (errcode(ERRCODE_INTERNAL_ERROR), errmsg("%s failed unexpectedly", pending.function_name),
                 pending.detail_log != nullptr ? errdetail_log("%s", pending.detail_log) : 0,
                 errhint("This is a bug in pg_jobs; please report it with the statement that caused it.")));
    }
    ereport(ERROR, (errcode(pending.sqlstate), errmsg_internal("%s", pending.message),
                    pending.detail != nullptr ? errdetail_internal("%s", pending.detail) : 0,
                    pending.detail_log != nullptr ? errdetail_log("%s", pending.detail_log) : 0,
                    pending.hint != nullptr ? errhint("%s", pending.hint) : 0));
    pg_unreachable();
}

void rethrow_pending(const PendingError& pending) {
    if (pending.pg_error != nullptr) {
        throw PgError(pending.pg_error);
    }
    if (pending.unexpected) {
        throw std::runtime_error(pending.detail_log != nullptr ? pending.detail_log : "unexpected failure");
    }
    throw UserError(pending.sqlstate, pending.message != nullptr ? pending.message : "unknown error",
                    pending.detail != nullptr ? pending.detail : "",
                    pending.hint != nullptr ? pending.hint : "");
}

namespace {

struct Report {
    int elevel;
    const char* message;
    const char* hint;
};

void report_now(const Report& report) {
    ereport(report.elevel,
            (errmsg_internal("%s", report.message), report.hint != nullptr ? errhint("%s", report.hint) : 0));
}

}  // namespace

void report(int elevel, const char* message, const char* hint) {
    Assert(elevel < ERROR);
    const Report what{elevel, message, hint};
    call_pg([&] { report_now(what); });
}

namespace detail {

ErrorData* run_catching_pg_errors(void (*fn)(void*), void* arg) noexcept {
    MemoryContext caller_context = CurrentMemoryContext;
    ErrorData* volatile error = nullptr;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    {
        // CopyErrorData must not run in ErrorContext, which FlushErrorState resets.
        MemoryContextSwitchTo(caller_context);
        error = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    return error;
}

}  // namespace detail
}  // namespace pg_jobs::pg
