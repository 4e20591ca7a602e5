#pragma once
/// ContractFixture<Traits>: what the Queue, Store and Presence contract suites share.
/// A TestContext for the component's config section; a token unique to the test, which
/// every room and id carries so the suites also run against a shared server; the
/// traits' optional per-test hooks (`set_up`, `tear_down`, given the TestConfig); one
/// way to wait for a completion callback and judge it; and the thread check every
/// callback the suites hand a plugin goes through (checked()): a callback that runs
/// anywhere but where the SDK says it must fails the test that caused it, naming it.
#include <relay/sdk/testing/test_context.hpp>

#include <relay/sdk/callbacks.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace relay::sdk::testing {

/// Where a kind's callbacks must run (each SDK header says it for its kind).
enum class CallbackThread {
    plugin_executor,  ///< PluginContext::executor(): queues, stores, presence
    any_io_executor,  ///< any of PluginContext::io_executors(), inline included:
                      ///< processors, authenticators
};

template <class Traits>
class ContractFixture : public ::testing::Test {
protected:
    /// `section` names the component's config section in messages ("queue"); the
    /// context gets `io_threads` I/O executors.
    explicit ContractFixture(std::string_view section,
                             CallbackThread where = CallbackThread::plugin_executor,
                             std::size_t io_threads = 1)
        : section_(section), where_(where), io_threads_(io_threads) {}

    void SetUp() override {
        ctx_ = std::make_unique<TestContext>(Traits::schema(), section_, "test-node", io_threads_);
        token_ = unique_token();
        if constexpr (requires(TestConfig & c) { Traits::set_up(c); }) {
            Traits::set_up(ctx_->settings());
        }
    }

    /// Runs the traits' tear_down and drops the context. A suite stops and destroys its
    /// component before calling this.
    void TearDown() override {
        if constexpr (requires(TestConfig & c) { Traits::tear_down(c); }) {
            Traits::tear_down(ctx_->settings());
        }
        ctx_.reset();
        const auto off = misplaced_->snapshot();
        EXPECT_TRUE(off.empty()) << off.size() << " callbacks ran " << elsewhere()
                                 << ", the first: " << (off.empty() ? "" : off.front());
    }

    /// True on the thread where this kind's callbacks must run.
    bool on_callback_thread() const {
        return where_ == CallbackThread::plugin_executor ? ctx_->on_executor()
                                                         : ctx_->on_io_executor();
    }
    /// Where they ran instead, for messages.
    const char* elsewhere() const {
        return where_ == CallbackThread::plugin_executor ? "off the plugin's executor"
                                                         : "off the host's executors";
    }

    /// `callback`, recording each call that runs where this kind's callbacks must not:
    /// the test then fails at TearDown with "N callbacks ran off the plugin's
    /// executor, the first: <what>". The suites wrap every callback they hand a plugin.
    template <class F>
    auto checked(std::string what, F callback) const {
        return [ctx = ctx_.get(), where = where_, misplaced = misplaced_, what = std::move(what),
                callback = std::move(callback)](auto&&... args) mutable {
            const bool right = where == CallbackThread::plugin_executor ? ctx->on_executor()
                                                                        : ctx->on_io_executor();
            if (!right) misplaced->add(what);
            return callback(std::forward<decltype(args)>(args)...);
        };
    }

    /// This test's name for a room.
    std::string room(std::string_view name) const { return token_ + "-" + std::string(name); }

    /// Calls `op` with a Done and waits for it: fails when it never ran, ran with an
    /// error, or ran off the executor. `what` names the call in messages ("start()").
    template <class Op>
    ::testing::AssertionResult completes(std::string_view what, Op op) {
        Probe<std::error_code> done(*ctx_);
        op(Done(done.callback()));
        if (!done.wait()) return ::testing::AssertionFailure() << what << " did not complete";
        if (auto ec = done.template get<0>()) {
            return ::testing::AssertionFailure() << what << " failed: " << ec.message();
        }
        if (!done.on_executor()) {
            return ::testing::AssertionFailure()
                   << what << "'s callback ran off the plugin's executor";
        }
        return ::testing::AssertionSuccess();
    }

    /// Stops `component` as a test ends, whatever state the test left it in: only
    /// that stop() completes is checked (a test that broke the backend may have made it
    /// report an error).
    template <class Component>
    void stop_at_end(Component& component) {
        Probe<std::error_code> stopped(*ctx_);
        component.stop(stopped.callback());
        EXPECT_TRUE(stopped.wait()) << "stop() did not complete";
    }

    std::unique_ptr<TestContext> ctx_;
    std::string token_;

private:
    std::string section_;
    CallbackThread where_;
    std::size_t io_threads_;
    std::shared_ptr<Collector<std::string>> misplaced_ = std::make_shared<Collector<std::string>>();
};

}  // namespace relay::sdk::testing
