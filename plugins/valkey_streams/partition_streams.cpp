#include "partition_streams.hpp"

#include <cstdint>

namespace relay::plugins::valkey_streams {

std::size_t partition_of(std::string_view room, std::size_t partitions) noexcept {
    std::uint32_t hash = 2166136261U;
    for (unsigned char c : room) {
        hash ^= c;
        hash *= 16777619U;
    }
    return partitions == 0 ? 0 : hash % partitions;
}

PartitionStreams::PartitionStreams(const std::string& prefix, std::size_t partitions) {
    for (std::size_t p = 0; p < partitions; ++p) {
        keys_.push_back(prefix + ":" + std::to_string(p));
        partition_by_key_.emplace(keys_.back(), p);
    }
}

std::optional<std::size_t> PartitionStreams::partition_of_key(const std::string& key) const {
    auto it = partition_by_key_.find(key);
    if (it == partition_by_key_.end()) return std::nullopt;
    return it->second;
}

}  // namespace relay::plugins::valkey_streams
