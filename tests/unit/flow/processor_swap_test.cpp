// Flow::replace_processors and replace_auth: what a reload swaps while messages and
// handshakes are under way.
#include "flow/flow.hpp"

#include "runtime/metrics_registry.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace relay::host {
namespace {

class FakeQueue final : public sdk::Queue {
public:
    void subscribe_broadcast(sdk::BroadcastHandler) override {}
    void subscribe_store(sdk::StoreHandler) override {}
    void start(sdk::Done done) override { done({}); }
    void publish(sdk::Message msg, sdk::PublishDone done) override {
        published.push_back(msg.payload_json);
        done({}, std::to_string(published.size()));
    }
    void stop(sdk::Done done) override { done({}); }
    std::vector<std::string> published;
};

class FakePresence final : public sdk::Presence {
public:
    void on_change(sdk::PresenceHandler) override {}
    void start(sdk::Done done) override { done({}); }
    void join(const sdk::Member&, sdk::Done done) override { done({}); }
    void leave(const sdk::Member&, sdk::Done done) override { done({}); }
    void members(std::string_view, sdk::MembersDone done) override { done({}, {}); }
    void stop(sdk::Done done) override { done({}); }
};

class FakeTransport final : public sdk::Transport {
public:
    void start(sdk::Inbound&, sdk::Done done) override { done({}); }
    void broadcast(const sdk::Message&, std::string_view) override {}
    void presence_changed(const sdk::PresenceEvent&) override {}
    void stop(sdk::Done done) override { done({}); }
};

// Sets the payload to {"by":"<name>"}, and says when it is destroyed.
class Stamp final : public sdk::Processor {
public:
    Stamp(std::string name, bool& destroyed) : name_(std::move(name)), destroyed_(destroyed) {}
    ~Stamp() override { destroyed_ = true; }
    Stamp(const Stamp&) = delete;
    Stamp& operator=(const Stamp&) = delete;
    void process(sdk::Message& msg, sdk::VerdictDone done) override {
        msg.payload_json = R"({"by":")" + name_ + R"("})";
        done(sdk::Verdict::accept());
    }

private:
    std::string name_;
    bool& destroyed_;
};

// Holds each message until the test lets it go: a message "inside" a processor.
class Hold final : public sdk::Processor {
public:
    void process(sdk::Message&, sdk::VerdictDone done) override { held.push_back(std::move(done)); }
    std::vector<sdk::VerdictDone> held;
};

// Refuses every handshake with its own name, once the test lets it answer.
class HoldingAuth final : public sdk::Authenticator {
public:
    explicit HoldingAuth(std::string name) : name(std::move(name)) {}
    void authenticate(const sdk::Handshake&, sdk::AuthDone done) override {
        held.push_back(std::move(done));
    }
    std::string name;
    std::vector<sdk::AuthDone> held;
};

// Answers what `auth` holds from outside it: the answer may destroy it.
void answer_all(HoldingAuth& auth) {
    const std::string name = auth.name;
    auto held = std::move(auth.held);
    auth.held.clear();
    for (auto& done : held) done(sdk::AuthOutcome::refuse(name));
}

struct ProcessorSwap : ::testing::Test {
    FakeQueue queue;
    FakePresence presence;
    FakeTransport transport;
    MetricsRegistry metrics;
    std::map<std::string, std::optional<sdk::Published>> acks;

    std::unique_ptr<Flow> make(std::shared_ptr<const Flow::ProcessorChain> chain,
                               std::shared_ptr<sdk::Authenticator> auth = nullptr) {
        Flow::Parts parts;
        parts.transport = &transport;
        parts.queue = &queue;
        parts.presence = &presence;
        parts.processors = std::move(chain);
        parts.auth = std::move(auth);
        auto flow =
            std::make_unique<Flow>(std::move(parts), metrics,
                                   std::make_shared<spdlog::logger>(
                                       "test", std::make_shared<spdlog::sinks::null_sink_mt>()));
        flow->connect();
        return flow;
    }

    void send(Flow& flow, const std::string& name) {
        sdk::Message msg;
        msg.room = "room";
        msg.sender = "s1";
        msg.payload_json = R"({"text":")" + name + R"("})";
        acks[name];
        flow.publish(std::move(msg), [this, name](const sdk::Published& p) { acks[name] = p; });
    }
};

TEST_F(ProcessorSwap, AMessageFinishesWithTheChainItStartedWith) {
    bool old_stamp_destroyed = false;
    bool new_stamp_destroyed = false;
    auto hold = std::make_shared<Hold>();
    std::weak_ptr<Hold> hold_alive = hold;
    auto flow = make(std::make_shared<Flow::ProcessorChain>(
        Flow::ProcessorChain{hold, std::make_shared<Stamp>("old", old_stamp_destroyed)}));
    send(*flow, "a");
    ASSERT_EQ(hold->held.size(), 1U);  // "a" is inside the old chain's first processor
    auto done_a = std::move(hold->held.front());
    hold.reset();

    flow->replace_processors(std::make_shared<Flow::ProcessorChain>(
        Flow::ProcessorChain{std::make_shared<Stamp>("new", new_stamp_destroyed)}));
    send(*flow, "b");
    ASSERT_TRUE(acks["b"].has_value());
    EXPECT_FALSE(acks["b"]->error);
    EXPECT_EQ(queue.published, std::vector<std::string>{R"({"by":"new"})"});

    // The old chain lives while "a" is in it, and "a" goes on through its second stage.
    EXPECT_FALSE(hold_alive.expired());
    EXPECT_FALSE(old_stamp_destroyed);
    EXPECT_FALSE(acks["a"].has_value());
    done_a(sdk::Verdict::accept());
    done_a = nullptr;
    ASSERT_TRUE(acks["a"].has_value());
    EXPECT_FALSE(acks["a"]->error);
    EXPECT_EQ(queue.published, (std::vector<std::string>{R"({"by":"new"})", R"({"by":"old"})"}));
    // Its last message done, the old chain is gone; the new one stays.
    EXPECT_TRUE(hold_alive.expired());
    EXPECT_TRUE(old_stamp_destroyed);
    EXPECT_FALSE(new_stamp_destroyed);
}

TEST_F(ProcessorSwap, AnEmptyChainOrNoneLetsMessagesThroughUnchanged) {
    bool destroyed = false;
    auto flow = make(std::make_shared<Flow::ProcessorChain>(
        Flow::ProcessorChain{std::make_shared<Stamp>("old", destroyed)}));
    flow->replace_processors(nullptr);
    EXPECT_TRUE(destroyed);  // no message held it
    send(*flow, "a");
    flow->replace_processors(std::make_shared<Flow::ProcessorChain>());
    send(*flow, "b");
    EXPECT_EQ(queue.published, (std::vector<std::string>{R"({"text":"a"})", R"({"text":"b"})"}));
}

TEST_F(ProcessorSwap, AHandshakeFinishesWithTheAuthenticatorItStartedWith) {
    auto first = std::make_shared<HoldingAuth>("first");
    std::weak_ptr<HoldingAuth> first_alive = first;
    auto flow = make(nullptr, first);
    std::vector<std::string> answers;
    auto record = [&](sdk::AuthOutcome outcome) {
        answers.push_back(outcome.allowed ? "open" : outcome.reason);
    };
    flow->authenticate({}, record);
    HoldingAuth* first_raw = first.get();
    first.reset();

    auto second = std::make_shared<HoldingAuth>("second");
    flow->replace_auth(second);
    flow->authenticate({}, record);
    answer_all(*second);
    EXPECT_EQ(answers, std::vector<std::string>{"second"});
    ASSERT_FALSE(first_alive.expired());
    answer_all(*first_raw);  // the last owner of `first` is its own held callback
    EXPECT_EQ(answers, (std::vector<std::string>{"second", "first"}));
    EXPECT_TRUE(first_alive.expired());

    flow->replace_auth(nullptr);
    flow->authenticate({}, record);
    EXPECT_EQ(answers.back(), "open");
}

}  // namespace
}  // namespace relay::host
