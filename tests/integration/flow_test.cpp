// The host's flow on the embedded plugins (memory queue, local presence, sqlite
// store) loaded from build/plugins, with an in-process recording transport.
#include "runtime/host.hpp"
#include "support/pipeline_fixture.hpp"
#include "support/recording_host.hpp"
#include "support/recording_transport.hpp"
#include "support/sqlite_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <relay/sdk/error.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace relay::testing {
namespace {

std::string embedded_pipeline(const std::filesystem::path& db, const std::string& processors = "") {
    return "transport: { use: testline }\n" + processors +
           "queue: { use: memory }\n"
           "presence: { use: local }\n"
           "store: { use: sqlite, path: " +
           db.string() +
           " }\n"
           "node: { id: test-node, threads: 2 }\n";
}

struct Ack {
    std::string id;
    std::error_code error;
    std::string reason;
};

TEST(Flow, TenThousandMessagesOverHundredRoomsAreAckedBroadcastInOrderAndStoredOnce) {
    TempDir dir;
    auto loaded = load_test_pipeline(embedded_pipeline(dir / "relay.db"));
    auto owned = std::make_unique<RecordingTransport>();
    RecordingTransport& transport = *owned;
    constexpr int kRooms = 100;
    constexpr int kMembers = 3;
    constexpr int kPerRoom = 100;  // 10,000 in all
    for (int r = 0; r < kRooms; ++r) {
        for (int m = 0; m < kMembers; ++m) {
            transport.add_member("room" + std::to_string(r),
                                 "r" + std::to_string(r) + "m" + std::to_string(m));
        }
    }
    host::Host host(loaded, std::move(owned));
    host.start();

    std::mutex acks_mutex;
    std::vector<Ack> acks;
    // Four publishing threads, each owning 25 rooms; every member of a room sends in turn.
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) {
        senders.emplace_back([&, t] {
            for (int r = t; r < kRooms; r += 4) {
                for (int i = 0; i < kPerRoom; ++i) {
                    sdk::Message msg;
                    msg.room = "room" + std::to_string(r);
                    msg.sender = "r" + std::to_string(r) + "m" + std::to_string(i % kMembers);
                    msg.user = "user";
                    msg.payload_json = nlohmann::json{{"seq", i}, {"text", "hello"}}.dump();
                    transport.inbound().publish(std::move(msg), [&](const sdk::Published& p) {
                        std::lock_guard lock(acks_mutex);
                        acks.push_back({p.id, p.error, p.reason});
                    });
                }
            }
        });
    }
    for (auto& s : senders) s.join();

    constexpr std::size_t kTotal = kRooms * kPerRoom;
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(acks_mutex);
        return acks.size() == kTotal;
    })) << "acks: "
        << acks.size();
    std::set<std::string> acked;
    for (const auto& ack : acks) {
        ASSERT_FALSE(ack.error) << ack.error.message() << " " << ack.reason;
        ASSERT_EQ(ack.id.size(), 26U);
        acked.insert(ack.id);
    }
    EXPECT_EQ(acked.size(), kTotal) << "ids are unique";

    // Every other member of the room gets each message once, in each sender's order.
    ASSERT_TRUE(eventually([&] { return transport.broadcasts() == kTotal; }));
    const auto received = transport.received();
    std::size_t deliveries = 0;
    for (const auto& [receiver, list] : received) {
        std::map<std::string, int> last_seq;
        std::set<std::string> seen;
        for (const auto& d : list) {
            ASSERT_NE(d.sender, receiver) << "the sender must not get its own message";
            ASSERT_TRUE(seen.insert(d.id).second) << "duplicate delivery of " << d.id;
            ASSERT_TRUE(acked.count(d.id)) << "delivered an id nobody was acked for";
            const int seq = nlohmann::json::parse(d.payload)["seq"].get<int>();
            auto [it, fresh] = last_seq.emplace(d.sender, seq);
            if (!fresh) {
                ASSERT_GT(seq, it->second) << receiver << " got " << d.sender << " out of order";
                it->second = seq;
            }
        }
        deliveries += list.size();
    }
    EXPECT_EQ(deliveries, kTotal * (kMembers - 1));

    host.stop();
    const auto ids = stored_ids(dir / "relay.db");
    EXPECT_EQ(ids.size(), kTotal);
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), acked);
}

TEST(Flow, AProcessorThatRejectsEveryThirdMessageProducesErrorAcksForExactlyThose) {
    TempDir dir;
    auto loaded = load_test_pipeline(embedded_pipeline(
        dir / "relay.db", "processors:\n  - { use: testpass }\n  - { use: rejectthird }\n"));
    RecordingHost running(loaded, {{"lobby", "a"}, {"lobby", "b"}});
    RecordingTransport& transport = running.transport;
    host::Host& host = running.host;

    constexpr int kMessages = 300;
    std::mutex mutex;
    std::map<int, Ack> acks;
    for (int i = 1; i <= kMessages; ++i) {
        sdk::Message msg;
        msg.room = "lobby";
        msg.sender = "a";
        msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
        transport.inbound().publish(std::move(msg), [&, i](const sdk::Published& p) {
            std::lock_guard lock(mutex);
            acks[i] = {p.id, p.error, p.reason};
        });
    }
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(mutex);
        return acks.size() == kMessages;
    }));
    std::set<std::string> accepted;
    for (const auto& [n, ack] : acks) {
        if (n % 3 == 0) {
            EXPECT_EQ(ack.error, sdk::Errc::rejected) << "message " << n;
            EXPECT_TRUE(ack.reason.starts_with("every third message is rejected")) << ack.reason;
        } else {
            EXPECT_FALSE(ack.error) << "message " << n << ": " << ack.reason;
            accepted.insert(ack.id);
        }
    }
    host.stop();
    const auto ids = stored_ids(dir / "relay.db");
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), accepted);
    EXPECT_EQ(ids.size(), 200U);
    EXPECT_EQ(transport.received()["b"].size(), 200U);
}

TEST(Flow, WhatAProcessorMadeUndeliverableIsAnErrorAckAndNeitherStoredNorBroadcast) {
    const std::map<std::string, std::string> cases = {
        {"not_json", "a processor made the payload invalid JSON"},
        {"array", "a processor made the payload something other than a JSON object"},
        {"orphan_placeholder", "a processor left a binary placeholder without its attachment"},
    };
    for (const auto& [make, reason] : cases) {
        SCOPED_TRACE(make);
        TempDir dir;
        auto loaded = load_test_pipeline(embedded_pipeline(
            dir / "relay.db", "processors:\n  - { use: mangle, make: " + make + " }\n"));
        RecordingHost running(loaded, {{"lobby", "a"}, {"lobby", "b"}});
        std::mutex mutex;
        std::vector<Ack> acks;
        for (int i = 0; i < 3; ++i) {
            sdk::Message msg;
            msg.room = "lobby";
            msg.sender = "a";
            msg.payload_json = R"({"text":"hi"})";
            running.transport.inbound().publish(std::move(msg), [&](const sdk::Published& p) {
                std::lock_guard lock(mutex);
                acks.push_back({p.id, p.error, p.reason});
            });
        }
        ASSERT_TRUE(eventually([&] {
            std::lock_guard lock(mutex);
            return acks.size() == 3;
        }));
        for (const auto& ack : acks) {
            EXPECT_EQ(ack.error, sdk::Errc::rejected);
            EXPECT_EQ(ack.reason, reason);
        }
        running.host.stop();
        EXPECT_TRUE(stored_ids(dir / "relay.db").empty());
        EXPECT_TRUE(running.transport.received()["b"].empty());
    }
}

TEST(Flow, HistoryRightAfterTheAckHasTheMessage) {
    TempDir dir;
    auto loaded = load_test_pipeline(embedded_pipeline(dir / "relay.db"));
    RecordingHost running(loaded);
    for (int i = 0; i < 20; ++i) {
        sdk::Message msg;
        msg.room = "lobby";
        msg.sender = "a";
        msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
        std::promise<sdk::Published> acked;
        running.transport.inbound().publish(std::move(msg),
                                            [&](const sdk::Published& p) { acked.set_value(p); });
        const auto ack = acked.get_future().get();
        ASSERT_FALSE(ack.error) << ack.reason;
        std::promise<std::vector<sdk::Message>> answered;
        running.transport.inbound().history("lobby", {1, {}, {}},
                                            [&](std::error_code ec, std::vector<sdk::Message> m) {
                                                EXPECT_FALSE(ec) << ec.message();
                                                answered.set_value(std::move(m));
                                            });
        const auto last = answered.get_future().get();
        ASSERT_EQ(last.size(), 1U) << "message " << i;
        EXPECT_EQ(last.front().id, ack.id) << "message " << i;
    }
}

TEST(Flow, PresenceJoinAndLeaveReachTheTransportAndMembersAreListed) {
    TempDir dir;
    auto loaded = load_test_pipeline(embedded_pipeline(dir / "relay.db"));
    RecordingHost running(loaded);
    RecordingTransport& transport = running.transport;
    std::atomic<int> done{0};
    transport.inbound().join({"lobby", "s1", "ann", "test-node", 1}, [&](std::error_code ec) {
        EXPECT_FALSE(ec);
        ++done;
    });
    transport.inbound().join({"lobby", "s2", "bob", "test-node", 2},
                             [&](std::error_code) { ++done; });
    ASSERT_TRUE(eventually([&] { return done == 2; }));
    std::vector<sdk::Member> members;
    std::atomic<bool> listed{false};
    transport.inbound().members("lobby", [&](std::error_code ec, std::vector<sdk::Member> m) {
        EXPECT_FALSE(ec);
        members = std::move(m);
        listed = true;
    });
    ASSERT_TRUE(eventually([&] { return listed.load(); }));
    ASSERT_EQ(members.size(), 2U);
    transport.inbound().leave({"lobby", "s1", "ann", "test-node", 1},
                              [&](std::error_code) { ++done; });
    ASSERT_TRUE(eventually([&] { return transport.presence_events().size() == 3; }));
    const auto events = transport.presence_events();
    EXPECT_EQ(events[2].type, sdk::PresenceEvent::Type::leave);
    EXPECT_EQ(events[2].member.sid, "s1");
}

TEST(Flow, HistoryComesFromTheStoreOldestFirst) {
    TempDir dir;
    auto loaded = load_test_pipeline(embedded_pipeline(dir / "relay.db"));
    RecordingHost running(loaded);
    RecordingTransport& transport = running.transport;
    std::atomic<int> acked{0};
    for (int i = 0; i < 20; ++i) {
        sdk::Message msg;
        msg.room = "lobby";
        msg.sender = "a";
        msg.payload_json = "{\"n\":" + std::to_string(i) + "}";
        transport.inbound().publish(std::move(msg), [&](const sdk::Published&) { ++acked; });
    }
    ASSERT_TRUE(eventually([&] { return acked == 20; }));
    std::vector<sdk::Message> last;
    ASSERT_TRUE(eventually([&] {
        std::atomic<bool> answered{false};
        transport.inbound().history("lobby", {5, {}, {}},
                                    [&](std::error_code ec, std::vector<sdk::Message> m) {
                                        if (!ec) last = std::move(m);
                                        answered = true;
                                    });
        eventually([&] { return answered.load(); });
        return last.size() == 5 && last.back().payload_json == "{\"n\":19}";
    }));
    EXPECT_EQ(last.front().payload_json, "{\"n\":15}");
}

}  // namespace
}  // namespace relay::testing
