// Schedule text -> CronSchedule: splits the fields, handles the macros
// (@daily, @every ...) and pg_cron's "N seconds" form, and refuses
// schedules that can never fire.
#include "core/cron_parser.hpp"

#include "core/cron_field_parser.hpp"
#include "core/cron_next.hpp"
#include "core/parse_text.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace pg_jobs::cron {
namespace {

// Far beyond any real schedule; keeps positions small and work bounded.
constexpr size_t kMaxScheduleBytes = 10000;

constexpr const char* kFieldCountHint =
    "Write five fields (minute hour day-of-month month day-of-week), for example \"*/5 * * * *\", or a macro "
    "such as \"@daily\".";
constexpr const char* kMacroHint =
    "Valid macros are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @reboot and "
    "@every <interval>.";
constexpr const char* kEveryHint =
    "Write a PostgreSQL interval after @every, for example \"@every 90 seconds\" or \"@every 2 hours\".";
constexpr const char* kEveryPositiveHint =
    "Write a period of at least 1 second, for example \"@every 30 seconds\" or \"@every 2 hours\".";

struct Token {
    size_t position;
    std::string_view text;
};

std::vector<Token> split_on_whitespace(std::string_view text) {
    std::vector<Token> tokens;
    size_t i = 0;
    while (true) {
        i = text::run_end(text, i, text::is_space);
        if (i == text.size()) {
            return tokens;
        }
        const size_t end = text::run_end(text, i, [](char c) { return !text::is_space(c); });
        tokens.push_back({i, text.substr(i, end - i)});
        i = end;
    }
}

ParseResult failure(std::string message, std::string hint, size_t position) {
    ParseResult result;
    result.error.message = std::move(message);
    result.error.hint = std::move(hint);
    result.error.position = static_cast<int>(position);
    return result;
}

ParseResult success(const CronSchedule& schedule) {
    ParseResult result;
    result.ok = true;
    result.schedule = schedule;
    return result;
}

struct Macro {
    std::string_view name;
    std::string_view fields;  // the equivalent five fields
};

constexpr Macro kCalendarMacros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

const Macro* find_calendar_macro(std::string_view word) {
    const auto* found = std::find_if(std::begin(kCalendarMacros), std::end(kCalendarMacros),
                                     [word](const Macro& macro) { return text::iequals(word, macro.name); });
    return found == std::end(kCalendarMacros) ? nullptr : found;
}

bool is_macro_name(std::string_view word) {
    return find_calendar_macro(word) != nullptr || text::iequals(word, "@reboot") ||
           text::iequals(word, "@every");
}

// "month", "hours", "secs"...: the second word of "5 minutes", which is a
// period rather than cron fields.
bool is_period_word(std::string_view word) {
    IntervalValue ignored;
    return !word.empty() && text::is_alpha(word[0]) &&
           parse_simple_interval(std::string("1 ") + std::string(word), &ignored, nullptr);
}

std::string field_count_hint(const std::vector<Token>& tokens) {
    if (tokens.size() == 1 && is_macro_name("@" + std::string(tokens[0].text))) {
        return "Did you mean \"@" + text::printable(tokens[0].text) + "\"?";
    }
    if (tokens.size() == 2 && is_period_word(tokens[1].text)) {
        return "For a fixed period write \"@every " + text::printable(tokens[0].text) + " " +
               text::printable(tokens[1].text) + "\".";
    }
    return kFieldCountHint;
}

// Months joined as "April, June, September or November".
std::string month_list(uint16_t months) {
    static constexpr const char* kNames[] = {"",        "January",  "February", "March",  "April",
                                             "May",     "June",     "July",     "August", "September",
                                             "October", "November", "December"};
    std::vector<const char*> names;
    for (int m = 1; m <= 12; ++m) {
        if ((months & (1u << m)) != 0) {
            names.push_back(kNames[m]);
        }
    }
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " or " : ", ";
        }
        out += names[i];
    }
    return out;
}

ParseResult never_fires(const CronSchedule& schedule, const Token& day_of_month) {
    // With '*' in day-of-week, only day-of-month picks days, so the days
    // written must be ones the chosen months lack.
    std::string message = schedule.day_of_week_star && !schedule.day_of_month_star
                              ? "day-of-month " + text::printable(day_of_month.text) + " never occurs in " +
                                    month_list(schedule.months)
                              : "no date matches the day-of-month, day-of-week and month fields together";
    return failure(
        std::move(message),
        "Pick days that exist in the chosen months, for example \"L\" for the last day of the month.",
        day_of_month.position);
}

// Five or six cron fields.
ParseResult parse_calendar(const std::vector<Token>& tokens) {
    static constexpr CronField kSixFields[] = {CronField::Second, CronField::Minute,
                                               CronField::Hour,   CronField::DayOfMonth,
                                               CronField::Month,  CronField::DayOfWeek};
    const bool with_seconds = tokens.size() == 6;
    const CronField* fields = with_seconds ? kSixFields : kSixFields + 1;
    FieldBits bits[6];  // indexed by CronField
    ParseError error;
    for (size_t f = 0; f < tokens.size(); ++f) {
        if (!parse_cron_field(fields[f], tokens[f].text, static_cast<int>(tokens[f].position),
                              &bits[static_cast<int>(fields[f])], &error)) {
            return failure(std::move(error.message), std::move(error.hint),
                           static_cast<size_t>(error.position));
        }
    }
    const auto field = [&bits](CronField f) -> const FieldBits& { return bits[static_cast<int>(f)]; };
    CronSchedule schedule;
    schedule.kind = ScheduleKind::Calendar;
    schedule.has_seconds = with_seconds;
    schedule.seconds = with_seconds ? field(CronField::Second).values : 1;
    schedule.minutes = field(CronField::Minute).values;
    schedule.hours = static_cast<uint32_t>(field(CronField::Hour).values);
    schedule.days_of_month = static_cast<uint32_t>(field(CronField::DayOfMonth).values);
    schedule.days_before_last = field(CronField::DayOfMonth).days_before_last;
    schedule.months = static_cast<uint16_t>(field(CronField::Month).values);
    schedule.days_of_week = static_cast<uint8_t>(field(CronField::DayOfWeek).values);
    schedule.last_weekday = field(CronField::DayOfWeek).last_weekday;
    schedule.nth_weekday = field(CronField::DayOfWeek).nth_weekday;
    schedule.hour_star = field(CronField::Hour).star;
    schedule.day_of_month_star = field(CronField::DayOfMonth).star;
    schedule.day_of_week_star = field(CronField::DayOfWeek).star;
    if (!can_ever_fire(schedule)) {
        return never_fires(schedule, tokens[with_seconds ? 3 : 2]);
    }
    return success(schedule);
}

ParseResult parse_every(std::string_view source, const std::vector<Token>& tokens,
                        IntervalParser parse_interval) {
    if (tokens.size() < 2) {
        return failure("@every needs an interval", kEveryHint, tokens[0].position);
    }
    const size_t start = tokens[1].position;
    const std::string_view interval =
        source.substr(start, tokens.back().position + tokens.back().text.size() - start);
    IntervalValue value;
    std::string ignored;  // the interval parser's own words differ between builds; ours stay stable
    if (!parse_interval(interval, &value, &ignored)) {
        return failure("invalid @every interval " + text::quoted(interval), kEveryHint, start);
    }
    if (value.months != 0) {
        return failure("@every does not take months or years",
                       "Use a cron expression such as \"0 0 1 * *\" for monthly runs.", start);
    }
    // Whole seconds and the remainder, with the remainder's sign matched to
    // the total so "1 day -1 second" counts as positive.
    int64_t seconds = int64_t{value.days} * 86400 + value.micros / 1000000;
    int64_t micros = value.micros % 1000000;
    if (seconds > 0 && micros < 0) {
        seconds -= 1;
        micros += 1000000;
    } else if (seconds < 0 && micros > 0) {
        seconds += 1;
        micros -= 1000000;
    }
    if (seconds < 0 || (seconds == 0 && micros < 0)) {
        return failure("@every interval must be positive", kEveryPositiveHint, start);
    }
    if (seconds == 0) {
        return failure("@every interval must be at least 1 second", kEveryPositiveHint, start);
    }
    if (seconds > kMaxEverySeconds) {
        return failure("@every interval must be at most 36500 days (100 years)",
                       "Write a shorter period, or a cron expression such as \"0 0 1 1 *\" for yearly runs.",
                       start);
    }
    if (micros != 0) {
        return failure("@every interval must be a whole number of seconds",
                       "Round the period to whole seconds, for example \"@every 2 seconds\".", start);
    }
    CronSchedule schedule;
    schedule.kind = ScheduleKind::Every;
    schedule.every_seconds = seconds;
    return success(schedule);
}

ParseResult parse_macro(std::string_view source, const std::vector<Token>& tokens,
                        IntervalParser parse_interval) {
    const std::string_view name = tokens[0].text;
    if (text::iequals(name, "@every")) {
        return parse_every(source, tokens, parse_interval);
    }
    const Macro* calendar = find_calendar_macro(name);
    if (calendar == nullptr && !text::iequals(name, "@reboot")) {
        return failure("unknown macro " + text::quoted(name), kMacroHint, tokens[0].position);
    }
    if (tokens.size() > 1) {
        return failure(text::printable(name) + " takes no arguments",
                       "Write the macro on its own, or use five cron fields such as \"30 2 * * *\".",
                       tokens[1].position);
    }
    if (calendar == nullptr) {
        CronSchedule schedule;
        schedule.kind = ScheduleKind::Reboot;
        return success(schedule);
    }
    return parse_calendar(split_on_whitespace(calendar->fields));
}

bool is_seconds_word(std::string_view word) {
    return text::iequals(word, "second") || text::iequals(word, "seconds");
}

// pg_cron's "N seconds", N from 1 to 59.
ParseResult parse_pg_cron_seconds(const std::vector<Token>& tokens) {
    const Token& count = tokens[0];
    const char* hint =
        "Write 1 to 59 seconds, for example \"30 seconds\", or \"@every 2 minutes\" for longer periods.";
    if (text::run_end(count.text, 0, text::is_digit) != count.text.size()) {
        return failure("seconds interval " + text::quoted(count.text) + " is not a whole number", hint,
                       count.position);
    }
    const int64_t seconds = text::parse_digits(count.text);
    if (seconds < 1 || seconds > 59) {
        return failure("seconds interval " + text::printable(count.text, 24) + " is out of range 1-59", hint,
                       count.position);
    }
    CronSchedule schedule;
    schedule.kind = ScheduleKind::Every;
    schedule.every_seconds = seconds;
    return success(schedule);
}

// One expression: the whole schedule, or one part of "a; b".
ParseResult parse_expression(std::string_view text, IntervalParser parse_interval) {
    const std::vector<Token> tokens = split_on_whitespace(text);
    if (tokens.empty()) {
        return failure("schedule is empty", kFieldCountHint, 0);
    }
    if (tokens[0].text[0] == '@') {
        return parse_macro(text, tokens, parse_interval != nullptr ? parse_interval : parse_simple_interval);
    }
    if (tokens.size() == 2 && is_seconds_word(tokens[1].text)) {
        return parse_pg_cron_seconds(tokens);
    }
    if (tokens.size() != 5 && tokens.size() != 6) {
        const size_t count = tokens.size();
        return failure(
            "schedule has " + std::to_string(count) + (count == 1 ? " field" : " fields") +
                "; expected 5 (minute hour day-of-month month day-of-week) or 6 (with a leading seconds "
                "field)",
            field_count_hint(tokens), count > 6 ? tokens[6].position : tokens[0].position);
    }
    return parse_calendar(tokens);
}

constexpr const char* kListHint =
    "Separate cron expressions with \";\", for example \"0 9 * * 1#1; 0 9 15 * *\".";

// "a; b; c": each part a calendar expression; positions stay those in the whole text.
ParseResult parse_list(std::string_view text, IntervalParser parse_interval) {
    ParseResult whole;
    size_t start = 0;
    for (int count = 0; start <= text.size(); ++count) {
        const size_t semicolon = std::min(text.find(';', start), text.size());
        const std::string_view part = text.substr(start, semicolon - start);
        const size_t first = text::run_end(part, 0, text::is_space);
        if (first == part.size()) {
            return failure(
                semicolon == text.size() ? "schedule ends with \";\"" : "empty expression before \";\"",
                kListHint, semicolon == text.size() && start > 0 ? start - 1 : semicolon);
        }
        if (count == kMaxCronExpressions) {
            return failure("schedule has more than " + std::to_string(kMaxCronExpressions) + " expressions",
                           "Combine fields instead, for example \"0 9 1,15 * *\" for two days of the month.",
                           start + first);
        }
        ParseResult one = parse_expression(part, parse_interval);
        if (!one.ok) {
            if (one.error.position >= 0) {
                one.error.position += static_cast<int>(start);
            }
            return one;
        }
        if (one.schedule.kind != ScheduleKind::Calendar) {
            return failure(
                "only cron expressions can be combined with \";\"",
                "Write @every, @reboot and \"N seconds\" schedules on their own; for a short period in a "
                "list use six fields, for example \"*/30 * * * * *\".",
                start + first);
        }
        if (count == 0) {
            whole = one;
        } else {
            whole.schedule.extra[whole.schedule.extra_count++] =
                static_cast<const CronExpression&>(one.schedule);
        }
        start = semicolon + 1;
    }
    return whole;
}

}  // namespace

ParseResult parse_schedule(std::string_view text, IntervalParser parse_interval) {
    if (text.size() > kMaxScheduleBytes) {
        return failure("schedule is too long (" + std::to_string(text.size()) + " bytes; the limit is " +
                           std::to_string(kMaxScheduleBytes) + ")",
                       "Write five fields such as \"0 3 * * *\", or a macro such as \"@daily\".",
                       kMaxScheduleBytes);
    }
    if (text.find(';') != std::string_view::npos) {
        return parse_list(text, parse_interval);
    }
    return parse_expression(text, parse_interval);
}

}  // namespace pg_jobs::cron
