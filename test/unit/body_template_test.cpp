// Placeholders in the messages jobs send: where they are, which paths are
// known at definition, and how values are put in.
#include "core/body_template.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace pg_jobs::templates;

namespace {

std::string joined(const std::vector<std::string>& path) {
    std::string out;
    for (const auto& key : path) {
        out += (out.empty() ? "" : ".") + key;
    }
    return out;
}

Lookup lookup_in(const std::map<std::string, std::string>& values) {
    return [&values](const std::vector<std::string>& path) -> std::optional<std::string> {
        const auto found = values.find(joined(path));
        if (found == values.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

std::string render_text(std::string_view text, const std::map<std::string, std::string>& values,
                        Escaping escaping) {
    const Placeholders placeholders = find_placeholders(text);
    EXPECT_FALSE(placeholders.error.has_value()) << text;
    return render(text, placeholders, lookup_in(values), escaping);
}

}  // namespace

TEST(TemplatePlaceholders, FindsPathsWithAndWithoutBlanks) {
    const Placeholders found = find_placeholders(R"({"text": "{{payload.summary}} by {{ job_name }}"})");
    ASSERT_FALSE(found.error.has_value());
    ASSERT_EQ(found.found.size(), 2U);
    EXPECT_EQ(joined(found.found[0].path), "payload.summary");
    EXPECT_EQ(found.found[0].start, 10U);
    EXPECT_EQ(found.found[0].length, 19U);
    EXPECT_EQ(joined(found.found[1].path), "job_name");
}

TEST(TemplatePlaceholders, LeaveSecretReferencesAlone) {
    const Placeholders found = find_placeholders("Bearer {{secret:token}} for {{job_name}}");
    ASSERT_FALSE(found.error.has_value());
    ASSERT_EQ(found.found.size(), 1U);
    EXPECT_EQ(joined(found.found[0].path), "job_name");
}

TEST(TemplatePlaceholders, TextWithoutBracesHasNone) {
    EXPECT_TRUE(find_placeholders("").found.empty());
    EXPECT_TRUE(find_placeholders(R"({"a": {"b": 1}})").found.empty());
}

TEST(TemplatePlaceholders, RefuseMalformedOnesWithTheirPosition) {
    struct Case {
        const char* text;
        long position;
        const char* fragment;
    };
    for (const Case& c : {Case{"x {{}}", 5, "expected a key"}, Case{"{{payload.}}", 11, "expected a key"},
                          Case{"{{job name}}", 7, "expected }}"}, Case{"{{job_name", 11, "not closed"},
                          Case{"{{a.b.c.d.e.f.g.h.i}}", 1, "at most 8 keys"}}) {
        const Placeholders found = find_placeholders(c.text);
        ASSERT_TRUE(found.error.has_value()) << c.text;
        EXPECT_EQ(found.error->position, c.position) << c.text;
        EXPECT_NE(found.error->message.find(c.fragment), std::string::npos) << found.error->message;
        EXPECT_FALSE(found.error->hint.empty());
    }
    EXPECT_TRUE(find_placeholders("{{" + std::string(64, 'k') + "}}").error.has_value());
    EXPECT_FALSE(find_placeholders("{{" + std::string(63, 'k') + "}}").error.has_value());
}

TEST(TemplatePaths, KnownKeysAndAnyPayloadPathPass) {
    for (const char* text :
         {"{{job_id}}", "{{job_name}}", "{{execution_id}}", "{{triggered_by}}", "{{triggered_by_user}}",
          "{{scheduled_for}}", "{{attempt}}", "{{payload}}", "{{payload.anything.0.deep}}"}) {
        EXPECT_EQ(check_paths(find_placeholders(text)), std::nullopt) << text;
    }
}

TEST(TemplatePaths, UnknownRootOrPathBelowAPlainValueIsRefused) {
    const auto unknown = check_paths(find_placeholders("ok {{jobname}}"));
    ASSERT_TRUE(unknown.has_value());
    EXPECT_EQ(unknown->position, 4);
    EXPECT_NE(unknown->message.find("{{jobname}}"), std::string::npos);
    const auto below = check_paths(find_placeholders("{{job_name.first}}"));
    ASSERT_TRUE(below.has_value());
    EXPECT_NE(below->message.find("plain value"), std::string::npos);
}

TEST(TemplateRender, JsonStringEscapingKeepsTheBodyValid) {
    const std::map<std::string, std::string> values = {
        {"payload.summary", "job \"nightly\" failed:\nline\\2\t\x01"}, {"job_name", "nightly"}};
    EXPECT_EQ(
        render_text(R"j({"text": "{{payload.summary}} ({{job_name}})"})j", values, Escaping::json_string),
        R"j({"text": "job \"nightly\" failed:\nline\\2\t\u0001 (nightly)"})j");
}

TEST(TemplateRender, AbsentPathsBecomeEmpty) {
    EXPECT_EQ(render_text("[{{payload.missing}}]", {}, Escaping::json_string), "[]");
}

TEST(TemplateRender, OneLineForHeadersPlainOtherwise) {
    const std::map<std::string, std::string> values = {{"payload.subject", "two\r\nlines"}};
    EXPECT_EQ(render_text("Re: {{payload.subject}}", values, Escaping::one_line), "Re: two  lines");
    EXPECT_EQ(render_text("Re: {{payload.subject}}", values, Escaping::plain), "Re: two\r\nlines");
}

TEST(TemplateRender, KeepsSecretReferencesAndSurroundingText) {
    const std::map<std::string, std::string> values = {{"attempt", "2"}};
    EXPECT_EQ(render_text("{{secret:k}} try {{attempt}}!", values, Escaping::plain), "{{secret:k}} try 2!");
}
