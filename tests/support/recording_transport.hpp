#pragma once
#include <relay/sdk/error.hpp>
#include <relay/sdk/transport.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace relay::testing {

/// An in-process transport for flow tests: members are plain sids in rooms, and
/// every broadcast is recorded per receiving member. Thread-safe.
class RecordingTransport final : public sdk::Transport {
public:
    struct Delivery {
        std::string id;
        std::string sender;
        std::string payload;
    };

    void add_member(const std::string& room, const std::string& sid) {
        std::lock_guard lock(mutex_);
        rooms_[room].insert(sid);
    }
    sdk::Inbound& inbound() { return *inbound_; }

    /// Inbound::recover, waited for: its error and the messages after `after_id`;
    /// Errc::timed_out and none when it did not answer within `timeout`.
    std::pair<std::error_code, std::vector<sdk::Message>> recover(
        const std::string& room, const std::string& after_id,
        std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
        using Result = std::pair<std::error_code, std::vector<sdk::Message>>;
        auto result = std::make_shared<std::promise<Result>>();
        auto future = result->get_future();
        inbound().recover(room, after_id,
                          [result](std::error_code ec, std::vector<sdk::Message> found) {
                              result->set_value({ec, std::move(found)});
                          });
        if (future.wait_for(timeout) != std::future_status::ready) {
            return {make_error_code(sdk::Errc::timed_out), {}};
        }
        return future.get();
    }

    void start(sdk::Inbound& inbound, sdk::Done done) override {
        inbound_ = &inbound;
        done({});
    }
    void broadcast(const sdk::Message& msg, std::string_view except_sender) override {
        std::lock_guard lock(mutex_);
        for (const auto& sid : rooms_[msg.room]) {
            if (sid != except_sender)
                received_[sid].push_back({msg.id, msg.sender, msg.payload_json});
        }
        ++broadcasts_;
    }
    void presence_changed(const sdk::PresenceEvent& event) override {
        std::lock_guard lock(mutex_);
        presence_events_.push_back(event);
    }
    void stop(sdk::Done done) override { done({}); }

    std::map<std::string, std::vector<Delivery>> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    std::size_t broadcasts() const {
        std::lock_guard lock(mutex_);
        return broadcasts_;
    }
    std::vector<sdk::PresenceEvent> presence_events() const {
        std::lock_guard lock(mutex_);
        return presence_events_;
    }

private:
    mutable std::mutex mutex_;
    sdk::Inbound* inbound_ = nullptr;
    std::map<std::string, std::set<std::string>> rooms_;
    std::map<std::string, std::vector<Delivery>> received_;
    std::vector<sdk::PresenceEvent> presence_events_;
    std::size_t broadcasts_ = 0;
};

}  // namespace relay::testing
