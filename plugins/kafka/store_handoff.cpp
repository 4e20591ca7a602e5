#include "store_handoff.hpp"

#include <utility>

namespace relay::plugins::kafka {

StoreHandoff::StoreHandoff(sdk::Executor executor, HostPost post,
                           std::chrono::milliseconds retry_delay,
                           store_feed::StoreFeed::Reporting reporting)
    : executor_(std::move(executor)),
      post_(std::move(post)),
      retry_delay_(retry_delay),
      reporting_(reporting) {}

void StoreHandoff::set_handler(sdk::StoreHandler handler) {
    std::lock_guard lock(handler_mutex_);
    handler_ = std::move(handler);
}

bool StoreHandoff::has_handler() {
    std::lock_guard lock(handler_mutex_);
    return static_cast<bool>(handler_);
}

void StoreHandoff::open() {
    std::lock_guard lock(handler_mutex_);
    auto& side = *on_executor_;
    side.feed = store_feed::StoreFeed::create(
        executor_, handler_, {.batches_in_flight = 1, .retry_delay = retry_delay_}, reporting_);
    // The retry delay ran out: a batch that came back meanwhile goes now.
    side.feed->on_resume([weak = std::weak_ptr<OnExecutor>(on_executor_)] {
        auto self = weak.lock();
        if (!self || !self->parked_slot) return;
        auto slot = std::move(self->parked_slot);
        self->parked_slot.reset();
        self->offer(std::move(self->parked), std::move(slot));
    });
}

void StoreHandoff::OnExecutor::offer(std::vector<sdk::Message> batch,
                                     std::shared_ptr<CommitSlot> slot) {
    if (abandoned.load()) return;
    if (!feed->ready()) {
        parked = std::move(batch);
        parked_slot = std::move(slot);
        return;
    }
    feed->hand_over(std::move(batch), [slot = std::move(slot)](std::error_code ec) {
        std::lock_guard lock(slot->mutex);
        slot->result = ec;
        slot->cv.notify_all();
    });
}

std::optional<std::error_code> StoreHandoff::hand_over(std::vector<sdk::Message> batch) {
    auto slot = std::make_shared<CommitSlot>();
    {
        std::lock_guard lock(slot_mutex_);
        slot_ = slot;
    }
    post_([side = on_executor_, batch = std::move(batch), slot]() mutable {
        side->offer(std::move(batch), std::move(slot));
    });
    std::unique_lock lock(slot->mutex);
    slot->cv.wait(lock, [&] { return slot->result.has_value() || on_executor_->abandoned.load(); });
    std::optional<std::error_code> result = slot->result;
    lock.unlock();
    std::lock_guard slot_lock(slot_mutex_);
    slot_.reset();
    return result;
}

void StoreHandoff::abandon() {
    on_executor_->abandoned.store(true);
    std::shared_ptr<CommitSlot> slot;
    {
        std::lock_guard lock(slot_mutex_);
        slot = slot_;
    }
    if (slot) {
        std::lock_guard lock(slot->mutex);
        slot->cv.notify_all();
    }
}

}  // namespace relay::plugins::kafka
