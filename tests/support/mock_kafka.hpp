#pragma once
// MockKafka: a Kafka cluster for tests. By default librdkafka's mock cluster, run by
// tools/mock-kafka in a process of its own (real Kafka protocol over loopback TCP),
// with fault injection. With RELAY_TEST_KAFKA_BROKERS set, the cluster named there
// instead: nothing is started, and fault injection fails loudly (it needs the mock).
#include "support/line_request.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef RELAY_MOCK_KAFKA
#error "RELAY_MOCK_KAFKA (the path of tools/mock-kafka's binary) must be defined"
#endif

namespace relay::testing {

class MockKafka {
public:
    struct Topic {
        std::string name;
        int partitions;
    };

    /// Kafka API keys and error codes the fault tests use (Kafka protocol numbers).
    static constexpr int kProduce = 0;
    static constexpr int kFetch = 1;
    static constexpr int kOffsetCommit = 8;
    static constexpr int kErrNotLeader = 6;           // NOT_LEADER_OR_FOLLOWER
    static constexpr int kErrRequestTimedOut = 7;     // REQUEST_TIMED_OUT
    static constexpr int kErrNotEnoughReplicas = 19;  // NOT_ENOUGH_REPLICAS

    /// Starts a mock cluster of `brokers` brokers with `topics` pre-created, or uses
    /// RELAY_TEST_KAFKA_BROKERS. Throws, naming the command, when the mock does not start.
    /// The mock also exits when the thread that started it ends (--exit-with-parent):
    /// construct it on the test's main thread.
    explicit MockKafka(int brokers = 3, std::vector<Topic> topics = {}) : brokers_(brokers) {
        if (const char* real = std::getenv("RELAY_TEST_KAFKA_BROKERS"); real && *real) {
            bootstrap_ = real;
            return;
        }
        dir_ = std::make_unique<TempDir>("relay-mock-kafka");
        const auto bootstrap_file = dir_->path() / "bootstrap";
        const auto port_file = dir_->path() / "control-port";
        std::vector<std::string> argv = {RELAY_MOCK_KAFKA, "--exit-with-parent", "--brokers",
                                         std::to_string(brokers)};
        argv.insert(argv.end(), {"--bootstrap-file", bootstrap_file.string()});
        argv.insert(argv.end(), {"--control-port-file", port_file.string()});
        for (const auto& topic : topics) {
            argv.push_back("--topic");
            argv.push_back(topic.name + ":" + std::to_string(topic.partitions));
        }
        std::string command;
        for (const auto& arg : argv) command += (command.empty() ? "" : " ") + arg;
        process_ = std::make_unique<Process>(argv, dir_->path());
        const bool up = eventually(
            [&] {
                return process_->wait_for(std::chrono::milliseconds(0)) ||  // exited
                       (std::filesystem::exists(bootstrap_file) &&
                        std::filesystem::exists(port_file));
            },
            std::chrono::seconds(10));
        if (!up || !process_->running()) {
            throw std::runtime_error("mock Kafka did not start: " + command +
                                     "\nstderr: " + process_->err());
        }
        bootstrap_ = first_line(bootstrap_file);
        control_port_ = std::stoi(first_line(port_file));
    }

    ~MockKafka() { stop(); }
    MockKafka(const MockKafka&) = delete;
    MockKafka& operator=(const MockKafka&) = delete;

    /// True when this is the mock (fault injection available).
    bool is_mock() const { return process_ != nullptr || dir_ != nullptr; }
    /// The bootstrap list: "127.0.0.1:PORT,…".
    const std::string& bootstrap() const { return bootstrap_; }
    int brokers() const { return brokers_; }
    pid_t pid() const { return process_ ? process_->pid() : -1; }
    /// The mock's stderr (its control log), for failure messages.
    std::string log() const { return process_ ? process_->err() : std::string(); }

    /// Creates a topic in the mock. Against a real cluster a no-op: the plugin creates
    /// its topic there (create_topic defaults to true).
    void create_topic(const std::string& name, int partitions) {
        if (!is_mock()) return;
        command("create-topic " + name + " " + std::to_string(partitions));
    }

    // Fault injection (mock only).
    void broker_down(int id) { fault("broker-down " + std::to_string(id)); }
    void broker_up(int id) { fault("broker-up " + std::to_string(id)); }
    /// The next `count` requests of `api_key` fail with Kafka error `error`.
    void push_errors(int api_key, int error, int count) {
        fault("push-errors " + std::to_string(api_key) + " " + std::to_string(error) + " " +
              std::to_string(count));
    }
    void clear_errors(int api_key) { fault("clear-errors " + std::to_string(api_key)); }
    void leader(const std::string& topic, int partition, int broker) {
        fault("leader " + topic + " " + std::to_string(partition) + " " + std::to_string(broker));
    }
    void rtt(int broker, int ms) {
        fault("rtt " + std::to_string(broker) + " " + std::to_string(ms));
    }

    /// Stops the mock by its pid (SIGTERM, then SIGKILL). Idempotent.
    void stop() { process_.reset(); }

    /// Sends one control line; returns the reply. Throws on "ERR …".
    std::string command(const std::string& line) {
        if (!process_) throw std::runtime_error("mock Kafka is not running");
        const std::string reply =
            line_request(static_cast<std::uint16_t>(control_port_), line + "\n");
        if (reply != "OK") {
            throw std::runtime_error("mock Kafka refused '" + line +
                                     "': " + (reply.empty() ? "no answer" : reply));
        }
        return reply;
    }

private:
    void fault(const std::string& line) {
        if (!is_mock()) {
            throw std::runtime_error(
                "this test injects faults ('" + line +
                "'), which needs the mock cluster (tools/mock-kafka); it cannot run against "
                "RELAY_TEST_KAFKA_BROKERS=" +
                bootstrap_ + ". Unset RELAY_TEST_KAFKA_BROKERS to run it");
        }
        command(line);
    }

    static std::string first_line(const std::filesystem::path& path) {
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        return line;
    }

    int brokers_;
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<Process> process_;  // declared after dir_: stopped before it goes
    std::string bootstrap_;
    int control_port_ = 0;
};

}  // namespace relay::testing
