// How much work the next call may take on within a time budget, judging by
// what the calls so far took per item. The launcher starts due workflow
// runs in calls of this size: a burst of small runs takes few statements,
// while one run of thousands of steps is still started alone.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>

namespace pg_jobs {

// The size of the next call: the items that fit in left_us at the mean cost
// of the done items so far (spent_us for done), between 1 and max_items.
// With nothing done yet, or a budget already spent, 1.
int batch_within_budget(int64_t spent_us, int64_t done, int64_t left_us, int max_items);

}  // namespace pg_jobs
