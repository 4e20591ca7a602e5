#include "server/recovery_token.hpp"

#include "engineio/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace relay::plugins::websocket {

namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMacSize = 32;  // SHA-256

void put_u64(std::string& out, std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xFFU);
}
void put_field(std::string& out, std::string_view field) {
    const auto n = static_cast<std::uint32_t>(field.size());
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFFU);
    out += field;
}

/// Reads big-endian integers and length-prefixed fields; any overrun fails.
class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool u64(std::uint64_t& v) {
        if (data_.size() < 8) return false;
        v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8U) | static_cast<std::uint8_t>(data_[i]);
        data_.remove_prefix(8);
        return true;
    }
    bool field(std::string& out) {
        if (data_.size() < 4) return false;
        std::uint32_t n = 0;
        for (int i = 0; i < 4; ++i) n = (n << 8U) | static_cast<std::uint8_t>(data_[i]);
        data_.remove_prefix(4);
        if (data_.size() < n) return false;
        out.assign(data_.substr(0, n));
        data_.remove_prefix(n);
        return true;
    }
    bool done() const { return data_.empty(); }

private:
    std::string_view data_;
};

// base64url without padding (RFC 4648 §5): the token travels in JSON and URLs.
std::string to_base64url(std::string_view bytes) {
    std::string out = engineio::base64_encode(bytes);
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return out;
}

bool from_base64url(std::string_view text, std::string& out) {
    std::string standard(text);
    for (auto& c : standard) {
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '+' || c == '/' || c == '=') {
            return false;  // not the url alphabet: one token has one spelling
        }
    }
    // One token has one spelling: bits a decoder ignores (in the last character) must
    // be zero, or a changed character could still verify.
    return engineio::append_base64_decoded(out, standard) && to_base64url(out) == text;
}

}  // namespace

RecoveryTokens RecoveryTokens::random() {
    std::array<unsigned char, 32> key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        throw std::runtime_error("recovery tokens: no random bytes for a secret (RAND_bytes)");
    }
    return RecoveryTokens(std::string(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::string RecoveryTokens::mac(std::string_view data) const {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
    return {reinterpret_cast<const char*>(out.data()), size};
}

std::string RecoveryTokens::issue(const SessionClaim& claim) const {
    std::string body;
    body.reserve(1 + 8 + 12 + claim.sid.size() + claim.room.size() + claim.user.size() + kMacSize);
    body += static_cast<char>(kVersion);
    put_u64(body, static_cast<std::uint64_t>(claim.issued_ms));
    put_field(body, claim.sid);
    put_field(body, claim.room);
    put_field(body, claim.user);
    body += mac(body);
    return to_base64url(body);
}

std::optional<SessionClaim> RecoveryTokens::verify(std::string_view token) const {
    std::string bytes;
    if (!from_base64url(token, bytes) || bytes.size() < 1 + 8 + 12 + kMacSize) return std::nullopt;
    const std::string_view body(bytes.data(), bytes.size() - kMacSize);
    const std::string expected = mac(body);
    // Constant time: the comparison must not tell a forger how much of a mac was right.
    if (CRYPTO_memcmp(expected.data(), bytes.data() + body.size(), kMacSize) != 0) {
        return std::nullopt;
    }
    if (static_cast<std::uint8_t>(body.front()) != kVersion) return std::nullopt;
    Reader reader(body.substr(1));
    SessionClaim claim;
    std::uint64_t issued = 0;
    if (!reader.u64(issued) || !reader.field(claim.sid) || !reader.field(claim.room) ||
        !reader.field(claim.user) || !reader.done()) {
        return std::nullopt;
    }
    claim.issued_ms = static_cast<std::int64_t>(issued);
    return claim;
}

}  // namespace relay::plugins::websocket
