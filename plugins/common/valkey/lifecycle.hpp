#pragma once
/// The start/stop bookkeeping both Valkey plugins share: created, starting, running,
/// stopping, stopped; the pending start()'s Done and the stop() callers waiting for the
/// end. What starting and stopping do is the plugin's; this keeps who is answered, when,
/// and with what. Header-only.
#include "connection.hpp"

#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/error.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace relay::plugins::valkey {

/// Thread safety: none; the owner calls it on its executor. Every Done runs inline.
class Lifecycle {
public:
    enum class State { created, starting, running, stopping, stopped };

    State state() const noexcept { return state_; }
    /// stop() came (or the plugin is gone): no new work.
    bool stopping() const noexcept { return state_ == State::stopping || state_ == State::stopped; }

    /// created -> starting, keeping `done` for running() or finish(); returns true. A
    /// second start() is answered at once (ok when running, shutting_down otherwise)
    /// and returns false.
    bool begin_start(sdk::Done done) {
        if (state_ != State::created) {
            done(state_ == State::running ? std::error_code()
                                          : make_error_code(sdk::Errc::shutting_down));
            return false;
        }
        state_ = State::starting;
        start_done_ = std::move(done);
        return true;
    }

    /// starting -> running. Returns the pending start's Done for the owner to answer once
    /// its parts run.
    [[nodiscard]] sdk::Done running() {
        state_ = State::running;
        return take(start_done_);
    }

    /// Keeps `done` for finish(). Returns the state the stop began in (now stopping), or
    /// nothing when a stop is already under way (`done` waits for it) or over (`done`
    /// answered at once).
    std::optional<State> begin_stop(sdk::Done done) {
        if (state_ == State::stopped) {
            done({});
            return std::nullopt;
        }
        stop_waiters_.push_back(std::move(done));
        if (state_ == State::stopping) return std::nullopt;
        return std::exchange(state_, State::stopping);
    }

    /// The plugin is gone or closed: stopped, without answering anyone.
    void close() noexcept { state_ = State::stopped; }

    /// Ends the lifecycle (-> stopped). A start still pending fails with `result`, or
    /// with shutting_down when stop() came first; the stop() callers get `result` unless
    /// the start took it.
    void finish(std::error_code result) {
        state_ = State::stopped;
        if (auto start_done = take(start_done_)) {
            start_done(result ? result : make_error_code(sdk::Errc::shutting_down));
            result = {};
        }
        auto waiters = std::exchange(stop_waiters_, {});
        for (auto& done : waiters) done(result);
    }

    /// How long a start waits for the server: one connection attempt (with AUTH) and
    /// one command. Then it fails with ClientErrc::connect_failed, logging
    /// unreachable().
    static std::chrono::milliseconds start_deadline(const ConnectionOptions& options) {
        return options.connect_timeout + options.command_timeout;
    }
    /// The error line of a start that did not reach the server in time; `why` is the
    /// last connection error seen (empty: none).
    static std::string unreachable(const Address& address, std::string_view why) {
        return "cannot reach Valkey at " + address.endpoint() + " (" +
               std::string(why.empty() ? "no answer" : why) +
               "); check `url`, `user` and `password`";
    }

private:
    static sdk::Done take(sdk::Done& done) {
        auto taken = std::move(done);
        done = nullptr;
        return taken;
    }

    State state_ = State::created;
    sdk::Done start_done_;
    std::vector<sdk::Done> stop_waiters_;
};

}  // namespace relay::plugins::valkey
