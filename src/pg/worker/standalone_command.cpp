// See standalone_command.hpp.
#include "pg/worker/standalone_command.hpp"

#include "pg/common/command_syntax.hpp"
#include "pg/common/transaction.hpp"

extern "C" {
#include "tcop/cmdtag.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
}

namespace pg_jobs::pg {

bool run_standalone_command(const char* command) {
    RawStmt* statement = standalone_statement(command);
    if (statement == nullptr) {
        return false;
    }
    // As exec_simple_query runs a statement from a client: through a portal
    // run at top level (PreventInTransactionBlock is satisfied: the worker's
    // transaction is not a transaction block), with the portal's own
    // snapshot. VACUUM, CREATE INDEX CONCURRENTLY and the like commit and
    // start transactions of their own while it runs.
    List* queries = pg_analyze_and_rewrite_fixedparams(statement, command, nullptr, 0, nullptr);
    List* plans = pg_plan_queries(queries, command, CURSOR_OPT_PARALLEL_OK, nullptr);
    PopActiveSnapshot();
    Portal portal = CreatePortal("pg_jobs standalone command", true, true);
    portal->visible = false;
    PortalDefineQuery(portal, nullptr, command, CreateCommandTag(statement->stmt), plans, nullptr);
    PortalStart(portal, nullptr, 0, InvalidSnapshot);
    DestReceiver* receiver = CreateDestReceiver(DestNone);
    QueryCompletion completion;
    InitializeQueryCompletion(&completion);
    (void)PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &completion);
    PortalDrop(portal, false);
    // Such a statement must commit at once (XACT_FLAGS_NEEDIMMEDIATECOMMIT);
    // the run's bookkeeping follows in a transaction of its own.
    commit_and_start_next_transaction();
    return true;
}

}  // namespace pg_jobs::pg
