// The http auth plugin's settings: the URL (every refusal pinned word for word), the
// schema's defaults, and the forwarded header names.
#include "plugins/http_auth/settings.hpp"
#include "plugins/http_auth/http_url.hpp"

#include <relay/sdk/testing/test_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace relay::plugins::http_auth {
namespace {

using sdk::testing::TestConfig;

const std::string kHttpsRefused =
    "expected an http:// URL, got \"https://auth.internal/connect\"; https is not supported "
    "yet: reach the auth service over plain HTTP on a private network, or through a local "
    "proxy that adds TLS";

std::string url_problem(const std::string& url) {
    try {
        (void)parse_http_url(url);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TEST(HttpUrl, SplitsHostPortAndTarget) {
    const auto url = parse_http_url("http://auth.internal:8080/relay/connect?v=1");
    EXPECT_EQ(url.host, "auth.internal");
    EXPECT_EQ(url.port, 8080);
    EXPECT_EQ(url.target, "/relay/connect?v=1");
    EXPECT_EQ(url.authority(), "auth.internal:8080");
    EXPECT_EQ(url.text(), "http://auth.internal:8080/relay/connect?v=1");
}

TEST(HttpUrl, DefaultsToPort80AndTheRootPath) {
    const auto url = parse_http_url("HTTP://10.0.0.5");
    EXPECT_EQ(url.host, "10.0.0.5");
    EXPECT_EQ(url.port, 80);
    EXPECT_EQ(url.target, "/");
    EXPECT_EQ(parse_http_url("http://auth?x=1").target, "/?x=1");
}

TEST(HttpUrl, TakesAnIpv6AddressInBrackets) {
    const auto url = parse_http_url("http://[::1]:9000/auth");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.port, 9000);
    EXPECT_EQ(url.authority(), "[::1]:9000");
    EXPECT_EQ(parse_http_url("http://[fe80::1]/").port, 80);
}

TEST(HttpUrl, RefusesHttpsAndSaysWhy) {
    EXPECT_EQ(url_problem("https://auth.internal/connect"), kHttpsRefused);
}

TEST(HttpUrl, RefusesWhatIsNotAnHttpUrl) {
    EXPECT_EQ(url_problem(""),
              "expected a URL like http://auth.internal:8080/relay/connect, got \"\"");
    EXPECT_EQ(url_problem("auth.internal:8080/connect"),
              "expected a URL like http://auth.internal:8080/relay/connect, got "
              "\"auth.internal:8080/connect\"");
    EXPECT_EQ(url_problem("ftp://auth/"), "expected an http:// URL, got \"ftp://auth/\"");
    EXPECT_EQ(url_problem("http:///connect"),
              "expected a host after http://, got \"http:///connect\"");
    EXPECT_EQ(url_problem("http://:8080/connect"),
              "expected a host after http://, got \"http://:8080/connect\"");
    EXPECT_EQ(url_problem("http://auth:0/"),
              "expected a port from 1 to 65535, got \"0\" in \"http://auth:0/\"");
    EXPECT_EQ(url_problem("http://auth:65536/"),
              "expected a port from 1 to 65535, got \"65536\" in \"http://auth:65536/\"");
    EXPECT_EQ(url_problem("http://auth:http/"),
              "expected a port from 1 to 65535, got \"http\" in \"http://auth:http/\"");
    EXPECT_EQ(url_problem("http://auth:/"),
              "expected a port from 1 to 65535, got \"\" in \"http://auth:/\"");
    EXPECT_EQ(url_problem("http://user:secret@auth/"),
              "expected no user:password@ in the URL, got \"http://user:secret@auth/\"; the auth "
              "service sees the client's forwarded headers, not credentials of relay's own");
    EXPECT_EQ(url_problem("http://auth/connect#top"),
              "expected no #fragment in the URL (a fragment is never sent), got "
              "\"http://auth/connect#top\"");
    EXPECT_EQ(url_problem("http://auth/a b"),
              "expected no spaces or control characters in the URL, got \"http://auth/a b\"; "
              "percent-encode them");
    EXPECT_EQ(url_problem("http://::1:80/"),
              "expected [brackets] around an IPv6 address, got \"http://::1:80/\"");
    EXPECT_EQ(url_problem("http://[::1/"),
              "expected ']' after the IPv6 address, got \"http://[::1/\"");
    EXPECT_EQ(url_problem("http://[::1]x/"),
              "expected ':port' after the IPv6 address, got \"http://[::1]x/\"");
    EXPECT_EQ(url_problem("http://[zz]/"),
              "expected an IPv6 address between [ and ], got \"http://[zz]/\"");
    EXPECT_EQ(url_problem("http://au$th/"),
              "expected a host name or IP address, got \"au$th\" in \"http://au$th/\"");
}

TEST(HttpAuthSettings, DefaultsAreTheSettingsMembers) {
    TestConfig config(binding().schema(), "auth");
    config.set_string("url", "http://127.0.0.1:8080/auth");
    const Settings settings = binding().read(config);
    EXPECT_EQ(settings.url.port, 8080);
    EXPECT_EQ(settings.timeout, std::chrono::milliseconds(2000));
    EXPECT_EQ(settings.max_in_flight, 64U);
    EXPECT_EQ(settings.keep_alive_connections, 8U);
    EXPECT_EQ(
        settings.forward_headers,
        (std::vector<std::string>{"authorization", "cookie", "user-agent", "x-forwarded-for"}));
    EXPECT_TRUE(binding().problems(config).empty());
}

TEST(HttpAuthSettings, UrlIsRequired) {
    const auto& schema = binding().schema();
    const auto url = std::find_if(schema.begin(), schema.end(),
                                  [](const sdk::ConfigKey& key) { return key.name == "url"; });
    ASSERT_NE(url, schema.end());
    EXPECT_TRUE(url->required);
    EXPECT_FALSE(url->default_value.has_value());
}

TEST(HttpAuthSettings, TheCheckReportsTheUrlAndEveryBadHeaderName) {
    TestConfig config(binding().schema(), "auth");
    config.set_string("url", "https://auth.internal/connect");
    config.set_string_list("forward_headers", {"Authorization", "x secret", ""});
    const auto problems = binding().problems(config);
    ASSERT_EQ(problems.size(), 3U);
    EXPECT_EQ(problems[0].key, "url");
    EXPECT_EQ(problems[0].message, kHttpsRefused);
    EXPECT_EQ(problems[1].key, "forward_headers");
    EXPECT_EQ(problems[1].message, "expected header names like authorization, got \"x secret\"");
    EXPECT_EQ(problems[2].message, "expected header names like authorization, got \"\"");
    // read() stops at the first, located like the host's errors.
    try {
        (void)binding().read(config);
        ADD_FAILURE() << "read() took an https URL";
    } catch (const sdk::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()), "test.yaml:1:1: auth.url: " + kHttpsRefused);
    }
}

TEST(HttpAuthSettings, ForwardedHeaderNamesAreLowerCased) {
    TestConfig config(binding().schema(), "auth");
    config.set_string("url", "http://auth/");
    config.set_string_list("forward_headers", {"Authorization", "X-Team-ID"});
    EXPECT_EQ(binding().read(config).forward_headers,
              (std::vector<std::string>{"authorization", "x-team-id"}));
}

}  // namespace
}  // namespace relay::plugins::http_auth
