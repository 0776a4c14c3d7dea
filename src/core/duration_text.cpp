// See duration_text.hpp.
#include "core/duration_text.hpp"

namespace pg_jobs {
namespace {

void append_part(std::string* out, int64_t count, const char* unit) {
    if (count == 0) {
        return;
    }
    if (!out->empty()) {
        out->push_back(' ');
    }
    *out += std::to_string(count);
    out->push_back(' ');
    *out += unit;
    if (count != 1) {
        out->push_back('s');
    }
}

}  // namespace

std::string duration_text(int64_t millis) {
    if (millis < 0) {
        millis = 0;
    }
    constexpr int64_t kSecond = 1000;
    constexpr int64_t kMinute = 60 * kSecond;
    constexpr int64_t kHour = 60 * kMinute;
    constexpr int64_t kDay = 24 * kHour;
    if (millis < kSecond) {
        return std::to_string(millis) + (millis == 1 ? " millisecond" : " milliseconds");
    }
    if (millis < kMinute && millis % kSecond != 0) {
        // Seconds with up to three decimals, trailing zeros dropped.
        std::string fraction = std::to_string(1000 + millis % kSecond).substr(1);
        while (fraction.back() == '0') {
            fraction.pop_back();
        }
        return std::to_string(millis / kSecond) + "." + fraction + " seconds";
    }
    std::string text;
    append_part(&text, millis / kDay, "day");
    append_part(&text, millis % kDay / kHour, "hour");
    append_part(&text, millis % kHour / kMinute, "minute");
    append_part(&text, millis % kMinute / kSecond, "second");
    return text;
}

}  // namespace pg_jobs
