// Plain-English rendering of a schedule for jobs.describe().
#pragma once
#include "core/no_postgres.hpp"

#include "core/cron_schedule.hpp"

#include <string>
#include <string_view>

namespace pg_jobs::cron {

// "at 02:30 on the last Friday of every month, Europe/Berlin time".
// `zone_name` is appended as "<zone> time" (every schedule but @every and
// @reboot, which do not depend on the zone).
std::string describe_schedule(const CronSchedule& schedule, std::string_view zone_name);

}  // namespace pg_jobs::cron
