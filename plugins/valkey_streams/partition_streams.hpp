#pragma once
/// The queue's streams: partition p of the queue is the stream `<stream>:<p>`, and a
/// room's messages all go to one partition, which keeps them in order.
#include "valkey/reply.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relay::plugins::valkey_streams {

/// The partition a room's messages go to: FNV-1a of the room, modulo `partitions`
/// (the same on every node and build).
std::size_t partition_of(std::string_view room, std::size_t partitions) noexcept;

/// The stream key of every partition, and the way back from a key. Immutable, so the
/// parts of the queue share one instance.
class PartitionStreams {
public:
    PartitionStreams(const std::string& prefix, std::size_t partitions);

    std::size_t count() const noexcept { return keys_.size(); }
    const std::string& key(std::size_t partition) const { return keys_[partition]; }
    /// Every key in partition order, as XREAD/XREADGROUP take them after STREAMS.
    const std::vector<std::string>& keys() const noexcept { return keys_; }
    std::size_t partition_of_room(std::string_view room) const noexcept {
        return partition_of(room, keys_.size());
    }
    std::optional<std::size_t> partition_of_key(const std::string& key) const;

    /// Calls `visit(partition, entry id, fields)` for every entry of an XREAD or
    /// XREADGROUP reply ([[key, [[id, fields]...]]...]), in reply order; parts of
    /// another shape and streams that are not the queue's are skipped.
    template <typename Visit>
    void for_each_entry(const valkey::Reply& reply, Visit&& visit) const {
        for (const auto& stream : reply.elements) {
            if (!stream.is_array() || stream.elements.size() != 2) continue;
            const auto partition = partition_of_key(stream.elements[0].str);
            if (!partition) continue;
            for (const auto& entry : stream.elements[1].elements) {
                if (!entry.is_array() || entry.elements.size() != 2) continue;
                visit(*partition, entry.elements[0].str, entry.elements[1]);
            }
        }
    }

private:
    std::vector<std::string> keys_;  // partition -> stream key
    std::unordered_map<std::string, std::size_t> partition_by_key_;
};

}  // namespace relay::plugins::valkey_streams
