#pragma once
/// PresenceContract<Traits>: the behaviour every sdk::Presence must show, as a typed
/// gtest suite. Instantiate it with a traits struct that knows how to build yours:
///
///     struct MyPresenceTraits {
///         static relay::sdk::Schema schema();
///         static std::unique_ptr<relay::sdk::Presence> make(relay::sdk::PluginContext&);
///         // Optional: per-test setup (a server URL) and cleanup.
///         static void set_up(relay::sdk::testing::TestConfig&);
///         static void tear_down(relay::sdk::testing::TestConfig&);
///     };
///     using Types = ::testing::Types<MyPresenceTraits>;
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyPresence, PresenceContract, Types);
///
/// Rooms carry a per-test unique prefix and the event handler ignores other rooms, so
/// the suite also runs against a shared server. Every callback and every event must
/// run on the plugin's executor (PluginContext::executor()): a test where one does not
/// fails, naming it. "No event" is checked by a marker:
/// after the operation that must stay silent, a marker member joins, and the marker's
/// event must be the next one.
#include <relay/sdk/testing/contract_fixture.hpp>

#include <relay/sdk/presence.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::sdk::testing {

template <class Traits>
class PresenceContract : public ContractFixture<Traits> {
protected:
    using Base = ContractFixture<Traits>;
    using Base::ctx_;
    using Base::token_;

    PresenceContract() : Base("presence") {}

    void TearDown() override {
        if (presence_ && !stopped_) this->stop_at_end(*presence_);
        presence_.reset();
        Base::TearDown();
    }

    /// Makes the presence, subscribes the event collector, starts it.
    ::testing::AssertionResult start() {
        presence_ = Traits::make(*ctx_);
        presence_->on_change(
            this->checked("the on_change handler",
                          [events = events_, prefix = token_](const PresenceEvent& event) {
                              if (event.member.room.rfind(prefix, 0) == 0) events->add(event);
                          }));
        return this->completes("start()", [this](Done done) { presence_->start(std::move(done)); });
    }

    Member member(std::string_view room_name, std::string sid, std::string user = "alice") {
        Member m;
        m.room = this->room(room_name);
        m.sid = token_ + "-" + sid;
        m.user = std::move(user);
        m.node = std::string(ctx_->node_id());
        m.joined_ms = 1700000000000;
        return m;
    }

    ::testing::AssertionResult join(const Member& m) {
        return this->completes("join()", [&](Done done) { presence_->join(m, std::move(done)); });
    }
    ::testing::AssertionResult leave(const Member& m) {
        return this->completes("leave()", [&](Done done) { presence_->leave(m, std::move(done)); });
    }

    /// Members of a room, sorted by sid.
    std::vector<Member> members(std::string_view room_name) {
        Probe<std::error_code, std::vector<Member>> done(*ctx_);
        presence_->members(this->room(room_name), done.callback());
        EXPECT_TRUE(done.wait()) << "members() did not complete";
        if (!done.done()) return {};
        EXPECT_FALSE(done.template get<0>()) << done.template get<0>().message();
        EXPECT_TRUE(done.on_executor());
        auto list = done.template get<1>();
        std::sort(list.begin(), list.end(),
                  [](const Member& a, const Member& b) { return a.sid < b.sid; });
        return list;
    }

    /// Joins a marker member and waits for its event; returns the events before it
    /// (from index `from`), which are all the events the earlier operations caused.
    std::vector<PresenceEvent> events_until_marker(std::size_t from) {
        const Member marker = member("marker", "marker-" + std::to_string(markers_++));
        EXPECT_TRUE(join(marker));
        EXPECT_TRUE(events_->wait_until([&](const std::vector<PresenceEvent>& events) {
            return std::any_of(events.begin() + static_cast<std::ptrdiff_t>(from), events.end(),
                               [&](const PresenceEvent& e) { return e.member.sid == marker.sid; });
        })) << "the marker's join event never came";
        auto all = events_->snapshot();
        std::vector<PresenceEvent> before;
        for (std::size_t i = from; i < all.size() && all[i].member.sid != marker.sid; ++i) {
            before.push_back(all[i]);
        }
        return before;
    }

    std::unique_ptr<Presence> presence_;
    std::shared_ptr<Collector<PresenceEvent>> events_ =
        std::make_shared<Collector<PresenceEvent>>();
    int markers_ = 0;
    bool stopped_ = false;
};

TYPED_TEST_SUITE_P(PresenceContract);

TYPED_TEST_P(PresenceContract, JoinShowsInMembersAndEmitsAnEvent) {
    ASSERT_TRUE(this->start());
    const Member alice = this->member("a", "1", "alice");
    const Member bob = this->member("a", "2", "bob");
    ASSERT_TRUE(this->join(alice));
    ASSERT_TRUE(this->join(bob));
    EXPECT_EQ(this->members("a"), (std::vector<Member>{alice, bob}));

    auto events = this->events_until_marker(0);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, PresenceEvent::Type::join);
    EXPECT_EQ(events[0].member, alice);
    EXPECT_EQ(events[1].type, PresenceEvent::Type::join);
    EXPECT_EQ(events[1].member, bob);
}

TYPED_TEST_P(PresenceContract, JoiningTwiceIsIdempotent) {
    ASSERT_TRUE(this->start());
    const Member alice = this->member("a", "1");
    ASSERT_TRUE(this->join(alice));
    ASSERT_TRUE(this->join(alice));
    EXPECT_EQ(this->members("a"), std::vector<Member>{alice});
    auto events = this->events_until_marker(0);
    ASSERT_EQ(events.size(), 1u) << "a second join of one sid emitted another event";
    EXPECT_EQ(events[0].type, PresenceEvent::Type::join);
}

TYPED_TEST_P(PresenceContract, LeaveRemovesAndEmitsAnEvent) {
    ASSERT_TRUE(this->start());
    const Member alice = this->member("a", "1");
    const Member bob = this->member("a", "2");
    ASSERT_TRUE(this->join(alice));
    ASSERT_TRUE(this->join(bob));
    auto joined = this->events_until_marker(0);
    ASSERT_EQ(joined.size(), 2u);
    const std::size_t seen = this->events_->size();

    ASSERT_TRUE(this->leave(alice));
    EXPECT_EQ(this->members("a"), std::vector<Member>{bob});
    ASSERT_TRUE(this->leave(bob));
    EXPECT_EQ(this->members("a"), std::vector<Member>{});
    auto events = this->events_until_marker(seen);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, PresenceEvent::Type::leave);
    EXPECT_EQ(events[0].member.sid, alice.sid);
    EXPECT_EQ(events[0].member.room, alice.room);
    EXPECT_EQ(events[1].type, PresenceEvent::Type::leave);
    EXPECT_EQ(events[1].member.sid, bob.sid);
}

TYPED_TEST_P(PresenceContract, LeavingAnUnknownMemberEmitsNothing) {
    ASSERT_TRUE(this->start());
    ASSERT_TRUE(this->leave(this->member("a", "ghost")));
    const Member alice = this->member("a", "1");
    ASSERT_TRUE(this->join(alice));
    ASSERT_TRUE(this->leave(alice));
    ASSERT_TRUE(this->leave(alice));
    auto events = this->events_until_marker(0);
    ASSERT_EQ(events.size(), 2u) << "leaving an absent member emitted an event";
    EXPECT_EQ(events[0].type, PresenceEvent::Type::join);
    EXPECT_EQ(events[1].type, PresenceEvent::Type::leave);
}

TYPED_TEST_P(PresenceContract, RoomsAreIndependent) {
    ASSERT_TRUE(this->start());
    Member in_a = this->member("a", "1");
    Member in_b = this->member("b", "1");
    in_b.sid = in_a.sid;  // one connection in two rooms
    ASSERT_TRUE(this->join(in_a));
    ASSERT_TRUE(this->join(in_b));
    EXPECT_EQ(this->members("a"), std::vector<Member>{in_a});
    EXPECT_EQ(this->members("b"), std::vector<Member>{in_b});
    ASSERT_TRUE(this->leave(in_a));
    EXPECT_EQ(this->members("a"), std::vector<Member>{});
    EXPECT_EQ(this->members("b"), std::vector<Member>{in_b});
    EXPECT_EQ(this->members("empty"), std::vector<Member>{});
}

TYPED_TEST_P(PresenceContract, ConcurrentJoinsFromManyThreads) {
    ASSERT_TRUE(this->start());
    constexpr int kThreads = 4;
    constexpr int kPerThread = 40;
    std::vector<Member> expected;
    for (int i = 0; i < kThreads * kPerThread; ++i) {
        char sid[16];
        std::snprintf(sid, sizeof sid, "%05d", i);
        expected.push_back(this->member("crowd", sid));
    }
    Collector<std::error_code> results;
    call_concurrently(kThreads, kThreads * kPerThread, [&](int i) {
        this->presence_->join(
            expected[static_cast<std::size_t>(i)],
            this->checked("join()", [&results](std::error_code ec) { results.add(ec); }));
    });
    ASSERT_TRUE(results.wait_for_size(kThreads * kPerThread));
    for (const auto& ec : results.snapshot()) EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(this->members("crowd"), expected);
    ASSERT_TRUE(this->events_->wait_for_size(kThreads * kPerThread));
}

TYPED_TEST_P(PresenceContract, StopCompletesOnTheExecutor) {
    ASSERT_TRUE(this->start());
    ASSERT_TRUE(this->join(this->member("a", "1")));
    Probe<std::error_code> stopped(*this->ctx_);
    this->presence_->stop(stopped.callback());
    this->stopped_ = true;
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.template get<0>());
    EXPECT_TRUE(stopped.on_executor());
    EXPECT_EQ(stopped.calls(), 1);
}

REGISTER_TYPED_TEST_SUITE_P(PresenceContract, JoinShowsInMembersAndEmitsAnEvent,
                            JoiningTwiceIsIdempotent, LeaveRemovesAndEmitsAnEvent,
                            LeavingAnUnknownMemberEmitsNothing, RoomsAreIndependent,
                            ConcurrentJoinsFromManyThreads, StopCompletesOnTheExecutor);

}  // namespace relay::sdk::testing
