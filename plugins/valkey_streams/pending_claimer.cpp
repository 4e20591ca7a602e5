#include "pending_claimer.hpp"

#include <algorithm>
#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::Reply;

PendingClaimer::PendingClaimer(sdk::Executor executor, std::shared_ptr<valkey::Connection> commands,
                               std::shared_ptr<const PartitionStreams> streams, Claim claim,
                               sdk::Logger& log, sdk::Counter& lost)
    : commands_(std::move(commands)),
      streams_(std::move(streams)),
      claim_(std::move(claim)),
      log_(log),
      lost_(lost),
      timer_(std::move(executor)),
      cursors_(streams_->count(), "0-0") {}

void PendingClaimer::run(std::function<void()> on_claimed) {
    on_claimed_ = std::move(on_claimed);
    running_ = true;
    schedule();
}

void PendingClaimer::close() {
    running_ = false;
    timer_.cancel();
    on_claimed_ = nullptr;
}

void PendingClaimer::schedule() {
    timer_.expires_after(std::max(claim_.idle / 2, std::chrono::milliseconds(100)));
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec || !self->running_) return;
        self->claim();
        self->schedule();
    });
}

void PendingClaimer::claim() {
    if (!commands_->up()) return;
    for (std::size_t p = 0; p < streams_->count(); ++p) {
        commands_->command(
            {"XAUTOCLAIM", streams_->key(p), claim_.group, claim_.consumer,
             std::to_string(claim_.idle.count()), cursors_[p], "COUNT",
             std::to_string(claim_.count), "JUSTID"},
            [weak = weak_from_this(), p](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self || ec || reply.elements.size() < 2) return;
                self->cursors_[p] = reply.elements[0].str;
                const auto& claimed = reply.elements[1].elements;
                const std::string& key = self->streams_->key(p);
                if (!claimed.empty()) {
                    self->log_.info("claimed " + std::to_string(claimed.size()) +
                                    " store entries of " + key +
                                    " left pending by another consumer");
                    if (self->on_claimed_) self->on_claimed_();
                }
                if (reply.elements.size() >= 3 && !reply.elements[2].elements.empty()) {
                    const std::size_t trimmed = reply.elements[2].elements.size();
                    self->lost_.add(trimmed);
                    self->log_.error(std::to_string(trimmed) + " pending store entries of " + key +
                                     " were trimmed before they were stored; raise "
                                     "queue.maxlen");
                }
            });
    }
}

}  // namespace relay::plugins::valkey_streams
