#pragma once
/// ContractFixture<Traits>: what the Queue, Store and Presence contract suites share.
/// A TestContext for the component's config section; a token unique to the test, which
/// every room and id carries so the suites also run against a shared server; the
/// traits' optional per-test hooks (`set_up`, `tear_down`, given the TestConfig); and
/// one way to wait for a completion callback and judge it.
#include <relay/sdk/testing/test_context.hpp>

#include <relay/sdk/callbacks.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace relay::sdk::testing {

template <class Traits>
class ContractFixture : public ::testing::Test {
protected:
    /// `section` names the component's config section in messages ("queue").
    explicit ContractFixture(std::string_view section) : section_(section) {}

    void SetUp() override {
        ctx_ = std::make_unique<TestContext>(Traits::schema(), section_);
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
            return ::testing::AssertionFailure() << what << "'s callback ran off the executor";
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
};

}  // namespace relay::sdk::testing
