// flow: the shape of a workflow (issue 15): its steps and the "after"
// edges between them must form a DAG. jobs.schedule_workflow checks the
// names itself (a step listed twice, an "after" naming no step) and asks
// this, through jobs_internal._workflow_cycle, for a cycle to name in its error.
#pragma once
#include "core/no_postgres.hpp"

#include <string>
#include <utility>
#include <vector>

namespace pg_jobs {

// An edge upstream -> downstream: `downstream` runs after `upstream`.
using WorkflowEdge = std::pair<std::string, std::string>;

// A cycle of the graph of `steps` (in definition order) and `edges`, as the
// steps met walking it downstream from its first step back to that step
// (the first repeated: {"extract", "transform", "extract"}); empty if the
// graph has none. Edges naming no step are ignored. The search starts from
// the steps in their order and follows each step's edges in theirs, so the
// same definition always names the same cycle. O(steps + edges), iterative
// (no recursion depth to fear with long chains).
std::vector<std::string> find_workflow_cycle(const std::vector<std::string>& steps,
                                             const std::vector<WorkflowEdge>& edges);

// The cycle as the error names it: "extract -> transform -> extract".
std::string cycle_text(const std::vector<std::string>& cycle);

}  // namespace pg_jobs
