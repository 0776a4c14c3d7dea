// Reading a job's SQL command without running it: the syntax check made
// when a job is defined, and which commands PostgreSQL runs only outside a
// transaction block (VACUUM, CREATE INDEX CONCURRENTLY, ...), which a
// worker runs on their own (worker/standalone_command.hpp). Raw parsing
// only: no name is resolved, nothing is executed, no catalog is read.
// Plain C-style functions: they may ereport.
#pragma once
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace pg_jobs::pg {

// What PostgreSQL calls `statement` (a raw parse tree) when it may only run
// outside a transaction block, such as "VACUUM" or "CREATE INDEX
// CONCURRENTLY"; nullptr for any other statement (ANALYZE runs either way).
const char* standalone_statement_name(Node* statement);

// The raw statement of `command` when it is one statement that must run
// outside a transaction block; nullptr otherwise. Cheap for the usual
// commands: only one that starts with VACUUM, CREATE, REINDEX, DROP,
// CLUSTER or ALTER is parsed.
RawStmt* standalone_statement(const char* command);

// False only when `command` surely is not a CALL: its first word (after
// white space and comments, nested ones too) is another one. Lets a worker
// skip parsing the usual command twice.
bool may_be_call(const char* command);

// Refuses a command that does not parse (42601, with psql's LINE/caret
// display of the position in the command and a CONTEXT naming the job), and
// one that mixes a statement of the kind above with others (25001: it
// could not run). `job_name` may be nullptr.
void check_command_syntax(const char* command, const char* job_name);

// opts (issue 15): the query a job's run_if is evaluated with,
// SELECT (<run_if>)::boolean, palloc'd.
const char* run_if_query(const char* run_if);

// Evaluates run_if (run_if_query) through SPI as the current user, in the
// current (sub)transaction: true only for true (false and NULL are not).
// `job_name` (or nullptr) names the job in the error of a query that gives
// no row. Plain C-style: may ereport.
bool evaluate_run_if(const char* run_if, const char* job_name);

// Refuses a run_if that does not parse as one expression (42601, with the
// position in run_if and a CONTEXT naming the job). Raw parsing only.
void check_run_if_syntax(const char* run_if, const char* job_name);

}  // namespace pg_jobs::pg
