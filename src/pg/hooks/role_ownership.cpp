// DROP ROLE, REASSIGN OWNED and DROP OWNED for jobs; see role_ownership.hpp.
#include "pg/hooks/role_ownership.hpp"

#include "pg/common/internal_schema.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_func.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
}

namespace pg_jobs::pg {
namespace {

// Plain C calls only in this file: the statements' errors longjmp through
// these frames, which own nothing.

ProcessUtility_hook_type previous_utility_hook = nullptr;

// The roles a statement names, as an oid[] (and a name[] for messages).
struct RoleList {
    int count;
    Datum* oids;
    Datum* names;
};

RoleList empty_role_list(int capacity) {
    RoleList roles{};
    roles.oids = static_cast<Datum*>(palloc0(sizeof(Datum) * Max(capacity, 1)));
    roles.names = static_cast<Datum*>(palloc0(sizeof(Datum) * Max(capacity, 1)));
    return roles;
}

void add_role(RoleList* roles, Oid role, const char* name) {
    auto* copy = static_cast<NameData*>(palloc0(NAMEDATALEN));
    namestrcpy(copy, name);
    roles->oids[roles->count] = ObjectIdGetDatum(role);
    roles->names[roles->count] = NameGetDatum(copy);
    ++roles->count;
}

// DROP ROLE removes the roles: take their OIDs while they exist. Roles that
// do not exist (IF EXISTS) are left out.
RoleList roles_to_drop(const DropRoleStmt* statement) {
    RoleList roles = empty_role_list(list_length(statement->roles));
    ListCell* cell = nullptr;
    foreach (cell, statement->roles) {
        const RoleSpec* spec = static_cast<const RoleSpec*>(lfirst(cell));
        if (spec->roletype != ROLESPEC_CSTRING) {
            continue;  // refused by DropRole itself
        }
        const Oid role = get_role_oid(spec->rolename, true);
        if (OidIsValid(role)) {
            add_role(&roles, role, spec->rolename);
        }
    }
    return roles;
}

// The roles of REASSIGN OWNED / DROP OWNED: PostgreSQL has just checked
// that they exist.
RoleList named_roles(List* specs) {
    RoleList roles = empty_role_list(list_length(specs));
    ListCell* cell = nullptr;
    foreach (cell, specs) {
        const Oid role = get_rolespec_oid(static_cast<const RoleSpec*>(lfirst(cell)), false);
        add_role(&roles, role, GetUserNameFromId(role, false));
    }
    return roles;
}

Datum oid_array(const RoleList& roles) {
    return PointerGetDatum(construct_array(roles.oids, roles.count, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

Datum name_array(const RoleList& roles) {
    return PointerGetDatum(
        construct_array(roles.names, roles.count, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
}

// jobs_internal.<name>(<types>) if the extension is installed in this database.
Oid ownership_function(const char* name, int nargs, Oid* types) {
    if (!OidIsValid(get_extension_oid("pg_jobs", true))) {
        return InvalidOid;
    }
    return internal_function(name, nargs, types);
}

// Calls it through fmgr: it is SECURITY DEFINER and executable by nobody
// else, and fmgr checks no EXECUTE privilege. Errors it raises carry no
// context naming the extension's internals.
void call_ownership_function(const char* name, int nargs, Oid* types, const Datum* args) {
    const Oid function = ownership_function(name, nargs, types);
    if (!OidIsValid(function)) {
        return;
    }
    FmgrInfo info;
    fmgr_info(function, &info);
    LOCAL_FCINFO(call, 2);
    InitFunctionCallInfoData(*call, &info, static_cast<short>(nargs), InvalidOid, nullptr, nullptr);
    for (int i = 0; i < nargs; ++i) {
        call->args[i].value = args[i];
        call->args[i].isnull = false;
    }
    // The statement's catalog changes are visible to the function.
    CommandCounterIncrement();
    const bool push_snapshot = !ActiveSnapshotSet();
    if (push_snapshot) {
        PushActiveSnapshot(GetTransactionSnapshot());
    }
    (void)FunctionCallInvoke(call);
    if (push_snapshot) {
        PopActiveSnapshot();
    }
}

void roles_dropped(const RoleList& roles) {
    if (roles.count == 0) {
        return;
    }
    Oid types[2] = {OIDARRAYOID, NAMEARRAYOID};
    Datum args[2] = {oid_array(roles), name_array(roles)};
    call_ownership_function("_roles_dropped", 2, types, args);
}

void owned_reassigned(const ReassignOwnedStmt* statement) {
    const RoleList roles = named_roles(statement->roles);
    Oid types[2] = {OIDARRAYOID, OIDOID};
    Datum args[2] = {oid_array(roles), ObjectIdGetDatum(get_rolespec_oid(statement->newrole, false))};
    call_ownership_function("_reassign_owned", 2, types, args);
}

void owned_dropped(const DropOwnedStmt* statement) {
    const RoleList roles = named_roles(statement->roles);
    Oid types[1] = {OIDARRAYOID};
    Datum args[1] = {oid_array(roles)};
    call_ownership_function("_drop_owned", 1, types, args);
}

void process_utility(PlannedStmt* statement, const char* query, bool read_only_tree,
                     ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* environment,
                     DestReceiver* dest, QueryCompletion* completion) {
    Node* node = statement->utilityStmt;
    RoleList dropping{};
    if (node != nullptr && IsA(node, DropRoleStmt)) {
        dropping = roles_to_drop(castNode(DropRoleStmt, node));
    }
    if (previous_utility_hook != nullptr) {
        previous_utility_hook(statement, query, read_only_tree, context, params, environment, dest,
                              completion);
    } else {
        standard_ProcessUtility(statement, query, read_only_tree, context, params, environment, dest,
                                completion);
    }
    if (node == nullptr) {
        return;
    }
    switch (nodeTag(node)) {
        case T_DropRoleStmt:
            roles_dropped(dropping);
            break;
        case T_ReassignOwnedStmt:
            owned_reassigned(castNode(ReassignOwnedStmt, node));
            break;
        case T_DropOwnedStmt:
            owned_dropped(castNode(DropOwnedStmt, node));
            break;
        default:
            break;
    }
}

}  // namespace

void install_role_ownership_hook() {
    previous_utility_hook = ProcessUtility_hook;
    ProcessUtility_hook = process_utility;
}

}  // namespace pg_jobs::pg
