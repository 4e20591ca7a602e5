#include "store_handoff.hpp"

#include <utility>

namespace relay::plugins::kafka {

void StoreHandoff::set_handler(sdk::StoreHandler handler) {
    std::lock_guard lock(handler_mutex_);
    handler_ = std::move(handler);
}

bool StoreHandoff::has_handler() {
    std::lock_guard lock(handler_mutex_);
    return static_cast<bool>(handler_);
}

std::optional<std::error_code> StoreHandoff::hand_over(std::vector<sdk::Message> batch) {
    auto slot = std::make_shared<CommitSlot>();
    {
        std::lock_guard lock(slot_mutex_);
        slot_ = slot;
    }
    // The handler is read-only once the store started: the executor reads it unlocked.
    post_([this, batch = std::move(batch), slot]() mutable {
        handler_(std::move(batch), [slot](std::error_code ec) {
            std::lock_guard lock(slot->mutex);
            if (slot->result) return;  // a second commit of one batch is ignored
            slot->result = ec;
            slot->cv.notify_all();
        });
    });
    std::unique_lock lock(slot->mutex);
    slot->cv.wait(lock, [&] { return slot->result.has_value() || abandoned_.load(); });
    std::optional<std::error_code> result = slot->result;
    lock.unlock();
    std::lock_guard slot_lock(slot_mutex_);
    slot_.reset();
    return result;
}

void StoreHandoff::wait_retry(std::chrono::milliseconds delay) {
    std::unique_lock lock(retry_mutex_);
    retry_cv_.wait_for(lock, delay, [&] { return abandoned_.load(); });
}

void StoreHandoff::abandon() {
    abandoned_.store(true);
    std::shared_ptr<CommitSlot> slot;
    {
        std::lock_guard lock(slot_mutex_);
        slot = slot_;
    }
    if (slot) {
        std::lock_guard lock(slot->mutex);
        slot->cv.notify_all();
    }
    { std::lock_guard lock(retry_mutex_); }
    retry_cv_.notify_all();
}

}  // namespace relay::plugins::kafka
