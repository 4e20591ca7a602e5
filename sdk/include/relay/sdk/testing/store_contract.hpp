#pragma once
/// StoreContract<Traits>: the behaviour every sdk::Store must show, as a typed gtest
/// suite. Instantiate it with a traits struct that knows how to build your store:
///
///     struct MyStoreTraits {
///         static relay::sdk::Schema schema();
///         static std::unique_ptr<relay::sdk::Store> make(relay::sdk::PluginContext&);
///         // Optional: per-test setup (a fresh database file, a DSN) and cleanup,
///         // called before the store is made and after it is destroyed.
///         static void set_up(relay::sdk::testing::TestConfig&);
///         static void tear_down(relay::sdk::testing::TestConfig&);
///     };
///     using Types = ::testing::Types<MyStoreTraits>;
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, StoreContract, Types);
///
/// Rooms and ids carry a per-test unique prefix, so the suite also runs against a
/// database shared with earlier runs. Every callback must run on the plugin's executor
/// (PluginContext::executor()), never inline on the caller's thread nor on a thread of
/// the backend: a test where one does not fails, naming the call. Text fields must round-trip byte
/// for byte (no NUL inside text: not every database stores one); attachments are binary.
#include <relay/sdk/testing/contract_fixture.hpp>

#include <relay/sdk/message.hpp>
#include <relay/sdk/store.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::sdk::testing {

template <class Traits>
class StoreContract : public ContractFixture<Traits> {
protected:
    using Base = ContractFixture<Traits>;
    using Base::ctx_;
    using Base::token_;
    using HistoryProbe = Probe<std::error_code, std::vector<Message>>;

    StoreContract() : Base("store") {}

    void TearDown() override {
        stop_store();
        Base::TearDown();
    }

    /// Makes and starts a store (again, after stop_store(), to reopen).
    ::testing::AssertionResult start_store() {
        store_ = Traits::make(*ctx_);
        return this->completes("start()", [this](Done done) { store_->start(std::move(done)); });
    }

    /// Stops and destroys the store, if any.
    void stop_store() {
        if (!store_) return;
        EXPECT_TRUE(
            this->completes("stop()", [this](Done done) { store_->stop(std::move(done)); }));
        store_.reset();
    }

    /// A message with a fresh id that sorts after the ones made before.
    Message message(std::string_view room_name, std::string payload = "{\"text\":\"hi\"}") {
        char counter[16];
        std::snprintf(counter, sizeof counter, "%08u", next_id_++);
        Message msg;
        msg.id = token_ + "-" + counter;
        msg.room = this->room(room_name);
        msg.sender = "sid-1";
        msg.user = "alice";
        msg.ts_ms = 1700000000000 + next_id_;
        msg.payload_json = std::move(payload);
        msg.position = std::to_string(next_id_);
        return msg;
    }
    std::vector<Message> messages(std::string_view room_name, int n) {
        std::vector<Message> batch;
        for (int i = 0; i < n; ++i) {
            batch.push_back(message(room_name, "{\"n\":" + std::to_string(i) + "}"));
        }
        return batch;
    }

    ::testing::AssertionResult append(std::vector<Message> batch) {
        return this->completes(
            "append()", [&](Done done) { store_->append(std::move(batch), std::move(done)); });
    }

    /// Runs a history query; fails the test (and returns nothing) on error.
    std::vector<Message> history(std::string_view room_name, std::size_t limit,
                                 std::string before_id = {}, std::string after_id = {}) {
        HistoryProbe done(*ctx_);
        store_->history(this->room(room_name),
                        HistoryQuery{limit, std::move(before_id), std::move(after_id)},
                        done.callback());
        EXPECT_TRUE(done.wait()) << "history() did not complete";
        if (!done.done()) return {};
        EXPECT_FALSE(done.template get<0>()) << done.template get<0>().message();
        EXPECT_TRUE(done.on_executor()) << "history()'s callback ran off the executor";
        return done.template get<1>();
    }

    static std::vector<Message> slice(const std::vector<Message>& all, std::size_t from,
                                      std::size_t to) {
        return std::vector<Message>(all.begin() + static_cast<std::ptrdiff_t>(from),
                                    all.begin() + static_cast<std::ptrdiff_t>(to));
    }

    std::unique_ptr<Store> store_;
    unsigned next_id_ = 0;
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, HistoryReturnsTheLastNOldestFirst) {
    ASSERT_TRUE(this->start_store());
    auto all = this->messages("a", 10);
    ASSERT_TRUE(this->append(all));
    EXPECT_EQ(this->history("a", 5), TestFixture::slice(all, 5, 10));
    EXPECT_EQ(this->history("a", 50), all);
    EXPECT_EQ(this->history("a", 0), std::vector<Message>{});
    EXPECT_EQ(this->history("nobody-here", 10), std::vector<Message>{});
}

TYPED_TEST_P(StoreContract, HistoryBeforeAndAfterAnId) {
    ASSERT_TRUE(this->start_store());
    auto all = this->messages("a", 12);
    // Arrives in two batches, the later first: order comes from the ids.
    ASSERT_TRUE(this->append(TestFixture::slice(all, 6, 12)));
    ASSERT_TRUE(this->append(TestFixture::slice(all, 0, 6)));

    EXPECT_EQ(this->history("a", 3, all[6].id), TestFixture::slice(all, 3, 6));
    EXPECT_EQ(this->history("a", 50, all[6].id), TestFixture::slice(all, 0, 6));
    EXPECT_EQ(this->history("a", 3, {}, all[6].id), TestFixture::slice(all, 7, 10));
    EXPECT_EQ(this->history("a", 50, {}, all[6].id), TestFixture::slice(all, 7, 12));
    EXPECT_EQ(this->history("a", 5, all[0].id), std::vector<Message>{});
    EXPECT_EQ(this->history("a", 5, {}, all[11].id), std::vector<Message>{});
}

TYPED_TEST_P(StoreContract, RoomsAreSeparate) {
    ASSERT_TRUE(this->start_store());
    std::vector<Message> a, b, batch;
    for (int i = 0; i < 6; ++i) {
        auto msg = this->message(i % 2 == 0 ? "a" : "b");
        (i % 2 == 0 ? a : b).push_back(msg);
        batch.push_back(msg);
    }
    ASSERT_TRUE(this->append(batch));
    EXPECT_EQ(this->history("a", 10), a);
    EXPECT_EQ(this->history("b", 10), b);
    EXPECT_EQ(this->history("b", 10, {}, b[0].id), TestFixture::slice(b, 1, 3));
}

TYPED_TEST_P(StoreContract, AppendIsIdempotentById) {
    ASSERT_TRUE(this->start_store());
    auto all = this->messages("a", 6);
    ASSERT_TRUE(this->append(TestFixture::slice(all, 0, 4)));
    // A replay overlapping the first batch: the stored copies stay, the new ones land.
    auto replay = TestFixture::slice(all, 2, 6);
    replay[0].payload_json = "{\"changed\":true}";
    ASSERT_TRUE(this->append(replay));
    ASSERT_TRUE(this->append(all));
    EXPECT_EQ(this->history("a", 50), all);
    ASSERT_TRUE(this->append({}));
}

TYPED_TEST_P(StoreContract, TextAndAttachmentsRoundTripVerbatim) {
    ASSERT_TRUE(this->start_store());
    std::string binary;
    for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
    std::vector<Message> batch;
    batch.push_back(this->message("q", R"({"text":"it's \"quoted\" \\ back\\slash"})"));
    batch.push_back(this->message("q", "{\"text\":\"héllo wörld ✓ 日本語 🎉\"}"));
    batch.push_back(this->message("q", R"({"text":"'); DROP TABLE messages; --"})"));
    batch.push_back(this->message("q", "{\"text\":\"%s %d $1 ? :name @x\\n\\t\"}"));
    batch.back().attachments = {binary, std::string(), std::string("\0\0\0", 3),
                                std::string(70000, '\xff')};
    batch.back().sender = "sid'with\"quotes";
    batch.back().user = "Zoë \"Z\" O'Brien; DELETE FROM users";
    batch.push_back(this->message("q", "{}"));
    batch.back().attachments = {std::string(1, '\0')};
    batch.back().user.clear();
    batch.back().position.clear();
    ASSERT_TRUE(this->append(batch));
    EXPECT_EQ(this->history("q", 50), batch);
}

TYPED_TEST_P(StoreContract, ConcurrentAppendsFromManyThreads) {
    ASSERT_TRUE(this->start_store());
    constexpr int kThreads = 4;
    constexpr int kBatches = 25;
    constexpr int kPerBatch = 4;
    std::vector<std::vector<Message>> batches;
    std::vector<Message> all;
    for (int i = 0; i < kThreads * kBatches; ++i) {
        batches.push_back(this->messages("a", kPerBatch));
        all.insert(all.end(), batches.back().begin(), batches.back().end());
    }
    Collector<std::error_code> results;
    call_concurrently(kThreads, kThreads * kBatches, [&](int i) {
        this->store_->append(
            batches[static_cast<std::size_t>(i)],
            this->checked("append()", [&results](std::error_code ec) { results.add(ec); }));
    });
    ASSERT_TRUE(results.wait_for_size(kThreads * kBatches));
    for (const auto& ec : results.snapshot()) EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(this->history("a", all.size() + 10), all);
}

TYPED_TEST_P(StoreContract, StopFinishesQueuedAppends) {
    ASSERT_TRUE(this->start_store());
    constexpr int kBatches = 30;
    std::vector<Message> all;
    std::vector<Probe<std::error_code>> done;
    for (int i = 0; i < kBatches; ++i) {
        auto batch = this->messages("a", 5);
        all.insert(all.end(), batch.begin(), batch.end());
        done.emplace_back(*this->ctx_);
        this->store_->append(std::move(batch), this->checked("append()", done.back().callback()));
    }
    Probe<std::error_code> stopped(*this->ctx_);
    std::atomic<int> appended_before_stop{0};
    this->store_->stop(this->checked("stop()", [&, cb = stopped.callback()](std::error_code ec) {
        for (auto& probe : done) appended_before_stop += probe.done() ? 1 : 0;
        cb(ec);
    }));
    ASSERT_TRUE(stopped.wait());
    EXPECT_FALSE(stopped.template get<0>());
    EXPECT_EQ(appended_before_stop.load(), kBatches)
        << "stop() completed before the appends queued ahead of it";
    for (auto& probe : done) {
        ASSERT_TRUE(probe.wait());
        EXPECT_FALSE(probe.template get<0>()) << probe.template get<0>().message();
        EXPECT_EQ(probe.calls(), 1);
    }
    this->store_.reset();
    // The data is still there for the next store on the same configuration.
    ASSERT_TRUE(this->start_store());
    EXPECT_EQ(this->history("a", all.size()), all);
}

REGISTER_TYPED_TEST_SUITE_P(StoreContract, HistoryReturnsTheLastNOldestFirst,
                            HistoryBeforeAndAfterAnId, RoomsAreSeparate, AppendIsIdempotentById,
                            TextAndAttachmentsRoundTripVerbatim, ConcurrentAppendsFromManyThreads,
                            StopFinishesQueuedAppends);

}  // namespace relay::sdk::testing
