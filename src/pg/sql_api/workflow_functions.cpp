// flow: jobs_internal._workflow_cycle(steps, ups, downs), the cycle search of
// jobs.schedule_workflow (core/workflow_graph.hpp): the workflow's step
// names in definition order and its "after" edges (ups[i] -> downs[i]);
// returns the first cycle as "a -> b -> a", or NULL. IMMUTABLE, no table
// read; executable by the extension's owner only.
#include "core/workflow_graph.hpp"
#include "pg/common/guard.hpp"
#include "pg/common/pg_headers.hpp"

#include <string>
#include <vector>

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace pg_jobs::pg {
namespace {

// The elements of a text[] argument as C strings (NULL elements read as
// ""); plain PostgreSQL calls, made while no C++ object is alive.
const char** text_elements(FunctionCallInfo fcinfo, int index, int* count) {
    Datum* elements = nullptr;
    bool* nulls = nullptr;
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(index);
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, count);
    auto* out = static_cast<const char**>(palloc(sizeof(char*) * Max(*count, 1)));
    for (int i = 0; i < *count; ++i) {
        // NOLINTNEXTLINE(performance-no-int-to-ptr): a Datum holds the pointer
        out[i] = nulls[i] ? "" : TextDatumGetCString(elements[i]);
    }
    return out;
}

// The cycle as text, or "" (C++ only: no PostgreSQL call).
std::string cycle_of(const char* const* steps, int step_count, const char* const* ups,
                     const char* const* downs, int edge_count) {
    const std::vector<std::string> names(steps, steps + step_count);
    std::vector<WorkflowEdge> edges;
    edges.reserve(static_cast<size_t>(edge_count));
    for (int i = 0; i < edge_count; ++i) {
        edges.emplace_back(ups[i], downs[i]);
    }
    return cycle_text(find_workflow_cycle(names, edges));
}

Datum workflow_cycle(FunctionCallInfo fcinfo) {
    int step_count = 0;
    int up_count = 0;
    int down_count = 0;
    const char** steps = text_elements(fcinfo, 0, &step_count);
    const char** ups = text_elements(fcinfo, 1, &up_count);
    const char** downs = text_elements(fcinfo, 2, &down_count);
    char* found = nullptr;
    {
        const std::string cycle = cycle_of(steps, step_count, ups, downs, Min(up_count, down_count));
        if (!cycle.empty()) {
            found = call_pg([&] { return pnstrdup(cycle.data(), cycle.size()); });
        }
    }
    if (found == nullptr) {
        PG_RETURN_NULL();
    }
    PG_RETURN_TEXT_P(cstring_to_text(found));
}

}  // namespace
}  // namespace pg_jobs::pg

PG_JOBS_SQL_FUNCTION(pg_jobs_workflow_cycle);
Datum pg_jobs_workflow_cycle(PG_FUNCTION_ARGS) {
    return pg_jobs::pg::run_guarded("jobs_internal._workflow_cycle",
                                    [&] { return pg_jobs::pg::workflow_cycle(fcinfo); });
}
