// The public functions that define, change or trigger jobs (jobs.schedule,
// jobs.alter, jobs.enable, ...) are this one C function. It runs as the
// caller, so GetUserId() is who is asking; it then calls the function's
// privileged part, jobs_internal._<name>(caller, <the same arguments>), a SECURITY
// DEFINER function nobody else may execute. Calling it through fmgr skips
// the EXECUTE check (made by the executor, not by fmgr), and the caller's
// name travels as an argument no role can forge.
//
// The functions whose arguments may hold a secret (jobs.set_secret's value,
// the headers of jobs.schedule_http and jobs.alter_http) run under an error
// context that keeps the failing statement's text out of the server log.
#include "core/secret_reference.hpp"
#include "pg/common/command_syntax.hpp"
#include "pg/common/gucs.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/internal_schema.hpp"
#include "pg/common/pg_headers.hpp"
#include "pg/hooks/secret_logging.hpp"
#include "pg/sql_api/privileged_caller.hpp"
#include "pg/sql_api/schedule_batch.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace pg_jobs::pg {

Oid privileged_caller = InvalidOid;

namespace {

// Cached in fn_extra for the life of the calling expression.
struct PrivilegedPart {
    FmgrInfo function;
    int nargs;             // the public function's; the privileged part takes one more
    bool hides_statement;  // set_secret, schedule_http, alter_http
    bool batchable;        // jobs.schedule: see schedule_batch.hpp
    schedule_batch::Target batch_target;
    // The positions of the text arguments command, run_if and job_name
    // (-1: none), for the syntax checks of every call.
    int command_arg;
    int run_if_arg;
    int job_name_arg;
};

// Job definitions live in jobs.database only: the launcher reads them there.
// (jobs.database is set at server start, so one success holds for the session.)
void require_jobs_database() {
    static bool in_jobs_database = false;
    if (in_jobs_database) {
        return;
    }
    const char* here = get_database_name(MyDatabaseId);
    if (here != nullptr && strcmp(here, jobs_database()) == 0) {
        in_jobs_database = true;
        return;
    }
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("jobs can only be defined in database \"%s\" (the jobs.database setting), not in \"%s\"",
                    jobs_database(), here != nullptr ? here : "?"),
             errhint("Connect to database \"%s\" (a job can still run in this one: database => '%s'), or "
                     "set jobs.database = '%s' in postgresql.conf and restart the server.",
                     jobs_database(), here != nullptr ? here : "?", here != nullptr ? here : "?")));
}

// The positions of the text arguments called names[i] of the public
// function (-1: none), in one catalog lookup.
void argument_positions(Oid function, const char* const* names, int* positions, int count) {
    HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(function));
    if (!HeapTupleIsValid(tuple)) {
        elog(ERROR, "cache lookup failed for function %u", function);
    }
    Oid* types = nullptr;
    char** arg_names = nullptr;
    char* modes = nullptr;
    const int nargs = get_func_arg_info(tuple, &types, &arg_names, &modes);
    ReleaseSysCache(tuple);
    for (int k = 0; k < count; ++k) {
        positions[k] = -1;
        for (int i = 0; arg_names != nullptr && i < nargs; ++i) {
            if (arg_names[i] != nullptr && strcmp(arg_names[i], names[k]) == 0 && types[i] == TEXTOID) {
                positions[k] = i;
            }
        }
    }
}

// Finds jobs_internal._<name>(name, <argument types of the public function>).
PrivilegedPart* look_up_privileged_part(FunctionCallInfo fcinfo) {
    const Oid public_oid = fcinfo->flinfo->fn_oid;
    Oid* public_types = nullptr;
    int nargs = 0;
    (void)get_func_signature(public_oid, &public_types, &nargs);
    if (nargs + 1 > FUNC_MAX_ARGS) {
        elog(ERROR, "pg_jobs: too many arguments for a privileged call");
    }
    Oid types[FUNC_MAX_ARGS];
    types[0] = NAMEOID;
    for (int i = 0; i < nargs; ++i) {
        types[i + 1] = public_types[i];
    }
    char* private_name = psprintf("_%s", get_func_name(public_oid));
    const Oid private_oid = internal_function(private_name, nargs + 1, types);
    if (!OidIsValid(private_oid)) {
        elog(ERROR, "pg_jobs: function %s.%s is missing; run ALTER EXTENSION pg_jobs UPDATE", kInternalSchema,
             private_name);
    }

    auto* part =
        static_cast<PrivilegedPart*>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(PrivilegedPart)));
    fmgr_info_cxt(private_oid, &part->function, fcinfo->flinfo->fn_mcxt);
    part->nargs = nargs;
    part->hides_statement = secrets::statement_may_carry_secrets(get_func_name(public_oid));
    part->batchable =
        strcmp(get_func_name(public_oid), "schedule") == 0 && nargs == schedule_batch::kScheduleArgs;
    if (part->batchable) {
        HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(private_oid));
        if (!HeapTupleIsValid(proc)) {
            elog(ERROR, "pg_jobs: cache lookup failed for function %u", private_oid);
        }
        part->batch_target.definer = reinterpret_cast<Form_pg_proc>(GETSTRUCT(proc))->proowner;
        ReleaseSysCache(proc);
        part->batch_target.schema = get_func_namespace(public_oid);
        for (int i = 0; i < nargs; ++i) {
            part->batch_target.arg_types[i] = public_types[i];
            get_typlenbyval(public_types[i], &part->batch_target.arg_lengths[i],
                            &part->batch_target.arg_by_value[i]);
        }
    }
    static const char* const kNames[] = {"command", "run_if", "job_name"};
    int positions[3];
    argument_positions(public_oid, kNames, positions, 3);
    part->command_arg = positions[0];
    part->run_if_arg = positions[1];
    part->job_name_arg = positions[2];
    return part;
}

PrivilegedPart* privileged_part(FunctionCallInfo fcinfo) {
    auto* part = static_cast<PrivilegedPart*>(fcinfo->flinfo->fn_extra);
    if (part == nullptr) {
        part = look_up_privileged_part(fcinfo);
        fcinfo->flinfo->fn_extra = part;
    }
    return part;
}

// Runs under run_guarded_hiding_internals. Plain C calls only until the
// privileged part is invoked: errors raised before travel through no C++
// frame that owns anything; the privileged part runs under call_pg while the
// CallerScope is alive, and its error, a PgError, restores the outer caller
// on its way to run_guarded_hiding_internals.
Datum call_privileged_part(FunctionCallInfo fcinfo) {
    require_jobs_database();
    PrivilegedPart* part = privileged_part(fcinfo);
    const Oid caller_id = GetUserId();
    // jobs.schedule called row after row by one statement: most calls join
    // the statement's batch; any other privileged call writes it first.
    if (part->batchable) {
        int64 job_id = 0;
        if (schedule_batch::try_add(fcinfo, caller_id, part->batch_target, &job_id)) {
            return Int64GetDatum(job_id);
        }
    } else {
        schedule_batch::flush();
    }
    NameData* caller = static_cast<NameData*>(palloc0(NAMEDATALEN));
    namestrcpy(caller, GetUserNameFromId(caller_id, false));

    auto* call = static_cast<FunctionCallInfo>(palloc0(SizeForFunctionCallInfo(part->nargs + 1)));
    InitFunctionCallInfoData(*call, &part->function, static_cast<short>(part->nargs + 1), fcinfo->fncollation,
                             nullptr, nullptr);
    call->args[0].value = NameGetDatum(caller);
    call->args[0].isnull = false;
    for (int i = 0; i < part->nargs; ++i) {
        call->args[i + 1] = fcinfo->args[i];
    }
    // palloc'd, not on the stack: GCC warns about a local's address in a global.
    ErrorContextCallback* hide_statement = nullptr;
    if (part->hides_statement) {
        hide_statement = static_cast<ErrorContextCallback*>(palloc0(sizeof(ErrorContextCallback)));
        hide_statement->callback = hide_statement_of_errors;
        hide_statement->previous = error_context_stack;
        error_context_stack = hide_statement;
    }
    // An error of the privileged part has hidden its statement (errhidestmt,
    // kept in the error) by the time call_pg catches and rethrows it. The
    // user sees it without the context lines of the internal functions
    // (run_guarded_hiding_internals, around this function).
    Datum result = 0;
    {
        const CallerScope scope(caller_id);
        result = call_pg([call] { return FunctionCallInvoke(call); });
    }
    if (hide_statement != nullptr) {
        error_context_stack = hide_statement->previous;
    }
    fcinfo->isnull = call->isnull;
    if (part->batchable) {
        schedule_batch::note_accepted(fcinfo, caller_id, part->batch_target);
    }
    return result;
}

// A job's SQL command (jobs.schedule, jobs.schedule_in, jobs.alter) is
// parsed, not run, before anything is stored: a syntax error is refused
// with its position in the command (command_syntax.hpp). Runs as the caller,
// outside run_guarded_hiding_internals so the position stays in the error.
Datum check_command_argument(FunctionCallInfo fcinfo) {
    const PrivilegedPart* part = privileged_part(fcinfo);
    const int command = part->command_arg;
    const int run_if = part->run_if_arg;
    const int job_name = part->job_name_arg;
    if (run_if >= 0 && !PG_ARGISNULL(run_if)) {  // opts: issue 15
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        const char* run_if_text = text_to_cstring(PG_GETARG_TEXT_PP(run_if));
        const char* name = job_name >= 0 && !PG_ARGISNULL(job_name)
                               // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                               ? text_to_cstring(PG_GETARG_TEXT_PP(job_name))
                               : nullptr;
        check_run_if_syntax(run_if_text, name);
    }
    if (command < 0 || PG_ARGISNULL(command)) {
        return static_cast<Datum>(0);
    }
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    const char* command_text = text_to_cstring(PG_GETARG_TEXT_PP(command));
    const char* name = job_name >= 0 && !PG_ARGISNULL(job_name)
                           // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                           ? text_to_cstring(PG_GETARG_TEXT_PP(job_name))
                           : nullptr;
    check_command_syntax(command_text, name);
    return static_cast<Datum>(0);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_privileged_call);
Datum pg_jobs_privileged_call(PG_FUNCTION_ARGS) {
    (void)pg_jobs::pg::run_guarded("privileged call",
                                   [&] { return pg_jobs::pg::check_command_argument(fcinfo); });
    return pg_jobs::pg::run_guarded_hiding_internals(
        "privileged call", [&] { return pg_jobs::pg::call_privileged_part(fcinfo); });
}

// jobs_internal._change_author(): the caller of the privileged call in progress, else
// the session's role outside any SECURITY DEFINER function (GetOuterUserId:
// the role that ran REASSIGN OWNED or DROP OWNED, whose hooks call SECURITY
// DEFINER parts; a superuser writing to the tables directly; the scheduler's
// role in its own processes).
PG_JOBS_SQL_FUNCTION(pg_jobs_change_author);
Datum pg_jobs_change_author(PG_FUNCTION_ARGS) {
    (void)fcinfo;  // no arguments
    return pg_jobs::pg::run_guarded("jobs_internal._change_author", [] {
        const Oid caller = pg_jobs::pg::privileged_caller;
        return ObjectIdGetDatum(OidIsValid(caller) ? caller : GetOuterUserId());
    });
}
