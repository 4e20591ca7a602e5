#pragma once
#include "server/refusal.hpp"

#include <relay/sdk/token_bucket.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace relay::plugins::websocket {

/// What one remote address may hold and open: TCP connections at once, new TCP
/// connections a second (a token bucket), and Engine.IO sessions opened over polling
/// at once (those are not tied to one TCP connection: many can be opened over one).
/// Every limit is off at 0.
///
/// Memory: one entry per address that holds a connection or a session, or whose
/// bucket is still refilling; an entry goes when neither holds (refilled buckets are
/// swept out as the table grows), so the table is bounded by the connections open
/// plus those opened in the last burst/rate seconds.
/// Lifetime: shared by the leases, which may outlive the transport (a connection's
/// last handler destroyed with its io_context). Thread safety: any thread (one mutex,
/// held for a map operation; never taken when every limit is off).
class AddressLimits : public std::enable_shared_from_this<AddressLimits> {
public:
    using Clock = sdk::TokenBucket::Clock;

    struct Limits {
        std::uint64_t max_connections = 0;
        std::uint64_t max_polling_sessions = 0;
        sdk::TokenRate connection_rate{};  ///< new TCP connections
    };

    /// One connection or polling session counted against its address, released when
    /// destroyed. Movable; empty when the limits are off.
    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { release(); }
        void release();

    private:
        friend class AddressLimits;
        std::shared_ptr<AddressLimits> owner_;
        std::string address_;
        bool polling_session_ = false;
    };

    struct Admission {
        std::optional<Limit> refused;         ///< the limit that refused it, if one did
        Lease lease;                          ///< when admitted
        std::chrono::seconds retry_after{0};  ///< when refused: when to try again
    };

    static std::shared_ptr<AddressLimits> make(Limits limits) {
        return std::shared_ptr<AddressLimits>(new AddressLimits(limits));
    }

    /// A new TCP connection from `address`.
    Admission admit_connection(const std::string& address, Clock::time_point now);
    /// A polling handshake from `address`.
    Admission admit_polling_session(const std::string& address);

    /// Addresses tracked now (for tests).
    std::size_t tracked() const;

private:
    struct Entry {
        std::uint64_t connections = 0;
        std::uint64_t polling_sessions = 0;
        sdk::TokenBucket bucket;
    };
    explicit AddressLimits(Limits limits) : limits_(limits) {}
    bool counts_connections() const {
        return limits_.max_connections != 0 || limits_.connection_rate.on();
    }
    void release(const std::string& address, bool polling_session);
    /// Whether nothing holds the entry (so it can go).
    bool idle(const Entry& entry, Clock::time_point now) const;
    void sweep(Clock::time_point now);

    Limits limits_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::size_t sweep_at_ = 1024;  // entries_ size that triggers the next sweep
};

}  // namespace relay::plugins::websocket
