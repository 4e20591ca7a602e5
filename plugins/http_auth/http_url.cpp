#include "http_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace relay::plugins::http_auth {

namespace {

constexpr std::string_view kExample = "http://auth.internal:8080/relay/connect";

std::string quoted(std::string_view text) {
    // Appends rather than "\"" + std::string(text): GCC 12 at -O3 warns (-Wrestrict)
    // about the operator+ form, a known false positive.
    std::string out;
    out.reserve(text.size() + 2);
    out.append(1, '"').append(text).append(1, '"');
    return out;
}

[[noreturn]] void bad(const std::string& what) {
    throw std::invalid_argument(what);
}

bool is_control_or_space(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
}

bool is_host_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool is_v6_char(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::uint16_t parse_port(std::string_view digits, std::string_view url) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
        value > 65535) {
        bad("expected a port from 1 to 65535, got " + quoted(digits) + " in " + quoted(url));
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string HttpUrl::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string HttpUrl::text() const {
    return "http://" + authority() + target;
}

HttpUrl parse_http_url(std::string_view text) {
    const auto separator = text.find("://");
    if (separator == std::string_view::npos) {
        bad("expected a URL like " + std::string(kExample) + ", got " + quoted(text));
    }
    const std::string scheme = lower(text.substr(0, separator));
    if (scheme == "https") {
        bad("expected an http:// URL, got " + quoted(text) +
            "; https is not supported yet: reach the auth service over plain HTTP on a "
            "private network, or through a local proxy that adds TLS");
    }
    if (scheme != "http") bad("expected an http:// URL, got " + quoted(text));
    if (std::any_of(text.begin(), text.end(), is_control_or_space)) {
        bad("expected no spaces or control characters in the URL, got " + quoted(text) +
            "; percent-encode them");
    }
    if (text.find('#') != std::string_view::npos) {
        bad("expected no #fragment in the URL (a fragment is never sent), got " + quoted(text));
    }

    const std::string_view rest = text.substr(separator + 3);
    const auto authority_end = std::min(rest.find('/'), rest.find('?'));
    const std::string_view authority = rest.substr(0, authority_end);
    HttpUrl url;
    if (authority_end != std::string_view::npos) {
        const std::string_view target = rest.substr(authority_end);
        url.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
    }
    if (authority.find('@') != std::string_view::npos) {
        bad("expected no user:password@ in the URL, got " + quoted(text) +
            "; the auth service sees the client's forwarded headers, not credentials of "
            "relay's own");
    }

    std::string_view host = authority;
    std::string_view port;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            bad("expected ']' after the IPv6 address, got " + quoted(text));
        }
        host = authority.substr(1, close - 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                bad("expected ':port' after the IPv6 address, got " + quoted(text));
            }
            port = after.substr(1);
            has_port = true;
        }
        if (host.empty() || !std::all_of(host.begin(), host.end(), is_v6_char)) {
            bad("expected an IPv6 address between [ and ], got " + quoted(text));
        }
    } else {
        const auto colon = authority.find(':');
        if (colon != std::string_view::npos) {
            if (authority.find(':', colon + 1) != std::string_view::npos) {
                bad("expected [brackets] around an IPv6 address, got " + quoted(text));
            }
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            has_port = true;
        }
        if (host.empty()) bad("expected a host after http://, got " + quoted(text));
        if (!std::all_of(host.begin(), host.end(), is_host_name_char)) {
            bad("expected a host name or IP address, got " + quoted(host) + " in " + quoted(text));
        }
    }
    url.host = std::string(host);
    if (has_port) url.port = parse_port(port, text);
    return url;
}

}  // namespace relay::plugins::http_auth
