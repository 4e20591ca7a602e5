#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace relay::loadgen {

int Histogram::index_of(std::uint64_t value) {
    if (value < static_cast<std::uint64_t>(kSub)) return static_cast<int>(value);
    // Exponent e >= 1 covers [kSub << (e-1), kSub << e) in kSub steps of 2^(e-1).
    const int exponent = static_cast<int>(std::bit_width(value)) - kSubBits;
    if (exponent > kMaxExponent) return kBuckets - 1;
    const auto sub = static_cast<int>((value >> static_cast<unsigned>(exponent - 1)) & (kSub - 1));
    return exponent * kSub + sub;
}

std::uint64_t Histogram::upper_edge(int index) {
    const int exponent = index / kSub;
    const int sub = index % kSub;
    if (exponent == 0) return static_cast<std::uint64_t>(sub);
    const auto base = static_cast<std::uint64_t>(kSub) << static_cast<unsigned>(exponent - 1);
    const auto step = std::uint64_t{1} << static_cast<unsigned>(exponent - 1);
    return base + static_cast<std::uint64_t>(sub + 1) * step - 1;
}

void Histogram::record(std::uint64_t value_ns) {
    ++counts_[static_cast<std::size_t>(index_of(value_ns))];
    ++count_;
    max_ = std::max(max_, value_ns);
}

void Histogram::merge(const Histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
        seen += counts_[static_cast<std::size_t>(i)];
        if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_edge(i), max_);
    }
    return max_;
}

}  // namespace relay::loadgen
