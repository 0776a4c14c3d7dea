// E-mail jobs: what an address may be, and the message sent over SMTP as
// RFC 5322 text (headers, a blank line, the body; CRLF line ends). Plain
// UTF-8 text only: a subject that is not ASCII is an RFC 2047 encoded word,
// a body with a line longer than SMTP allows is sent in base64. libcurl does
// the SMTP dialogue, and the dot-stuffing of lines that start with ".".
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pg_jobs::mail {

inline constexpr size_t kMaxAddressLength = 254;
inline constexpr size_t kMaxRecipients = 100;

struct MailError {
    std::string message;
    std::string hint;
};

// A bare address "local@domain": printable ASCII without blanks, angle
// brackets, commas or quotes, one "@" with text on both sides, at most 254
// characters. (Display names are not taken: the address goes to the SMTP
// envelope as is.)
std::optional<MailError> check_address(std::string_view address);

// 1 to 100 recipients, each a valid address.
std::optional<MailError> check_recipients(const std::vector<std::string>& recipients);

struct Message {
    std::string from;
    std::vector<std::string> to;
    std::string subject;  // one line (line breaks become spaces)
    std::string body;     // UTF-8 text; any line ends
};

// "Fri, 04 Dec 2026 13:45:00 +0000" for a Unix time.
std::string rfc5322_date(int64_t unix_seconds);

// The message as sent: Date, From, To, Subject, Message-ID ("<id>" as
// given), MIME-Version and Content-Type headers, then the body.
std::string compose(const Message& message, int64_t unix_seconds, std::string_view message_id);

// RFC 2047 B encoding of a header's text when it is not plain printable
// ASCII, split in encoded words of at most 75 characters and folded;
// otherwise the text itself.
std::string encode_header_text(std::string_view text);

std::string base64(std::string_view data);

}  // namespace pg_jobs::mail
