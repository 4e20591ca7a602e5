#include "jwt_authenticator.hpp"

#include "base64url.hpp"
#include "compact_token.hpp"
#include "refusal.hpp"
#include "signature.hpp"
#include "token_source.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace relay::plugins::jwt {

namespace {

sdk::AuthOutcome refuse(std::string_view why) {
    return sdk::AuthOutcome::refuse(std::string(why));
}

AlgorithmSet allow_list(const std::vector<std::string>& names) {
    AlgorithmSet allowed;
    for (const auto& name : names) {
        const auto algorithm = algorithm_named(name);
        if (!algorithm) throw std::runtime_error("algorithms: no algorithm named " + name);
        allowed.add(*algorithm);
    }
    return allowed;
}

std::string first_problem(const LoadedKeys& loaded) {
    const auto& problem = loaded.problems.front();
    return problem.key + ": " + problem.message;
}

}  // namespace

JwtAuthenticator::JwtAuthenticator(Settings settings, sdk::Logger& log, sdk::Metrics& metrics)
    : allowed_(allow_list(settings.algorithms)),
      sources_(std::move(settings.keys)),
      rules_(std::move(settings.claims)),
      log_(log),
      allowed_total_(metrics.counter("jwt_auth_allowed_total",
                                     "Connections and refreshes the jwt authenticator allowed")),
      refused_total_(metrics.counter(
          "jwt_auth_refused_total",
          "Connections and refreshes the jwt authenticator refused (reasons: debug log)")),
      keys_loaded_(metrics.gauge("jwt_keys_loaded", "Keys the jwt authenticator verifies with")),
      reloads_failed_(metrics.counter(
          "jwt_reloads_failed_total",
          "Key reloads (SIGHUP) that kept the previous keys because a source did not read")) {
    auto loaded = load_keys(sources_);
    if (!loaded.keys) throw std::runtime_error(first_problem(loaded));
    keys_ = std::move(loaded.keys);
    keys_loaded_.set(static_cast<std::int64_t>(keys_->size()));
    log_.info("loaded " + std::to_string(keys_->size()) + " keys");
}

std::shared_ptr<const KeySet> JwtAuthenticator::current_keys() const {
    const std::lock_guard lock(keys_mutex_);
    return keys_;
}

sdk::AuthOutcome JwtAuthenticator::decide(const sdk::Handshake& handshake,
                                          std::chrono::system_clock::time_point now) const {
    const std::string token = presented_token(handshake);
    if (token.empty()) return refuse(refusal::kTokenMissing);
    const auto split = split_token(token);
    if (!split) return refuse(refusal::kTokenMalformed);
    // The header's alg only picks among the allowed algorithms; which key bytes verify
    // it is the keys' own family's business (KeySet::candidates).
    const auto algorithm = algorithm_named(split->alg);
    if (!algorithm || !allowed_.contains(*algorithm)) return refuse(refusal::kAlgorithmNotAllowed);

    const auto keys = current_keys();
    const auto candidates = keys->candidates(*algorithm, split->kid);
    if (!candidates.refusal.empty()) return refuse(candidates.refusal);
    const bool verified =
        std::any_of(candidates.keys.begin(), candidates.keys.end(), [&](const VerifyKey* key) {
            return signature_valid(*algorithm, *key, split->signing_input, split->signature);
        });
    if (!verified) return refuse(refusal::kInvalidSignature);

    // Only now is the payload trusted enough to be read.
    const auto payload = base64url_decode(split->payload);
    if (!payload) return refuse(refusal::kTokenMalformed);
    auto verdict = check_claims(*payload, rules_, now);
    if (!verdict.refusal.empty()) return refuse(verdict.refusal);
    return sdk::AuthOutcome::allow(std::move(verdict.identity));
}

void JwtAuthenticator::authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) {
    sdk::AuthOutcome outcome;
    try {
        outcome = decide(handshake, std::chrono::system_clock::now());
    } catch (...) {
        // Only out of memory gets here. Refuse rather than guess; the reason fits in the
        // string's inline buffer, so giving it allocates nothing.
        outcome = {false, std::string(refusal::kTokenMalformed), {}};
    }
    if (outcome.allowed) {
        allowed_total_.add();
    } else {
        refused_total_.add();
        if (log_.enabled(sdk::LogLevel::debug)) {
            log_.debug("refused " + handshake.remote_address + ": " + outcome.reason);
        }
    }
    done(std::move(outcome));
}

void JwtAuthenticator::reload() {
    try {
        auto loaded = load_keys(sources_);
        if (!loaded.keys) {
            reloads_failed_.add();
            for (const auto& problem : loaded.problems) {
                log_.warn("reload kept the previous keys: " + problem.key + ": " + problem.message);
            }
            return;
        }
        const std::size_t count = loaded.keys->size();
        {
            const std::lock_guard lock(keys_mutex_);
            keys_.swap(loaded.keys);
        }
        // The old set is released here, outside the lock (or by the last authenticate()
        // still holding it).
        loaded.keys.reset();
        keys_loaded_.set(static_cast<std::int64_t>(count));
        log_.info("reloaded " + std::to_string(count) + " keys");
    } catch (const std::exception& e) {
        reloads_failed_.add();
        log_.warn(std::string("reload kept the previous keys: ") + e.what());
    }
}

}  // namespace relay::plugins::jwt
