#include "auth_client.hpp"

#include "auth_answer.hpp"
#include "refusals.hpp"

#include <utility>

namespace relay::plugins::http_auth {

namespace {

using Failure = ExchangeResult::Failure;

}  // namespace

AuthClient::AuthClient(sdk::Executor executor, const Settings& settings, sdk::Logger& log,
                       sdk::Health& health, sdk::Metrics& metrics)
    : executor_(std::move(executor)),
      url_(std::make_shared<const HttpUrl>(settings.url)),
      timeout_(settings.timeout),
      max_in_flight_(settings.max_in_flight),
      log_(log),
      health_(health),
      metrics_(metrics),
      pool_(std::make_shared<ConnectionPool>(settings.keep_alive_connections)) {}

bool AuthClient::admit() noexcept {
    auto current = in_flight_.load(std::memory_order_relaxed);
    do {
        if (current >= max_in_flight_) return false;
    } while (!in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    metrics_.in_flight.add();
    return true;
}

void AuthClient::release() noexcept {
    in_flight_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.in_flight.sub();
}

void AuthClient::send(Request request, std::chrono::steady_clock::time_point started,
                      sdk::AuthDone done) {
    boost::asio::post(executor_, [self = shared_from_this(), request = std::move(request), started,
                                  done = std::move(done)]() mutable {
        self->start(std::move(request), started, std::move(done));
    });
}

void AuthClient::answer(sdk::AuthDone done, sdk::AuthOutcome outcome) {
    if (!outcome.allowed) metrics_.refused.add();
    boost::asio::post(executor_, [done = std::move(done), outcome = std::move(outcome)]() mutable {
        done(std::move(outcome));
    });
}

void AuthClient::close() {
    if (closed_) return;
    closed_ = true;
    // Each cancel() answers its exchange through finished(), which erases it: walk a copy.
    const auto under_way = std::exchange(exchanges_, {});
    for (const auto& [id, exchange] : under_way) exchange->cancel();
    pool_->clear();
}

void AuthClient::start(Request request, std::chrono::steady_clock::time_point started,
                       sdk::AuthDone done) {
    if (closed_) {
        release();
        answer(std::move(done), sdk::AuthOutcome::refuse(std::string(refusals::kShuttingDown)));
        return;
    }
    const auto id = next_id_++;
    auto exchange = std::make_shared<Exchange>(
        executor_, url_, pool_, std::move(request), metrics_.connections_opened,
        // Weak: the client holds its exchanges. It outlives them unless its executor
        // stopped before close() ran, and then no answer can run anyway.
        [weak = weak_from_this(), id, started,
         done = std::move(done)](const ExchangeResult& result) mutable {
            if (auto self = weak.lock()) self->finished(id, result, started, std::move(done));
        });
    exchanges_.emplace(id, exchange);
    // The timeout counts from the handshake: time spent waiting for this executor is
    // time the client waits too.
    exchange->start(started + timeout_);
}

void AuthClient::finished(std::uint64_t id, const ExchangeResult& result,
                          std::chrono::steady_clock::time_point started, sdk::AuthDone done) {
    exchanges_.erase(id);
    release();
    if (result.failure != Failure::cancelled) {
        metrics_.observe(std::chrono::steady_clock::now() - started);
    }
    answer(std::move(done), outcome_of(result));
}

sdk::AuthOutcome AuthClient::outcome_of(const ExchangeResult& result) {
    switch (result.failure) {
        case Failure::none: break;
        case Failure::unavailable:
            metrics_.unavailable.add();
            service_down(result.detail);
            return sdk::AuthOutcome::refuse(std::string(refusals::kUnavailable));
        case Failure::timed_out:
            metrics_.timed_out.add();
            service_down("no answer within " + std::to_string(timeout_.count()) + "ms (`timeout`)");
            return sdk::AuthOutcome::refuse(std::string(refusals::kTimedOut));
        case Failure::bad_answer:
            metrics_.malformed.add();
            log_malformed(result.detail);
            return sdk::AuthOutcome::refuse(std::string(refusals::kMalformed));
        case Failure::cancelled:
            return sdk::AuthOutcome::refuse(std::string(refusals::kShuttingDown));
    }
    auto answer = read_answer(result.status, result.body);
    switch (answer.kind) {
        case Answer::Kind::allowed:
        case Answer::Kind::denied: service_up(); break;
        case Answer::Kind::service_error:
            metrics_.bad_status.add();
            service_down("it answers HTTP " + std::to_string(result.status));
            break;
        case Answer::Kind::malformed:
            metrics_.malformed.add();
            log_malformed("HTTP " + std::to_string(result.status) + ": " + answer.problem);
            break;
    }
    return std::move(answer.outcome);
}

void AuthClient::log_malformed(const std::string& problem) {
    const auto held_back = malformed_log_.allow();
    if (!held_back) return;
    std::string line = "auth service at " + url_->text() +
                       " answered something that is not an identity, so the client was "
                       "refused: " +
                       problem;
    if (*held_back > 0) line += " (" + std::to_string(*held_back) + " more since the last line)";
    log_.warn(line);
}

void AuthClient::service_down(const std::string& why) {
    if (why == down_because_) return;
    if (down_because_.empty()) {
        log_.warn("auth service at " + url_->text() + ": " + why +
                  "; clients are refused until it answers");
    }
    down_because_ = why;
    health_.degraded("auth service at " + url_->text() + ": " + why + "; clients cannot connect");
}

void AuthClient::service_up() {
    if (down_because_.empty()) return;
    down_because_.clear();
    health_.recovered();
    log_.info("auth service at " + url_->text() + " answers again");
}

}  // namespace relay::plugins::http_auth
