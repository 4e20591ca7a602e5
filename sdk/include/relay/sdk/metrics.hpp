#pragma once
#include <atomic>
#include <cstdint>
#include <string_view>

namespace relay::sdk {

/// A monotonically increasing count. Lock-free; safe from any thread.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down (connections, queue depth). Safe from any thread.
class Gauge {
public:
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    void sub(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// The host's metrics registry. Metric names are snake_case; the host prefixes them
/// with `relay_`. Asking twice for one name returns the same metric. A name may end in
/// Prometheus labels, `rate_limit_rejected_total{kind="user"}`: the series of one base
/// name form one family (one HELP and TYPE: give them the same help and kind). Returned
/// references stay valid for the host's lifetime (longer than any plugin object).
/// Thread safety: any thread; keep the reference rather than looking it up per event.
class Metrics {
public:
    virtual ~Metrics() = default;
    virtual Counter& counter(std::string_view name, std::string_view help) = 0;
    virtual Gauge& gauge(std::string_view name, std::string_view help) = 0;
};

}  // namespace relay::sdk
