#pragma once
/// The http auth plugin's configuration: its keys bound to the plain Settings the
/// authenticator takes (each default is the member's). The implementation reads only
/// Settings; plugin.cpp alone reads the config through binding().
#include "http_url.hpp"

#include <relay/sdk/config.hpp>
#include <relay/sdk/settings_binding.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::http_auth {

struct Settings {
    HttpUrl url;  ///< required: the key has no default
    /// The whole request: connecting, sending, the service's work and its answer.
    std::chrono::milliseconds timeout{2000};
    /// Requests under way at once; past it a handshake is refused at once.
    std::size_t max_in_flight = 64;
    /// Idle connections kept open for the next requests (0: one connection a request).
    std::size_t keep_alive_connections = 8;
    /// Handshake headers passed to the service, lower-case.
    std::vector<std::string> forward_headers{"authorization", "cookie", "user-agent",
                                             "x-forwarded-for"};
};

/// True for an HTTP header name (RFC 9110 token characters).
inline bool is_header_name(std::string_view name) {
    constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               kSymbols.find(c) != std::string_view::npos;
    });
}

/// What the key bounds cannot say: a URL that is not http://host[:port]/path, a
/// forwarded header that is not a header name.
inline std::vector<sdk::KeyProblem> check(const sdk::ConfigView& config) {
    std::vector<sdk::KeyProblem> problems;
    try {
        (void)parse_http_url(config.string("url"));
    } catch (const std::invalid_argument& e) {
        problems.push_back({"url", e.what()});
    }
    for (const auto& name : config.string_list("forward_headers")) {
        if (!is_header_name(name)) {
            problems.push_back({"forward_headers",
                                "expected header names like authorization, got \"" + name + "\""});
        }
    }
    return problems;
}

/// Every key, bound to its Settings member: the default is the member's.
inline const sdk::SettingsBinding<Settings>& binding() {
    using sdk::config_key;
    using sdk::ValueType;
    using std::chrono::milliseconds;
    static const auto bound =
        sdk::SettingsBinding<Settings>()
            .add_read(config_key("url", ValueType::string,
                                 "the auth service: http://host[:port]/path, asked with a POST "
                                 "on every connect and refresh (https: not yet)")
                          .needed(),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          try {
                              settings.url = parse_http_url(config.string("url"));
                          } catch (const std::invalid_argument& e) {
                              config.fail("url", e.what());
                          }
                      })
            .add(config_key("timeout", ValueType::duration,
                            "a request without an answer after this is refused (\"auth "
                            "service timed out\"); connecting included")
                     .at_least(milliseconds(1))
                     .at_most(milliseconds(60000)),
                 &Settings::timeout)
            .add(config_key("max_in_flight", ValueType::integer,
                            "requests under way at once; past it a client is refused at once "
                            "(\"auth service busy\")")
                     .at_least(1),
                 &Settings::max_in_flight)
            .add(config_key("keep_alive_connections", ValueType::integer,
                            "idle HTTP/1.1 connections kept open for the next requests (0: a "
                            "connection per request)")
                     .at_least(0),
                 &Settings::keep_alive_connections)
            .add_read(config_key("forward_headers", ValueType::string_list,
                                 "headers of the client's handshake passed to the service "
                                 "(case-insensitive)")
                          .fallback(sdk::values::format_list(Settings{}.forward_headers)),
                      [](const sdk::ConfigView& config, Settings& settings) {
                          settings.forward_headers.clear();
                          for (auto name : config.string_list("forward_headers")) {
                              std::transform(name.begin(), name.end(), name.begin(),
                                             [](unsigned char c) {
                                                 return static_cast<char>(std::tolower(c));
                                             });
                              settings.forward_headers.push_back(std::move(name));
                          }
                      })
            .check_problems(check);
    return bound;
}

}  // namespace relay::plugins::http_auth
