#pragma once
/// Reads every configured key source into one KeySet: on start, for `relay check`, and
/// on every reload.
#include "key_set.hpp"

#include <relay/sdk/config.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relay::plugins::jwt {

/// The shortest HMAC secret accepted: 256 bits, HS256's hash size (RFC 7518 §3.2).
inline constexpr std::size_t kMinSecretBytes = 32;

/// Where the keys come from (the settings of the same names).
struct KeySources {
    std::optional<std::string> secret;       ///< an HMAC secret, as text
    std::optional<std::string> secret_file;  ///< a file holding one (trailing newline cut)
    std::vector<std::string> public_keys;    ///< PEM files: public keys or certificates
    std::optional<std::string> jwks_file;    ///< a JSON Web Key Set
};

/// The keys read, or every problem met (each under the setting it concerns, naming the
/// file and why; never a key's bytes). `keys` is null exactly when there are problems.
struct LoadedKeys {
    std::shared_ptr<const KeySet> keys;
    std::vector<sdk::KeyProblem> problems;
};

/// Reads every source now. Files larger than a key file could be (1 MiB) are refused.
/// Thread safety: any thread; it touches nothing but the files.
LoadedKeys load_keys(const KeySources& sources);

}  // namespace relay::plugins::jwt
