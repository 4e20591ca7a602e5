#pragma once
/// The JWS algorithms the plugin verifies (RFC 7518 names), and the one kind of key
/// each may be verified with.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace relay::plugins::jwt {

enum class Algorithm : std::uint8_t { hs256, hs384, hs512, rs256, es256, eddsa };

inline constexpr std::array kAllAlgorithms = {Algorithm::hs256, Algorithm::hs384, Algorithm::hs512,
                                              Algorithm::rs256, Algorithm::es256, Algorithm::eddsa};

/// What a key is. A key is used only with the algorithms of its own family: this, not
/// the token's header, decides how a key's bytes are used (see KeySet::candidates).
enum class KeyFamily : std::uint8_t {
    hmac,     ///< a shared secret: HS256, HS384, HS512
    rsa,      ///< RS256
    ec_p256,  ///< ES256
    ed25519,  ///< EdDSA
};

/// The name as a token's `alg` and the `algorithms` setting spell it ("HS256").
std::string_view algorithm_name(Algorithm algorithm) noexcept;
/// The algorithm of an exact (case-sensitive, as JWA names are) name; nullopt for any
/// other, `none` included.
std::optional<Algorithm> algorithm_named(std::string_view name) noexcept;
KeyFamily family_of(Algorithm algorithm) noexcept;
std::string_view family_name(KeyFamily family) noexcept;

/// A set of algorithms: the allow-list.
class AlgorithmSet {
public:
    void add(Algorithm algorithm) noexcept { bits_ |= bit(algorithm); }
    bool contains(Algorithm algorithm) const noexcept { return (bits_ & bit(algorithm)) != 0; }
    bool empty() const noexcept { return bits_ == 0; }

private:
    static constexpr std::uint8_t bit(Algorithm algorithm) noexcept {
        return static_cast<std::uint8_t>(1U << static_cast<unsigned>(algorithm));
    }
    std::uint8_t bits_ = 0;
};

}  // namespace relay::plugins::jwt
