// English building blocks for describe_schedule().
#include "core/cron_describe_text.hpp"

#include <algorithm>
#include <cstdio>

namespace pg_jobs::cron::english {

ValueSet classify(uint64_t mask, int min, int max) {
    ValueSet set;
    for (int v = min; v <= max; ++v) {
        if (((mask >> v) & 1) != 0) {
            set.values.push_back(v);
        }
    }
    const int count = static_cast<int>(set.values.size());
    if (count == 0) {
        return set;
    }
    set.first = set.values.front();
    set.last = set.values.back();
    if (count == max - min + 1) {
        set.shape = ValueSet::Shape::Full;
        set.step = 1;
        set.periodic = true;
        return set;
    }
    if (count == 1) {
        set.shape = ValueSet::Shape::Single;
        return set;
    }
    const int step = set.values[1] - set.values[0];
    bool even = true;
    for (int i = 2; i < count; ++i) {
        even = even && set.values[i] - set.values[i - 1] == step;
    }
    const int span = max - min + 1;
    const bool periodic = even && set.first == min && span % step == 0 && set.last + step == max + 1;
    // Two values read better as "5 and 35" unless they are the whole */n
    // cycle ("every 30 minutes"); two neighbours are never called a run.
    if (even && (count >= 3 || (periodic && step > 1))) {
        set.shape = step == 1 ? ValueSet::Shape::Run : ValueSet::Shape::Step;
        set.step = step;
        set.periodic = periodic;
        return set;
    }
    set.shape = ValueSet::Shape::List;
    return set;
}

std::string join(const std::vector<std::string>& items, const char* conjunction) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) {
            out += i + 1 == items.size() ? std::string(" ") + conjunction + " " : std::string(", ");
        }
        out += items[i];
    }
    return out;
}

std::string number_list(const ValueSet& set) {
    if (set.shape == ValueSet::Shape::Run || set.shape == ValueSet::Shape::Full) {
        return std::to_string(set.first) + " through " + std::to_string(set.last);
    }
    std::vector<std::string> words(set.values.size());
    std::transform(set.values.begin(), set.values.end(), words.begin(),
                   [](int v) { return std::to_string(v); });
    return join(words);
}

std::string numeric_ordinal(int n) {
    const int tens = n % 100;
    const int units = n % 10;
    const char* suffix = "th";
    if (tens < 11 || tens > 13) {
        suffix = units == 1 ? "st" : units == 2 ? "nd" : units == 3 ? "rd" : "th";
    }
    return std::to_string(n) + suffix;
}

const char* ordinal_word(int n) {
    static constexpr const char* kWords[] = {"first", "second", "third", "fourth", "fifth"};
    return n >= 1 && n <= 5 ? kWords[n - 1] : "?";
}

std::string count_of(int64_t n, const char* singular, const char* plural) {
    return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string duration_breakdown(int64_t seconds) {
    struct Unit {
        int64_t seconds;
        const char* singular;
        const char* plural;
    };
    static constexpr Unit kUnits[] = {
        {86400, "day", "days"}, {3600, "hour", "hours"}, {60, "minute", "minutes"}, {1, "second", "seconds"}};
    std::string out;
    for (const Unit& unit : kUnits) {
        const int64_t n = seconds / unit.seconds;
        seconds %= unit.seconds;
        if (n != 0) {
            out += (out.empty() ? "" : " ") + count_of(n, unit.singular, unit.plural);
        }
    }
    return out.empty() ? "0 seconds" : out;
}

std::string period_after_every(int64_t seconds) {
    if (seconds == 1) {
        return "second";
    }
    if (seconds < 60) {
        return std::to_string(seconds) + " seconds";
    }
    if (seconds == 60) {
        return "minute";
    }
    if (seconds < 3600 && seconds % 60 == 0) {
        return std::to_string(seconds / 60) + " minutes";
    }
    if (seconds == 3600) {
        return "hour";
    }
    if (seconds % 3600 == 0) {
        return std::to_string(seconds / 3600) + " hours";
    }
    return duration_breakdown(seconds);
}

std::string clock_time(int second_of_day, bool with_seconds) {
    char buffer[16];
    if (with_seconds) {
        std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d", second_of_day / 3600, second_of_day / 60 % 60,
                      second_of_day % 60);
    } else {
        std::snprintf(buffer, sizeof buffer, "%02d:%02d", second_of_day / 3600, second_of_day / 60 % 60);
    }
    return buffer;
}

const char* month_name(int month) {
    static constexpr const char* kNames[] = {"January",   "February", "March",    "April",
                                             "May",       "June",     "July",     "August",
                                             "September", "October",  "November", "December"};
    return month >= 1 && month <= 12 ? kNames[month - 1] : "?";
}

const char* weekday_name(int weekday) {
    static constexpr const char* kNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                             "Thursday", "Friday", "Saturday"};
    return weekday >= 0 && weekday <= 6 ? kNames[weekday] : "?";
}

}  // namespace pg_jobs::cron::english
