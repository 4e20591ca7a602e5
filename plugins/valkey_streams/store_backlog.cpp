#include "store_backlog.hpp"

#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::Reply;

StoreBacklog::StoreBacklog(sdk::Executor executor, StoreGroup group,
                           std::chrono::milliseconds interval, sdk::Gauge& gauge)
    : group_(std::move(group)), interval_(interval), gauge_(gauge), timer_(std::move(executor)) {}

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
    if (!group_.commands->up()) return schedule();
    polling_ = true;
    const std::uint64_t mark = xadds_sent_;
    auto total = std::make_shared<std::uint64_t>(0);
    auto remaining = std::make_shared<std::size_t>(group_.streams->count());
    for (std::size_t p = 0; p < group_.streams->count(); ++p) {
        group_.info(p, [weak = weak_from_this(), total, remaining, mark](const Reply* line) {
            auto self = weak.lock();
            if (!self) return;
            if (line) {
                for (const char* count : {"pending", "lag"}) {
                    if (const Reply* value = value_of(*line, count)) {
                        *total += static_cast<std::uint64_t>(value->as_integer());
                    }
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
