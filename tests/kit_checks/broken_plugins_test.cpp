// Plugins broken on purpose, run through the SDK's contract suites: each must fail
// exactly the tests that tests/kit_checks/expect_failures.py lists, with the words it
// lists. This binary fails when run alone; ctest runs it through that script
// (unit.contract_kits_catch_broken_plugins), which passes only when the kits caught
// every breakage and nothing else failed.
//
// Each plugin here is right but for one thing: where it runs a callback.
#include <relay/sdk/testing/auth_contract.hpp>
#include <relay/sdk/testing/presence_contract.hpp>
#include <relay/sdk/testing/processor_contract.hpp>
#include <relay/sdk/testing/queue_contract.hpp>
#include <relay/sdk/testing/store_contract.hpp>

#include "plugins/local/local_presence.hpp"
#include "plugins/local/settings.hpp"
#include "plugins/memory/memory_queue.hpp"
#include "plugins/memory/settings.hpp"

#include <relay/sdk/payload.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relay::tests::kit_checks {

namespace sdk = relay::sdk;
using namespace std::chrono_literals;

/// A thread of the plugin's own (a backend client's), which forgets to post results
/// back to the plugin's executor. Runs what is left when it goes.
class OwnThread {
public:
    OwnThread() : guard_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
    ~OwnThread() {
        guard_.reset();
        thread_.join();
    }
    OwnThread(const OwnThread&) = delete;
    OwnThread& operator=(const OwnThread&) = delete;

    template <class F>
    void post(F f) {
        boost::asio::post(io_, std::move(f));
    }
    /// Runs `f` on this thread while the caller waits: off the caller's thread, yet
    /// never at the same time as it, so the kit's bookkeeping (kept for callbacks on
    /// one executor) is not corrupted by a race and can report the wrong thread.
    template <class F>
    void run_while_caller_waits(F f) {
        std::promise<void> ran;
        post([&ran, &f] {
            f();
            ran.set_value();
        });
        ran.get_future().wait();
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

/// A store in memory that answers append() inline, on the caller's thread: the
/// breakage of the issue that made the store kit check threads in every test.
class InlineAppendStore final : public sdk::Store {
public:
    explicit InlineAppendStore(sdk::PluginContext& ctx) : executor_(ctx.executor()) {}

    void start(sdk::Done done) override {
        post([done] { done({}); });
    }
    void append(std::vector<sdk::Message> batch, sdk::Done done) override {
        {
            std::lock_guard lock(mutex_);
            for (auto& msg : batch) messages_.try_emplace(msg.id, std::move(msg));
        }
        done({});  // the breakage: not posted to the executor
    }
    void history(std::string_view room, sdk::HistoryQuery query, sdk::HistoryDone done) override {
        std::vector<sdk::Message> found;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, msg] : messages_) {
                if (msg.room != room) continue;
                if (!query.before_id.empty() && id >= query.before_id) continue;
                if (!query.after_id.empty() && id <= query.after_id) continue;
                found.push_back(msg);
            }
        }
        const std::size_t n = std::min(query.limit, found.size());
        if (query.after_id.empty()) {
            found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(n));
        } else {
            found.resize(n);
        }
        post([done, found = std::move(found)] { done({}, found); });
    }
    void stop(sdk::Done done) override {
        post([done] { done({}); });
    }

private:
    template <class F>
    void post(F f) {
        boost::asio::post(executor_, std::move(f));
    }
    sdk::Executor executor_;
    // One process-wide log, so that a store made again finds what an earlier one kept
    // (rooms and ids are unique per test).
    static inline std::mutex mutex_;
    static inline std::map<std::string, sdk::Message> messages_;  // by id: ids sort by time
};

/// The memory queue, whose publish acks come from a thread of its own.
class OwnThreadAckQueue final : public sdk::Queue {
public:
    explicit OwnThreadAckQueue(sdk::PluginContext& ctx)
        : inner_(plugins::memory::parse_settings(ctx.config()), ctx) {}

    void subscribe_broadcast(sdk::BroadcastHandler handler) override {
        inner_.subscribe_broadcast(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) override {
        inner_.subscribe_store(std::move(handler));
    }
    void start(sdk::Done done) override { inner_.start(std::move(done)); }
    void publish(sdk::Message msg, sdk::PublishDone done) override {
        inner_.publish(std::move(msg), [this, done](std::error_code ec, std::string position) {
            own_.run_while_caller_waits([&] { done(ec, position); });
        });
    }
    void read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done) override {
        inner_.read_after(room, after_id, limit, std::move(done));
    }
    void stop(sdk::Done done) override { inner_.stop(std::move(done)); }

private:
    OwnThread own_;  // declared first: outlives the queue that posts to it
    plugins::memory::MemoryQueue inner_;
};

/// The local presence, whose join() completes on a thread of its own.
class OwnThreadJoinPresence final : public sdk::Presence {
public:
    explicit OwnThreadJoinPresence(sdk::PluginContext& ctx)
        : inner_(plugins::local::parse_settings(ctx.config()), ctx) {}

    void on_change(sdk::PresenceHandler handler) override { inner_.on_change(std::move(handler)); }
    void start(sdk::Done done) override { inner_.start(std::move(done)); }
    void join(const sdk::Member& member, sdk::Done done) override {
        inner_.join(member, [this, done](std::error_code ec) {
            own_.run_while_caller_waits([&] { done(ec); });
        });
    }
    void leave(const sdk::Member& member, sdk::Done done) override {
        inner_.leave(member, std::move(done));
    }
    void members(std::string_view room, sdk::MembersDone done) override {
        inner_.members(room, std::move(done));
    }
    void stop(sdk::Done done) override { inner_.stop(std::move(done)); }

private:
    OwnThread own_;
    plugins::local::LocalPresence inner_;
};

/// Lets in the token "good", and answers from a thread of its own.
class OwnThreadAuthenticator final : public sdk::Authenticator {
public:
    void authenticate(const sdk::Handshake& handshake, sdk::AuthDone done) override {
        const bool good = handshake.auth_json == R"({"token":"good"})";
        own_.post([done, good] {
            if (!good) return done(sdk::AuthOutcome::refuse("invalid token"));
            sdk::Identity identity;
            identity.user_id = "alice";
            identity.rooms = {{"*", sdk::kAllPermissions}};
            done(sdk::AuthOutcome::allow(identity));
        });
    }

private:
    OwnThread own_;
};

/// Passes every message, answering from a thread of its own.
class OwnThreadProcessor final : public sdk::Processor {
public:
    void process(sdk::Message&, sdk::VerdictDone done) override {
        own_.post([done] { done(sdk::Verdict::accept()); });
    }

private:
    OwnThread own_;
};

/// Wraps the payload in an array: no longer an object.
class ArrayPayloadProcessor final : public sdk::Processor {
public:
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        msg.payload_json = "[" + msg.payload_json + "]";
        done(sdk::Verdict::accept());
    }
};

/// Answers twice.
class TwiceProcessor final : public sdk::Processor {
public:
    void process(sdk::Message&, sdk::VerdictDone done) override {
        done(sdk::Verdict::accept());
        done(sdk::Verdict::accept());
    }
};

/// Moves the message to another room.
class RoomChangingProcessor final : public sdk::Processor {
public:
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        msg.room = "elsewhere";
        done(sdk::Verdict::accept());
    }
};

/// Drops attachments but leaves their placeholders.
class AttachmentDroppingProcessor final : public sdk::Processor {
public:
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        msg.attachments.clear();
        done(sdk::Verdict::accept());
    }
};

struct InlineAppendStoreTraits {
    static sdk::Schema schema() { return {}; }
    static std::unique_ptr<sdk::Store> make(sdk::PluginContext& ctx) {
        return std::make_unique<InlineAppendStore>(ctx);
    }
};

struct OwnThreadAckQueueTraits {
    static sdk::Schema schema() { return plugins::memory::schema(); }
    static std::unique_ptr<sdk::Queue> make(sdk::PluginContext& ctx) {
        return std::make_unique<OwnThreadAckQueue>(ctx);
    }
    static void set_up(sdk::testing::TestConfig& config) {
        config.set_duration("store_retry_delay", 10ms).set_string("ack", "accepted");
    }
    static std::size_t configure_small(sdk::testing::TestConfig& config) {
        config.set_integer("capacity", 8);
        return 8;
    }
};

struct OwnThreadJoinPresenceTraits {
    static sdk::Schema schema() { return plugins::local::schema(); }
    static std::unique_ptr<sdk::Presence> make(sdk::PluginContext& ctx) {
        return std::make_unique<OwnThreadJoinPresence>(ctx);
    }
};

struct OwnThreadAuthenticatorTraits {
    static sdk::Schema schema() { return {}; }
    static std::unique_ptr<sdk::Authenticator> make(sdk::PluginContext&) {
        return std::make_unique<OwnThreadAuthenticator>();
    }
    static sdk::Handshake allowed() {
        sdk::Handshake handshake;
        handshake.auth_json = R"({"token":"good"})";
        handshake.room = "a";
        return handshake;
    }
    static sdk::Handshake refused() {
        sdk::Handshake handshake;
        handshake.auth_json = R"({"token":"bad"})";
        handshake.room = "a";
        return handshake;
    }
};

template <class P>
struct ProcessorTraits {
    static sdk::Schema schema() { return {}; }
    static std::unique_ptr<sdk::Processor> make(sdk::PluginContext&) {
        return std::make_unique<P>();
    }
};

}  // namespace relay::tests::kit_checks

namespace relay::sdk::testing {
using namespace relay::tests::kit_checks;
INSTANTIATE_TYPED_TEST_SUITE_P(InlineAppend, StoreContract,
                               ::testing::Types<InlineAppendStoreTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(OwnThreadAck, QueueContract,
                               ::testing::Types<OwnThreadAckQueueTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(OwnThreadJoin, PresenceContract,
                               ::testing::Types<OwnThreadJoinPresenceTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(OwnThreadAnswer, AuthContract,
                               ::testing::Types<OwnThreadAuthenticatorTraits>);
INSTANTIATE_TYPED_TEST_SUITE_P(OwnThreadVerdict, ProcessorContract,
                               ::testing::Types<ProcessorTraits<OwnThreadProcessor>>);
INSTANTIATE_TYPED_TEST_SUITE_P(ArrayPayload, ProcessorContract,
                               ::testing::Types<ProcessorTraits<ArrayPayloadProcessor>>);
INSTANTIATE_TYPED_TEST_SUITE_P(Twice, ProcessorContract,
                               ::testing::Types<ProcessorTraits<TwiceProcessor>>);
INSTANTIATE_TYPED_TEST_SUITE_P(RoomChanging, ProcessorContract,
                               ::testing::Types<ProcessorTraits<RoomChangingProcessor>>);
INSTANTIATE_TYPED_TEST_SUITE_P(AttachmentDropping, ProcessorContract,
                               ::testing::Types<ProcessorTraits<AttachmentDroppingProcessor>>);
}  // namespace relay::sdk::testing
