#pragma once
/// The http auth plugin's state on its executor: the requests under way, the pool of
/// connections, and what the service's health looks like from here.
#include "auth_metrics.hpp"
#include "auth_request.hpp"
#include "connection_pool.hpp"
#include "exchange.hpp"
#include "http_url.hpp"
#include "log_throttle.hpp"
#include "settings.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/auth.hpp>
#include <relay/sdk/health.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/metrics.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace relay::plugins::http_auth {

/// Sends each admitted request as an Exchange and turns its result into the client's
/// AuthOutcome (see auth_answer.hpp and refusals.hpp), counting it in the metrics.
///
/// Health: a request that finds the service unreachable, silent past the timeout, or
/// answering a status other than 2xx/401/403 reports the plugin degraded (clients
/// cannot connect, but the connected ones chat on, and every node depends on the same
/// service); the next 2xx/401/403 reports it recovered. A malformed answer is logged,
/// at most every few seconds, and counted; it leaves health alone (it may concern one
/// user).
///
/// Thread safety: admit(), release(), send() and answer() from any thread (send posts
/// the request to the executor); close() on the executor, where all the state lives.
/// Every `done` is posted to the executor, so it never runs inside a call of ours.
/// Lifetime: shared; close() cancels what is under way (each `done` then answers
/// kShuttingDown) and refuses what comes later, and the last handler lets go of the
/// client.
class AuthClient : public std::enable_shared_from_this<AuthClient> {
public:
    /// Uses `settings`' url, timeout, max_in_flight and keep_alive_connections.
    AuthClient(sdk::Executor executor, const Settings& settings, sdk::Logger& log,
               sdk::Health& health, sdk::Metrics& metrics);

    /// Takes one of the `max_in_flight` slots; false when none is free. Thread-safe.
    bool admit() noexcept;
    /// Frees a slot admit() took for a request that will not be sent. Thread-safe.
    void release() noexcept;
    /// Sends an admitted request (built with make_request; `started`: when the handshake
    /// came, which the timeout and the latency count from); its slot is freed when it
    /// is answered. `done` runs once, on the executor. Thread-safe.
    void send(Request request, std::chrono::steady_clock::time_point started, sdk::AuthDone done);
    /// Answers `done` with `outcome` on the executor, counting a refusal. Thread-safe.
    void answer(sdk::AuthDone done, sdk::AuthOutcome outcome);
    /// Cancels every request under way and closes the idle connections; later requests
    /// are refused kShuttingDown. Idempotent. On the executor.
    void close();

    /// The plugin's metrics (thread-safe counters).
    AuthMetrics& metrics() noexcept { return metrics_; }
    const HttpUrl& url() const noexcept { return *url_; }

private:
    void start(Request request, std::chrono::steady_clock::time_point started, sdk::AuthDone done);
    void finished(std::uint64_t id, const ExchangeResult& result,
                  std::chrono::steady_clock::time_point started, sdk::AuthDone done);
    sdk::AuthOutcome outcome_of(const ExchangeResult& result);
    void log_malformed(const std::string& problem);
    void service_down(const std::string& why);
    void service_up();

    sdk::Executor executor_;
    std::shared_ptr<const HttpUrl> url_;
    std::chrono::milliseconds timeout_;
    std::size_t max_in_flight_;
    sdk::Logger& log_;
    sdk::Health& health_;
    AuthMetrics metrics_;
    std::shared_ptr<ConnectionPool> pool_;
    std::atomic<std::size_t> in_flight_{0};
    std::map<std::uint64_t, std::shared_ptr<Exchange>> exchanges_;  // under way, by id
    std::uint64_t next_id_ = 0;
    bool closed_ = false;
    std::string down_because_;  // empty: the service answered last time
    LogThrottle malformed_log_{std::chrono::seconds(10)};
};

}  // namespace relay::plugins::http_auth
