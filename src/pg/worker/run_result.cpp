// See run_result.hpp.
#include "core/sql_result.hpp"
#include "pg/worker/run_result.hpp"

extern "C" {
#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
}

namespace pg_jobs::pg {
namespace {

// The size of the row's values as stored, uncompressed (TOASTed values
// included, without fetching them): what rendering them would read.
int64 stored_value_bytes(HeapTuple tuple, TupleDesc desc) {
    auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
    auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * desc->natts));
    heap_deform_tuple(tuple, desc, values, nulls);
    int64 total = 0;
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (nulls[i] || attribute->attisdropped) {
            continue;
        }
        if (attribute->attlen == -1) {
            total += static_cast<int64>(toast_raw_datum_size(values[i]));
        } else if (attribute->attlen == -2) {
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            total += static_cast<int64>(strlen(DatumGetCString(values[i])));
        } else {
            total += attribute->attlen;
        }
    }
    pfree(values);
    pfree(nulls);
    return total;
}

// to_jsonb, called as to_jsonb(<record>) would be: it reads its argument's
// type from the call expression, which says record (the row's own type and
// typmod then tell its columns). Set up once per process.
FmgrInfo* to_jsonb_of_record() {
    static FmgrInfo* function = nullptr;
    if (function == nullptr) {
        MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);
        auto* info = static_cast<FmgrInfo*>(palloc0(sizeof(FmgrInfo)));
        fmgr_info_cxt(F_TO_JSONB, info, TopMemoryContext);
        List* arguments = list_make1(makeNullConst(RECORDOID, -1, InvalidOid));
        info->fn_expr = reinterpret_cast<Node*>(
            makeFuncExpr(F_TO_JSONB, JSONBOID, arguments, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL));
        MemoryContextSwitchTo(caller);
        function = info;
    }
    return function;
}

}  // namespace

RunResult first_row_result(const SPITupleTable* rows, MemoryContext into) {
    RunResult result{};
    if (rows == nullptr || rows->numvals == 0) {
        return result;
    }
    TupleDesc desc = rows->tupdesc;
    HeapTuple first = rows->vals[0];
    if (stored_value_bytes(first, desc) > kSqlResultRenderMaxBytes) {
        result.over_limit = true;
        return result;
    }
    // A row type of its own (typmod) for the anonymous row: to_jsonb looks
    // its columns up by it. The copy is a composite datum, detoasted.
    BlessTupleDesc(desc);
    const Datum row = heap_copy_tuple_as_datum(first, desc);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    Jsonb* object = DatumGetJsonbP(FunctionCall1(to_jsonb_of_record(), row));
    char* text = JsonbToCString(nullptr, &object->root, static_cast<int>(VARSIZE(object)));
    if (strlen(text) > static_cast<size_t>(kSqlResultMaxBytes)) {
        result.over_limit = true;
    } else {
        result.json = MemoryContextStrdup(into, text);
    }
    return result;
}

}  // namespace pg_jobs::pg
