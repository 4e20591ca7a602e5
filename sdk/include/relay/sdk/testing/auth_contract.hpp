#pragma once
/// AuthContract<Traits>: the behaviour every sdk::Authenticator must show, as a typed
/// gtest suite. Instantiate it with a traits struct that knows how to build yours and
/// two handshakes it must decide:
///
///     struct MyAuthTraits {
///         static relay::sdk::Schema schema();
///         static std::unique_ptr<relay::sdk::Authenticator> make(relay::sdk::PluginContext&);
///         // A handshake the authenticator allows, with `join` in handshake.room.
///         static relay::sdk::Handshake allowed();
///         // A handshake it refuses (a bad token, a denied user).
///         static relay::sdk::Handshake refused();
///         // Optional: per-test setup (keys, a server URL) and cleanup.
///         static void set_up(relay::sdk::testing::TestConfig&);
///         static void tear_down(relay::sdk::testing::TestConfig&);
///     };
///     using Types = ::testing::Types<MyAuthTraits>;
///     INSTANTIATE_TYPED_TEST_SUITE_P(MyAuth, AuthContract, Types);
///
/// What it checks: each answer comes exactly once; an allowed identity names a user and
/// may join the room asked for; a refusal says why without repeating what the client
/// sent (a token in a reason ends up in logs and screens); a handshake with nothing in
/// it is refused; concurrent calls from several threads each get their own answer;
/// reload() leaves a working authenticator. As the host does, the suite calls
/// authenticate() from I/O threads (the context has four), and every answer must come
/// on one of them (PluginContext::io_executors(); inline is fine), never on a thread of
/// the plugin's own: a test where one does not fails, naming it. The concurrency test
/// sends 100 handshakes at once: an authenticator that refuses when busy (a bound on
/// requests in flight) needs a traits config that takes that many.
#include <relay/sdk/testing/contract_fixture.hpp>

#include <relay/sdk/auth.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace relay::sdk::testing {

template <class Traits>
class AuthContract : public ContractFixture<Traits> {
protected:
    using Base = ContractFixture<Traits>;
    using Base::ctx_;

    static constexpr std::size_t kIoThreads = 4;

    AuthContract() : Base("auth", CallbackThread::any_io_executor, kIoThreads) {}

    void TearDown() override {
        auth_.reset();
        Base::TearDown();
    }

    Authenticator& auth() {
        if (!auth_) auth_ = Traits::make(*ctx_);
        return *auth_;
    }

    /// The authenticator's answer to `handshake`, or a failure when it never came.
    struct Answer {
        bool came = false;
        int calls = 0;
        AuthOutcome outcome;
    };
    Answer ask(const Handshake& handshake) {
        Probe<AuthOutcome> done(*ctx_);
        // From an I/O thread, as the host calls it; the probe's own executor check is
        // not the one that applies (any I/O executor is), checked() is.
        boost::asio::post(ctx_->io_executors().back(),
                          [&auth = auth(), handshake,
                           callback = AuthDone(this->checked("authenticate()", done.callback()))] {
                              auth.authenticate(handshake, callback);
                          });
        Answer answer;
        answer.came = done.wait();
        if (!answer.came) return answer;
        // A second call would come soon after the first, if at all.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        answer.calls = done.calls();
        answer.outcome = done.template get<0>();
        return answer;
    }

private:
    std::unique_ptr<Authenticator> auth_;
};

TYPED_TEST_SUITE_P(AuthContract);

TYPED_TEST_P(AuthContract, AnAllowedHandshakeGetsAnIdentityThatMayJoinItsRoom) {
    const Handshake handshake = TypeParam::allowed();
    const auto answer = this->ask(handshake);
    ASSERT_TRUE(answer.came) << "authenticate() never answered";
    EXPECT_EQ(answer.calls, 1) << "done ran more than once";
    ASSERT_TRUE(answer.outcome.allowed) << "refused: " << answer.outcome.reason;
    EXPECT_FALSE(answer.outcome.identity.user_id.empty()) << "an identity names its user";
    EXPECT_TRUE(answer.outcome.identity.may(Permission::join, handshake.room))
        << "the allowed identity may not join '" << handshake.room << "'";
}

TYPED_TEST_P(AuthContract, ARefusalSaysWhyWithoutRepeatingWhatTheClientSent) {
    const Handshake handshake = TypeParam::refused();
    const auto answer = this->ask(handshake);
    ASSERT_TRUE(answer.came) << "authenticate() never answered";
    EXPECT_EQ(answer.calls, 1) << "done ran more than once";
    ASSERT_FALSE(answer.outcome.allowed);
    EXPECT_FALSE(answer.outcome.reason.empty()) << "a refusal needs a reason for the client";
    EXPECT_TRUE(answer.outcome.identity.user_id.empty()) << "a refusal carries no identity";
    // Whatever credential the client sent is not echoed back.
    if (handshake.auth_json.size() > 16) {
        EXPECT_EQ(answer.outcome.reason.find(handshake.auth_json), std::string::npos);
    }
    for (const auto& [name, value] : handshake.headers) {
        if (value.size() > 16) {
            EXPECT_EQ(answer.outcome.reason.find(value), std::string::npos)
                << "the reason repeats header " << name;
        }
    }
}

TYPED_TEST_P(AuthContract, AHandshakeWithNoCredentialsIsRefused) {
    Handshake empty;
    empty.room = TypeParam::allowed().room;
    empty.remote_address = "127.0.0.1";
    const auto answer = this->ask(empty);
    ASSERT_TRUE(answer.came) << "authenticate() never answered";
    EXPECT_EQ(answer.calls, 1);
    EXPECT_FALSE(answer.outcome.allowed) << "a client that sent nothing was let in";
    EXPECT_FALSE(answer.outcome.reason.empty());
}

TYPED_TEST_P(AuthContract, ConcurrentHandshakesFromSeveralThreadsEachGetTheirOwnAnswer) {
    constexpr std::size_t kThreads = 4;
    constexpr std::size_t kPerThread = 25;
    auto& auth = this->auth();
    const Handshake allowed = TypeParam::allowed();
    const Handshake refused = TypeParam::refused();
    // Shared with the callbacks: an answer that comes after the deadline finds it alive.
    struct Tally {
        std::mutex mutex;
        std::vector<int> calls = std::vector<int>(kThreads * kPerThread, 0);
        std::vector<std::size_t> wrong;
        std::atomic<std::size_t> answered{0};
    };
    auto tally = std::make_shared<Tally>();
    // Each I/O thread of the context calls at once, as the host's do.
    static_assert(kThreads == TestFixture::kIoThreads);
    Collector<std::size_t> called;
    for (std::size_t t = 0; t < kThreads; ++t) {
        boost::asio::post(this->ctx_->io_executors()[t], [&, t] {
            for (std::size_t i = 0; i < kPerThread; ++i) {
                const std::size_t n = t * kPerThread + i;
                const bool allow = n % 2 == 0;
                auth.authenticate(
                    allow ? allowed : refused,
                    this->checked("authenticate()", [tally, n, allow](const AuthOutcome& outcome) {
                        std::lock_guard lock(tally->mutex);
                        if (++tally->calls[n] == 1) tally->answered.fetch_add(1);
                        if (outcome.allowed != allow) tally->wrong.push_back(n);
                    }));
            }
            called.add(t);
        });
    }
    ASSERT_TRUE(called.wait_for_size(kThreads)) << "authenticate() did not return";
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (tally->answered.load() < kThreads * kPerThread &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::lock_guard lock(tally->mutex);
    EXPECT_EQ(tally->answered.load(), kThreads * kPerThread)
        << "some handshakes were never answered";
    for (std::size_t n = 0; n < tally->calls.size(); ++n) {
        EXPECT_LE(tally->calls[n], 1)
            << "handshake " << n << " was answered " << tally->calls[n] << " times";
    }
    EXPECT_TRUE(tally->wrong.empty())
        << tally->wrong.size() << " handshakes got the other one's answer";
}

TYPED_TEST_P(AuthContract, AfterReloadItStillDecides) {
    auto& auth = this->auth();
    Probe<> reloaded(*this->ctx_);
    boost::asio::post(this->ctx_->executor(), [&auth, done = reloaded.callback()] {
        auth.reload();
        done();
    });
    ASSERT_TRUE(reloaded.wait()) << "reload() did not return";
    const auto allowed = this->ask(TypeParam::allowed());
    ASSERT_TRUE(allowed.came);
    EXPECT_TRUE(allowed.outcome.allowed) << "refused after reload: " << allowed.outcome.reason;
    const auto refused = this->ask(TypeParam::refused());
    ASSERT_TRUE(refused.came);
    EXPECT_FALSE(refused.outcome.allowed) << "allowed after reload";
}

REGISTER_TYPED_TEST_SUITE_P(AuthContract, AnAllowedHandshakeGetsAnIdentityThatMayJoinItsRoom,
                            ARefusalSaysWhyWithoutRepeatingWhatTheClientSent,
                            AHandshakeWithNoCredentialsIsRefused,
                            ConcurrentHandshakesFromSeveralThreadsEachGetTheirOwnAnswer,
                            AfterReloadItStillDecides);

}  // namespace relay::sdk::testing
