#include "lib/model/redactor.hpp"

#include <doctest/doctest.h>

#include <string>

using harness::model::Redactor;
using harness::model::url_password;
using harness::model::url_without_password;
using Json = nlohmann::json;

namespace {

// Realistic-looking credentials, assembled so this file does not itself look like one.
const std::string k_anthropic = std::string("sk-ant-") + "api03-" + std::string(40, 'x') + "Q7_-z";
const std::string k_openai = std::string("sk-") + "proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2";
const std::string k_github = std::string("ghp_") + "16C7e42F292c6912E7710c838347Ae178B4a";
const std::string k_github_pat = std::string("github_") + "pat_" + "11ABCDEFG0123456789_abcdefghij";
const std::string k_aws = std::string("AKIA") + "IOSFODNN7EXAMPLE";
const std::string k_jwt = std::string("eyJhbGciOiJIUzI1NiJ9") + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" +
                          ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const std::string k_pem =
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nq0==\n"
    "-----END RSA PRIVATE KEY-----";

std::string redact(const std::string& text) {
  static const Redactor r;
  return r.redacted(text);
}

}  // namespace

TEST_CASE("redactor: each built-in credential shape becomes [REDACTED:KIND]") {
  CHECK(redact("key " + k_anthropic + " end") == "key [REDACTED:anthropic_key] end");
  CHECK(redact("OPENAI_API_KEY=" + k_openai) == "OPENAI_API_KEY=[REDACTED:openai_key]");
  CHECK(redact("token: " + k_github + ".") == "token: [REDACTED:github_token].");
  CHECK(redact(k_github_pat) == "[REDACTED:github_token]");
  CHECK(redact("aws_access_key_id = " + k_aws + "\n") ==
        "aws_access_key_id = [REDACTED:aws_access_key_id]\n");
  CHECK(redact("jwt=" + k_jwt + " ok") == "jwt=[REDACTED:jwt] ok");
  CHECK(redact("before\n" + k_pem + "\nafter") == "before\n[REDACTED:private_key]\nafter");
  CHECK(redact("GET / HTTP/1.1\r\nAuthorization: Bearer abc.def\r\nHost: x\r\n") ==
        "GET / HTTP/1.1\r\nAuthorization: [REDACTED:authorization]\r\nHost: x\r\n");
  CHECK(redact("curl -H 'authorization: Basic dXNlcjpwYXNz' https://x") ==
        "curl -H 'authorization: [REDACTED:authorization]' https://x");
  CHECK(redact("{\"Authorization\": \"Token t0k3n\"}") ==
        "{\"Authorization\": \"[REDACTED:authorization]\"}");
  CHECK(redact("Proxy-Authorization: Basic Zm9v") ==
        "Proxy-Authorization: [REDACTED:authorization]");
}

TEST_CASE("redactor: ordinary text is left alone") {
  for (std::string s :
       {"task-1234567890abcdefghijklmnop", "the sk- prefix", "sk-learn-model-selection",
        "AKIAIOSFODNN7EXAMPLEXYZ", "xAKIAIOSFODNN7EXAMPLE", "ghp_short", "eyJhbGciOi only",
        "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----", "authorization required",
        "headers[\"Authorization\"] = value", ""}) {
    CAPTURE(s);
    CHECK(redact(s) == s);
  }
}

TEST_CASE("redactor: at the edges of the text and cut off by an output cap") {
  CHECK(redact(k_aws) == "[REDACTED:aws_access_key_id]");
  CHECK(redact(k_anthropic) == "[REDACTED:anthropic_key]");
  // The head of a key cut by the output cap is still long enough to be recognised.
  CHECK(redact("..." + k_anthropic.substr(0, 30)) == "...[REDACTED:anthropic_key]");
  // A private key without its END line (the output was cut) is redacted to the end.
  CHECK(redact("x " + k_pem.substr(0, 50)) == "x [REDACTED:private_key]");
  CHECK(redact("Authorization: Bearer abc") == "Authorization: [REDACTED:authorization]");
  CHECK(redact("Authorization:") == "Authorization:");
}

TEST_CASE("redactor: bytes that are not UTF-8 around a secret") {
  std::string bad = "\xff\xfe";
  CHECK(redact(bad + k_aws + bad) == bad + "[REDACTED:aws_access_key_id]" + bad);
  CHECK(redact("\xc3" + k_openai + "\xe2\x82") == "\xc3[REDACTED:openai_key]\xe2\x82");
  // A multi-byte character right after the key is not swallowed.
  CHECK(redact(k_github + "\xc3\xa9") == "[REDACTED:github_token]\xc3\xa9");
  CHECK(redact("Authorization: Bearer \xff\xff\n") == "Authorization: [REDACTED:authorization]\n");
}

TEST_CASE("redactor: overlapping secrets become one replacement") {
  // A JWT inside an Authorization header: the header's value covers it.
  CHECK(redact("Authorization: Bearer " + k_jwt) == "Authorization: [REDACTED:authorization]");
  // A literal that is also credential-shaped is named after the literal.
  auto r = Redactor::make({{{k_openai, "env:OPENAI_API_KEY"}}, nullptr, "", {}});
  REQUIRE(r.has_value());
  CHECK(r->redacted("k=" + k_openai) == "k=[REDACTED:env:OPENAI_API_KEY]");
  // Two literals overlapping each other: one replacement spanning both.
  auto two = Redactor::make({{{"abcdefgh", "a"}, {"efghijkl", "b"}}, nullptr, "", {}});
  REQUIRE(two.has_value());
  CHECK(two->redacted("xabcdefghijkly") == "x[REDACTED:a]y");
  CHECK(two->redacted("abcdefgh efghijkl") == "[REDACTED:a] [REDACTED:b]");
}

TEST_CASE("redactor: redacting twice changes nothing more") {
  std::string once = redact("Authorization: Bearer x " + k_aws + " " + k_pem);
  CHECK(redact(once) == once);
}

TEST_CASE("redactor: literal values, known words and user patterns") {
  Redactor::Options o;
  o.literals = {{"hunter2-canary", "env:CANARY"}, {"short", "env:TINY"}};
  o.is_secret_word = [](std::string_view w) { return w == "tok-0123456789"; };
  o.patterns = {"ACME-[0-9]{4}", "^secret: .*$"};
  auto r = Redactor::make(o);
  REQUIRE(r.has_value());
  CHECK(r->redacted("a hunter2-canary b hunter2-canary") ==
        "a [REDACTED:env:CANARY] b [REDACTED:env:CANARY]");
  CHECK(r->redacted("short values are not redacted") == "short values are not redacted");
  CHECK(r->redacted("Bearer tok-0123456789\nX=tok-0123456789") ==
        "Bearer [REDACTED:bearer_token]\nX=[REDACTED:bearer_token]");
  CHECK(r->redacted("not tok-0123456789x") == "not tok-0123456789x");
  CHECK(r->redacted("id ACME-1234 and ACME-99") == "id [REDACTED:pattern] and ACME-99");
  // Patterns match per line: ^ and $ are the line's.
  CHECK(r->redacted("one\nsecret: two\nthree") == "one\n[REDACTED:pattern]\nthree");
}

TEST_CASE("redactor: an invalid pattern is refused with the reason") {
  auto r = Redactor::make({{}, nullptr, "", {"ok", "(unclosed"}});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("'(unclosed' is not a valid regular expression") !=
        std::string::npos);
  CHECK(Redactor::pattern_error("a+b").empty());
  CHECK_FALSE(Redactor::pattern_error("[z-a]").empty());
}

TEST_CASE("redactor: every string of a JSON document, keys included") {
  Json j{{"command", "echo " + k_aws},
         {"nested", {{"list", {"ok", k_github, 3, nullptr}}}},
         {k_openai, "as a key"},
         {"n", 1}};
  Redactor r;
  CHECK(r.redact_json(j));
  CHECK(j["command"] == "echo [REDACTED:aws_access_key_id]");
  CHECK(j["nested"]["list"][1] == "[REDACTED:github_token]");
  CHECK(j["nested"]["list"][2] == 3);
  CHECK(j.contains("[REDACTED:openai_key]"));
  CHECK_FALSE(j.contains(k_openai));
  Json clean{{"a", "b"}};
  CHECK_FALSE(r.redact_json(clean));
}

TEST_CASE("store URLs: the password is found and hidden") {
  CHECK(url_password("redis://user:s3cret@host:6379/0") == "s3cret");
  CHECK(url_password("redis://:p%40ss@host") == "p%40ss");
  CHECK(url_password("redis://host:6379") == "");
  CHECK(url_password("sqlite:/var/lib/harness/harness.db") == "");
  CHECK(url_without_password("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0");
  CHECK(url_without_password("redis://host/0?x=a:b@c") == "redis://host/0?x=a:b@c");
  CHECK(url_without_password("sqlite:/x.db") == "sqlite:/x.db");
  CHECK(url_without_password("redis://hunter2@host:6379/0") == "redis://***@host:6379/0");
  CHECK(url_without_password("redis://u:p@ss@host/0") == "redis://u:***@host/0");
  CHECK(url_without_password("redis://u:pa/ss@host/0") == "redis://u:***@host/0");
  CHECK(url_without_password("sqlite:///var/a@b.db") == "sqlite:///var/a@b.db");
  CHECK(url_without_password("redis://u:a?b#c@host/0") == "redis://u:***@host/0");
  CHECK(url_without_password("redis://u:p@host/0?x=a@b") == "redis://u:***@host/0?x=a@b");
}
