#pragma once
#include <chrono>
#include <cstdint>

namespace relay::plugins::websocket {

/// Milliseconds since the Unix epoch: the clock of message ids, recovery tokens and
/// join times, which other nodes compare with theirs.
inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace relay::plugins::websocket
