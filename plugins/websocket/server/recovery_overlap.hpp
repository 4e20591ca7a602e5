#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace relay::plugins::websocket {

/// The live broadcasts that repeat what a recovery from the store already gave a
/// client, on a node whose broadcast subscription was behind the node the client came
/// from (it had not delivered the client's offset yet when the client came back): its
/// live stream still brings what the client had before it left (up to its offset, in
/// the queue's order) and what the recovery just sent from the store. The queue orders
/// a room's messages as it appended them, ids as the nodes accepted them; across nodes
/// (kafka) the two orders differ, so no single id cut ("up to the offset", "up to the
/// last recovered id") tells them apart without dropping a message the client lacks.
///
/// skip() tells, per live message: until the offset itself comes in live, one whose id
/// is not after the offset is the client's already (it comes before the offset in the
/// queue); and one whose id the recovery sent is, whenever it comes. Done once the
/// offset came in and every sent id did, or at `expires` (a node that far behind is past
/// the recent messages and the recovery window anyway).
/// Thread safety: none (one socket's executor).
class RecoveryOverlap {
public:
    using Clock = std::chrono::steady_clock;

    /// Inactive: skips nothing.
    RecoveryOverlap() = default;
    /// `offset`: the last message the client had; `sent`: the ids the recovery sent.
    RecoveryOverlap(std::string offset, const std::vector<std::string_view>& sent,
                    Clock::time_point expires);

    /// Whether the live message `id` is one the client has already.
    bool skip(std::string_view id, Clock::time_point now);
    bool active() const { return active_; }

private:
    bool active_ = false;
    std::string offset_;  // empty once it came in live
    std::unordered_set<std::string> sent_;
    Clock::time_point expires_;
};

}  // namespace relay::plugins::websocket
