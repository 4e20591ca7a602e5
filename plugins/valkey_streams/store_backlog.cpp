#include "store_backlog.hpp"

#include "group_info.hpp"

#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::Reply;

StoreBacklog::StoreBacklog(sdk::Executor executor, std::shared_ptr<valkey::Connection> commands,
                           std::shared_ptr<const PartitionStreams> streams, std::string group,
                           std::chrono::milliseconds interval, sdk::Gauge& gauge)
    : commands_(std::move(commands)),
      streams_(std::move(streams)),
      group_(std::move(group)),
      interval_(interval),
      gauge_(gauge),
      timer_(std::move(executor)) {}

void StoreBacklog::start() {
    poll();
}

void StoreBacklog::close() {
    closed_ = true;
    timer_.cancel();
}

/// Measures the store group's backlog (undelivered + unacknowledged) over all
/// partitions; publishes made meanwhile are added on top.
void StoreBacklog::poll() {
    if (closed_ || polling_) return;
    if (!commands_->up()) return schedule();
    polling_ = true;
    const std::uint64_t mark = xadds_sent_;
    auto total = std::make_shared<std::uint64_t>(0);
    auto remaining = std::make_shared<std::size_t>(streams_->count());
    for (std::size_t p = 0; p < streams_->count(); ++p) {
        commands_->command(
            {"XINFO", "GROUPS", streams_->key(p)}, [weak = weak_from_this(), total, remaining,
                                                    mark](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self) return;
                if (!ec) {
                    if (const Reply* line = find_group(reply, self->group_)) {
                        const Reply* pending = value_of(*line, "pending");
                        const Reply* lag = value_of(*line, "lag");
                        if (pending) {
                            *total += static_cast<std::uint64_t>(pending->as_integer());
                        }
                        if (lag) *total += static_cast<std::uint64_t>(lag->as_integer());
                    }
                }
                if (--*remaining > 0) return;
                self->polling_ = false;
                self->backlog_ = static_cast<std::size_t>(*total) +
                                 static_cast<std::size_t>(self->xadds_sent_ - mark);
                self->gauge_.set(static_cast<std::int64_t>(*total));
                self->schedule();
            });
    }
}

void StoreBacklog::schedule() {
    if (closed_) return;
    timer_.expires_after(interval_);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->poll();
    });
}

}  // namespace relay::plugins::valkey_streams
