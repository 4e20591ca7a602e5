#pragma once
/// The `http` authenticator: asks an HTTP service of the operator's who each client is.
#include "auth_client.hpp"
#include "log_throttle.hpp"
#include "settings.hpp"

#include <relay/sdk/auth.hpp>
#include <relay/sdk/context.hpp>

#include <memory>

namespace relay::plugins::http_auth {

/// Sends every handshake to the auth service (`POST url`, see auth_request.hpp) and
/// answers what the service says (auth_answer.hpp), or a refusal of its own when the
/// service could not decide (refusals.hpp).
///
/// Threads: authenticate() runs on the caller's I/O thread only long enough to take an
/// in-flight slot and build the request; the HTTP work and every `done` run on the
/// plugin's executor (ctx.executor()), one thread, which is plenty: an auth request is
/// a few microseconds of CPU there, the rest is waiting for the service. Past
/// `max_in_flight` requests under way, a handshake is refused "auth service busy" at
/// once instead of waiting in a queue that could grow without bound.
///
/// Destruction cancels every request under way: each pending `done` still runs exactly
/// once, on the executor, refused "server shutting down" (the connection waiting for it
/// gets an answer rather than a hang), possibly after the destructor returned; none runs
/// later than that. Idle connections are closed.
class HttpAuthenticator final : public sdk::Authenticator {
public:
    HttpAuthenticator(Settings settings, sdk::PluginContext& ctx);
    ~HttpAuthenticator() override;
    HttpAuthenticator(const HttpAuthenticator&) = delete;
    HttpAuthenticator& operator=(const HttpAuthenticator&) = delete;
    HttpAuthenticator(HttpAuthenticator&&) = delete;
    HttpAuthenticator& operator=(HttpAuthenticator&&) = delete;

    void authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) override;

private:
    void refuse_busy(sdk::AuthDone done);

    Settings settings_;
    sdk::Executor executor_;
    sdk::Logger& log_;
    std::shared_ptr<AuthClient> client_;
    LogThrottle busy_log_{std::chrono::seconds(10)};
};

}  // namespace relay::plugins::http_auth
