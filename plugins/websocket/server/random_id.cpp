#include "server/random_id.hpp"

#include <sys/random.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace relay::plugins::websocket {

std::string random_id() {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    thread_local std::array<std::uint8_t, 4096> pool{};
    thread_local std::size_t used = pool.size();
    constexpr std::size_t kLength = 20;
    if (used + kLength > pool.size()) {
        std::size_t filled = 0;
        while (filled < pool.size()) {
            const auto n = ::getrandom(pool.data() + filled, pool.size() - filled, 0);
            if (n < 0) throw std::runtime_error("getrandom failed");
            filled += static_cast<std::size_t>(n);
        }
        used = 0;
    }
    std::string id(kLength, '\0');
    for (std::size_t i = 0; i < kLength; ++i) id[i] = kAlphabet[pool[used++] & 63U];
    return id;
}

}  // namespace relay::plugins::websocket
