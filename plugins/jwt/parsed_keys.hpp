#pragma once
#include "key_set.hpp"

#include <string>
#include <vector>

namespace relay::plugins::jwt {

/// The keys one source (a PEM file, a JWKS) holds, or why it holds none usable.
struct ParsedKeys {
    std::vector<VerifyKey> keys;
    std::string error;  ///< empty when the source was read; says why not, never a key's bytes

    static ParsedKeys failed(std::string why) { return {{}, std::move(why)}; }
};

}  // namespace relay::plugins::jwt
