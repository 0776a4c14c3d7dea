// See database_commands.hpp. The hook's frames hold no C++ object: the
// catalog look-up and the command's own errors may longjmp through them.
#include "pg/hooks/database_commands.hpp"

#include "pg/common/shmem.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
}

namespace pg_jobs::pg {
namespace {

// The wait for the workers to leave: past it the command runs anyway (and
// PostgreSQL waits its own few seconds for other sessions).
constexpr long kLeaveTimeoutMs = 5000;
constexpr long kLeaveCheckMs = 10;

ProcessUtility_hook_type previous_utility_hook = nullptr;

// The option `name` of a CREATE or ALTER DATABASE, if given with a value.
const char* database_option(List* options, const char* name) {
    ListCell* cell = nullptr;
    foreach (cell, options) {
        auto* option = lfirst_node(DefElem, cell);
        if (strcmp(option->defname, name) == 0 && option->arg != nullptr) {
            return defGetString(option);
        }
    }
    return nullptr;
}

// The database the statement needs without other sessions, or nullptr;
// `*copying`: it is the template of a CREATE DATABASE.
const char* database_needed_alone(const PlannedStmt* statement, bool* copying) {
    *copying = false;
    Node* node = statement->utilityStmt;
    if (node == nullptr) {
        return nullptr;
    }
    switch (nodeTag(node)) {
        case T_DropdbStmt:
            return castNode(DropdbStmt, node)->dbname;
        case T_RenameStmt: {
            const auto* rename = castNode(RenameStmt, node);
            return rename->renameType == OBJECT_DATABASE ? rename->subname : nullptr;
        }
        case T_CreatedbStmt: {
            const char* source = database_option(castNode(CreatedbStmt, node)->options, "template");
            *copying = true;
            return source != nullptr ? source : "template1";
        }
        case T_AlterDatabaseStmt: {
            auto* alter = castNode(AlterDatabaseStmt, node);
            return database_option(alter->options, "tablespace") != nullptr ? alter->dbname : nullptr;
        }
        default:
            return nullptr;
    }
}

// Asks the idle workers connected to `database_oid` to exit (under the
// lock); adds their pids to `pids` (room for every slot) and returns how
// many it holds now. `*pending`: a worker there is starting or between two
// states (connecting, its last run's outcome not settled yet), so may be
// idle soon.
int ask_idle_workers_to_leave(SchedulerShared* shared, Oid database_oid, int* pids, int count,
                              bool* pending) {
    *pending = false;
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    for (int i = 0; i < shared->slot_count; ++i) {
        WorkerSlot& slot = shared->slots[i];
        if (slot.state == SlotState::Free || slot.database_oid != database_oid) {
            continue;
        }
        const MailboxState box = slot.mailbox.state;
        const bool settled = box == MailboxState::Empty || box == MailboxState::Done;
        if (slot.state == SlotState::Starting ||
            (slot.remote && ((!slot.idle && box == MailboxState::Empty) || box == MailboxState::Done))) {
            *pending = true;
        }
        if (slot.state != SlotState::Running || !slot.idle || slot.latch == nullptr || !settled) {
            continue;  // busy with a run: it blocks the command, as any session would
        }
        if (!slot.exit_requested) {
            slot.exit_requested = true;
            SetLatch(slot.latch);
        }
        bool known = false;
        for (int k = 0; k < count && !known; ++k) {
            known = pids[k] == slot.pid;
        }
        if (!known && count < shared->slot_count) {
            pids[count++] = slot.pid;
        }
    }
    LWLockRelease(shared->lock);
    return count;
}

bool any_alive(const int* pids, int count) {
    for (int k = 0; k < count; ++k) {
        if (BackendPidGetProc(pids[k]) != nullptr) {
            return true;
        }
    }
    return false;
}

// Whether the caller may run the command at all (PostgreSQL checks again):
// its owner (or a superuser), or anyone copying a template. Others do not
// get to make the workers leave.
bool may_need_alone(Oid database_oid, bool copying) {
    if (pg_database_ownercheck(database_oid, GetUserId())) {
        return true;
    }
    if (!copying) {
        return false;
    }
    HeapTuple tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(database_oid));
    if (!HeapTupleIsValid(tuple)) {
        return false;
    }
    const bool is_template = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple))->datistemplate;
    ReleaseSysCache(tuple);
    return is_template;
}

void release_idle_workers(const char* database, bool copying) {
    SchedulerShared* shared = scheduler_shared();
    if (shared == nullptr || database == nullptr) {
        return;
    }
    const Oid database_oid = get_database_oid(database, true);
    if (!OidIsValid(database_oid) || database_oid == MyDatabaseId || !may_need_alone(database_oid, copying)) {
        return;  // PostgreSQL's own error follows
    }
    auto* pids = static_cast<int*>(palloc0(sizeof(int) * Max(shared->slot_count, 1)));
    const TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), kLeaveTimeoutMs);
    int count = 0;
    for (;;) {
        // Again each time: a worker that finished its run meanwhile leaves too.
        bool pending = false;
        count = ask_idle_workers_to_leave(shared, database_oid, pids, count, &pending);
        if ((!pending && !any_alive(pids, count)) || GetCurrentTimestamp() >= deadline) {
            break;
        }
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kLeaveCheckMs,
                        PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
    pfree(pids);
}

void process_utility(PlannedStmt* statement, const char* query, bool read_only_tree,
                     ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* environment,
                     DestReceiver* dest, QueryCompletion* completion) {
    bool copying = false;
    const char* database = database_needed_alone(statement, &copying);
    release_idle_workers(database, copying);
    if (previous_utility_hook != nullptr) {
        previous_utility_hook(statement, query, read_only_tree, context, params, environment, dest,
                              completion);
    } else {
        standard_ProcessUtility(statement, query, read_only_tree, context, params, environment, dest,
                                completion);
    }
}

}  // namespace

void install_database_command_hook() {
    previous_utility_hook = ProcessUtility_hook;
    ProcessUtility_hook = process_utility;
}

}  // namespace pg_jobs::pg
