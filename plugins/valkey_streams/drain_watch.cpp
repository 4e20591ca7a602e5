#include "drain_watch.hpp"

#include <relay/sdk/error.hpp>

#include <utility>
#include <vector>

namespace relay::plugins::valkey_streams {

using valkey::Reply;

DrainWatch::DrainWatch(const sdk::Executor& executor, StoreGroup group,
                       std::chrono::milliseconds timeout, sdk::Logger& log)
    : group_(std::move(group)),
      timeout_(timeout),
      log_(log),
      deadline_(executor),
      poll_timer_(executor) {}

void DrainWatch::begin(Parts parts, std::function<void(std::error_code)> done) {
    parts_ = std::move(parts);
    done_ = std::move(done);
    watching_ = true;
    deadline_.expires_after(timeout_);
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec || !self->watching_) return;
        self->log_.warn(
            "stopped before the store committed every accepted message "
            "within node.drain_timeout (" +
            std::to_string(self->timeout_.count()) +
            "ms); they stay in the stream for the group (raise "
            "node.drain_timeout)");
        self->finish(make_error_code(sdk::Errc::timed_out));
    });
    check();
}

void DrainWatch::close() {
    watching_ = false;
    deadline_.cancel();
    poll_timer_.cancel();
    done_ = nullptr;
}

/// Stop completes once this node's accepted messages are broadcast here and
/// committed by the store group (when this node subscribed a store).
void DrainWatch::check() {
    if (!watching_ || parts_.publisher->in_flight() > 0 || polling_) return;
    const auto& last_published = parts_.publisher->last_published();
    // read on by the broadcast reader otherwise
    if (parts_.broadcast && !parts_.broadcast->has_read(last_published)) return;
    if (!parts_.store_subscribed) return finish({});
    // Ask the server: has the group delivered past our last entries, and is none of
    // them (or older) still pending?
    std::vector<std::size_t> partitions;
    for (std::size_t p = 0; p < last_published.size(); ++p) {
        if (last_published[p]) partitions.push_back(p);
    }
    if (partitions.empty()) return finish({});
    if (!group_.commands->up()) return poll_later();
    polling_ = true;
    auto ok = std::make_shared<bool>(true);
    auto remaining = std::make_shared<std::size_t>(partitions.size() * 2);
    auto done_one = [weak = weak_from_this(), ok, remaining](bool fine) {
        auto self = weak.lock();
        if (!self) return;
        if (!fine) *ok = false;
        if (--*remaining > 0) return;
        self->polling_ = false;
        if (!self->watching_) return;
        if (*ok) return self->finish({});
        self->poll_later();
    };
    for (std::size_t p : partitions) {
        const EntryId last = *last_published[p];
        group_.info(p, [last, done_one](const Reply* line) {
            const Reply* delivered = line ? value_of(*line, "last-delivered-id") : nullptr;
            auto id = delivered ? EntryId::parse(delivered->str) : std::nullopt;
            done_one(id && !(*id < last));
        });
        group_.commands->command(
            {"XPENDING", group_.streams->key(p), group_.name, "-", last.str(), "1"},
            [done_one](std::error_code ec, const Reply& reply) {
                done_one(!ec && reply.is_array() && reply.elements.empty());
            });
    }
}

void DrainWatch::poll_later() {
    poll_timer_.expires_after(std::chrono::milliseconds(20));
    poll_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->check();
    });
}

void DrainWatch::finish(std::error_code result) {
    auto done = std::move(done_);
    close();
    if (done) done(result);
}

}  // namespace relay::plugins::valkey_streams
