// node.threads: 0 means one I/O thread per core the process may run on, so a server
// pinned with taskset does not run threads that only take turns on one core.
#include "runtime/io_pool.hpp"

#include <gtest/gtest.h>

#include <sched.h>

namespace relay::host {
namespace {

TEST(IoThreadCount, AConfiguredCountIsTaken) {
    EXPECT_EQ(io_thread_count(3), 3u);
}

TEST(IoThreadCount, ZeroMeansTheCoresOfTheAffinityMask) {
    cpu_set_t saved;
    ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
    EXPECT_EQ(io_thread_count(0), static_cast<unsigned>(CPU_COUNT(&saved)));
    int first = 0;
    while (!CPU_ISSET(first, &saved)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_EQ(io_thread_count(0), 1u) << "pinned to one core";
    ASSERT_EQ(sched_setaffinity(0, sizeof saved, &saved), 0);
}

}  // namespace
}  // namespace relay::host
