// Transition-table zones, used where no tz database is at hand.
#include "core/time_zone.hpp"

#include <algorithm>

namespace pg_jobs {

OffsetSpan TransitionTableZone::offset_at(int64_t unix_seconds) const {
    const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds,
                                        [](int64_t t, const Transition& tr) { return t < tr.at; });
    const int32_t offset = after == transitions_.begin() ? initial_ : std::prev(after)->utc_offset;
    const int64_t until = after == transitions_.end() ? kNoTransition : after->at;
    return {offset, until};
}

}  // namespace pg_jobs
