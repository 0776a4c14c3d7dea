// Creating many jobs in one statement (see schedule_batch.hpp).
//
// jobs.schedule defines one job through jobs_internal._schedule: every check, the
// owner's quota under its lock, one INSERT, whose statement trigger writes
// the audit trail. Called by one statement for 100,000 rows, that is 100,000
// INSERTs and trigger firings. Here the calls of one executor run share that
// work instead:
//   - the first call with given options (every argument but job_name and
//     command) goes through jobs_internal._schedule as always; its success shows that
//     those options pass every check for this caller (the schedule and time
//     zone, the shortest gap between fire times, the database and its CONNECT
//     privilege, the run options and policies), and takes the owner's lock;
//   - a later call with the same options in the same executor run only needs
//     the checks that depend on its own row: a name and a command that are
//     not blank, no job of that name yet (in the table, committed or not, or
//     in the batch), and room under jobs.max_jobs_per_owner (counted once
//     under the owner's lock, then counted on). It gets its job_id from the
//     table's identity sequence at once, and joins the batch;
//   - when that executor run ends, one INSERT writes the batch (one audit
//     trigger firing for all of it) and the scheduler is told of each job at
//     commit, as jobs_internal._schedule does.
// Anything else goes through jobs_internal._schedule after the batch is written: a
// redefinition, a name or command the quick test cannot pass, new options, a
// call from outside a running executor (a PL/pgSQL assignment, whose next
// statements must see the job at once). So does any other privileged call
// (jobs.alter, jobs.unschedule, ...) and a lookup of a job by name, which
// write the batch first. What a statement's own later evaluation reads of
// jobs.scheduled_job is its snapshot's anyway, from before the call (so do
// STABLE functions it calls); one difference remains: a VOLATILE function
// called later in the same statement that reads jobs.scheduled_job itself
// sees the statement's batched jobs only once the statement has ended.
//
// The batch belongs to one executor run, one caller and one subtransaction
// level: a change of any of these writes it first. An error discards it with
// the (sub)transaction that made it. Another session creating the same job
// name for the same owner between a call and the end of the statement makes
// the INSERT fail with a unique violation (jobs_internal._schedule would have waited
// and redefined that job); for roles with a job quota the owner's lock keeps
// such sessions apart.
#include "pg/sql_api/schedule_batch.hpp"

#include "pg/common/guard.hpp"
#include "pg/common/gucs.hpp"
#include "pg/common/wake.hpp"
#include "pg/sql_api/privileged_caller.hpp"
#include "pg/store/store_call.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/sequence.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

namespace pg_jobs::pg::schedule_batch {
namespace {

// jobs.schedule's arguments (see its definition in the install script).
enum Arg {
    kJobName = 0,
    kSchedule = 1,
    kCommand = 2,
    kDatabase = 3,
    kTimezone = 4,
    kEnabled = 5,
    kTimeout = 6,
    kMaxRetries = 7,
    kRetryBackoff = 8,
    kRetryBackoffMax = 9,
    kOverlap = 10,
    kMaxConcurrent = 11,
    kMisfire = 12,
    kStartingDeadline = 13,
    kStartAt = 14,
    kEndAt = 15,
    kMaxRuns = 16,
    kRunAt = 17,
    kMinTriggerInterval = 18,
    kDescription = 19,
    kTags = 20,
    kRunIf = 21,  // opts: issue 15
    kPriority = 22,
    kBlackout = 23,
    kBlackoutPolicy = 24,
};

// The option columns a batch entry gives every job of it, in the order of
// the INSERT below: schedule, timezone, database, then the run options.
constexpr int kOptionColumns = 23;
// For each option column: the argument it comes from (timezone and database
// are resolved: the argument, else jobs.timezone / the current database).
constexpr int kOptionArg[kOptionColumns] = {
    kSchedule,   kTimezone,           kDatabase,        kEnabled, kTimeout,
    kMaxRetries, kRetryBackoff,       kRetryBackoffMax, kOverlap, kMaxConcurrent,
    kMisfire,    kStartingDeadline,   kStartAt,         kEndAt,   kMaxRuns,
    kRunAt,      kMinTriggerInterval, kDescription,     kTags,    kRunIf,
    kPriority,   kBlackout,           kBlackoutPolicy};
constexpr Oid kOptionType[kOptionColumns] = {TEXTOID,
                                             TEXTOID,
                                             NAMEOID,
                                             BOOLOID,
                                             INTERVALOID,
                                             INT4OID,
                                             INTERVALOID,
                                             INTERVALOID,
                                             TEXTOID,
                                             INT4OID,
                                             TEXTOID,
                                             INTERVALOID,
                                             TIMESTAMPTZOID,
                                             TIMESTAMPTZOID,
                                             INT4OID,
                                             TIMESTAMPTZOID,
                                             INTERVALOID,
                                             TEXTOID,
                                             TEXTOID /* tags as text, cast back in the INSERT */,
                                             TEXTOID,
                                             INT4OID,
                                             TEXTOID,
                                             TEXTOID};

// Options accepted by jobs_internal._schedule in this executor run.
struct Entry {
    uint32 hash;
    char* key;  // the arguments but job_name and command, as bytes (see options_key)
    int key_length;
    Datum values[kOptionColumns];
    bool nulls[kOptionColumns];
};

struct Row {
    int64 job_id;
    Datum job_name;  // text, copied
    Datum command;   // text, copied
    int entry;
};

// A job name in the batch, by a 64-bit hash of it (a collision only sends a
// call through jobs_internal._schedule).
struct NameSlot {
    uint64 hash;
};

struct Batch {
    MemoryContext context;        // entries; nullptr: no batch
    MemoryContext rows_context;   // rows and names, emptied by each write
    MemoryContext query_context;  // es_query_cxt of the executor run it belongs to
    int nest_level;               // transaction nesting level of that run
    Oid caller;
    Oid definer;
    Oid table;
    Oid name_index;
    Oid sequence;
    AttrNumber owner_column;
    AttrNumber name_column;
    bool quota_applies;  // the caller is no superuser and jobs.max_jobs_per_owner > 0
    int64 owned;         // the caller's jobs, counted under its lock, with the batch's
    Entry* entries;
    int entry_count;
    int entry_capacity;
    Row* rows;
    int row_count;
    int row_capacity;
    HTAB* names;
};

// Plain static storage: PostgreSQL memory only, no destructors, so an error
// anywhere leaves nothing to unwind; the (sub)transaction callbacks reset it.
Batch batch;

constexpr int kMaxEntries = 256;

// es_query_cxt of each executor run in progress (innermost last), with the
// transaction nesting level it runs at: a call whose FmgrInfo lives there is
// evaluated by that run.
struct RunningQuery {
    MemoryContext query_context;
    int nest_level;
};
constexpr int kMaxRunning = 64;
RunningQuery running[kMaxRunning];
int running_count = 0;
int running_untracked = 0;  // deeper than kMaxRunning

ExecutorRun_hook_type previous_executor_run = nullptr;

bool evaluated_by_running_query(MemoryContext function_context) {
    return running_count > 0 && running_untracked == 0 &&
           running[running_count - 1].query_context == function_context &&
           running[running_count - 1].nest_level == GetCurrentTransactionNestLevel();
}

void forget_batch() {
    if (batch.context != nullptr) {
        MemoryContextDelete(batch.context);  // rows_context is its child
    }
    batch = Batch{};
}

// The arguments but job_name and command, as bytes: equal keys mean calls
// that jobs_internal._schedule checks alike (for one caller).
char* options_key(FunctionCallInfo fcinfo, const Target& target, int* length) {
    StringInfoData key;
    initStringInfo(&key);
    for (int i = 0; i < kScheduleArgs; ++i) {
        if (i == kJobName || i == kCommand) {
            continue;
        }
        const char present = fcinfo->args[i].isnull ? 0 : 1;
        appendBinaryStringInfo(&key, &present, 1);
        if (fcinfo->args[i].isnull) {
            continue;
        }
        const int16 length_of_type = target.arg_lengths[i];
        const bool by_value = target.arg_by_value[i];
        const Datum value = fcinfo->args[i].value;
        if (by_value) {
            appendBinaryStringInfo(&key, reinterpret_cast<const char*>(&value), sizeof(Datum));
        } else if (length_of_type == -1) {
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            auto* stored = reinterpret_cast<struct varlena*>(DatumGetPointer(value));
            struct varlena* plain = pg_detoast_datum_packed(stored);
            const int32 size = static_cast<int32>(VARSIZE_ANY_EXHDR(plain));
            appendBinaryStringInfo(&key, reinterpret_cast<const char*>(&size), sizeof(size));
            appendBinaryStringInfo(&key, VARDATA_ANY(plain), size);
        } else {
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            appendBinaryStringInfo(&key, DatumGetPointer(value), length_of_type);
        }
    }
    *length = key.len;
    return key.data;
}

int find_entry(const char* key, int length, uint32 hash) {
    for (int i = 0; i < batch.entry_count; ++i) {
        const Entry& entry = batch.entries[i];
        if (entry.hash == hash && entry.key_length == length && memcmp(entry.key, key, length) == 0) {
            return i;
        }
    }
    return -1;
}

// True when the text has a character that is surely not white space (what
// jobs_internal._check_definition's `!~ '\S'` refuses); other texts take the full path.
bool surely_not_blank(Datum value) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    struct varlena* text = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(value)));
    const char* data = VARDATA_ANY(text);
    const int size = static_cast<int>(VARSIZE_ANY_EXHDR(text));
    for (int i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (c > ' ' && c < 0x7f) {
            return true;
        }
    }
    return false;
}

uint64 name_hash(Datum value) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    struct varlena* text = pg_detoast_datum_packed(reinterpret_cast<struct varlena*>(DatumGetPointer(value)));
    return hash_bytes_extended(reinterpret_cast<const unsigned char*>(VARDATA_ANY(text)),
                               static_cast<int>(VARSIZE_ANY_EXHDR(text)), 0);
}

// Whether the caller has a job of this name: committed, made by this
// transaction, or being made by another one (a dirty snapshot sees it; the
// call then goes through jobs_internal._schedule, whose ON CONFLICT waits for it).
bool job_exists(Datum job_name) {
    Relation table = table_open(batch.table, AccessShareLock);
    SnapshotData dirty;
    InitDirtySnapshot(dirty);
    ScanKeyData keys[2];
    ScanKeyEntryInitialize(&keys[0], 0, batch.owner_column, BTEqualStrategyNumber, InvalidOid, InvalidOid,
                           F_OIDEQ, ObjectIdGetDatum(batch.caller));
    ScanKeyEntryInitialize(&keys[1], 0, batch.name_column, BTEqualStrategyNumber, InvalidOid,
                           DEFAULT_COLLATION_OID, F_TEXTEQ, job_name);
    SysScanDesc scan = systable_beginscan(table, batch.name_index, true, &dirty, 2, keys);
    const bool found = HeapTupleIsValid(systable_getnext(scan));
    systable_endscan(scan);
    table_close(table, AccessShareLock);
    return found;
}

// Runs `sql` as the owner of jobs_internal._schedule, with a safe search_path;
// returns the number of rows it processed.
uint64 execute_as_definer(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls,
                          int expected) {
    Oid user = InvalidOid;
    int security = 0;
    GetUserIdAndSecContext(&user, &security);
    SetUserIdAndSecContext(batch.definer, security | SECURITY_LOCAL_USERID_CHANGE);
    const uint64 processed = execute_counted(sql, nargs, types, values, nulls, expected);
    SetUserIdAndSecContext(user, security);
    return processed;
}

constexpr const char* kCountOwned =
    "SELECT count(*) FROM jobs.scheduled_job AS j WHERE j.owner OPERATOR(pg_catalog.=) "
    "$1::pg_catalog.regrole";

int64 count_owned() {
    Oid types[1] = {OIDOID};
    Datum values[1] = {ObjectIdGetDatum(batch.caller)};
    Oid user = InvalidOid;
    int security = 0;
    GetUserIdAndSecContext(&user, &security);
    SetUserIdAndSecContext(batch.definer, security | SECURITY_LOCAL_USERID_CHANGE);
    const int nest = begin_store_call();
    execute_stored(kCountOwned, 1, types, values, nullptr, SPI_OK_SELECT);
    bool isnull = true;
    const int64 owned =
        DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    end_store_call(nest);
    SetUserIdAndSecContext(user, security);
    return owned;
}

// The rows' columns as arrays; the options once per entry, joined by number.
// No ORDER BY: the order of the rows is the audit trail's only, and sorting
// 100,000 rows cost more than the rest of the statement's planning.
constexpr const char* kInsertBatch =
    "INSERT INTO jobs.scheduled_job AS j (job_id, job_name, owner, schedule, timezone, command, database, "
    "enabled, timeout, max_retries, retry_backoff, retry_backoff_max, overlap, max_concurrent, misfire, "
    "starting_deadline, start_at, end_at, max_runs, run_at, min_trigger_interval, description, tags, run_if, "
    "priority, blackout, blackout_policy) "
    "OVERRIDING SYSTEM VALUE "
    "SELECT r.job_id, r.job_name, $5::regrole, o.schedule, o.timezone, r.command, o.database, o.enabled, "
    "o.timeout, o.max_retries, o.retry_backoff, o.retry_backoff_max, o.overlap, o.max_concurrent, o.misfire, "
    "o.starting_deadline, o.start_at, o.end_at, o.max_runs, o.run_at, o.min_trigger_interval, o.description, "
    "o.tags::text[], o.run_if, o.priority, o.blackout, o.blackout_policy "
    "FROM unnest($1, $2, $3, $4) AS r (job_id, job_name, command, entry) "
    "JOIN unnest($6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
    "$25, "
    "$26, $27, $28) "
    "WITH ORDINALITY AS o (schedule, timezone, database, enabled, timeout, max_retries, retry_backoff, "
    "retry_backoff_max, overlap, max_concurrent, misfire, starting_deadline, start_at, end_at, max_runs, "
    "run_at, "
    "min_trigger_interval, description, tags, run_if, priority, blackout, blackout_policy, entry) "
    "ON o.entry = r.entry";

constexpr int kBatchWorkMemKb = 65536;
constexpr const char* kBatchWorkMem = "64MB";

Datum array_of(Datum* values, bool* nulls, int count, Oid type) {
    int16 length = 0;
    bool by_value = false;
    char align = 'i';
    get_typlenbyvalalign(type, &length, &by_value, &align);
    int dims[1] = {count};
    int lower_bounds[1] = {1};
    return PointerGetDatum(
        construct_md_array(values, nulls, 1, dims, lower_bounds, type, length, by_value, align));
}

// Writes the batch's rows with one INSERT. Plain C calls: run it where an
// error may longjmp (inside call_pg).
void write_rows() {
    const int count = batch.row_count;
    Row* rows = batch.rows;
    const int entries = batch.entry_count;
    // Taken out of the batch first: the INSERT's own executor run (and the
    // audit trigger's) end while it runs.
    batch.row_count = 0;
    batch.names = nullptr;

    auto* ids = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    auto* names = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    auto* commands = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    auto* entry_numbers = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    auto* job_ids = static_cast<int64*>(palloc(sizeof(int64) * count));
    for (int i = 0; i < count; ++i) {
        ids[i] = Int64GetDatum(rows[i].job_id);
        job_ids[i] = rows[i].job_id;
        names[i] = rows[i].job_name;
        commands[i] = rows[i].command;
        entry_numbers[i] = Int64GetDatum(rows[i].entry + 1);  // WITH ORDINALITY counts in bigint
    }
    Oid types[5 + kOptionColumns];
    Datum values[5 + kOptionColumns];
    types[0] = INT8ARRAYOID;
    values[0] = array_of(ids, nullptr, count, INT8OID);
    types[1] = TEXTARRAYOID;
    values[1] = array_of(names, nullptr, count, TEXTOID);
    types[2] = TEXTARRAYOID;
    values[2] = array_of(commands, nullptr, count, TEXTOID);
    types[3] = INT8ARRAYOID;
    values[3] = array_of(entry_numbers, nullptr, count, INT8OID);
    types[4] = OIDOID;
    values[4] = ObjectIdGetDatum(batch.caller);
    auto* column = static_cast<Datum*>(palloc(sizeof(Datum) * entries));
    auto* column_nulls = static_cast<bool*>(palloc(sizeof(bool) * entries));
    for (int c = 0; c < kOptionColumns; ++c) {
        for (int e = 0; e < entries; ++e) {
            column[e] = batch.entries[e].values[c];
            column_nulls[e] = batch.entries[e].nulls[c];
        }
        types[5 + c] = get_array_type(kOptionType[c]);
        values[5 + c] = array_of(column, column_nulls, entries, kOptionType[c]);
    }
    // The audit trigger's transition table holds every row: in memory up to
    // kBatchWorkMemKb rather than written to a temporary file past work_mem.
    const int nest_level = NewGUCNestLevel();
    if (work_mem < kBatchWorkMemKb) {
        (void)set_config_option("work_mem", kBatchWorkMem, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                                0, false);
    }
    const uint64 written =
        execute_as_definer(kInsertBatch, 5 + kOptionColumns, types, values, nullptr, SPI_OK_INSERT);
    AtEOXact_GUC(true, nest_level);
    if (written != static_cast<uint64>(count)) {
        elog(ERROR, "pg_jobs: wrote %lu of %d batched jobs", static_cast<unsigned long>(written), count);
    }
    note_jobs_changed(job_ids, count);
    MemoryContextReset(batch.rows_context);
    batch.rows = nullptr;
    batch.row_capacity = 0;
}

// Writes the rows with the caller as the audit trail's author, as
// jobs_internal._schedule would have (its caller, not whoever runs the statement).
void write_batch() {
    if (batch.context == nullptr || batch.row_count == 0) {
        return;
    }
    const CallerScope scope(batch.caller);
    call_pg([] { write_rows(); });
}

void start_batch(FunctionCallInfo fcinfo, Oid caller, const Target& target) {
    forget_batch();
    MemoryContext context =
        AllocSetContextCreate(TopTransactionContext, "pg_jobs schedule batch", ALLOCSET_DEFAULT_SIZES);
    batch.context = context;
    batch.rows_context =
        AllocSetContextCreate(context, "pg_jobs schedule batch rows", ALLOCSET_DEFAULT_SIZES);
    batch.query_context = fcinfo->flinfo->fn_mcxt;
    batch.nest_level = GetCurrentTransactionNestLevel();
    batch.caller = caller;
    batch.definer = target.definer;
    batch.table = get_relname_relid("scheduled_job", target.schema);
    batch.name_index = get_relname_relid("scheduled_job_owner_job_name_key", target.schema);
    if (!OidIsValid(batch.table) || !OidIsValid(batch.name_index)) {
        elog(ERROR, "pg_jobs: jobs.scheduled_job or its index on (owner, job_name) is missing");
    }
    batch.owner_column = get_attnum(batch.table, "owner");
    batch.name_column = get_attnum(batch.table, "job_name");
    batch.sequence = getIdentitySequence(batch.table, get_attnum(batch.table, "job_id"), false);
    batch.quota_applies = max_jobs_per_owner() > 0 && !superuser_arg(caller);
    batch.entries = static_cast<Entry*>(MemoryContextAlloc(context, sizeof(Entry) * kMaxEntries));
    batch.entry_capacity = kMaxEntries;
}

void add_entry(FunctionCallInfo fcinfo, const Target& target, char* key, int length, uint32 hash) {
    if (batch.entry_count == batch.entry_capacity) {
        return;  // calls with still other options take the full path
    }
    MemoryContext outer = MemoryContextSwitchTo(batch.context);
    Entry& entry = batch.entries[batch.entry_count];
    entry.hash = hash;
    entry.key = static_cast<char*>(palloc(length));
    memcpy(entry.key, key, length);
    entry.key_length = length;
    for (int c = 0; c < kOptionColumns; ++c) {
        const int arg = kOptionArg[c];
        entry.nulls[c] = fcinfo->args[arg].isnull;
        entry.values[c] = 0;
        if (arg == kTimezone && fcinfo->args[arg].isnull) {
            entry.nulls[c] = false;  // coalesce(timezone, current_setting('jobs.timezone'))
            entry.values[c] = CStringGetTextDatum(default_time_zone());
        } else if (arg == kTags) {
            // coalesce(tags, '{}'), as its text
            entry.nulls[c] = false;
            entry.values[c] = CStringGetTextDatum(
                fcinfo->args[arg].isnull ? "{}"
                                         : OidOutputFunctionCall(F_ARRAY_OUT, fcinfo->args[arg].value));
        } else if (arg == kDatabase) {
            // coalesce(database, current_database()), as a name
            entry.nulls[c] = false;
            const char* database = nullptr;
            if (fcinfo->args[arg].isnull) {
                database = get_database_name(MyDatabaseId);
            } else {
                // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                database = TextDatumGetCString(fcinfo->args[arg].value);
            }
            entry.values[c] = DirectFunctionCall1(namein, CStringGetDatum(database));
        } else if (!entry.nulls[c]) {
            entry.values[c] =
                datumCopy(fcinfo->args[arg].value, target.arg_by_value[arg], target.arg_lengths[arg]);
        }
    }
    MemoryContextSwitchTo(outer);
    batch.entry_count++;
}

void append_row(int64 job_id, Datum job_name, Datum command, int entry, uint64 hash) {
    MemoryContext outer = MemoryContextSwitchTo(batch.rows_context);
    if (batch.row_count == batch.row_capacity) {
        const int capacity = batch.row_capacity == 0 ? 1024 : batch.row_capacity * 2;
        batch.rows = batch.rows == nullptr ? static_cast<Row*>(palloc(sizeof(Row) * capacity))
                                           : static_cast<Row*>(repalloc(batch.rows, sizeof(Row) * capacity));
        batch.row_capacity = capacity;
    }
    Row& row = batch.rows[batch.row_count++];
    row.job_id = job_id;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    row.job_name = PointerGetDatum(PG_DETOAST_DATUM_COPY(job_name));
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    row.command = PointerGetDatum(PG_DETOAST_DATUM_COPY(command));
    row.entry = entry;
    bool found = false;
    (void)hash_search(batch.names, &hash, HASH_ENTER, &found);
    MemoryContextSwitchTo(outer);
}

bool name_in_batch(uint64 hash) {
    if (batch.names == nullptr) {
        HASHCTL control;
        control.keysize = sizeof(uint64);
        control.entrysize = sizeof(NameSlot);
        control.hcxt = batch.rows_context;
        batch.names = hash_create("pg_jobs schedule batch names", 1024, &control,
                                  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        return false;
    }
    bool found = false;
    (void)hash_search(batch.names, &hash, HASH_FIND, &found);
    return found;
}

// The end of an executor run: its batch is written and forgotten.
void end_of_run(QueryDesc* query) {
    if (batch.context != nullptr && batch.query_context == query->estate->es_query_cxt) {
        write_batch();
        forget_batch();
    }
}

void executor_run(QueryDesc* query, ScanDirection direction, uint64 count, bool execute_once) {
    if (running_count < kMaxRunning) {
        running[running_count++] =
            RunningQuery{query->estate->es_query_cxt, GetCurrentTransactionNestLevel()};
    } else {
        running_untracked++;
    }
    if (previous_executor_run != nullptr) {
        previous_executor_run(query, direction, count, execute_once);
    } else {
        standard_ExecutorRun(query, direction, count, execute_once);
    }
    if (running_untracked > 0) {
        running_untracked--;
    } else if (running_count > 0) {
        running_count--;
    }
    if (batch.context != nullptr) {
        (void)run_guarded("jobs.schedule", [query] {
            end_of_run(query);
            return Datum{0};
        });
    }
}

void at_transaction_event(XactEvent event, void* /*arg*/) {
    switch (event) {
        case XACT_EVENT_PRE_COMMIT:
        case XACT_EVENT_PRE_PREPARE:
            // A run that ended without the hook seeing it (none should).
            (void)run_guarded("jobs.schedule", [] {
                write_batch();
                return Datum{0};
            });
            break;
        case XACT_EVENT_COMMIT:
        case XACT_EVENT_ABORT:
        case XACT_EVENT_PREPARE:
        case XACT_EVENT_PARALLEL_COMMIT:
        case XACT_EVENT_PARALLEL_ABORT:
            batch = Batch{};  // its memory went with the transaction's
            running_count = 0;
            running_untracked = 0;
            break;
        default:
            break;
    }
}

void at_subtransaction_event(SubXactEvent event, SubTransactionId /*id*/, SubTransactionId /*parent*/,
                             void* /*arg*/) {
    if (event != SUBXACT_EVENT_ABORT_SUB) {
        return;
    }
    const int level = GetCurrentTransactionNestLevel();
    if (batch.context != nullptr && batch.nest_level >= level) {
        forget_batch();
    }
    while (running_count > 0 && running[running_count - 1].nest_level >= level) {
        running_count--;
    }
    if (running_count < kMaxRunning) {
        running_untracked = 0;
    }
}

}  // namespace

void flush() {
    write_batch();
}

bool try_add(FunctionCallInfo fcinfo, Oid caller, const Target& target, int64* job_id) {
    if (batch.context == nullptr) {
        return false;
    }
    if (batch.query_context != fcinfo->flinfo->fn_mcxt || batch.caller != caller ||
        batch.nest_level != GetCurrentTransactionNestLevel() || batch.definer != target.definer ||
        !evaluated_by_running_query(fcinfo->flinfo->fn_mcxt)) {
        write_batch();
        forget_batch();
        return false;
    }
    const NullableDatum* args = fcinfo->args;
    if (args[kJobName].isnull || args[kCommand].isnull || !surely_not_blank(args[kJobName].value) ||
        !surely_not_blank(args[kCommand].value)) {
        write_batch();
        return false;
    }
    int length = 0;
    char* key = options_key(fcinfo, target, &length);
    const int entry =
        find_entry(key, length, hash_bytes(reinterpret_cast<const unsigned char*>(key), length));
    pfree(key);
    const uint64 hash = name_hash(args[kJobName].value);
    if (entry < 0 || name_in_batch(hash) || job_exists(args[kJobName].value) ||
        (batch.quota_applies && batch.owned >= max_jobs_per_owner())) {
        write_batch();
        return false;
    }
    *job_id = nextval_internal(batch.sequence, false);
    append_row(*job_id, args[kJobName].value, args[kCommand].value, entry, hash);
    batch.owned++;
    return true;
}

void note_accepted(FunctionCallInfo fcinfo, Oid caller, const Target& target) {
    if (!evaluated_by_running_query(fcinfo->flinfo->fn_mcxt)) {
        return;
    }
    if (batch.context == nullptr || batch.query_context != fcinfo->flinfo->fn_mcxt ||
        batch.caller != caller || batch.nest_level != GetCurrentTransactionNestLevel()) {
        write_batch();
        start_batch(fcinfo, caller, target);
    }
    if (batch.quota_applies) {
        // jobs_internal._schedule holds the owner's lock until the transaction ends;
        // counted again after each call it made (rare in a batch).
        batch.owned = count_owned();
    }
    int length = 0;
    char* key = options_key(fcinfo, target, &length);
    const uint32 hash = hash_bytes(reinterpret_cast<const unsigned char*>(key), length);
    if (find_entry(key, length, hash) < 0) {
        add_entry(fcinfo, target, key, length, hash);
    }
    pfree(key);
}

void install_hooks() {
    previous_executor_run = ExecutorRun_hook;
    ExecutorRun_hook = executor_run;
    RegisterXactCallback(at_transaction_event, nullptr);
    RegisterSubXactCallback(at_subtransaction_event, nullptr);
}

}  // namespace pg_jobs::pg::schedule_batch
