#include "core/budget_batch.hpp"

#include <algorithm>

namespace pg_jobs {

int batch_within_budget(int64_t spent_us, int64_t done, int64_t left_us, int max_items) {
    if (done <= 0 || left_us <= 0 || max_items <= 1) {
        return 1;
    }
    const int64_t per_item_us = std::max<int64_t>(1, spent_us / done);
    const int64_t fits = left_us / per_item_us;
    return static_cast<int>(std::clamp<int64_t>(fits, 1, max_items));
}

}  // namespace pg_jobs
