// tools/cluster: `up 2` starts mock Kafka, redis-server, a throwaway Postgres and two
// relay nodes on config/production.yaml, all ready; `status` shows them; `down`
// stops every process it started, by pid, and leaves none behind.
#include "support/free_port.hpp"
#include "support/http_get.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace relay::testing {
namespace {

using namespace std::chrono_literals;

bool alive(pid_t pid) {
    return ::kill(pid, 0) == 0;
}

/// The first of `count` consecutive free loopback ports (the tool uses ranges).
std::uint16_t free_ports(int count) {
    for (;;) {
        const int first = free_port();
        bool all = first + count <= 65535;
        for (int i = 1; all && i < count; ++i) {
            all = bind_loopback(static_cast<std::uint16_t>(first + i)) == first + i;
        }
        if (all) return static_cast<std::uint16_t>(first);
    }
}

TEST(ClusterTool, UpTwoThenDownStartsEverythingAndLeavesNoProcess) {
    TempDir scratch("relay-cluster-tool");
    const auto state = scratch / "state";
    const std::filesystem::path tool = std::filesystem::path(RELAY_SOURCE_DIR) / "tools/cluster";
    const auto http = free_ports(2);
    const auto admin = free_ports(2);
    const auto kafka = free_ports(3);
    std::vector<std::string> env = {
        "RELAY_BUILD_DIR=" + std::filesystem::path(RELAY_BINARY).parent_path().string(),
        "RELAY_CLUSTER_DIR=" + state.string(),
        "RELAY_CLUSTER_HTTP_PORT=" + std::to_string(http),
        "RELAY_CLUSTER_ADMIN_PORT=" + std::to_string(admin),
        "RELAY_CLUSTER_KAFKA_PORT=" + std::to_string(kafka),
        "RELAY_CLUSTER_KAFKA_CONTROL_PORT=" + std::to_string(free_port()),
        "RELAY_CLUSTER_REDIS_PORT=" + std::to_string(free_port()),
        "RELAY_CLUSTER_POSTGRES_PORT=" + std::to_string(free_port()),
    };
    // Whatever happens below, nothing stays running.
    struct Down {
        std::filesystem::path tool, dir;
        std::vector<std::string> env;
        ~Down() {
            try {
                Process::run({tool.string(), "down"}, dir, 60s, env);
            } catch (const std::exception&) {  // reported by the test's own checks
            }
        }
    } down_guard{tool, scratch.path(), env};

    const auto up = Process::run({tool.string(), "up", "2"}, scratch.path(), 150s, env);
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    EXPECT_NE(up.out.find("node-1  http://127.0.0.1:" + std::to_string(http) + "/"),
              std::string::npos)
        << up.out;
    EXPECT_NE(up.out.find("node-2  http://127.0.0.1:" + std::to_string(http + 1) + "/"),
              std::string::npos)
        << up.out;
    // Both nodes are ready on the production pipeline, and the status table says so.
    for (int i = 0; i < 2; ++i) {
        const auto answer = http_get(static_cast<std::uint16_t>(admin + i), "/readyz");
        EXPECT_EQ(answer.status, 200) << answer.body;
    }
    const auto status = Process::run({tool.string(), "status"}, scratch.path(), 30s, env);
    EXPECT_EQ(status.exit_code, 0) << status.err;
    for (const std::string name : {"kafka", "redis", "postgres", "node-1", "node-2"}) {
        EXPECT_NE(status.out.find(name), std::string::npos) << status.out;
    }
    EXPECT_EQ(status.out.find("down"), std::string::npos) << status.out;
    // The mock's brokers are on the fixed ports asked for.
    std::ifstream bootstrap(state / "kafka.bootstrap");
    std::string brokers;
    std::getline(bootstrap, brokers);
    EXPECT_EQ(brokers, "127.0.0.1:" + std::to_string(kafka) + ",127.0.0.1:" +
                           std::to_string(kafka + 1) + ",127.0.0.1:" + std::to_string(kafka + 2));

    std::map<std::string, pid_t> pids;
    for (const auto& entry : std::filesystem::directory_iterator(state / "pids")) {
        std::ifstream in(entry.path());
        pid_t pid = 0;
        in >> pid;
        pids[entry.path().filename().string()] = pid;
    }
    ASSERT_EQ(pids.size(), 5u);

    const auto stopped = Process::run({tool.string(), "down"}, scratch.path(), 90s, env);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
    for (const auto& [name, pid] : pids) {
        EXPECT_TRUE(eventually([&] { return !alive(pid); }, 5s))
            << name << " (" << pid << ") still runs";
    }
    EXPECT_EQ(http_get(admin, "/readyz").status, 0) << "node-1 still answers";
}

}  // namespace
}  // namespace relay::testing
