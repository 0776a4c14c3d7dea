// Addresses and RFC 5322 messages of e-mail jobs; see mail_message.hpp.
#include "core/mail_message.hpp"

#include "core/civil_time.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace pg_jobs::mail {

namespace {

constexpr size_t kMaxLineBytes = 998;  // RFC 5322, without the CRLF
constexpr size_t kMaxEncodedWord = 75;

bool is_address_char(char c) {
    return c > ' ' && c < 0x7f && c != '<' && c != '>' && c != ',' && c != '"' && c != '(' && c != ')' &&
           c != ';' && c != '\\' && c != '[' && c != ']';
}

bool plain_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c < 0x7f; }) &&
           text.find("=?") == std::string_view::npos;
}

// Splits text into lines at any of \r\n, \n, \r.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    size_t start = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' || text[i] == '\n') {
            lines.push_back(text.substr(start, i - start));
            if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            start = i + 1;
        }
    }
    lines.push_back(text.substr(start));
    return lines;
}

// Where a UTF-8 sequence may be cut: not before a continuation byte.
size_t utf8_cut(std::string_view text, size_t at) {
    while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) {
        --at;
    }
    return at;
}

}  // namespace

std::optional<MailError> check_address(std::string_view address) {
    const auto refuse = [&](const std::string& why) {
        return MailError{"invalid e-mail address \"" + std::string(address.substr(0, 300)) + "\": " + why,
                         "Write a bare address such as reports@example.com, without a display name."};
    };
    if (address.empty()) {
        return MailError{"an e-mail address is empty", "Write a bare address such as reports@example.com."};
    }
    if (address.size() > kMaxAddressLength) {
        return refuse("longer than 254 characters");
    }
    const auto bad = std::find_if_not(address.begin(), address.end(), is_address_char);
    if (bad != address.end()) {
        return refuse("character " + std::to_string(bad - address.begin() + 1) + " is not allowed");
    }
    const size_t at = address.find('@');
    if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
        return refuse("it must contain exactly one @");
    }
    if (at == 0 || at + 1 == address.size()) {
        return refuse("it needs a name before the @ and a domain after it");
    }
    return std::nullopt;
}

std::optional<MailError> check_recipients(const std::vector<std::string>& recipients) {
    if (recipients.empty()) {
        return MailError{"an e-mail job needs at least one recipient",
                         "Pass mail_to => ARRAY['ops@example.com']."};
    }
    if (recipients.size() > kMaxRecipients) {
        return MailError{"an e-mail job has at most 100 recipients",
                         "Send to a list address instead of many recipients."};
    }
    std::optional<MailError> error;
    const bool any_bad =
        std::any_of(recipients.begin(), recipients.end(), [&error](const std::string& recipient) {
            error = check_address(recipient);
            return error.has_value();
        });
    return any_bad ? error : std::nullopt;
}

std::string rfc5322_date(int64_t unix_seconds) {
    static constexpr std::array<const char*, 7> kDays = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
    const int64_t second_of_day = unix_seconds - days * 86400;
    const civil::Date date = civil::date_from_days(days);
    const int64_t weekday = ((days % 7) + 7) % 7;  // 1970-01-01 was a Thursday
    char text[64];
    std::snprintf(text, sizeof text, "%s, %02d %s %04lld %02d:%02d:%02d +0000", kDays[weekday], date.day,
                  kMonths[date.month - 1], static_cast<long long>(date.year),
                  static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
                  static_cast<int>(second_of_day % 60));
    return text;
}

std::string base64(std::string_view data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const unsigned n = static_cast<unsigned char>(data[i]) << 16 |
                           static_cast<unsigned char>(data[i + 1]) << 8 |
                           static_cast<unsigned char>(data[i + 2]);
        out += kAlphabet[n >> 18 & 63];
        out += kAlphabet[n >> 12 & 63];
        out += kAlphabet[n >> 6 & 63];
        out += kAlphabet[n & 63];
    }
    if (i < data.size()) {
        unsigned n = static_cast<unsigned char>(data[i]) << 16;
        if (i + 1 < data.size()) {
            n |= static_cast<unsigned char>(data[i + 1]) << 8;
        }
        out += kAlphabet[n >> 18 & 63];
        out += kAlphabet[n >> 12 & 63];
        out += i + 1 < data.size() ? kAlphabet[n >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::string encode_header_text(std::string_view text) {
    if (plain_ascii(text)) {
        return std::string(text);
    }
    // "=?UTF-8?B?" + base64 + "?=" <= 75: at most 45 bytes of text a word.
    constexpr size_t kPrefixSuffix = 12;
    constexpr size_t kBytesPerWord = (kMaxEncodedWord - kPrefixSuffix) / 4 * 3;
    std::string out;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = std::min(text.size(), start + kBytesPerWord);
        if (end < text.size()) {
            const size_t cut = utf8_cut(text, end);
            end = cut > start ? cut : end;
        }
        if (!out.empty()) {
            out += "\r\n ";
        }
        out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
        start = end;
    }
    return out;
}

std::string compose(const Message& message, int64_t unix_seconds, std::string_view message_id) {
    std::string subject = message.subject;
    std::replace_if(
        subject.begin(), subject.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    std::string to;
    for (const std::string& recipient : message.to) {
        to += (to.empty() ? "" : ", ") + recipient;
    }
    const std::vector<std::string_view> lines = lines_of(message.body);
    const bool long_line = std::any_of(lines.begin(), lines.end(),
                                       [](std::string_view line) { return line.size() > kMaxLineBytes; });
    std::string body;
    if (long_line) {
        const std::string encoded = base64(message.body);
        for (size_t i = 0; i < encoded.size(); i += 76) {
            body += encoded.substr(i, 76) + "\r\n";
        }
    } else {
        for (const std::string_view line : lines) {
            body.append(line).append("\r\n");
        }
    }
    std::string out;
    out += "Date: " + rfc5322_date(unix_seconds) + "\r\n";
    out += "From: " + message.from + "\r\n";
    out += "To: " + to + "\r\n";
    out += "Subject: " + encode_header_text(subject) + "\r\n";
    out += "Message-ID: <" + std::string(message_id) + ">\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: text/plain; charset=UTF-8\r\n";
    out += std::string("Content-Transfer-Encoding: ") + (long_line ? "base64" : "8bit") + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

}  // namespace pg_jobs::mail
