#pragma once
#include "settings.hpp"

#include <relay/sdk/token_bucket.hpp>

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace relay::plugins::rate_limit {

using Clock = sdk::TokenBucket::Clock;

/// The token buckets of one kind of key (connections, users or addresses), one per
/// key, all of one Rate.
///
/// Memory is bounded: at most `max_keys` buckets. Before a new key is added, buckets
/// that have refilled are forgotten, least recently used first (a forgotten full
/// bucket and a new one behave the same, so nothing is lost); at the bound the least
/// recently used bucket is forgotten even if it is not full, and its key starts afresh
/// with a full burst if it comes back: the bound wins over precision.
///
/// Thread safety: any thread, concurrently. Keys are spread by hash over shards, each
/// with its own mutex held for one lookup. Why shared, locked state rather than state
/// per I/O thread: one user's or address's connections live on different threads and
/// must draw on one bucket (per thread, each thread would grant the whole rate); and
/// with a lock per shard two threads meet only when their keys hash to the same shard.
class BucketTable {
public:
    /// Enough shards that a handful of I/O threads rarely share one.
    static constexpr std::size_t kDefaultShards = 64;

    BucketTable(Rate rate, std::size_t max_keys, std::size_t shards = kDefaultShards);
    ~BucketTable();
    BucketTable(const BucketTable&) = delete;
    BucketTable& operator=(const BucketTable&) = delete;
    BucketTable(BucketTable&&) = delete;
    BucketTable& operator=(BucketTable&&) = delete;

    /// Takes a token from `key`'s bucket (made full if the key is new): zero when it had
    /// one, else how long until it will (nothing taken).
    Clock::duration take(std::string_view key, Clock::time_point now);
    /// Returns the token take() took from `key` (a later bucket refused the message).
    void give_back(std::string_view key);

    const Rate& rate() const { return rate_; }
    /// Keys tracked now, over every shard.
    std::size_t size() const;

private:
    struct Entry {
        std::string key;
        sdk::TokenBucket bucket;
    };
    struct Shard;
    Shard& shard_of(std::string_view key) const;

    Rate rate_;
    std::size_t shard_count_;
    std::unique_ptr<Shard[]> shards_;
};

}  // namespace relay::plugins::rate_limit
