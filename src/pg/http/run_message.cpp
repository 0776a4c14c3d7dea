// Filling a run's texts from its context; see run_message.hpp.
#include "core/body_template.hpp"
#include "pg/http/run_message.hpp"

#include "pg/common/guard.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
}

namespace pg_jobs::pg {
namespace {

Jsonb* parse_context(const char* json) {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

// The key `key` of an object, or element `key` (a decimal index) of an array.
JsonbValue* child(JsonbContainer* container, const char* key) {
    if (JsonContainerIsObject(container)) {
        JsonbValue name;
        name.type = jbvString;
        name.val.string.val = const_cast<char*>(key);
        name.val.string.len = static_cast<int>(strlen(key));
        return findJsonbValueFromContainer(container, JB_FOBJECT, &name);
    }
    if (JsonContainerIsArray(container) && !JsonContainerIsScalar(container)) {
        char* end = nullptr;
        const long index = strtol(key, &end, 10);
        if (end == key || *end != '\0' || index < 0 || index > INT32_MAX) {
            return nullptr;
        }
        return getIthJsonbValueFromContainer(container, static_cast<uint32>(index));
    }
    return nullptr;
}

// The value at `keys` as text (a string's contents, the JSON text of
// anything else), palloc'd; nullptr when absent or null. Plain C calls.
char* value_at(Jsonb* context, const char* const* keys, int count) {
    JsonbContainer* container = &context->root;
    JsonbValue* found = nullptr;
    for (int i = 0; i < count; ++i) {
        if (container == nullptr) {
            return nullptr;
        }
        found = child(container, keys[i]);
        if (found == nullptr) {
            return nullptr;
        }
        container = found->type == jbvBinary ? found->val.binary.data : nullptr;
    }
    if (found == nullptr) {
        return nullptr;
    }
    switch (found->type) {
        case jbvString:
            return pnstrdup(found->val.string.val, found->val.string.len);
        case jbvNumeric:
            // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
            return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(found->val.numeric)));
        case jbvBool:
            return pstrdup(found->val.boolean ? "true" : "false");
        case jbvBinary:
            return JsonbToCString(nullptr, found->val.binary.data, found->val.binary.len);
        default:
            return nullptr;
    }
}

}  // namespace

std::optional<std::string> fill_placeholders(std::string_view text, const char* context_json,
                                             templates::Escaping escaping, std::string* error) {
    const templates::Placeholders placeholders = templates::find_placeholders(text);
    if (placeholders.error) {
        *error = placeholders.error->message;
        return std::nullopt;
    }
    if (placeholders.found.empty()) {
        return std::string(text);
    }
    Jsonb* context = context_json == nullptr ? nullptr : call_pg([&] { return parse_context(context_json); });
    const templates::Lookup lookup =
        [context](const std::vector<std::string>& path) -> std::optional<std::string> {
        if (context == nullptr) {
            return std::nullopt;
        }
        std::vector<const char*> keys;
        keys.reserve(path.size());
        for (const std::string& key : path) {
            keys.push_back(key.c_str());
        }
        const char* const* key_array = keys.data();
        const int count = static_cast<int>(keys.size());
        const char* value = call_pg([&] { return value_at(context, key_array, count); });
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
    return templates::render(text, placeholders, lookup, escaping);
}

}  // namespace pg_jobs::pg
