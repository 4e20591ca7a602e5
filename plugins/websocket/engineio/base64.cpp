#include "engineio/base64.hpp"

#include <boost/beast/core/detail/base64.hpp>

namespace relay::plugins::websocket::engineio {

namespace b64 = boost::beast::detail::base64;

void append_base64(std::string& out, std::string_view bytes) {
    const std::size_t old = out.size();
    out.resize(old + base64_encoded_size(bytes.size()));
    const std::size_t written = b64::encode(out.data() + old, bytes.data(), bytes.size());
    out.resize(old + written);
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    append_base64(out, bytes);
    return out;
}

bool append_base64_decoded(std::string& out, std::string_view text) {
    std::size_t padding = 0;
    while (padding < 2 && !text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        ++padding;
    }
    // A lone sixth of a byte cannot be; padding, when present, completes a quantum.
    if (text.size() % 4 == 1) return false;
    if (padding > 0 && (text.size() + padding) % 4 != 0) return false;

    const std::size_t old = out.size();
    out.resize(old + (text.size() / 4) * 3 + 3);
    const auto [written, read] = b64::decode(out.data() + old, text.data(), text.size());
    if (read != text.size()) {  // a character outside the alphabet (or a '=' inside)
        out.resize(old);
        return false;
    }
    out.resize(old + written);
    return true;
}

}  // namespace relay::plugins::websocket::engineio
