#include "store_feed/store_feed.hpp"

#include <string>
#include <utility>

namespace relay::plugins::store_feed {

namespace {

/// "250ms", "10s": the delay as a pipeline file writes it.
std::string as_written(std::chrono::milliseconds delay) {
    const auto ms = delay.count();
    return ms > 0 && ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

}  // namespace

std::shared_ptr<StoreFeed> StoreFeed::create(sdk::Executor executor, sdk::StoreHandler handler,
                                             Options options, Reporting reporting) {
    return std::shared_ptr<StoreFeed>(
        new StoreFeed(std::move(executor), std::move(handler), options, reporting));
}

StoreFeed::StoreFeed(sdk::Executor executor, sdk::StoreHandler handler, Options options,
                     Reporting reporting)
    : executor_(std::move(executor)),
      handler_(std::move(handler)),
      options_(options),
      reporting_(reporting),
      retry_timer_(executor_) {}

bool StoreFeed::ready() const noexcept {
    return !closed_ && handler_ && !retry_pending_ &&
           in_flight_.size() < options_.batches_in_flight;
}

void StoreFeed::hand_over(std::vector<sdk::Message> batch, Outcome outcome) {
    if (!ready()) return;
    const std::uint64_t serial = next_serial_++;
    in_flight_.push_back(InFlight{serial, batch.size(), std::move(outcome)});
    // The store may commit from any thread, inline or later, out of order, and more than
    // once by mistake: hop to the executor and let on_commit() sort it out.
    handler_(std::move(batch),
             [weak = weak_from_this(), executor = executor_, serial](std::error_code ec) {
                 boost::asio::post(executor, [weak, serial, ec] {
                     if (auto self = weak.lock()) self->on_commit(serial, ec);
                 });
             });
}

void StoreFeed::close() {
    closed_ = true;
    retry_timer_.cancel();
    in_flight_.clear();
    handler_ = nullptr;
    resume_ = nullptr;
}

void StoreFeed::on_commit(std::uint64_t serial, std::error_code ec) {
    auto batch = in_flight_.begin();
    while (batch != in_flight_.end() && batch->serial != serial) ++batch;
    if (closed_ || batch == in_flight_.end() || batch->committed) return;  // stale
    if (ec) return fail_all(ec);
    failures_in_a_row_ = 0;
    batch->committed = true;
    // In hand-over order: a batch counts once all before it did.
    std::vector<Outcome> committed;
    while (!in_flight_.empty() && in_flight_.front().committed) {
        committed.push_back(std::move(in_flight_.front().outcome));
        in_flight_.pop_front();
    }
    report(std::move(committed), {});
}

void StoreFeed::fail_all(std::error_code ec) {
    std::size_t messages = 0;
    std::vector<Outcome> failed;
    for (auto& batch : in_flight_) {
        messages += batch.size;
        failed.push_back(std::move(batch.outcome));
    }
    in_flight_.clear();
    reporting_.retries.add();
    if (failures_in_a_row_++ % 50 == 0) {
        reporting_.log.warn("store commit failed (" + ec.message() + "); redelivering " +
                            std::to_string(messages) + " message(s) in " +
                            as_written(options_.retry_delay));
    }
    retry_pending_ = true;
    retry_timer_.expires_after(options_.retry_delay);
    retry_timer_.async_wait([weak = weak_from_this()](boost::system::error_code wait_ec) {
        auto self = weak.lock();
        if (!self || wait_ec == boost::asio::error::operation_aborted || self->closed_) return;
        self->retry_pending_ = false;
        self->resume();
    });
    report(std::move(failed), ec);
}

void StoreFeed::report(std::vector<Outcome> outcomes, std::error_code ec) {
    // An outcome may close the feed (the queue's stop completed): then nothing more.
    for (auto& outcome : outcomes) {
        if (closed_) return;
        if (outcome) outcome(ec);
    }
    if (!closed_) resume();
}

void StoreFeed::resume() {
    // A copy: the call may close the feed, which drops resume_.
    if (auto resume = resume_) resume();
}

}  // namespace relay::plugins::store_feed
