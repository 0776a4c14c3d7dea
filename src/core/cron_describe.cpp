// Plain-English descriptions of schedules, built from the field bitmasks so
// that equivalent spellings ("0-59/15", "*/15", "0,15,30,45") read the same.
//
// A calendar schedule reads as <time of day> <dates>, <zone> time:
// "at 02:30 on the last Friday of every month, Europe/Berlin time".
#include "core/cron_describe.hpp"

#include "core/cron_describe_text.hpp"
#include "core/cron_next.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace pg_jobs::cron {
namespace {

using english::ValueSet;
using Shape = ValueSet::Shape;

constexpr uint64_t kSixtyBits = (UINT64_C(1) << 60) - 1;
constexpr uint32_t kAllDaysOfMonth = 0xFFFFFFFEU;  // bits 1..31
constexpr uint8_t kAllWeekdays = 0x7F;

// At most this many fire times a day are listed one by one ("at 08:00,
// 12:00 and 18:00"); beyond it the fields are described separately.
constexpr size_t kMaxListedTimes = 6;

// ---- Time of day --------------------------------------------------------

// One time-of-day field and the words that name it.
struct TimeField {
    ValueSet set;
    const char* singular;
    const char* plural;
    bool is_hour;  // hours read as clock times: "from 09:00 through 17:00"
};

std::string from_through(const TimeField& field) {
    if (field.is_hour) {
        return "from " + english::clock_time(field.set.first * 3600, false) + " through " +
               english::clock_time(field.set.last * 3600, false);
    }
    return std::string("from ") + field.singular + " " + std::to_string(field.set.first) + " through " +
           std::to_string(field.set.last);
}

// The smallest field, said as when it fires: "every 15 minutes", "at minute 5".
std::string as_adverb(const TimeField& field) {
    const ValueSet& set = field.set;
    switch (set.shape) {
        case Shape::Full:
            return std::string("every ") + field.singular;
        case Shape::Step: {
            const std::string every = "every " + std::to_string(set.step) + " " + field.plural;
            return set.periodic ? every : every + " " + from_through(field);
        }
        case Shape::Run:
            return std::string("every ") + field.singular + " " + from_through(field);
        case Shape::Single:
            return std::string("at ") + field.singular + " " + std::to_string(set.first);
        case Shape::List:
        case Shape::Empty:
            break;
    }
    return std::string("at ") + field.plural + " " + english::number_list(set);
}

// A larger field, said as the span it selects: "every 2nd hour", "minute 5".
std::string as_noun(const TimeField& field) {
    const ValueSet& set = field.set;
    switch (set.shape) {
        case Shape::Full:
            return std::string("every ") + field.singular;
        case Shape::Step: {
            const std::string every = "every " + english::numeric_ordinal(set.step) + " " + field.singular;
            return set.periodic ? every : every + " " + from_through(field);
        }
        case Shape::Run:
            return std::string("every ") + field.singular + " " + from_through(field);
        case Shape::Single:
            return std::string(field.singular) + " " + std::to_string(set.first);
        case Shape::List:
        case Shape::Empty:
            break;
    }
    return std::string(field.plural) + " " + english::number_list(set);
}

struct TimeOfDay {
    std::string text;
    // The phrase already repeats through the whole day ("every 15 minutes",
    // "every 2 hours"), so "every day" would be noise.
    bool whole_day = false;
};

// Every fire time of a day, in seconds since midnight, ascending.
std::vector<int> times_of_day(uint64_t seconds, uint64_t minutes, uint32_t hours) {
    std::vector<int> times;
    for (int h = 0; h < 24; ++h) {
        for (int m = 0; ((hours >> h) & 1) != 0 && m < 60; ++m) {
            for (int s = 0; ((minutes >> m) & 1) != 0 && s < 60; ++s) {
                if (((seconds >> s) & 1) != 0) {
                    times.push_back(h * 3600 + m * 60 + s);
                }
            }
        }
    }
    return times;
}

// The common gap of `times`, or 0 when the gaps differ.
int even_gap(const std::vector<int>& times) {
    if (times.size() < 2) {
        return 0;
    }
    const int gap = times[1] - times[0];
    for (size_t i = 2; i < times.size(); ++i) {
        if (times[i] - times[i - 1] != gap) {
            return 0;
        }
    }
    return gap;
}

TimeOfDay describe_time_of_day(const CronExpression& s) {
    const uint64_t second_mask = s.seconds & kSixtyBits;
    const uint64_t minute_mask = s.minutes & kSixtyBits;
    const TimeField second{english::classify(second_mask, 0, 59), "second", "seconds", false};
    const TimeField minute{english::classify(minute_mask, 0, 59), "minute", "minutes", false};
    const TimeField hour{english::classify(s.hours, 0, 23), "hour", "hours", true};
    // Seconds are worth mentioning only when some are not 0: "0 30 12 * * *"
    // reads like "30 12 * * *".
    const bool show_seconds = (second_mask & ~UINT64_C(1)) != 0;

    const size_t count = second.set.values.size() * minute.set.values.size() * hour.set.values.size();
    if (count <= kMaxListedTimes) {
        const std::vector<int> times = times_of_day(second_mask, minute_mask, s.hours);
        std::vector<std::string> listed(times.size());
        std::transform(times.begin(), times.end(), listed.begin(),
                       [show_seconds](int t) { return english::clock_time(t, show_seconds); });
        return {"at " + english::join(listed), false};
    }

    // Within part of the day, an even rhythm reads best as one span:
    // "every 15 minutes from 09:00 through 17:45", "every 2 hours".
    if (hour.set.shape != Shape::Full) {
        const std::vector<int> times = times_of_day(second_mask, minute_mask, s.hours);
        const int gap = even_gap(times);
        if (gap != 0) {
            const std::string every = "every " + english::period_after_every(gap);
            if (times.front() == 0 && times.back() + gap == kSecondsPerDay) {
                return {every, true};
            }
            return {every + " from " + english::clock_time(times.front(), show_seconds) + " through " +
                        english::clock_time(times.back(), show_seconds),
                    false};
        }
    }

    // Otherwise smallest field first, each larger one as its span:
    // "at second 5 of every 2nd minute", "at minutes 0 and 30 of every 2nd hour".
    std::vector<const TimeField*> fields;
    if (show_seconds) {
        fields.push_back(&second);
    }
    fields.push_back(&minute);
    fields.push_back(&hour);

    std::string text = as_adverb(*fields[0]);
    bool regular_so_far = fields[0]->set.periodic;
    for (size_t i = 1; i < fields.size(); ++i) {
        bool rest_full = true;
        for (size_t j = i; j < fields.size(); ++j) {
            rest_full = rest_full && fields[j]->set.shape == Shape::Full;
        }
        // "every 10 seconds" needs no "of every minute of every hour".
        if (regular_so_far && rest_full) {
            break;
        }
        text += " of " + as_noun(*fields[i]);
        regular_so_far = fields[i]->set.periodic;
    }
    // "at minute 0 of every 2nd hour" repeats through the day on its own.
    return {text, hour.set.periodic};
}

// ---- Months -------------------------------------------------------------

std::vector<std::string> month_names(const ValueSet& months) {
    std::vector<std::string> names(months.values.size());
    std::transform(months.values.begin(), months.values.end(), names.begin(),
                   [](int m) { return english::month_name(m); });
    return names;
}

// After a day phrase: "... in January and July", "... from March through
// October"; empty for every month.
std::string months_in(const ValueSet& months) {
    if (months.shape == Shape::Full) {
        return "";
    }
    if (months.shape == Shape::Run) {
        return std::string("from ") + english::month_name(months.first) + " through " +
               english::month_name(months.last);
    }
    return "in " + english::join(month_names(months));
}

// After "of": "every month", "January and July", "every month from March
// through October".
std::string months_of(const ValueSet& months) {
    if (months.shape == Shape::Full) {
        return "every month";
    }
    if (months.shape == Shape::Run) {
        return "every month " + months_in(months);
    }
    return english::join(month_names(months));
}

// ---- Days ---------------------------------------------------------------

// The day-of-month field without its month: "on day 1", "on days 1 through
// 7", "on the last day", "2 days before the last day".
std::string days_of_month(const CronExpression& s) {
    std::vector<std::string> items;
    const ValueSet days = english::classify(s.days_of_month, 1, 31);
    switch (days.shape) {
        case Shape::Empty:
            break;
        case Shape::Single:
            items.emplace_back("on day " + std::to_string(days.first));
            break;
        case Shape::Step:
            items.emplace_back("on every " + english::numeric_ordinal(days.step) + " day from day " +
                               std::to_string(days.first) + " through " + std::to_string(days.last));
            break;
        case Shape::Full:
        case Shape::Run:
        case Shape::List:
            items.emplace_back("on days " + english::number_list(days));
            break;
    }
    if ((s.days_before_last & 1) != 0) {
        items.emplace_back("on the last day");
    }
    const ValueSet before = english::classify(s.days_before_last & ~UINT32_C(1), 1, 30);
    if (before.shape != Shape::Empty) {
        const bool one_day = before.shape == Shape::Single && before.first == 1;
        items.emplace_back(english::number_list(before) + (one_day ? " day" : " days") +
                           " before the last day");
    }
    return english::join(items);
}

// Plain weekdays: "Monday", "Monday and Friday", "Monday through Friday",
// "Friday through Sunday" (a run may wrap past Saturday).
std::string plain_weekdays(uint8_t mask) {
    mask &= kAllWeekdays;
    const int count = __builtin_popcount(mask);
    if (count >= 3 && count < 7) {
        // A single contiguous run around the week has exactly one day that
        // starts it (set, with the day before unset).
        int starts = 0;
        int start = 0;
        for (int w = 0; w < 7; ++w) {
            if (((mask >> w) & 1) != 0 && ((mask >> ((w + 6) % 7)) & 1) == 0) {
                ++starts;
                start = w;
            }
        }
        if (starts == 1) {
            return std::string(english::weekday_name(start)) + " through " +
                   english::weekday_name((start + count - 1) % 7);
        }
    }
    std::vector<std::string> names;
    for (int w = 0; w < 7; ++w) {
        if (((mask >> w) & 1) != 0) {
            names.emplace_back(english::weekday_name(w));
        }
    }
    return english::join(names);
}

// "w#k" and "wL", grouped by weekday: "the first and third Monday and the
// last Friday".
std::string ordinal_weekdays(const CronExpression& s) {
    std::vector<std::string> groups;
    for (int w = 0; w < 7; ++w) {
        std::vector<std::string> ordinals;
        for (int k = 1; k <= 5; ++k) {
            if (((s.nth_weekday >> ((k - 1) * 7 + w)) & 1) != 0) {
                ordinals.emplace_back(english::ordinal_word(k));
            }
        }
        if (((s.last_weekday >> w) & 1) != 0) {
            ordinals.emplace_back("last");
        }
        if (!ordinals.empty()) {
            groups.emplace_back("the " + english::join(ordinals) + " " + english::weekday_name(w));
        }
    }
    return english::join(groups);
}

// The day-of-week field. With `months` (the field alone picks the days) the
// months are worked in; without, the caller adds them.
std::string days_of_week(const CronExpression& s, const ValueSet* months) {
    const std::string plain = plain_weekdays(s.days_of_week);
    const std::string ordinal = ordinal_weekdays(s);
    if (ordinal.empty()) {
        const std::string in = months != nullptr ? months_in(*months) : "";
        return "on " + plain + (in.empty() ? "" : " " + in);
    }
    if (plain.empty()) {
        return "on " + ordinal + " of " + (months != nullptr ? months_of(*months) : "the month");
    }
    // "on Monday and on the last Friday of January" would hide that the
    // Mondays are in January too, so restricted months come last.
    const std::string both = "on " + plain + " and on " + ordinal + " of ";
    if (months == nullptr) {
        return both + "the month";
    }
    return months->shape == Shape::Full ? both + "every month" : both + "the month, " + months_in(*months);
}

// The day-of-month field with its months: "on day 1 of every month",
// "on January 1", "on the last day of February".
std::string days_of_month_in(const CronExpression& s, const ValueSet& months) {
    if (months.shape == Shape::Single && s.days_before_last == 0 &&
        __builtin_popcount(s.days_of_month) == 1) {
        return std::string("on ") + english::month_name(months.first) + " " +
               std::to_string(__builtin_ctz(s.days_of_month));
    }
    return days_of_month(s) + " of " + months_of(months);
}

// The dates a schedule fires on, months included, or "" for every day
// (the caller then says "every day" and the months itself).
std::string describe_dates(const CronExpression& s, const ValueSet& months) {
    const bool any_day_of_month = (s.days_of_month & kAllDaysOfMonth) == kAllDaysOfMonth;
    const bool any_day_of_week = (s.days_of_week & kAllWeekdays) == kAllWeekdays;
    // Vixie cron: when both day fields are restricted a day matching either
    // one fires; when one begins with '*', a day must match both.
    const bool either = !s.day_of_month_star && !s.day_of_week_star;
    if (either ? (any_day_of_month || any_day_of_week) : (any_day_of_month && any_day_of_week)) {
        return "";
    }
    if (!either && any_day_of_month) {
        return days_of_week(s, &months);
    }
    if (!either && any_day_of_week) {
        return days_of_month_in(s, months);
    }
    if (either) {
        const std::string in = months_in(months);
        return days_of_month(s) + " of the month or " + days_of_week(s, nullptr) +
               (in.empty() ? "" : ", " + in);
    }
    return days_of_month_in(s, months) + ", but only " + days_of_week(s, nullptr);
}

// ---- Whole schedules ----------------------------------------------------

std::string describe_calendar(const CronExpression& s, std::string_view zone_name) {
    if (!can_ever_fire(s)) {
        return "never";
    }
    const ValueSet months = english::classify(s.months, 1, 12);
    const TimeOfDay time = describe_time_of_day(s);
    std::string text = time.text;
    const std::string dates = describe_dates(s, months);
    if (dates.empty()) {
        const std::string in = months_in(months);
        if (!time.whole_day) {
            text += " every day";
        }
        if (!in.empty()) {
            text += " " + in;
        }
    } else {
        // "at 00:00, 2 days before the last day": keep the numbers apart.
        const bool starts_with_digit = dates[0] >= '0' && dates[0] <= '9';
        text += (starts_with_digit ? ", " : " ") + dates;
    }
    if (!zone_name.empty()) {
        text += ", ";
        text += zone_name;
        text += " time";
    }
    return text;
}

// "every 90 minutes": one unit, the largest of days, hours, minutes and
// seconds that divides the period exactly, which is how a person writes it
// ("@every 90 minutes" and "@every 1 hour 30 minutes" both read so). Weeks
// read as days, as PostgreSQL prints '2 weeks'::interval. When that unit is
// two or more sizes below the period's largest part, the number alone is
// hard to read and the breakdown follows: "every 86401 seconds (1 day 1 second)".
std::string describe_every(int64_t period) {
    if (period <= 0) {
        return "never";
    }
    struct Unit {
        int64_t seconds;
        const char* singular;
        const char* plural;
    };
    static constexpr Unit kUnits[] = {
        {86400, "day", "days"}, {3600, "hour", "hours"}, {60, "minute", "minutes"}, {1, "second", "seconds"}};
    constexpr size_t kUnitCount = sizeof kUnits / sizeof kUnits[0];
    size_t exact = 0;  // index of the largest unit that divides the period
    while (period % kUnits[exact].seconds != 0) {
        ++exact;
    }
    size_t largest = 0;  // index of the largest unit not above the period
    while (largest + 1 < kUnitCount && period < kUnits[largest].seconds) {
        ++largest;
    }
    const Unit& unit = kUnits[exact];
    std::string every = "every " + english::count_of(period / unit.seconds, unit.singular, unit.plural);
    if (exact >= largest + 2) {
        every += " (" + english::duration_breakdown(period) + ")";
    }
    return every + ", counted from 1970-01-01 00:00:00 UTC";
}

std::string describe_expression(const CronExpression& schedule, std::string_view zone_name) {
    switch (schedule.kind) {
        case ScheduleKind::Every:
            return describe_every(schedule.every_seconds);
        case ScheduleKind::Reboot:
            return "once each time the scheduler starts";
        case ScheduleKind::Calendar:
            break;
    }
    return describe_calendar(schedule, zone_name);
}

}  // namespace

std::string describe_schedule(const CronSchedule& schedule, std::string_view zone_name) {
    if (schedule.extra_count == 0) {
        return describe_expression(schedule, zone_name);
    }
    // "at 09:00 on day 15 of the month; and at 12:00 every day, Europe/Berlin time":
    // only calendar expressions are combined, so the zone is said once.
    std::string text;
    for (int i = 0; i < schedule.expression_count(); ++i) {
        if (i > 0) {
            text += i + 1 == schedule.expression_count() ? "; and " : "; ";
        }
        text += describe_expression(schedule.expression(i), "");
    }
    if (!zone_name.empty()) {
        text += ", ";
        text += zone_name;
        text += " time";
    }
    return text;
}

}  // namespace pg_jobs::cron
