#include "server/address_limits.hpp"

#include <algorithm>

namespace relay::plugins::websocket {

AddressLimits::Lease& AddressLimits::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        release();
        owner_ = std::move(other.owner_);
        address_ = std::move(other.address_);
        polling_session_ = other.polling_session_;
    }
    return *this;
}

void AddressLimits::Lease::release() {
    if (owner_ == nullptr) return;
    owner_->release(address_, polling_session_);
    owner_.reset();
}

AddressLimits::Admission AddressLimits::admit_connection(const std::string& address,
                                                         Clock::time_point now) {
    Admission admission;
    if (!counts_connections()) return admission;
    std::lock_guard lock(mutex_);
    auto [it, added] = entries_.try_emplace(address);
    Entry& entry = it->second;
    if (added) entry.bucket = sdk::TokenBucket(limits_.connection_rate, now);
    if (limits_.max_connections != 0 && entry.connections >= limits_.max_connections) {
        admission.refused = Limit::max_connections_per_address;
        admission.retry_after = std::chrono::seconds(1);
        return admission;
    }
    if (limits_.connection_rate.on()) {
        const auto wait = entry.bucket.take(limits_.connection_rate, now);
        if (wait != Clock::duration::zero()) {
            admission.refused = Limit::connection_rate_per_address;
            admission.retry_after = std::chrono::ceil<std::chrono::seconds>(wait);
            // A refused address with nothing open keeps its entry: its bucket is the
            // point. It goes once the bucket has refilled (sweep).
            return admission;
        }
    }
    ++entry.connections;
    admission.lease.owner_ = shared_from_this();
    admission.lease.address_ = address;
    if (entries_.size() >= sweep_at_) sweep(now);
    return admission;
}

AddressLimits::Admission AddressLimits::admit_polling_session(const std::string& address) {
    Admission admission;
    if (limits_.max_polling_sessions == 0) return admission;
    std::lock_guard lock(mutex_);
    auto [it, added] = entries_.try_emplace(address);
    Entry& entry = it->second;
    if (added) entry.bucket = sdk::TokenBucket(limits_.connection_rate, Clock::now());
    if (entry.polling_sessions >= limits_.max_polling_sessions) {
        admission.refused = Limit::max_polling_sessions_per_address;
        admission.retry_after = std::chrono::seconds(1);
        return admission;
    }
    ++entry.polling_sessions;
    admission.lease.owner_ = shared_from_this();
    admission.lease.address_ = address;
    admission.lease.polling_session_ = true;
    return admission;
}

void AddressLimits::release(const std::string& address, bool polling_session) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (it == entries_.end()) return;
    auto& count = polling_session ? it->second.polling_sessions : it->second.connections;
    if (count > 0) --count;
    // Without a rate nothing is left to remember; a bucket still refilling stays
    // until a sweep (which reads the clock the admissions do).
    const Entry& entry = it->second;
    if (entry.connections == 0 && entry.polling_sessions == 0 && !limits_.connection_rate.on()) {
        entries_.erase(it);
    }
}

bool AddressLimits::idle(const Entry& entry, Clock::time_point now) const {
    return entry.connections == 0 && entry.polling_sessions == 0 &&
           (!limits_.connection_rate.on() || entry.bucket.full_at(limits_.connection_rate, now));
}

void AddressLimits::sweep(Clock::time_point now) {
    // Entries kept only for a bucket still refilling (an address that connected and
    // left): amortised, at each doubling of the table.
    std::erase_if(entries_, [&](const auto& named) { return idle(named.second, now); });
    sweep_at_ = std::max<std::size_t>(1024, entries_.size() * 2);
}

std::size_t AddressLimits::tracked() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace relay::plugins::websocket
