// See command_syntax.hpp.
#include "pg/common/command_syntax.hpp"

extern "C" {
#include "commands/defrem.h"
#include "executor/spi.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}

#include <cctype>
#include <cstring>

namespace pg_jobs::pg {
namespace {

bool has_true_option(List* options, const char* name) {
    ListCell* cell = nullptr;
    foreach (cell, options) {
        auto* option = lfirst_node(DefElem, cell);
        if (strcmp(option->defname, name) == 0) {
            return defGetBoolean(option);
        }
    }
    return false;
}

bool has_option(List* options, const char* name) {
    ListCell* cell = nullptr;
    foreach (cell, options) {
        if (strcmp(lfirst_node(DefElem, cell)->defname, name) == 0) {
            return true;
        }
    }
    return false;
}

const char* reindex_name(const ReindexStmt* statement) {
    if (has_true_option(statement->params, "concurrently")) {
        return "REINDEX CONCURRENTLY";
    }
    switch (statement->kind) {
        case REINDEX_OBJECT_SCHEMA:
            return "REINDEX SCHEMA";
        case REINDEX_OBJECT_SYSTEM:
            return "REINDEX SYSTEM";
        case REINDEX_OBJECT_DATABASE:
            return "REINDEX DATABASE";
        default:
            return nullptr;
    }
}

const char* alter_table_name(const AlterTableStmt* statement) {
    ListCell* cell = nullptr;
    foreach (cell, statement->cmds) {
        auto* command = lfirst_node(AlterTableCmd, cell);
        if (command->subtype == AT_DetachPartition && command->def != nullptr &&
            castNode(PartitionCmd, command->def)->concurrent) {
            return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
        }
    }
    return nullptr;
}

// Just past the block comment that starts at `at` ("/*"), nullptr when it
// does not end. Block comments nest, as PostgreSQL's scanner counts them.
const char* skip_block_comment(const char* at) {
    int depth = 0;
    while (*at != '\0') {
        if (at[0] == '/' && at[1] == '*') {
            ++depth;
            at += 2;
        } else if (at[0] == '*' && at[1] == '/') {
            at += 2;
            if (--depth == 0) {
                return at;
            }
        } else {
            ++at;
        }
    }
    return nullptr;
}

// The first word of `command` after white space and comments, lower case,
// at most `size` - 1 letters.
void first_word(const char* command, char* out, size_t size) {
    const char* at = command;
    for (;;) {
        while (*at != '\0' && isspace(static_cast<unsigned char>(*at)) != 0) {
            ++at;
        }
        if (at[0] == '-' && at[1] == '-') {
            at = strchr(at, '\n');
            if (at == nullptr) {
                out[0] = '\0';
                return;
            }
        } else if (at[0] == '/' && at[1] == '*') {
            at = skip_block_comment(at);
            if (at == nullptr) {
                out[0] = '\0';
                return;
            }
        } else {
            break;
        }
    }
    size_t length = 0;
    while (length + 1 < size && isalpha(static_cast<unsigned char>(at[length])) != 0) {
        out[length] = static_cast<char>(tolower(static_cast<unsigned char>(at[length])));
        ++length;
    }
    out[length] = '\0';
}

bool may_be_standalone(const char* command) {
    char word[16];
    first_word(command, word, sizeof(word));
    static const char* const kWords[] = {"vacuum", "create", "reindex", "drop", "cluster", "alter"};
    for (const char* candidate : kWords) {
        if (strcmp(word, candidate) == 0) {
            return true;
        }
    }
    return false;
}

struct SyntaxCheck {
    const char* command;
    const char* job_name;
    int offset;        // characters put before the text to parse it (run_if)
    const char* what;  // "command" or "run_if"
};

// An error while the command is parsed: its position is in the command, not
// in the statement that called jobs.schedule, so it becomes an internal
// position (psql shows the command with a caret under LINE n), as
// PostgreSQL does for a query run by a function.
void syntax_error_context(void* arg) {
    const auto* check = static_cast<const SyntaxCheck*>(arg);
    const int position = geterrposition();
    if (position > 0) {
        const int length = static_cast<int>(strlen(check->command));
        int inside = position - check->offset;
        inside = inside < 1 ? 1 : (inside > length + 1 ? length + 1 : inside);
        errposition(0);
        internalerrposition(inside);
        internalerrquery(check->command);
    }
    if (check->job_name != nullptr) {
        errcontext("the %s of job \"%s\", checked when the job is defined (nothing was run)", check->what,
                   check->job_name);
    } else {
        errcontext("the %s of the job, checked when the job is defined (nothing was run)", check->what);
    }
}

}  // namespace

const char* standalone_statement_name(Node* statement) {
    switch (nodeTag(statement)) {
        case T_VacuumStmt:
            return castNode(VacuumStmt, statement)->is_vacuumcmd ? "VACUUM" : nullptr;
        case T_IndexStmt:
            return castNode(IndexStmt, statement)->concurrent ? "CREATE INDEX CONCURRENTLY" : nullptr;
        case T_ReindexStmt:
            return reindex_name(castNode(ReindexStmt, statement));
        case T_DropStmt:
            return castNode(DropStmt, statement)->concurrent ? "DROP INDEX CONCURRENTLY" : nullptr;
        case T_ClusterStmt:
            return castNode(ClusterStmt, statement)->relation == nullptr ? "CLUSTER" : nullptr;
        case T_AlterTableStmt:
            return alter_table_name(castNode(AlterTableStmt, statement));
        case T_AlterDatabaseStmt:
            return has_option(castNode(AlterDatabaseStmt, statement)->options, "tablespace")
                       ? "ALTER DATABASE SET TABLESPACE"
                       : nullptr;
        case T_CreatedbStmt:
            return "CREATE DATABASE";
        case T_DropdbStmt:
            return "DROP DATABASE";
        case T_CreateTableSpaceStmt:
            return "CREATE TABLESPACE";
        case T_DropTableSpaceStmt:
            return "DROP TABLESPACE";
        case T_AlterSystemStmt:
            return "ALTER SYSTEM";
        default:
            return nullptr;
    }
}

bool may_be_call(const char* command) {
    char word[8];
    first_word(command, word, sizeof(word));
    return strcmp(word, "call") == 0;
}

RawStmt* standalone_statement(const char* command) {
    if (!may_be_standalone(command)) {
        return nullptr;
    }
    List* statements = pg_parse_query(command);
    if (list_length(statements) != 1) {
        return nullptr;
    }
    RawStmt* statement = linitial_node(RawStmt, statements);
    return standalone_statement_name(statement->stmt) != nullptr ? statement : nullptr;
}

namespace {

// Puts the callback that places a syntax error in `text` on the error
// context stack; the caller pops it (pop_syntax_check) once the text parsed.
ErrorContextCallback* push_syntax_check(const char* text, const char* job_name, int offset,
                                        const char* what) {
    auto* check = static_cast<SyntaxCheck*>(palloc(sizeof(SyntaxCheck)));
    check->command = text;
    check->job_name = job_name;
    check->offset = offset;
    check->what = what;
    // palloc'd, not on the stack: GCC warns about a local's address in a global.
    auto* callback = static_cast<ErrorContextCallback*>(palloc0(sizeof(ErrorContextCallback)));
    callback->callback = syntax_error_context;
    callback->arg = check;
    callback->previous = error_context_stack;
    error_context_stack = callback;
    return callback;
}

void pop_syntax_check(ErrorContextCallback* callback) {
    error_context_stack = callback->previous;
}

// The last command that passed, with the settings the parser read: creating
// jobs in bulk repeats one command text, parsed once then.
struct PassedCommand {
    char* text = nullptr;  // in TopMemoryContext
    bool standard_conforming_strings = true;
    int backslash_quote = 0;
};
PassedCommand last_passed;

bool passed_already(const char* command) {
    return last_passed.text != nullptr && strcmp(last_passed.text, command) == 0 &&
           last_passed.standard_conforming_strings == standard_conforming_strings &&
           last_passed.backslash_quote == backslash_quote;
}

void remember_passed(const char* command) {
    char* copy = MemoryContextStrdup(TopMemoryContext, command);
    if (last_passed.text != nullptr) {
        pfree(last_passed.text);
    }
    last_passed = PassedCommand{copy, standard_conforming_strings, backslash_quote};
}

}  // namespace

void check_command_syntax(const char* command, const char* job_name) {
    if (passed_already(command)) {
        return;
    }
    ErrorContextCallback* callback = push_syntax_check(command, job_name, 0, "command");
    List* statements = raw_parser(command, RAW_PARSE_DEFAULT);
    if (list_length(statements) > 1) {
        ListCell* cell = nullptr;
        foreach (cell, statements) {
            const char* name = standalone_statement_name(lfirst_node(RawStmt, cell)->stmt);
            if (name != nullptr) {
                ereport(ERROR,
                        (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
                         errmsg("%s cannot run together with other statements in a job's command", name),
                         errdetail("The statements of a command run in one transaction, and %s cannot run "
                                   "inside a transaction block.",
                                   name),
                         errhint("Give %s a job of its own: a command that is that one statement runs "
                                 "outside a transaction block.",
                                 name)));
            }
        }
    }
    pop_syntax_check(callback);
    remember_passed(command);
}

const char* run_if_query(const char* run_if) {
    return psprintf("SELECT (%s\n)::boolean", run_if);
}

bool evaluate_run_if(const char* run_if, const char* job_name) {
    if (SPI_connect() != SPI_OK_CONNECT) {
        elog(ERROR, "pg_jobs: SPI_connect failed");
    }
    const int rc = SPI_execute(run_if_query(run_if), false, 1);
    if (rc != SPI_OK_SELECT || SPI_processed != 1) {
        if (job_name != nullptr) {
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("could not evaluate the run_if of job \"%s\": %s", job_name,
                                   SPI_result_code_string(rc))));
        }
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("could not evaluate run_if: %s", SPI_result_code_string(rc))));
    }
    bool is_null = true;
    const Datum value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &is_null);
    const bool holds = !is_null && DatumGetBool(value);
    SPI_finish();
    return holds;
}

namespace {

// Whether `statement` is SELECT <one expression>, nothing else.
bool is_bare_select(Node* statement) {
    if (!IsA(statement, SelectStmt)) {
        return false;
    }
    const auto* select = castNode(SelectStmt, statement);
    return select->op == SETOP_NONE && list_length(select->targetList) == 1 && select->fromClause == NIL &&
           select->whereClause == nullptr && select->groupClause == NIL && select->havingClause == nullptr &&
           select->windowClause == NIL && select->valuesLists == NIL && select->sortClause == NIL &&
           select->limitOffset == nullptr && select->limitCount == nullptr && select->lockingClause == NIL &&
           select->withClause == nullptr && select->distinctClause == NIL && select->intoClause == nullptr;
}

}  // namespace

void check_run_if_syntax(const char* run_if, const char* job_name) {
    ErrorContextCallback* callback =
        push_syntax_check(run_if, job_name, static_cast<int>(strlen("SELECT (")), "run_if");
    List* statements = raw_parser(run_if_query(run_if), RAW_PARSE_DEFAULT);
    if (list_length(statements) != 1 || !is_bare_select(linitial_node(RawStmt, statements)->stmt)) {
        ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("run_if must be one SQL expression"),
                        errdetail("It is evaluated as SELECT (run_if)::boolean just before each run."),
                        errhint("Write a condition such as 'EXISTS (SELECT FROM my_queue)' or "
                                "'extract(dow FROM now()) BETWEEN 1 AND 5'.")));
    }
    pop_syntax_check(callback);
}

}  // namespace pg_jobs::pg
