#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace relay::plugins::kafka {

/// Where this producer's recent messages were written, per partition, in the order
/// they were published: what checks a write that librdkafka inferred.
///
/// The idempotent producer counts a message whose request failed as written once the
/// brokers acknowledged a later message of the same partition, because a broker
/// appends a producer's batches only in sequence order. Then the message must lie
/// between the offsets of the messages published just before and just after it. If
/// those are adjacent, the log has no room for it: it was not written, and the brokers
/// did not check sequence numbers (librdkafka's mock cluster checks them only for
/// transactional producers). `gap()` tells that case apart.
///
/// `publish_seq` is the order of publishing (one counter per producer). Remembers the
/// last kWindow acknowledged messages of each partition: an inference comes within a
/// few in-flight batches of its neighbours. Not thread-safe: the producer's poll loop
/// owns it.
class AckedOffsets {
public:
    static constexpr std::size_t kWindow = 1024;

    /// The message published `publish_seq`-th was written at `offset` of `partition`.
    void acked(std::int32_t partition, std::uint64_t publish_seq, std::int64_t offset);

    /// Offsets [first, end) between the last message published before `publish_seq`
    /// and the first one published after it, both acknowledged in `partition`. Empty
    /// when the log has no room there. nullopt when a neighbour is unknown (outside the
    /// window, or not acknowledged yet): then nothing can be said.
    struct Gap {
        std::int64_t first;
        std::int64_t end;
        bool empty() const noexcept { return end <= first; }
    };
    std::optional<Gap> gap(std::int32_t partition, std::uint64_t publish_seq) const;

private:
    struct Entry {
        std::uint64_t publish_seq;
        std::int64_t offset;
    };
    /// A ring of the last kWindow entries of one partition.
    struct Ring {
        std::vector<Entry> entries;
        std::size_t next = 0;
    };
    std::vector<Ring> partitions_;
};

}  // namespace relay::plugins::kafka
