// Secrets of HTTP jobs: names, values, {{secret:NAME}} references,
// expansion, scrubbing of echoed values, and the statements whose text the
// server log leaves out.
#include "core/secret_reference.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace pg_jobs::secrets;

namespace {

Lookup lookup_in(const std::map<std::string, std::string>& secrets) {
    return [&secrets](std::string_view name) -> std::optional<std::string_view> {
        const auto found = secrets.find(std::string(name));
        if (found == secrets.end()) {
            return std::nullopt;
        }
        return std::string_view(found->second);
    };
}

}  // namespace

TEST(SecretNames, AllowLettersDigitsAndPunctuation) {
    for (const char* name : {"api_token", "A", "svc.prod-1", "x_Y.z-9"}) {
        EXPECT_EQ(check_name(name), std::nullopt) << name;
    }
    EXPECT_EQ(check_name(std::string(63, 'a')), std::nullopt);
    EXPECT_EQ(check_name("")->message, "secret name is empty");
    EXPECT_EQ(check_name(std::string(64, 'a'))->message, "secret name is longer than 63 characters");
    for (const char* name : {"api token", "a/b", "a+b=", "tok\xc3\xa4", "a{b}", "a:b", "a\nb"}) {
        std::optional<SecretError> error = check_name(name);
        ASSERT_TRUE(error) << name;
        EXPECT_NE(error->hint.find("letters, digits"), std::string::npos);
        EXPECT_EQ(error->message.find(name), std::string::npos)
            << "the name is not repeated: " << error->message;
    }
    EXPECT_EQ(check_name("ab cd")->position, 3);
}

TEST(SecretValues, AreOneLineOfAtMost8kB) {
    EXPECT_EQ(check_value("s3cret"), std::nullopt);
    EXPECT_EQ(check_value("with\ttab and spaces"), std::nullopt);
    EXPECT_EQ(check_value(std::string(8192, 'v')), std::nullopt);
    EXPECT_TRUE(check_value(""));
    EXPECT_TRUE(check_value(std::string(8193, 'v')));
    EXPECT_TRUE(check_value("a\r\nInjected: yes"));
    EXPECT_TRUE(check_value(std::string("a\0b", 3)));
    EXPECT_TRUE(check_value("a\x7f"));
    EXPECT_EQ(check_value("line\nbreak")->message.find("line\nbreak"), std::string::npos);
}

TEST(SecretReferences, FindsEveryReference) {
    References refs = find_references("Bearer {{secret:api_token}}");
    ASSERT_EQ(refs.error, std::nullopt);
    ASSERT_EQ(refs.found.size(), 1u);
    EXPECT_EQ(refs.found[0].name, "api_token");
    EXPECT_EQ(refs.found[0].start, 7u);
    EXPECT_EQ(refs.found[0].length, 20u);

    refs = find_references("{{secret:user}}:{{secret:pass}}{{secret:a.b-c}}");
    ASSERT_EQ(refs.error, std::nullopt);
    ASSERT_EQ(refs.found.size(), 3u);
    EXPECT_EQ(refs.found[1].name, "pass");
    EXPECT_EQ(refs.found[2].name, "a.b-c");

    EXPECT_TRUE(find_references("").found.empty());
    EXPECT_TRUE(find_references("Bearer abc").found.empty());
    refs = find_references("{{other}} {{ name }} {secret:x} {{{secret:y}}");
    ASSERT_EQ(refs.error, std::nullopt);
    ASSERT_EQ(refs.found.size(), 1u) << "only {{secret:...}} is a reference";
    EXPECT_EQ(refs.found[0].name, "y");
}

TEST(SecretReferences, RefusesMalformedOnes) {
    for (const char* value : {"{{secret:}}", "Bearer {{secret:api_token", "{{secret:api token}}",
                              "{{secret:a}", "{{ secret:a }}", "{{Secret:a}}", "{{SECRET:a}}", "{{secret a}}",
                              "{{secretive}}", "{{secret:a/b}}", "x {{secret:ok}} {{secret:}}"}) {
        References refs = find_references(value);
        ASSERT_TRUE(refs.error) << value;
        EXPECT_NE(refs.error->message.find("malformed secret reference"), std::string::npos) << value;
        EXPECT_NE(refs.error->hint.find("{{secret:NAME}}"), std::string::npos);
        EXPECT_GT(refs.error->position, 0) << value;
    }
    EXPECT_EQ(find_references("Bearer {{secret:").error->position, 17);
    EXPECT_TRUE(find_references("{{secret:" + std::string(64, 'n') + "}}").error);
    EXPECT_EQ(find_references("{{secret:" + std::string(63, 'n') + "}}").error, std::nullopt);
}

TEST(SecretExpansion, ReplacesReferencesWithTheOwnersValues) {
    const std::map<std::string, std::string> secrets = {
        {"api_token", "t0k"}, {"user", "u"}, {"pass", "p{{x}}"}};
    Expansion expanded = expand("Bearer {{secret:api_token}}", lookup_in(secrets));
    EXPECT_EQ(expanded.value, "Bearer t0k");
    EXPECT_TRUE(expanded.missing.empty());
    EXPECT_EQ(expanded.used, std::vector<std::string>{"t0k"});

    expanded = expand("{{secret:user}}:{{secret:pass}}!", lookup_in(secrets));
    EXPECT_EQ(expanded.value, "u:p{{x}}!") << "values are put in once, not expanded again";
    EXPECT_EQ(expanded.used.size(), 2u);

    expanded = expand("plain {{text}}", lookup_in(secrets));
    EXPECT_EQ(expanded.value, "plain {{text}}");
    EXPECT_TRUE(expanded.used.empty());
}

TEST(SecretExpansion, NamesTheMissingSecretAndLeaksNothing) {
    const std::map<std::string, std::string> secrets = {{"known", "k-value"}};
    Expansion expanded = expand("{{secret:known}} {{secret:unknown}}", lookup_in(secrets));
    EXPECT_EQ(expanded.missing, "unknown");
    EXPECT_TRUE(expanded.value.empty());
    EXPECT_TRUE(expanded.used.empty());
    expanded = expand("{{secret:known", lookup_in(secrets));
    ASSERT_TRUE(expanded.error);
    EXPECT_TRUE(expanded.value.empty());
}

TEST(SecretScrub, ReplacesEchoedValues) {
    EXPECT_EQ(scrub(R"({"auth": "Bearer t0k", "again": "t0kt0k"})", {"t0k"}),
              R"({"auth": "Bearer ***", "again": "******"})");
    EXPECT_EQ(scrub("abcdef and abc", {"abc", "abcdef"}), "*** and ***") << "longest first";
    EXPECT_EQ(scrub("nothing here", {"t0k", ""}), "nothing here");
    EXPECT_EQ(scrub("***", {"*"}), "*********");
}

TEST(SecretStatements, RecognisesTheFunctionsThatTakeSecrets) {
    EXPECT_TRUE(statement_may_carry_secrets("SELECT jobs.set_secret('a', 'b')"));
    EXPECT_TRUE(statement_may_carry_secrets("select JOBS.SCHEDULE_HTTP('x', null, 'http://h/')"));
    EXPECT_TRUE(statement_may_carry_secrets("SELECT jobs.alter_http(1, headers => '{}')"));
    EXPECT_TRUE(statement_may_carry_secrets("SELECT \"jobs\".\"Set_Secret\"('a', 'b')"));
    // A password passed as itself is refused, and the statement not logged.
    EXPECT_TRUE(
        statement_may_carry_secrets("SELECT jobs.schedule_email('m', NULL, 'smtp://h', password => 'pw')"));
    EXPECT_FALSE(statement_may_carry_secrets("SELECT jobs.schedule('x', NULL, 'SELECT 1')"));
    EXPECT_FALSE(statement_may_carry_secrets("SELECT jobs.drop_secret('a')"));
    EXPECT_FALSE(statement_may_carry_secrets(""));
}
