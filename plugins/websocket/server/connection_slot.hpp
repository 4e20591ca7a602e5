#pragma once
#include <atomic>
#include <cstdint>

#include <relay/sdk/metrics.hpp>

namespace relay::plugins::websocket {

/// Counts one open client TCP connection for `max_connections` and the connections
/// gauge, for as long as it lives; moves with the socket (HTTP → WebSocket).
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(std::atomic<std::int64_t>& open, sdk::Gauge& gauge)
        : open_(&open), gauge_(&gauge) {
        open_->fetch_add(1);
        gauge_->add();
    }
    ConnectionSlot(ConnectionSlot&& other) noexcept : open_(other.open_), gauge_(other.gauge_) {
        other.open_ = nullptr;
        other.gauge_ = nullptr;
    }
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
        if (this != &other) {
            release();
            open_ = other.open_;
            gauge_ = other.gauge_;
            other.open_ = nullptr;
            other.gauge_ = nullptr;
        }
        return *this;
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot() { release(); }

private:
    void release() {
        if (open_ != nullptr) {
            open_->fetch_sub(1);
            gauge_->sub();
        }
        open_ = nullptr;
        gauge_ = nullptr;
    }
    std::atomic<std::int64_t>* open_ = nullptr;
    sdk::Gauge* gauge_ = nullptr;
};

}  // namespace relay::plugins::websocket
