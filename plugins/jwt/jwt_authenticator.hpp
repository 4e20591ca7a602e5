#pragma once
#include "algorithm.hpp"
#include "claims.hpp"
#include "key_loader.hpp"
#include "key_set.hpp"
#include "settings.hpp"

#include <relay/sdk/auth.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <chrono>
#include <memory>
#include <mutex>

namespace relay::plugins::jwt {

/// An authenticator that trusts signed JSON Web Tokens (compact JWS): the token's
/// signature must verify with a configured key of its algorithm's family, its claims
/// must hold (see check_claims), and its `sub`, name and rooms claims become the
/// identity. A refusal's reason is one of refusal.hpp's.
///
/// Keys: one immutable KeySet, replaced whole by reload() (on SIGHUP) when every
/// source reads cleanly, and kept as it was (with a warning naming the file) when one
/// does not.
/// Thread safety: authenticate() from any thread, concurrently, also while reload()
/// runs: each call takes the current set under a mutex held only to copy a
/// shared_ptr, and verifies inline with it. `done` runs inline, exactly once. Never
/// throws from authenticate() or reload().
/// Metrics: jwt_auth_allowed_total, jwt_auth_refused_total (the reasons are logged at
/// debug), jwt_keys_loaded, jwt_reloads_failed_total.
class JwtAuthenticator final : public sdk::Authenticator {
public:
    /// Reads every key source. Throws std::runtime_error naming the first problem
    /// (check_config reports them all before the host gets here).
    JwtAuthenticator(Settings settings, sdk::Logger& log, sdk::Metrics& metrics);

    void authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) override;
    void reload() override;

    /// What authenticate() answers for `handshake` at `now`, without counting or logging it.
    sdk::AuthOutcome decide(const sdk::Handshake& handshake,
                            std::chrono::system_clock::time_point now) const;

private:
    std::shared_ptr<const KeySet> current_keys() const;

    AlgorithmSet allowed_;
    KeySources sources_;
    ClaimRules rules_;
    sdk::Logger& log_;
    sdk::Counter& allowed_total_;
    sdk::Counter& refused_total_;
    sdk::Gauge& keys_loaded_;
    sdk::Counter& reloads_failed_;
    mutable std::mutex keys_mutex_;
    std::shared_ptr<const KeySet> keys_;  // never null
};

}  // namespace relay::plugins::jwt
