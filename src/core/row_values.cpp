// See row_values.hpp.
#include "core/row_values.hpp"

#include <algorithm>
#include <array>

namespace pg_jobs {
namespace {

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& values, std::string_view text) {
    return std::find(values.begin(), values.end(), text) != values.end();
}

// flow: workflows (issue 15) are jobs of kind "workflow"; their steps' runs
// are triggered_by "workflow".
constexpr std::array<std::string_view, 4> kJobKinds = {"sql", "http", "email", "workflow"};
constexpr std::array<std::string_view, 5> kRunTriggers = {"schedule", "manual", "reboot", "retry",
                                                          "workflow"};

}  // namespace

bool is_job_kind(std::string_view text) {
    return one_of(kJobKinds, text);
}

bool is_run_trigger(std::string_view text) {
    return one_of(kRunTriggers, text);
}

}  // namespace pg_jobs
