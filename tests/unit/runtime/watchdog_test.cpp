#include "runtime/watchdog.hpp"
#include "runtime/io_pool.hpp"

#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

namespace relay::host {
namespace {

using namespace std::chrono_literals;
using relay::testing::eventually;

// The control thread's io_context, run on a thread of the test's own.
class ControlThread {
public:
    ControlThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
    ~ControlThread() {
        guard_.reset();
        io_.stop();
        thread_.join();
    }
    ControlThread(const ControlThread&) = delete;
    ControlThread& operator=(const ControlThread&) = delete;
    ControlThread(ControlThread&&) = delete;
    ControlThread& operator=(ControlThread&&) = delete;

    boost::asio::any_io_executor executor() { return io_.get_executor(); }
    // Runs `f` on the control thread and waits for it.
    template <class F>
    void run(F f) {
        std::promise<void> done;
        boost::asio::post(io_, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

TEST(Watchdog, PingsEveryIntervalWhileEveryIoThreadRuns) {
    IoPool io(3);
    ControlThread control;
    std::atomic<int> pings{0};
    std::optional<Watchdog> watchdog;
    control.run([&] {
        watchdog.emplace(control.executor(), io.executors(), 5ms, [&] { ++pings; });
        watchdog->start();
    });
    EXPECT_TRUE(eventually([&] { return pings >= 10; }, 5s)) << pings;
    control.run([&] { watchdog.reset(); });
    const int after_stop = pings;
    std::this_thread::sleep_for(50ms);  // ten intervals: nothing may come any more
    EXPECT_EQ(pings, after_stop);
}

TEST(Watchdog, NoPingWhileOneIoThreadIsStuckAndPingsAgainOnceItRuns) {
    IoPool io(2);
    ControlThread control;
    std::atomic<int> pings{0};
    std::optional<Watchdog> watchdog;
    control.run([&] {
        watchdog.emplace(control.executor(), io.executors(), 5ms, [&] { ++pings; });
        watchdog->start();
    });
    ASSERT_TRUE(eventually([&] { return pings >= 2; }, 5s));

    // A handler that never returns on the second thread, as a deadlock would.
    std::promise<void> release;
    std::promise<void> stuck;
    boost::asio::post(io.executors()[1], [&, released = release.get_future()] {
        stuck.set_value();
        released.wait();
    });
    stuck.get_future().wait();
    // A round may have been under way when the thread got stuck; at most its ping.
    std::this_thread::sleep_for(20ms);
    const int while_stuck = pings;
    std::this_thread::sleep_for(100ms);  // twenty intervals
    EXPECT_EQ(pings, while_stuck);

    release.set_value();
    EXPECT_TRUE(eventually([&] { return pings >= while_stuck + 3; }, 5s));
    control.run([&] { watchdog.reset(); });
}

}  // namespace
}  // namespace relay::host
