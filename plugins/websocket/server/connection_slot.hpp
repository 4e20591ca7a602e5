#pragma once
#include "server/address_limits.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

#include <relay/sdk/metrics.hpp>

namespace relay::plugins::websocket {

/// Counts one open client TCP connection for `max_connections` and the connections
/// gauge, and against its remote address (`max_connections_per_address`), for as long
/// as it lives; moves with the socket (HTTP → WebSocket). It may
/// outlive the transport (a handler destroyed with its io_context at shutdown): the
/// count is shared, and the gauge is the host's, which outlives every plugin.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(std::shared_ptr<std::atomic<std::int64_t>> open, sdk::Gauge& gauge,
                   AddressLimits::Lease address = {})
        : open_(std::move(open)), gauge_(&gauge), address_(std::move(address)) {
        open_->fetch_add(1);
        gauge_->add();
    }
    ConnectionSlot(ConnectionSlot&& other) noexcept
        : open_(std::move(other.open_)), gauge_(other.gauge_), address_(std::move(other.address_)) {
        other.gauge_ = nullptr;
    }
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
        if (this != &other) {
            release();
            open_ = std::move(other.open_);
            gauge_ = other.gauge_;
            address_ = std::move(other.address_);
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
        open_.reset();
        gauge_ = nullptr;
        address_.release();
    }
    std::shared_ptr<std::atomic<std::int64_t>> open_;
    sdk::Gauge* gauge_ = nullptr;
    AddressLimits::Lease address_;
};

}  // namespace relay::plugins::websocket
