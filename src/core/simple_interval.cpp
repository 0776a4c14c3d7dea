// A small interval reader for builds without PostgreSQL (unit tests, the
// fuzzer). It follows interval_in where schedules meet it: "<number> <unit>"
// pairs, a bare number as seconds, "HH:MM[:SS]", signs, fractions and "ago",
// so that @every errors read the same with either parser.
#include "core/cron_parser.hpp"

#include "core/parse_text.hpp"

#include <algorithm>
#include <iterator>
#include <limits>

namespace pg_jobs::cron {
namespace {

using text::is_alpha;
using text::is_digit;

constexpr int64_t kMicrosPerSecond = 1000000;

enum class UnitKind : uint8_t { Micros, Days, Months };

struct Unit {
    std::string_view names[5];
    UnitKind kind;
    int64_t scale;  // micros, days or months per unit
};

constexpr Unit kUnits[] = {
    {{"microsecond", "microseconds", "us", "usec", "usecs"}, UnitKind::Micros, 1},
    {{"millisecond", "milliseconds", "ms", "msec", "msecs"}, UnitKind::Micros, 1000},
    {{"second", "seconds", "sec", "secs", "s"}, UnitKind::Micros, kMicrosPerSecond},
    {{"minute", "minutes", "min", "mins", "m"}, UnitKind::Micros, 60 * kMicrosPerSecond},
    {{"hour", "hours", "h", "hr", "hrs"}, UnitKind::Micros, 3600 * kMicrosPerSecond},
    {{"day", "days", "d", "", ""}, UnitKind::Days, 1},
    {{"week", "weeks", "w", "", ""}, UnitKind::Days, 7},
    {{"month", "months", "mon", "mons", ""}, UnitKind::Months, 1},
    {{"year", "years", "y", "yr", "yrs"}, UnitKind::Months, 12},
};

constexpr const Unit& kSecondUnit = kUnits[2];
constexpr const Unit& kMinuteUnit = kUnits[3];
constexpr const Unit& kHourUnit = kUnits[4];

// Each unit may appear once, as in interval_in ("1 day -2 days" is refused).
uint32_t unit_bit(const Unit& unit) {
    return uint32_t{1} << (&unit - kUnits);
}

const Unit* find_unit(std::string_view word) {
    const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits), [word](const Unit& unit) {
        return std::any_of(std::begin(unit.names), std::end(unit.names), [word](std::string_view name) {
            return !name.empty() && text::iequals(word, name);
        });
    });
    return found == std::end(kUnits) ? nullptr : found;
}

// A decimal number as whole part and millionths, e.g. 1.5 = {1, 500000}.
struct Decimal {
    int64_t whole = 0;
    int64_t millionths = 0;
};

// Reads digits[.digits] at `*i`; false when there are none or too many.
bool read_decimal(std::string_view s, size_t* i, Decimal* out) {
    const size_t start = *i;
    const size_t end = text::run_end(s, start, is_digit);
    if (end - start > 15) {
        return false;  // beyond any interval PostgreSQL can hold
    }
    out->whole = text::parse_digits(s.substr(start, end - start));
    out->millionths = 0;
    *i = end;
    if (*i < s.size() && s[*i] == '.') {
        const size_t frac_end = text::run_end(s, *i + 1, is_digit);
        int64_t scale = 100000;
        for (size_t k = *i + 1; k < frac_end && scale > 0; ++k, scale /= 10) {
            out->millionths += (s[k] - '0') * scale;
        }
        if (frac_end == *i + 1 && end == start) {
            return false;
        }
        *i = frac_end;
    }
    return end > start || *i > start;
}

bool add_checked(int64_t* total, int64_t amount) {
    return !__builtin_add_overflow(*total, amount, total);
}

// Adds sign * value units to the interval; false on overflow.
bool add_amount(IntervalValue* out, const Unit& unit, const Decimal& value, int sign) {
    int64_t months = 0;
    int64_t days = 0;
    int64_t micros = 0;
    switch (unit.kind) {
        case UnitKind::Micros:
            if (__builtin_mul_overflow(value.whole, unit.scale, &micros)) {
                return false;
            }
            if (!add_checked(&micros, value.millionths * unit.scale / kMicrosPerSecond)) {
                return false;
            }
            break;
        case UnitKind::Days:
            days = value.whole * unit.scale;
            // A fraction of a day becomes time, as in interval_in.
            micros = value.millionths * unit.scale * 86400;
            break;
        case UnitKind::Months: {
            months = value.whole * unit.scale;
            const int64_t part_months = value.millionths * unit.scale;  // millionths of a month
            months += part_months / kMicrosPerSecond;
            days = part_months % kMicrosPerSecond * 30 / kMicrosPerSecond;  // a month counts as 30 days
            break;
        }
    }
    int64_t total_months = out->months;
    int64_t total_days = out->days;
    if (!add_checked(&total_months, sign * months) || !add_checked(&total_days, sign * days) ||
        !add_checked(&out->micros, sign * micros)) {
        return false;
    }
    constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    if (total_months < kMin || total_months > kMax || total_days < kMin || total_days > kMax) {
        return false;
    }
    out->months = static_cast<int32_t>(total_months);
    out->days = static_cast<int32_t>(total_days);
    return true;
}

// "HH:MM" or "HH:MM:SS[.ffffff]"; `hours` was already read, `*i` is at ':'.
bool read_clock(std::string_view s, size_t* i, const Decimal& hours, IntervalValue* out, int sign) {
    if (hours.millionths != 0) {
        return false;
    }
    const size_t minutes_start = *i + 1;
    const size_t minutes_end = text::run_end(s, minutes_start, is_digit);
    if (minutes_end == minutes_start || minutes_end - minutes_start > 2) {
        return false;
    }
    const int64_t minutes = text::parse_digits(s.substr(minutes_start, minutes_end - minutes_start));
    *i = minutes_end;
    Decimal seconds;
    if (*i < s.size() && s[*i] == ':') {
        ++*i;
        const size_t seconds_start = *i;
        if (!read_decimal(s, i, &seconds) || *i - seconds_start == 0 || seconds.whole > 59) {
            return false;
        }
    }
    if (minutes > 59) {
        return false;
    }
    return add_amount(out, kHourUnit, hours, sign) &&
           add_amount(out, kSecondUnit, Decimal{minutes * 60, 0}, sign) &&
           add_amount(out, kSecondUnit, seconds, sign);
}

bool fail(std::string* error, std::string_view text) {
    if (error != nullptr) {
        *error = "invalid interval " + text::quoted(text);
    }
    return false;
}

}  // namespace

bool parse_simple_interval(std::string_view text, IntervalValue* out, std::string* error) {
    IntervalValue value;
    size_t i = text::run_end(text, 0, text::is_space);
    bool any = false;
    bool ago = false;
    uint32_t units_seen = 0;
    while (i < text.size()) {
        if (ago) {
            return fail(error, text);  // "ago" must come last
        }
        const size_t word_end = text::run_end(text, i, is_alpha);
        if (word_end > i) {
            // Only a trailing "ago" may start with a letter.
            if (!any || !text::iequals(text.substr(i, word_end - i), "ago")) {
                return fail(error, text);
            }
            ago = true;
            i = text::run_end(text, word_end, text::is_space);
            continue;
        }
        int sign = 1;
        if (text[i] == '+' || text[i] == '-') {
            sign = text[i] == '-' ? -1 : 1;
            ++i;
        }
        Decimal number;
        if (i >= text.size() || !read_decimal(text, &i, &number)) {
            return fail(error, text);
        }
        if (i < text.size() && text[i] == ':') {
            const uint32_t clock_units = unit_bit(kHourUnit) | unit_bit(kMinuteUnit) | unit_bit(kSecondUnit);
            if ((units_seen & clock_units) != 0 || !read_clock(text, &i, number, &value, sign)) {
                return fail(error, text);
            }
            units_seen |= clock_units;
        } else {
            // The unit may follow directly ("90s") or after spaces; none means seconds.
            const size_t unit_start = text::run_end(text, i, text::is_space);
            const size_t unit_end = text::run_end(text, unit_start, is_alpha);
            const std::string_view word = text.substr(unit_start, unit_end - unit_start);
            const Unit* unit = &kSecondUnit;
            if (!word.empty() && !text::iequals(word, "ago")) {
                unit = find_unit(word);
                if (unit == nullptr) {
                    return fail(error, text);
                }
                i = unit_end;
            }
            if ((units_seen & unit_bit(*unit)) != 0 || !add_amount(&value, *unit, number, sign)) {
                return fail(error, text);
            }
            units_seen |= unit_bit(*unit);
        }
        any = true;
        const size_t next = text::run_end(text, i, text::is_space);
        if (next == i && next < text.size()) {
            return fail(error, text);  // "5x", "1:2:3:4"
        }
        i = next;
    }
    if (!any) {
        return fail(error, text);
    }
    if (ago) {
        if (value.months == std::numeric_limits<int32_t>::min() ||
            value.days == std::numeric_limits<int32_t>::min() ||
            value.micros == std::numeric_limits<int64_t>::min()) {
            return fail(error, text);
        }
        value.months = -value.months;
        value.days = -value.days;
        value.micros = -value.micros;
    }
    *out = value;
    return true;
}

}  // namespace pg_jobs::cron
