#pragma once
/// ProcessorContract<Traits>: the behaviour every sdk::Processor must show, as a typed
/// gtest suite. Instantiate it with a traits struct that knows how to build yours:
///
///     struct MyProcessorTraits {
///         static relay::sdk::Schema schema();
///         static std::unique_ptr<relay::sdk::Processor> make(relay::sdk::PluginContext&);
///         // Optional: the payloads to run it on (JSON objects; `{"_placeholder":true,
///         // "num":0}` stands for an attachment the suite adds). Default:
///         // ProcessorContract's sample_payloads().
///         static std::vector<std::string> payloads();
///         // Optional: per-test setup and cleanup.
///         static void set_up(relay::sdk::testing::TestConfig&);
///         static void tear_down(relay::sdk::testing::TestConfig&);
///     };
///     using Types = ::testing::Types<MyProcessorTraits>;
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyProcessor, ProcessorContract, Types);
///
/// What it checks, as the host relies on it (sdk/processor.hpp): process() is called
/// from the host's I/O threads, concurrently (the context has four); `done` runs exactly
/// once per message, on one of them (inline is fine), never on a thread of the
/// plugin's own; a message it passes is still one the host forwards (the payload one
/// JSON object whose placeholders name attachments: sdk::processed_payload_problem,
/// the host's own check) with its identity untouched (id, ts_ms, room, sender, user);
/// a rejection says why. A processor may reject any message (a rate limit will, under
/// the concurrency test): the suite judges what it does, not what it decides.
#include <relay/sdk/testing/contract_fixture.hpp>

#include <relay/sdk/message.hpp>
#include <relay/sdk/payload.hpp>
#include <relay/sdk/processor.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace relay::sdk::testing {

/// Payloads a chat processor meets: plain text, escapes and non-ASCII text, nested
/// data, an attachment's placeholder, an empty object, spacing a client may send.
inline std::vector<std::string> sample_payloads() {
    return {
        R"({"text":"hi"})",
        R"({"text":"it's \"quoted\" \\ and \u00e9 and 日本語 🎉\n","n":-1.5e3,"ok":true})",
        R"({"text":"look","meta":{"tags":["a","b"],"reply_to":null,"depth":{"x":[1,[2]]}}})",
        R"({"text":"a file","file":{"_placeholder":true,"num":0},"name":"a.png"})",
        R"({})",
        "{ \"text\" : \"spaced\" ,\n\t\"room\" : \"not the real room\" }",
    };
}

template <class Traits>
class ProcessorContract : public ContractFixture<Traits> {
protected:
    using Base = ContractFixture<Traits>;
    using Base::ctx_;
    using Base::token_;

    static constexpr std::size_t kIoThreads = 4;

    ProcessorContract() : Base("processors[0]", CallbackThread::any_io_executor, kIoThreads) {}

    void SetUp() override {
        Base::SetUp();
        processor_ = Traits::make(*ctx_);
    }

    void TearDown() override {
        // Every I/O thread past the calls it was given (a call may still be returning
        // after its done ran), then the processor goes.
        for (const auto& executor : ctx_->io_executors()) {
            Probe<> idle(executor);
            boost::asio::post(executor, idle.callback());
            EXPECT_TRUE(idle.wait()) << "an I/O thread is still inside process()";
        }
        processor_.reset();
        Base::TearDown();
    }

    static std::vector<std::string> payloads() {
        if constexpr (requires { Traits::payloads(); }) {
            return Traits::payloads();
        } else {
            return sample_payloads();
        }
    }

    /// A message as the transport hands it over: identity set, an attachment for each
    /// placeholder the payload holds.
    Message message(std::string payload, int n) const {
        Message msg;
        msg.id = token_ + "-" + std::to_string(n);
        msg.room = this->room("a");
        msg.sender = "sid-" + std::to_string(n % 7);
        msg.user = "alice";
        msg.ts_ms = 1700000000000 + n;
        msg.remote_address = "127.0.0." + std::to_string(1 + n % 5);
        std::string copy = payload;
        for (const auto num : PayloadEditor(copy).placeholders().nums) {
            if (msg.attachments.size() <= num) msg.attachments.resize(num + 1, "bytes");
        }
        msg.payload_json = std::move(payload);
        return msg;
    }

    /// One call: the message (kept alive until `done` ran), its verdicts.
    struct Call {
        Message before;
        Message msg;
        Collector<Verdict> verdicts;
    };

    /// Calls process() on `call` from I/O thread `thread`, as the host does.
    void process_on(std::size_t thread, const std::shared_ptr<Call>& call) {
        boost::asio::post(ctx_->io_executors()[thread % kIoThreads], [this, call] {
            processor_->process(call->msg, this->checked("process()'s done", [call](Verdict v) {
                call->verdicts.add(std::move(v));
            }));
        });
    }

    /// Waits for every call's verdict, then a moment for second ones, then judges each.
    void judge(const std::vector<std::shared_ptr<Call>>& calls) {
        for (const auto& call : calls) {
            ASSERT_TRUE(call->verdicts.wait_for_size(1))
                << "process() never called done for " << call->before.payload_json;
        }
        // A second call would come soon after the first, if at all.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (const auto& call : calls) {
            const auto verdicts = call->verdicts.snapshot();
            EXPECT_EQ(verdicts.size(), 1u)
                << "done ran " << verdicts.size() << " times for " << call->before.payload_json;
            const Message& msg = call->msg;
            const Message& before = call->before;
            EXPECT_EQ(msg.id, before.id) << "a processor must keep the message id";
            EXPECT_EQ(msg.ts_ms, before.ts_ms) << "a processor must keep the message's time";
            EXPECT_EQ(msg.room, before.room) << "a processor must keep the room";
            EXPECT_EQ(msg.sender, before.sender) << "a processor must keep the sender";
            EXPECT_EQ(msg.user, before.user) << "a processor must keep the user";
            if (verdicts.empty()) continue;
            if (verdicts.front().pass) {
                EXPECT_EQ(processed_payload_problem(msg.payload_json, msg.attachments.size()), "")
                    << "passed " << before.payload_json << " as " << msg.payload_json;
            } else {
                EXPECT_FALSE(verdicts.front().reason.empty())
                    << "a rejection needs a reason for the sender";
            }
        }
    }

    std::vector<std::shared_ptr<Call>> calls_for(const std::vector<std::string>& texts, int first) {
        std::vector<std::shared_ptr<Call>> calls;
        int n = first;
        for (const auto& text : texts) {
            auto call = std::make_shared<Call>();
            call->before = message(text, n++);
            call->msg = call->before;
            calls.push_back(std::move(call));
        }
        return calls;
    }

    std::unique_ptr<Processor> processor_;
};

TYPED_TEST_SUITE_P(ProcessorContract);

TYPED_TEST_P(ProcessorContract, EachMessageGetsOneVerdictAndStaysAMessage) {
    auto calls = this->calls_for(TestFixture::payloads(), 0);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        this->process_on(i, calls[i]);
        // One at a time, so that a processor with a rate sees a trickle.
        ASSERT_TRUE(calls[i]->verdicts.wait_for_size(1))
            << "process() never called done for " << calls[i]->before.payload_json;
    }
    this->judge(calls);
}

TYPED_TEST_P(ProcessorContract, ConcurrentCallsFromEveryIoThread) {
    std::vector<std::string> texts;
    const auto samples = TestFixture::payloads();
    for (int i = 0; i < 50; ++i) {
        for (const auto& sample : samples) texts.push_back(sample);
    }
    auto calls = this->calls_for(texts, 1000);
    for (std::size_t i = 0; i < calls.size(); ++i) this->process_on(i, calls[i]);
    this->judge(calls);
}

REGISTER_TYPED_TEST_SUITE_P(ProcessorContract, EachMessageGetsOneVerdictAndStaysAMessage,
                            ConcurrentCallsFromEveryIoThread);

}  // namespace relay::sdk::testing
