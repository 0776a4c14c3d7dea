// English building blocks for describe_schedule(): the shape of a field's
// value set (full, one value, a run, a step, a list) and the small word
// helpers the sentences are made of.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pg_jobs::cron::english {

// How the values of one cron field are laid out, so the sentence can say
// "every 15 minutes" or "from 9 through 17" instead of listing them.
struct ValueSet {
    enum class Shape : uint8_t {
        Empty,
        Full,    // every value of the field
        Single,  // one value
        Run,     // three or more consecutive values
        Step,    // an arithmetic progression with step > 1
        List,    // anything else
    };
    Shape shape = Shape::Empty;
    std::vector<int> values;  // ascending
    int first = 0;
    int last = 0;
    int step = 0;  // Run: 1, Step: > 1, otherwise 0
    // Full, or a Step that starts at the field's minimum and repeats evenly
    // through the field (*/15 for minutes, */2 for hours): what "every N
    // minutes" means without a "from ... through ...".
    bool periodic = false;
};

// Classifies the set bits min..max of `mask`.
ValueSet classify(uint64_t mask, int min, int max);

// "a", "a and b", "a, b and c"; `conjunction` replaces "and".
std::string join(const std::vector<std::string>& items, const char* conjunction = "and");

// Values as words: "5", "5 and 35", "1 through 7" (a run), "1, 3 and 9".
std::string number_list(const ValueSet& set);

// 1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd".
std::string numeric_ordinal(int n);

// 1..5 -> "first".."fifth".
const char* ordinal_word(int n);

// "1 minute", "2 minutes".
std::string count_of(int64_t n, const char* singular, const char* plural);

// "1 day 2 hours 30 minutes 5 seconds", skipping zero parts.
std::string duration_breakdown(int64_t seconds);

// A period as it reads after "every": "second", "10 seconds", "hour",
// "2 hours", and for uneven periods "1 hour 30 minutes".
std::string period_after_every(int64_t seconds);

// Seconds of the day as "09:05" or, with `with_seconds`, "09:05:30".
std::string clock_time(int second_of_day, bool with_seconds);

// "January".."December" for 1..12, "Sunday".."Saturday" for 0..6.
const char* month_name(int month);
const char* weekday_name(int weekday);

}  // namespace pg_jobs::cron::english
