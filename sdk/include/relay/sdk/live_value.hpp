#pragma once
/// A setting a plugin's reconfigure() may change while other threads read it.
#include <atomic>

namespace relay::sdk {

/// One value that SIGHUP may replace (Transport::reconfigure) while every I/O thread
/// reads it: a relaxed atomic, so a read costs what reading a plain field does on
/// x86 and ARM, and a reader sees the old value or the new one, never a torn one.
/// Values read together may come from two sides of a reconfigure for an instant;
/// use it for limits, not for state that must agree with another value.
/// It reads like the plain value (converts to T), and copying it copies the value,
/// so an options struct keeps its designated initialisers.
/// T: trivially copyable and lock-free as an atomic (integers, bool, double, durations).
template <class T>
class LiveValue {
public:
    LiveValue() = default;
    LiveValue(T value) : value_(value) {}  // NOLINT(google-explicit-constructor): reads as T
    LiveValue(const LiveValue& other) : value_(other.get()) {}
    LiveValue& operator=(const LiveValue& other) {
        if (this != &other) set(other.get());
        return *this;
    }
    // An atomic cannot be moved from: moving copies.
    LiveValue(LiveValue&& other) noexcept : value_(other.get()) {}
    LiveValue& operator=(LiveValue&& other) noexcept {
        set(other.get());
        return *this;
    }
    ~LiveValue() = default;

    operator T() const { return get(); }  // NOLINT(google-explicit-constructor): reads as T
    T get() const { return value_.load(std::memory_order_relaxed); }
    void set(T value) { value_.store(value, std::memory_order_relaxed); }

private:
    static_assert(std::atomic<T>::is_always_lock_free);
    std::atomic<T> value_{};
};

}  // namespace relay::sdk
