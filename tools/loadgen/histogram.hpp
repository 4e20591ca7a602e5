#pragma once
#include <array>
#include <cstdint>

namespace relay::loadgen {

/// Latency histogram in the manner of HdrHistogram: log-linear buckets (64 linear
/// sub-buckets per power of two, so about 1.6% precision), fixed memory, O(1)
/// record, no per-sample storage. Values are nanoseconds, up to 2^46 (about 19 hours).
/// Not thread-safe: one per thread, merged at the end.
class Histogram {
public:
    void record(std::uint64_t value_ns);
    void merge(const Histogram& other);
    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    /// The value at quantile q (0..1), as the upper edge of its bucket.
    std::uint64_t quantile(double q) const;

private:
    static constexpr int kSubBits = 6;  // 64 sub-buckets
    static constexpr int kSub = 1 << kSubBits;
    static constexpr int kMaxExponent = 40;
    static constexpr int kBuckets = (kMaxExponent + 1) * kSub;
    static int index_of(std::uint64_t value);
    static std::uint64_t upper_edge(int index);

    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace relay::loadgen
