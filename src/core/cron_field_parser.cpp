// One cron field: a comma-separated list of items, each '*', '?', a value,
// a range, any of those with a step, or one of the day specials (L, L-n,
// wL, w#k). Errors name the field and point at the offending byte.
#include "core/cron_field_parser.hpp"

#include "core/parse_text.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace pg_jobs::cron {
namespace {

using text::is_alpha;
using text::is_digit;

struct FieldSpec {
    const char* name;
    int min;
    int max;       // largest value accepted (day-of-week: 7, Sunday again)
    int star_max;  // '*' covers min..star_max (day-of-week stops at 6)
    const char* hint;
    const char* range_example;
    const char* step_example;
    // A step above max_step (max - min: the field's range as written) could
    // only ever reach the first value. Day-of-week allows 7, as its values
    // run 0-7: "*/7" is Sunday, and "1-7 * */7" the first Sunday (a day
    // field beginning with '*' is ANDed). The hint then offers "@every
    // <step> <every_unit>" when that is a valid @every period.
    int max_step;
    const char* every_unit;  // nullptr: no @every equivalent (months)
    int64_t every_unit_seconds;
    const char* every_example;
};

constexpr FieldSpec kSpecs[] = {
    {"second", 0, 59, 59, "Seconds go from 0 to 59, for example \"*/10\" or \"0,30\".", "0-29", "*/10", 59,
     "seconds", 1, "@every 90 seconds"},
    {"minute", 0, 59, 59, "Minutes go from 0 to 59, for example \"*/15\".", "10-20", "*/15", 59, "minutes",
     60, "@every 90 minutes"},
    {"hour", 0, 23, 23, "Hours go from 0 to 23, for example \"9-17\".", "9-17", "*/2", 23, "hours", 3600,
     "@every 36 hours"},
    {"day-of-month", 1, 31, 31,
     "Days of the month go from 1 to 31, for example \"1,15\"; \"L\" is the last day and \"L-2\" two days "
     "before it.",
     "1-15", "*/2", 30, "days", 86400, "@every 45 days"},
    {"month", 1, 12, 12, "Months go from 1 to 12 or jan to dec, for example \"jan-mar\" or \"*/3\".",
     "jan-mar", "*/3", 11, nullptr, 0, nullptr},
    {"day-of-week", 0, 7, 6,
     "Weekdays go from 0 to 7 (0 and 7 are Sunday) or sun to sat, for example \"mon-fri\", \"5L\" (the last "
     "Friday) or \"1#1\" (the first Monday).",
     "mon-fri", "*/2", 7, "days", 86400, "@every 10 days"},
};

constexpr std::string_view kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr const char* kLastDayHint =
    "Write \"L\" for the last day of the month or \"L-n\" for n days before it, for example \"L-2\".";
constexpr const char* kNthMessage = "'#' needs a weekday number 0-7 before it and a week 1-5 after it";
constexpr const char* kNthHint =
    "Write a weekday and a week of the month, for example \"1#1\" for the first Monday or \"5#3\" for the "
    "third Friday.";
constexpr const char* kOnlyDayOfMonthL = "'L' is only allowed in the day-of-month field";
constexpr const char* kOnlyDayOfMonthLHint =
    "Use \"L\" in the day-of-month field for the last day of the month, or \"5L\" in the day-of-week field "
    "for the last Friday.";
constexpr const char* kNoNearestWeekday = "'W' (nearest weekday) is not supported";
constexpr const char* kNoNearestWeekdayHint =
    "List the days you want instead, for example \"1-5\" in the day-of-week field for Monday to Friday.";

// A number or name read from the field, with where it was written.
struct Value {
    int64_t number = 0;
    size_t start = 0;
    size_t end = 0;
    bool sunday_name = false;  // "sun": closes a day-of-week range as 7
};

class FieldParser {
public:
    FieldParser(CronField field, std::string_view text, int offset, FieldBits* out, ParseError* error)
        : field_(field),
          spec_(kSpecs[static_cast<int>(field)]),
          text_(text),
          offset_(offset),
          out_(out),
          error_(error) {}

    bool parse() {
        *out_ = FieldBits{};
        out_->star = !text_.empty() && (text_[0] == '*' || (text_[0] == '?' && is_day_field()));
        while (true) {
            if (at_end() || peek() == ',') {
                // Point at the comma that left the item empty ("1,,2", ",1", "1,").
                const size_t at = at_end() ? i_ - 1 : i_;
                return fail(
                    field_text("list has an empty item"),
                    "Separate values with single commas and no comma at either end, for example \"1,15,30\".",
                    at);
            }
            if (!parse_item()) {
                return false;
            }
            if (at_end()) {
                break;
            }
            if (peek() == ',') {
                ++i_;
                continue;
            }
            if (peek() == '/') {
                return fail("'/' can only follow '*', a value or a range",
                            std::string("Write a step such as \"") + spec_.step_example + "\" or \"" +
                                spec_.range_example + "/2\".",
                            i_);
            }
            return unexpected(i_);
        }
        if (field_ == CronField::DayOfWeek && (out_->values & (1u << 7)) != 0) {
            out_->values = (out_->values & ~(uint64_t{1} << 7)) | 1u;
        }
        return true;
    }

private:
    bool is_day_field() const { return field_ == CronField::DayOfMonth || field_ == CronField::DayOfWeek; }
    bool at_end() const { return i_ >= text_.size(); }
    char peek() const { return text_[i_]; }
    bool next_is(char c) const { return !at_end() && peek() == c; }

    std::string field_text(const char* what) const { return std::string(spec_.name) + " " + what; }

    bool fail(std::string message, std::string hint, size_t at) {
        error_->message = std::move(message);
        error_->hint = std::move(hint);
        error_->position = offset_ + static_cast<int>(std::min(at, text_.size()));
        return false;
    }

    bool unexpected(size_t at) {
        return fail(
            "unexpected character " + text::quoted(text_.substr(at, 1)) + " in the " + spec_.name + " field",
            spec_.hint, at);
    }

    bool parse_item() {
        const char c = peek();
        if (c == '*' || c == '?') {
            return parse_star();
        }
        if (c == '#') {
            return field_ == CronField::DayOfWeek ? fail(kNthMessage, kNthHint, i_) : misplaced_hash();
        }
        if (is_alpha(c)) {
            const size_t end = text::run_end(text_, i_, is_alpha);
            const std::string_view word = text_.substr(i_, end - i_);
            if (text::iequals(word, "l")) {
                return parse_last_day();
            }
            if (field_ == CronField::DayOfMonth && (text::iequals(word, "w") || text::iequals(word, "lw"))) {
                return fail(kNoNearestWeekday, kNoNearestWeekdayHint, i_);
            }
        } else if (!is_digit(c)) {
            return unexpected(i_);
        }
        Value first;
        if (!read_value(&first)) {
            return false;
        }
        if (!at_end() && is_alpha(peek())) {
            return parse_letter_suffix(first);
        }
        if (next_is('#')) {
            return parse_nth_weekday(first);
        }
        if (!check_range(first)) {
            return false;
        }
        int64_t low = first.number;
        int64_t high = first.number;
        const bool single = !next_is('-');
        if (!single) {
            const size_t dash = i_++;
            Value last;
            if (at_end() || !(is_digit(peek()) || is_alpha(peek()))) {
                return fail(field_text("range is missing its end value after '-'"),
                            std::string("Write a range such as \"") + spec_.range_example + "\".", dash);
            }
            if (!read_value(&last) || !check_range(last)) {
                return false;
            }
            // "fri-sun" ends on Sunday as 7; "sun-sun" stays a single day.
            high = field_ == CronField::DayOfWeek && last.sunday_name && low > 0 ? 7 : last.number;
            if (low > high) {
                return reversed_range(first, last, high);
            }
        }
        int64_t step = 1;
        if (next_is('/')) {
            if (!read_step(&step)) {
                return false;
            }
            if (single) {
                // "a/n" runs from a to the end of the field; day-of-week
                // stops at Saturday so "1/2" does not add Sunday as 7.
                high = field_ == CronField::DayOfWeek ? std::max<int64_t>(low, 6) : spec_.max;
            }
        }
        set_values(low, high, step);
        return true;
    }

    bool parse_star() {
        if (peek() == '?' && !is_day_field()) {
            return fail("'?' is only allowed in the day-of-month and day-of-week fields",
                        "Use \"*\" for every value of this field.", i_);
        }
        ++i_;
        int64_t step = 1;
        if (next_is('/') && !read_step(&step)) {
            return false;
        }
        set_values(spec_.min, spec_.star_max, step);
        return true;
    }

    // "L" or "L-n" in day-of-month; elsewhere an error naming the right field.
    bool parse_last_day() {
        if (field_ == CronField::DayOfWeek) {
            return fail(
                "'L' in the day-of-week field needs a weekday before it",
                "Write \"5L\" for the last Friday of the month, or \"L\" in the day-of-month field for the "
                "last day.",
                i_);
        }
        if (field_ != CronField::DayOfMonth) {
            return fail(kOnlyDayOfMonthL, kOnlyDayOfMonthLHint, i_);
        }
        ++i_;
        int64_t days_before = 0;
        if (next_is('-')) {
            ++i_;
            const size_t end = text::run_end(text_, i_, is_digit);
            days_before = end == i_ ? -1 : text::parse_digits(text_.substr(i_, end - i_));
            if (days_before < 0 || days_before > 30) {
                return fail("'L-n' needs a number n from 0 to 30", kLastDayHint, i_);
            }
            i_ = end;
        }
        out_->days_before_last |= uint32_t{1} << days_before;
        return true;
    }

    // Letters right after a number: "5L" in day-of-week, a mistake elsewhere.
    bool parse_letter_suffix(const Value& first) {
        const size_t end = text::run_end(text_, i_, is_alpha);
        const std::string_view word = text_.substr(i_, end - i_);
        const bool is_l = text::iequals(word, "l");
        if (is_l && field_ == CronField::DayOfWeek) {
            if (!check_range(first)) {
                return false;
            }
            out_->last_weekday |= static_cast<uint8_t>(1u << (first.number % 7));
            i_ = end;
            return true;
        }
        if (is_l && field_ == CronField::DayOfMonth) {
            return fail("'nL' (the last given weekday of the month) is only allowed in the day-of-week field",
                        kLastDayHint, first.start);
        }
        if (field_ == CronField::DayOfMonth && text::iequals(word, "w")) {
            return fail(kNoNearestWeekday, kNoNearestWeekdayHint, i_);
        }
        if (is_l) {
            return fail(kOnlyDayOfMonthL, kOnlyDayOfMonthLHint, i_);
        }
        return fail("unexpected text " + text::quoted(word) + " in the " + spec_.name + " field", spec_.hint,
                    i_);
    }

    bool misplaced_hash() {
        return fail(
            "'#' is only allowed in the day-of-week field",
            "Use '#' in the day-of-week field, for example \"1#1\" for the first Monday of the month.", i_);
    }

    // "w#k": the k-th weekday w of the month.
    bool parse_nth_weekday(const Value& weekday) {
        if (field_ != CronField::DayOfWeek) {
            return misplaced_hash();
        }
        if (weekday.number > 7) {
            return fail(kNthMessage, kNthHint, weekday.start);
        }
        ++i_;
        const size_t end = text::run_end(text_, i_, is_digit);
        const int64_t week = end == i_ ? 0 : text::parse_digits(text_.substr(i_, end - i_));
        if (week < 1 || week > 5) {
            return fail(kNthMessage, kNthHint, i_);
        }
        i_ = end;
        out_->nth_weekday |= uint64_t{1} << ((week - 1) * 7 + weekday.number % 7);
        return true;
    }

    // A number, or a month or weekday name where the field has names.
    bool read_value(Value* value) {
        value->start = i_;
        if (is_digit(peek())) {
            value->end = text::run_end(text_, i_, is_digit);
            value->number = text::parse_digits(text_.substr(i_, value->end - i_));
            i_ = value->end;
            return true;
        }
        value->end = text::run_end(text_, i_, is_alpha);
        const std::string_view word = text_.substr(i_, value->end - i_);
        if (text::iequals(word, "l")) {
            // Only reached inside a range: a leading "L" is handled by parse_item.
            return field_ == CronField::DayOfMonth ? fail("'L' cannot be part of a range",
                                                          "Write \"L\" on its own, for example \"1,L\".", i_)
                                                   : fail(kOnlyDayOfMonthL, kOnlyDayOfMonthLHint, i_);
        }
        if (field_ != CronField::Month && field_ != CronField::DayOfWeek) {
            return fail(field_text("value ") + text::quoted(word) + " is not a number", spec_.hint, i_);
        }
        const bool months = field_ == CronField::Month;
        const std::string_view* names = months ? kMonthNames : kWeekdayNames;
        const int count = months ? 12 : 7;
        for (int n = 0; n < count; ++n) {
            if (text::iequals(word, names[n])) {
                value->number = months ? n + 1 : n;
                value->sunday_name = !months && n == 0;
                i_ = value->end;
                return true;
            }
        }
        return fail(std::string("unknown ") + (months ? "month" : "weekday") + " name " + text::quoted(word),
                    months
                        ? "Use a number 1-12 or a three-letter name such as \"jan\" or \"dec\"."
                        : "Use a number 0-7 (0 and 7 are Sunday) or a three-letter name such as \"mon\" or "
                          "\"sun\".",
                    i_);
    }

    bool check_range(const Value& value) {
        if (value.number >= spec_.min && value.number <= spec_.max) {
            return true;
        }
        const std::string_view written = text_.substr(value.start, value.end - value.start);
        return fail(field_text("value ") + text::printable(written, 24) + " is out of range " +
                        std::to_string(spec_.min) + "-" + std::to_string(spec_.max),
                    spec_.hint, value.start);
    }

    bool reversed_range(const Value& first, const Value& last, int64_t high) {
        const std::string_view written = text_.substr(first.start, last.end - first.start);
        // Suggest the wrap-around as ascending ranges ("7-2" is just "0-2").
        const bool weekday = field_ == CronField::DayOfWeek;
        const std::string head =
            weekday && first.number == 7
                ? ""
                : std::to_string(first.number) + "-" + std::to_string(weekday ? 6 : spec_.max) + ",";
        const std::string example = head + std::to_string(spec_.min) + "-" + std::to_string(high);
        return fail(field_text("range ") + text::quoted(written) + " goes backwards",
                    "Ranges go from low to high; to wrap around, write a list such as \"" + example + "\".",
                    first.start);
    }

    bool read_step(int64_t* step) {
        const size_t slash = i_++;
        const std::string hint =
            std::string("Write a step of at least 1 after '/', for example \"") + spec_.step_example + "\".";
        const size_t end = text::run_end(text_, i_, is_digit);
        if (end == i_) {
            return fail(field_text("step is missing after '/'"), hint, slash);
        }
        *step = text::parse_digits(text_.substr(i_, end - i_));
        if (*step == 0) {
            return fail(field_text("step must be at least 1"), hint, i_);
        }
        if (*step > spec_.max_step) {
            return step_too_large(text_.substr(i_, end - i_), *step);
        }
        i_ = end;
        return true;
    }

    // "*/90" in minutes would fire only at :00; say so and offer @every.
    bool step_too_large(std::string_view written, int64_t step) {
        const std::string most = std::to_string(spec_.max_step);
        std::string hint = "Write a step from 1 to " + most;
        if (spec_.every_unit == nullptr) {
            hint += "; @every takes no months, so for yearly runs write one month, for example \"1\".";
        } else if (step <= kMaxEverySeconds / spec_.every_unit_seconds) {
            // Only a period @every accepts; a longer one gets the general example.
            hint += "; for a period of " + std::to_string(step) + " " + spec_.every_unit +
                    " write \"@every " + std::to_string(step) + " " + spec_.every_unit + "\".";
        } else {
            hint += std::string("; for a longer fixed period write @every, for example \"") +
                    spec_.every_example + "\".";
        }
        return fail(field_text("step ") + text::printable(written, 24) + " is out of range 1-" + most,
                    std::move(hint), i_);
    }

    void set_values(int64_t low, int64_t high, int64_t step) {
        for (int64_t v = low; v <= high; v += step) {
            out_->values |= uint64_t{1} << v;
        }
    }

    CronField field_;
    const FieldSpec& spec_;
    std::string_view text_;
    int offset_;
    FieldBits* out_;
    ParseError* error_;
    size_t i_ = 0;
};

}  // namespace

bool parse_cron_field(CronField field, std::string_view text, int offset, FieldBits* out, ParseError* error) {
    return FieldParser(field, text, offset, out, error).parse();
}

}  // namespace pg_jobs::cron
