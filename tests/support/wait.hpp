#pragma once
#include <chrono>
#include <functional>
#include <thread>

namespace relay::testing {

/// Waits until `condition` holds or `timeout` passes; returns whether it held.
/// Checks often, so a test waits only as long as the condition takes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

}  // namespace relay::testing
