#include "key_set.hpp"

#include "refusal.hpp"

#include <algorithm>

namespace relay::plugins::jwt {

KeySet::Candidates KeySet::candidates(Algorithm algorithm, std::string_view kid) const {
    Candidates found;
    const bool by_kid = !kid.empty() && has_jwks_;
    bool kid_known = false;
    for (const auto& key : keys_) {
        if (by_kid) {
            if (!key.from_jwks || key.kid != kid) continue;
            kid_known = true;
        }
        if (key.fits(algorithm)) found.keys.push_back(&key);
    }
    if (by_kid && !kid_known) {
        found.refusal = refusal::kUnknownKeyId;
    } else if (found.keys.empty()) {
        found.refusal = refusal::kNoKeyForAlgorithm;
    }
    return found;
}

bool KeySet::has_family(KeyFamily family) const noexcept {
    return std::any_of(keys_.begin(), keys_.end(),
                       [family](const VerifyKey& key) { return key.family == family; });
}

}  // namespace relay::plugins::jwt
