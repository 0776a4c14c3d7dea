// jobs_internal._audit_definition(job record) and jobs_internal._audit_fields(definition):
// what the audit trail records of a created or removed job, built in C.
//
// The same value as jsonb_strip_nulls(jobs_internal._audit_values(to_jsonb(job))):
// every column but created_at and updated_at, NULLs left out, jsonb values
// stripped of null fields, header values as ***. to_jsonb looks up each
// column's type and output function again for every row; here they are
// looked up once per statement (fn_extra), so a statement creating 100,000
// jobs writes its audit rows several times faster. A pgTAP test compares
// both forms on varied jobs.
//
// Plain C calls only (run under run_guarded): an error travels through no
// C++ frame that owns anything.
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/varlena.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/jsonfuncs.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"
}

#include <algorithm>

namespace pg_jobs::pg {
namespace {

enum class Shown { Skip, Bool, Number, DateTime, Jsonb, Headers, TextArray, Text };

struct Column {
    Shown shown;
    FmgrInfo output;  // Text and Number
    Oid type;
};

struct RowShape {
    Oid type;
    int32 typmod;
    TupleDesc desc;  // a copy, in fn_mcxt
    Column* columns;
    // The columns in jsonb's key order (shorter names first, then bytewise):
    // pushed in that order, the object's keys are found sorted and not
    // sorted again for every row.
    int* key_order;
};

Shown shown_as(Form_pg_attribute attribute) {
    const char* name = NameStr(attribute->attname);
    if (attribute->attisdropped || strcmp(name, "created_at") == 0 || strcmp(name, "updated_at") == 0) {
        return Shown::Skip;
    }
    const Oid type = getBaseType(attribute->atttypid);
    switch (type) {
        case BOOLOID:
            return Shown::Bool;
        case INT2OID:
        case INT4OID:
        case INT8OID:
        case FLOAT4OID:
        case FLOAT8OID:
        case NUMERICOID:
            return Shown::Number;
        case DATEOID:
        case TIMESTAMPOID:
        case TIMESTAMPTZOID:
            return Shown::DateTime;
        case JSONBOID:
            return strcmp(name, "http_headers") == 0 ? Shown::Headers : Shown::Jsonb;
        default:
            break;
    }
    if (type == TEXTARRAYOID) {
        return Shown::TextArray;  // tags
    }
    if (type == JSONOID || OidIsValid(get_element_type(type)) || type_is_rowtype(type)) {
        // to_jsonb nests these; the jobs table has none. Refuse rather than differ.
        elog(ERROR, "pg_jobs: the audit trail cannot show column \"%s\" of type %s", name,
             format_type_be(type));
    }
    return Shown::Text;
}

RowShape* shape_of(FunctionCallInfo fcinfo, HeapTupleHeader row) {
    const Oid type = HeapTupleHeaderGetTypeId(row);
    const int32 typmod = HeapTupleHeaderGetTypMod(row);
    auto* shape = static_cast<RowShape*>(fcinfo->flinfo->fn_extra);
    if (shape != nullptr && shape->type == type && shape->typmod == typmod) {
        return shape;
    }
    MemoryContext outer = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    TupleDesc desc = lookup_rowtype_tupdesc(type, typmod);
    shape = static_cast<RowShape*>(palloc0(sizeof(RowShape)));
    shape->type = type;
    shape->typmod = typmod;
    shape->desc = CreateTupleDescCopy(desc);
    ReleaseTupleDesc(desc);
    shape->columns = static_cast<Column*>(palloc0(sizeof(Column) * shape->desc->natts));
    for (int i = 0; i < shape->desc->natts; ++i) {
        Form_pg_attribute attribute = TupleDescAttr(shape->desc, i);
        Column& column = shape->columns[i];
        column.shown = shown_as(attribute);
        column.type = attribute->atttypid;
        if (column.shown == Shown::Text || column.shown == Shown::Number) {
            Oid output = InvalidOid;
            bool varlena = false;
            getTypeOutputInfo(attribute->atttypid, &output, &varlena);
            fmgr_info_cxt(output, &column.output, fcinfo->flinfo->fn_mcxt);
        }
    }
    shape->key_order = static_cast<int*>(palloc(sizeof(int) * shape->desc->natts));
    for (int i = 0; i < shape->desc->natts; ++i) {
        shape->key_order[i] = i;
    }
    std::sort(shape->key_order, shape->key_order + shape->desc->natts, [shape](int a, int b) {
        const char* name_a = NameStr(TupleDescAttr(shape->desc, a)->attname);
        const char* name_b = NameStr(TupleDescAttr(shape->desc, b)->attname);
        const size_t length_a = strlen(name_a);
        const size_t length_b = strlen(name_b);
        return length_a != length_b ? length_a < length_b : memcmp(name_a, name_b, length_a) < 0;
    });
    fcinfo->flinfo->fn_extra = shape;
    MemoryContextSwitchTo(outer);
    return shape;
}

void push_key(JsonbParseState** state, const char* key) {
    JsonbValue value;
    value.type = jbvString;
    value.val.string.val = const_cast<char*>(key);
    value.val.string.len = static_cast<int>(strlen(key));
    (void)pushJsonbValue(state, WJB_KEY, &value);
}

void push_string(JsonbParseState** state, char* text) {
    JsonbValue value;
    value.type = jbvString;
    value.val.string.val = text;
    value.val.string.len = static_cast<int>(strlen(text));
    (void)pushJsonbValue(state, WJB_VALUE, &value);
}

// A jsonb value as the trail shows it: stripped of null fields (NULL when the
// value itself is a JSON null, which jsonb_strip_nulls leaves out), header
// values masked when the value is an object.
Jsonb* shown_jsonb(Datum value, bool headers) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    Jsonb* jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_strip_nulls, value));
    if (JB_ROOT_IS_SCALAR(jsonb)) {
        JsonbValue scalar;
        if (JsonbExtractScalar(&jsonb->root, &scalar) && scalar.type == jbvNull) {
            return nullptr;
        }
        return jsonb;
    }
    if (!headers || !JB_ROOT_IS_OBJECT(jsonb)) {
        return jsonb;
    }
    JsonbParseState* state = nullptr;
    (void)pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    JsonbIterator* iterator = JsonbIteratorInit(&jsonb->root);
    JsonbValue item;
    (void)JsonbIteratorNext(&iterator, &item, true);  // the object's start
    JsonbIteratorToken token = WJB_DONE;
    while ((token = JsonbIteratorNext(&iterator, &item, true)) != WJB_DONE) {
        if (token == WJB_KEY) {
            (void)pushJsonbValue(&state, WJB_KEY, &item);
            JsonbValue masked;
            masked.type = jbvString;
            masked.val.string.val = const_cast<char*>("***");
            masked.val.string.len = 3;
            (void)pushJsonbValue(&state, WJB_VALUE, &masked);
        }
    }
    return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr));
}

Datum audit_definition(FunctionCallInfo fcinfo) {
    HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
    RowShape* shape = shape_of(fcinfo, row);
    HeapTupleData tuple;
    tuple.t_len = HeapTupleHeaderGetDatumLength(row);
    ItemPointerSetInvalid(&tuple.t_self);
    tuple.t_tableOid = InvalidOid;
    tuple.t_data = row;
    const int count = shape->desc->natts;
    auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * count));
    auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * count));
    heap_deform_tuple(&tuple, shape->desc, values, nulls);

    JsonbParseState* state = nullptr;
    (void)pushJsonbValue(&state, WJB_BEGIN_OBJECT, nullptr);
    for (int k = 0; k < count; ++k) {
        const int i = shape->key_order[k];
        const Column& column = shape->columns[i];
        if (nulls[i] || column.shown == Shown::Skip) {
            continue;
        }
        const char* key = NameStr(TupleDescAttr(shape->desc, i)->attname);
        switch (column.shown) {
            case Shown::Bool: {
                push_key(&state, key);
                JsonbValue value;
                value.type = jbvBool;
                value.val.boolean = DatumGetBool(values[i]);
                (void)pushJsonbValue(&state, WJB_VALUE, &value);
                break;
            }
            case Shown::Number: {
                if (column.type == INT8OID || column.type == INT4OID || column.type == INT2OID) {
                    push_key(&state, key);
                    JsonbValue value;
                    value.type = jbvNumeric;
                    value.val.numeric = int64_to_numeric(column.type == INT8OID   ? DatumGetInt64(values[i])
                                                         : column.type == INT4OID ? DatumGetInt32(values[i])
                                                                                  : DatumGetInt16(values[i]));
                    (void)pushJsonbValue(&state, WJB_VALUE, &value);
                    break;
                }
                // As to_jsonb: the number's text, a JSON number unless it is
                // NaN or infinite (then a string).
                char* text = OutputFunctionCall(const_cast<FmgrInfo*>(&column.output), values[i]);
                push_key(&state, key);
                if (IsValidJsonNumber(text, static_cast<int>(strlen(text)))) {
                    JsonbValue value;
                    value.type = jbvNumeric;
                    const Datum number = DirectFunctionCall3(numeric_in, CStringGetDatum(text),
                                                             ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
                    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                    value.val.numeric = DatumGetNumeric(number);
                    (void)pushJsonbValue(&state, WJB_VALUE, &value);
                } else {
                    push_string(&state, text);
                }
                break;
            }
            case Shown::DateTime: {
                char buffer[MAXDATELEN + 1];
                push_key(&state, key);
                push_string(&state, pstrdup(JsonEncodeDateTime(buffer, values[i], getBaseType(column.type),
                                                               nullptr)));
                break;
            }
            case Shown::Jsonb:
            case Shown::Headers: {
                Jsonb* shown = shown_jsonb(values[i], column.shown == Shown::Headers);
                if (shown == nullptr) {
                    break;
                }
                push_key(&state, key);
                JsonbValue value;
                value.type = jbvBinary;
                value.val.binary.data = &shown->root;
                value.val.binary.len = static_cast<int>(VARSIZE(shown) - VARHDRSZ);
                (void)pushJsonbValue(&state, WJB_VALUE, &value);
                break;
            }
            case Shown::TextArray: {
                // As to_jsonb: a JSON array of strings (null for a NULL element).
                // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                ArrayType* array = DatumGetArrayTypeP(values[i]);
                Datum* elements = nullptr;
                bool* element_nulls = nullptr;
                int element_count = 0;
                deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &element_nulls,
                                  &element_count);
                if (ARR_NDIM(array) > 1) {
                    elog(ERROR, "pg_jobs: the audit trail cannot show the multidimensional array in \"%s\"",
                         key);
                }
                push_key(&state, key);
                (void)pushJsonbValue(&state, WJB_BEGIN_ARRAY, nullptr);
                for (int e = 0; e < element_count; ++e) {
                    if (element_nulls[e]) {
                        JsonbValue null_value;
                        null_value.type = jbvNull;
                        (void)pushJsonbValue(&state, WJB_ELEM, &null_value);
                    } else {
                        JsonbValue element;
                        element.type = jbvString;
                        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
                        element.val.string.val = TextDatumGetCString(elements[e]);
                        element.val.string.len = static_cast<int>(strlen(element.val.string.val));
                        (void)pushJsonbValue(&state, WJB_ELEM, &element);
                    }
                }
                (void)pushJsonbValue(&state, WJB_END_ARRAY, nullptr);
                break;
            }
            case Shown::Text:
                push_key(&state, key);
                push_string(&state, OutputFunctionCall(const_cast<FmgrInfo*>(&column.output), values[i]));
                break;
            case Shown::Skip:
                break;
        }
    }
    PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, nullptr)));
}

int compare_keys(const void* left, const void* right) {
    const auto* a = static_cast<const JsonbValue*>(left);
    const auto* b = static_cast<const JsonbValue*>(right);
    return varstr_cmp(a->val.string.val, a->val.string.len, b->val.string.val, b->val.string.len,
                      DEFAULT_COLLATION_OID);
}

// The last definition's keys (in jsonb's order, NUL-separated) and the
// array made of them: the rows of one statement mostly have the same keys.
struct FieldsCache {
    char* keys;
    int length;
    Datum fields;
};

// The top-level keys in the order ORDER BY gives text (the default collation).
Datum audit_fields(FunctionCallInfo fcinfo) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    Jsonb* definition = PG_GETARG_JSONB_P(0);
    if (!JB_ROOT_IS_OBJECT(definition)) {
        PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
    }
    const int count = static_cast<int>(JB_ROOT_COUNT(definition));
    auto* keys = static_cast<JsonbValue*>(palloc(sizeof(JsonbValue) * (count + 1)));
    int found = 0;
    StringInfoData signature;
    initStringInfo(&signature);
    JsonbIterator* iterator = JsonbIteratorInit(&definition->root);
    JsonbValue item;
    JsonbIteratorToken token;
    while ((token = JsonbIteratorNext(&iterator, &item, true)) != WJB_DONE) {
        if (token == WJB_KEY && found < count) {
            keys[found++] = item;
            appendBinaryStringInfo(&signature, item.val.string.val, item.val.string.len);
            appendStringInfoChar(&signature, '\0');
        }
    }
    auto* cache = static_cast<FieldsCache*>(fcinfo->flinfo->fn_extra);
    if (cache != nullptr && cache->length == signature.len &&
        memcmp(cache->keys, signature.data, signature.len) == 0) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        return PointerGetDatum(PG_DETOAST_DATUM_COPY(cache->fields));
    }
    qsort(keys, found, sizeof(JsonbValue), compare_keys);
    auto* texts = static_cast<Datum*>(palloc(sizeof(Datum) * (found + 1)));
    for (int i = 0; i < found; ++i) {
        texts[i] = PointerGetDatum(cstring_to_text_with_len(keys[i].val.string.val, keys[i].val.string.len));
    }
    ArrayType* fields = construct_array(texts, found, TEXTOID, -1, false, TYPALIGN_INT);
    MemoryContext outer = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    if (cache == nullptr) {
        cache = static_cast<FieldsCache*>(palloc0(sizeof(FieldsCache)));
        fcinfo->flinfo->fn_extra = cache;
    } else {
        pfree(cache->keys);
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        pfree(DatumGetPointer(cache->fields));
    }
    cache->keys = static_cast<char*>(palloc(signature.len + 1));
    memcpy(cache->keys, signature.data, signature.len);
    cache->length = signature.len;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    cache->fields = PointerGetDatum(PG_DETOAST_DATUM_COPY(PointerGetDatum(fields)));
    MemoryContextSwitchTo(outer);
    PG_RETURN_ARRAYTYPE_P(fields);
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_audit_definition);
Datum pg_jobs_audit_definition(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._audit_definition",
                                    [&] { return pg_jobs::pg::audit_definition(fcinfo); });
}

PG_JOBS_SQL_FUNCTION(pg_jobs_audit_fields);
Datum pg_jobs_audit_fields(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._audit_fields",
                                    [&] { return pg_jobs::pg::audit_fields(fcinfo); });
}
