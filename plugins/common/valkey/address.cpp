#include "address.hpp"

#include <charconv>
#include <stdexcept>

namespace relay::plugins::valkey {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            if (i + 2 >= text.size()) {
                throw std::invalid_argument("expected two hex digits after '%' in the URL");
            }
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) {
                throw std::invalid_argument("expected two hex digits after '%' in the URL");
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

template <class T>
bool parse_number(std::string_view text, T& value) {
    if (text.empty()) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string Address::endpoint() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Address parse_address(std::string_view text) {
    Address address;
    if (text.empty()) throw std::invalid_argument("expected host:port or a redis:// URL, got \"\"");
    std::string_view rest = text;
    bool url = false;
    for (std::string_view scheme : {"redis://", "valkey://"}) {
        if (rest.substr(0, scheme.size()) == scheme) {
            rest.remove_prefix(scheme.size());
            url = true;
            break;
        }
    }
    if (!url && rest.find("://") != std::string_view::npos) {
        throw std::invalid_argument("expected a redis:// or valkey:// URL, got \"" +
                                    std::string(text) + "\" (TLS is not supported)");
    }
    if (url) {
        if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
            std::string_view db = rest.substr(slash + 1);
            rest = rest.substr(0, slash);
            if (!db.empty() && (!parse_number(db, address.database) || address.database < 0)) {
                throw std::invalid_argument("expected a database number after '/', got \"" +
                                            std::string(db) + "\"");
            }
        }
        if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
            const std::string_view credentials = rest.substr(0, at);
            rest = rest.substr(at + 1);
            if (const auto colon = credentials.find(':'); colon != std::string_view::npos) {
                address.user = percent_decode(credentials.substr(0, colon));
                address.password = percent_decode(credentials.substr(colon + 1));
            } else {
                // redis://secret@host: a password alone, as redis-cli reads it.
                address.password = percent_decode(credentials);
            }
        }
    }
    std::string_view host = rest;
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            throw std::invalid_argument("expected ']' after an IPv6 address in \"" +
                                        std::string(text) + "\"");
        }
        host = rest.substr(1, close - 1);
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                throw std::invalid_argument("expected ':port' after ']' in \"" + std::string(text) +
                                            "\"");
            }
            port = after.substr(1);
            if (port.empty()) {
                throw std::invalid_argument("expected a port after ':' in \"" + std::string(text) +
                                            "\"");
            }
        }
    } else if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (port.empty()) {
            throw std::invalid_argument("expected a port after ':' in \"" + std::string(text) +
                                        "\"");
        }
    }
    if (host.empty()) {
        throw std::invalid_argument("expected a host name or address in \"" + std::string(text) +
                                    "\"");
    }
    address.host = std::string(host);
    if (!port.empty()) {
        unsigned value = 0;
        if (!parse_number(port, value) || value == 0 || value > 65535) {
            throw std::invalid_argument("expected a port from 1 to 65535, got \"" +
                                        std::string(port) + "\"");
        }
        address.port = static_cast<std::uint16_t>(value);
    }
    return address;
}

}  // namespace relay::plugins::valkey
