// Every schedule in test/corpus/bad_schedules.tsv must be refused with the
// expected message at the expected position, and with a hint. The pgTAP
// suite reads the same file through the SQL functions.
#include "core/cron_parser.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#ifndef PG_JOBS_CORPUS_DIR
#error "compile with -DPG_JOBS_CORPUS_DIR=\"<repository>/test/corpus\""
#endif

namespace pg_jobs::cron {
namespace {

struct BadSchedule {
    int line = 0;
    std::string schedule;
    std::string fragment;
    int position = -1;
};

// Reads schedule<TAB>fragment<TAB>position lines; '#' lines are comments.
// A malformed line is a test failure, not a skipped entry.
std::vector<BadSchedule> read_corpus(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.is_open()) << "cannot open " << path;
    std::vector<BadSchedule> entries;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const size_t first = line.find('\t');
        const size_t second = first == std::string::npos ? first : line.find('\t', first + 1);
        if (second == std::string::npos || line.find('\t', second + 1) != std::string::npos) {
            ADD_FAILURE() << path << ":" << number << ": expected three TAB-separated columns";
            continue;
        }
        BadSchedule entry;
        entry.line = number;
        entry.schedule = line.substr(0, first);
        entry.fragment = line.substr(first + 1, second - first - 1);
        const std::string position = line.substr(second + 1);
        char* end = nullptr;
        const long value = std::strtol(position.c_str(), &end, 10);
        if (position.empty() || *end != '\0' || value < -1 || value > 100000) {
            ADD_FAILURE() << path << ":" << number << ": position \"" << position << "\" is not a number";
            continue;
        }
        entry.position = static_cast<int>(value);
        if (entry.fragment.empty()) {
            ADD_FAILURE() << path << ":" << number << ": empty message fragment";
            continue;
        }
        entries.push_back(entry);
    }
    return entries;
}

TEST(BadScheduleCorpus, EveryEntryIsRefusedAsExpected) {
    const std::vector<BadSchedule> entries =
        read_corpus(std::string(PG_JOBS_CORPUS_DIR) + "/bad_schedules.tsv");
    ASSERT_GE(entries.size(), 100u) << "the corpus is missing or truncated";
    for (const BadSchedule& entry : entries) {
        SCOPED_TRACE("bad_schedules.tsv:" + std::to_string(entry.line) + " \"" + entry.schedule + "\"");
        const ParseResult result = parse_schedule(entry.schedule);
        if (result.ok) {
            ADD_FAILURE() << "accepted";
            continue;
        }
        const ParseError& error = result.error;
        EXPECT_NE(error.message.find(entry.fragment), std::string::npos)
            << "message: " << error.message << "\nexpected to contain: " << entry.fragment;
        EXPECT_EQ(error.position, entry.position) << "message: " << error.message;
        EXPECT_FALSE(error.hint.empty()) << "message: " << error.message;
        EXPECT_EQ(error.message.find("std::"), std::string::npos) << error.message;
        EXPECT_EQ(error.message.find("exception"), std::string::npos) << error.message;
        EXPECT_EQ(error.hint.find("std::"), std::string::npos) << error.hint;
    }
}

// The house style of messages and hints, checked on every corpus entry:
// a message starts lower-case (or with a quote or '@') and has no final
// period; a hint is a sentence.
TEST(BadScheduleCorpus, MessagesAndHintsFollowTheConventions) {
    const std::vector<BadSchedule> entries =
        read_corpus(std::string(PG_JOBS_CORPUS_DIR) + "/bad_schedules.tsv");
    ASSERT_GE(entries.size(), 100u);
    for (const BadSchedule& entry : entries) {
        SCOPED_TRACE("bad_schedules.tsv:" + std::to_string(entry.line));
        const ParseError error = parse_schedule(entry.schedule).error;
        if (error.message.empty()) {
            ADD_FAILURE() << "no message";  // accepted: reported by the test above
            continue;
        }
        const char head = error.message.front();
        EXPECT_TRUE(std::islower(static_cast<unsigned char>(head)) || head == '\'' || head == '@')
            << error.message;
        EXPECT_NE(error.message.back(), '.') << error.message;
        EXPECT_TRUE(!error.hint.empty() && std::isupper(static_cast<unsigned char>(error.hint.front())))
            << error.hint;
        EXPECT_TRUE(!error.hint.empty() && (error.hint.back() == '.' || error.hint.back() == '?'))
            << error.hint;
        for (const char c : error.message + error.hint) {
            EXPECT_TRUE(c >= 0x20 && c < 0x7F) << "non-printable byte in: " << error.message;
        }
    }
}

}  // namespace
}  // namespace pg_jobs::cron
