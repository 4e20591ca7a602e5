#include "acked_offsets.hpp"

#include <limits>

namespace relay::plugins::kafka {

void AckedOffsets::acked(std::int32_t partition, std::uint64_t publish_seq, std::int64_t offset) {
    if (partition < 0) return;
    const auto p = static_cast<std::size_t>(partition);
    if (p >= partitions_.size()) partitions_.resize(p + 1);
    auto& ring = partitions_[p];
    if (ring.entries.size() < kWindow) {
        ring.entries.push_back({publish_seq, offset});
        return;
    }
    ring.entries[ring.next] = {publish_seq, offset};
    ring.next = (ring.next + 1) % kWindow;
}

std::optional<AckedOffsets::Gap> AckedOffsets::gap(std::int32_t partition,
                                                   std::uint64_t publish_seq) const {
    if (partition < 0 || static_cast<std::size_t>(partition) >= partitions_.size()) {
        return std::nullopt;
    }
    constexpr auto kNone = std::numeric_limits<std::int64_t>::min();
    std::int64_t before_last = kNone;  // the highest offset published before
    std::int64_t after_first = std::numeric_limits<std::int64_t>::max();
    bool after_known = false;
    for (const auto& e : partitions_[static_cast<std::size_t>(partition)].entries) {
        if (e.publish_seq < publish_seq) {
            if (e.offset > before_last) before_last = e.offset;
        } else if (e.publish_seq > publish_seq) {
            after_known = true;
            if (e.offset < after_first) after_first = e.offset;
        }
    }
    if (before_last == kNone || !after_known) return std::nullopt;
    return Gap{before_last + 1, after_first};
}

}  // namespace relay::plugins::kafka
