#include "bucket_table.hpp"

#include <algorithm>
#include <functional>

namespace relay::plugins::rate_limit {

// Aligned to a cache line: threads working on neighbouring shards do not share one.
struct alignas(64) BucketTable::Shard {
    std::mutex mutex;
    std::size_t capacity = 1;
    std::list<Entry> recent;  // most recently used first
    // Keys view the strings in `recent`, whose nodes never move.
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;

    void forget_last() {
        index.erase(recent.back().key);
        recent.pop_back();
    }
};

BucketTable::BucketTable(Rate rate, std::size_t max_keys, std::size_t shards)
    : rate_(rate),
      shard_count_(std::clamp<std::size_t>(shards, 1, std::max<std::size_t>(max_keys, 1))),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
    // The bound is split exactly: the shards' capacities add up to max_keys.
    for (std::size_t i = 0; i < shard_count_; ++i) {
        shards_[i].capacity = max_keys / shard_count_ + (i < max_keys % shard_count_ ? 1 : 0);
        shards_[i].capacity = std::max<std::size_t>(shards_[i].capacity, 1);
    }
}

BucketTable::~BucketTable() = default;

BucketTable::Shard& BucketTable::shard_of(std::string_view key) const {
    return shards_[std::hash<std::string_view>{}(key) % shard_count_];
}

Clock::duration BucketTable::take(std::string_view key, Clock::time_point now) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.index.find(key);
    if (found != shard.index.end()) {
        shard.recent.splice(shard.recent.begin(), shard.recent, found->second);
        return found->second->bucket.take(rate_, now);
    }
    while (!shard.recent.empty() && shard.recent.back().bucket.full_at(rate_, now)) {
        shard.forget_last();
    }
    if (shard.index.size() >= shard.capacity) shard.forget_last();
    shard.recent.push_front({std::string(key), sdk::TokenBucket(rate_, now)});
    shard.index.emplace(shard.recent.front().key, shard.recent.begin());
    return shard.recent.front().bucket.take(rate_, now);
}

void BucketTable::give_back(std::string_view key) {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mutex);
    auto found = shard.index.find(key);
    if (found != shard.index.end()) found->second->bucket.give_back(rate_);
}

std::size_t BucketTable::size() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
        std::lock_guard lock(shards_[i].mutex);
        total += shards_[i].index.size();
    }
    return total;
}

}  // namespace relay::plugins::rate_limit
