// Two relay processes sharing one Valkey (valkey_streams queue, valkey presence), each
// with its own sqlite store and the line-protocol test transport: a message published
// on one node reaches a member on the other, and after both stop every acked message
// is in one of the stores.
#include "support/process.hpp"
#include "support/sqlite_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "valkey_plugins.hpp"

#include <relay/sdk/asio.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace relay::testing::valkey {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

/// One line-protocol client: records the ids of its ACKs and of the MSGs it receives.
class LineClient {
public:
    LineClient(unsigned short port, const std::string& room, const std::string& user)
        : socket_(io_) {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
        asio::write(socket_, asio::buffer("HELLO " + room + " " + user + "\n"));
        reader_ = std::thread([this] { read(); });
    }
    ~LineClient() {
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        if (reader_.joinable()) reader_.join();
    }
    void publish(int n) {
        asio::write(socket_, asio::buffer("PUB t" + std::to_string(n) +
                                          " {\"n\":" + std::to_string(n) + "}\n"));
    }
    std::set<std::string> acked() const {
        std::lock_guard lock(mutex_);
        return acked_;
    }
    std::set<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }
    std::size_t answers() const { return answers_.load(); }
    bool welcomed() const { return welcomed_.load(); }

private:
    void read() {
        asio::streambuf buffer;
        boost::system::error_code ec;
        while (true) {
            const std::size_t n = asio::read_until(socket_, buffer, '\n', ec);
            if (ec) break;
            std::string line(
                asio::buffers_begin(buffer.data()),
                asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n - 1));
            buffer.consume(n);
            std::lock_guard lock(mutex_);
            if (line.starts_with("ACK ")) {
                acked_.insert(line.substr(line.rfind(' ') + 1));
                ++answers_;
            } else if (line.starts_with("NACK ")) {
                ++answers_;
            } else if (line.starts_with("MSG ")) {
                const auto id_end = line.find(' ', 4);
                received_.insert(line.substr(4, id_end - 4));
            } else if (line.starts_with("WELCOME ")) {
                welcomed_ = true;
            }
        }
    }

    asio::io_context io_;
    tcp::socket socket_;
    std::thread reader_;
    mutable std::mutex mutex_;
    std::set<std::string> acked_;
    std::set<std::string> received_;
    std::atomic<std::size_t> answers_{0};
    std::atomic<bool> welcomed_{false};
};

class RelayNode {
public:
    RelayNode(const TempDir& dir, const std::string& id, const std::string& stream,
              const std::string& presence_prefix)
        : port_file_(dir / (id + ".port")), db_(dir / (id + ".db")) {
        const auto pipeline = dir / (id + ".yaml");
        const std::string url = "\"" + shared_server().url() + "\"";
        std::ofstream(pipeline) << "plugins: { path: [" << RELAY_TEST_PLUGIN_DIR << ", "
                                << RELAY_PLUGIN_DIR << "] }\n"
                                << "node: { id: " << id << " }\n"
                                << "transport: { use: testline, listen: 127.0.0.1:0, port_file: "
                                << port_file_.string() << " }\n"
                                << "queue: { use: valkey_streams, url: " << url << ", stream: \""
                                << stream << "\", partitions: 4, block: 200ms }\n"
                                << "presence: { use: valkey, url: " << url << ", key_prefix: \""
                                << presence_prefix << "\" }\n"
                                << "store: { use: sqlite, path: " << db_.string() << " }\n";
        process_ = std::make_unique<Process>(
            std::vector<std::string>{RELAY_BINARY, "run", pipeline.string()}, dir.path());
    }
    std::optional<unsigned short> port() {
        EXPECT_TRUE(eventually([&] {
            std::ifstream in(port_file_);
            unsigned short value = 0;
            if (in >> value) port_ = value;
            return port_.has_value() || process_->wait_for(std::chrono::milliseconds(0));
        }));
        return port_;
    }
    Process& process() { return *process_; }
    const std::filesystem::path& db() const { return db_; }

private:
    std::filesystem::path port_file_;
    std::filesystem::path db_;
    std::unique_ptr<Process> process_;
    std::optional<unsigned short> port_;
};

TEST(ValkeyCluster, TwoRelayNodesDeliverAcrossNodesAndStoreEveryAckedMessage) {
    TempDir dir;
    const std::string token = sdk::testing::unique_token();
    RelayNode a(dir, "node-a", "test:" + token + ":chats", "test:" + token + ":presence:");
    RelayNode b(dir, "node-b", "test:" + token + ":chats", "test:" + token + ":presence:");
    const auto port_a = a.port();
    const auto port_b = b.port();
    ASSERT_TRUE(port_a) << a.process().err();
    ASSERT_TRUE(port_b) << b.process().err();

    LineClient sender(*port_a, "hall", "ann");
    ASSERT_TRUE(eventually([&] { return sender.welcomed(); }));
    // testline numbers connections per process (c1, c2, ...), and a broadcast skips the
    // sender's sid: make node b's listener c2, not a second "c1".
    LineClient filler(*port_b, "elsewhere", "eve");
    ASSERT_TRUE(eventually([&] { return filler.welcomed(); }));
    LineClient listener(*port_b, "hall", "bob");
    ASSERT_TRUE(eventually([&] { return listener.welcomed(); }));

    constexpr int kMessages = 500;
    for (int i = 0; i < kMessages; ++i) sender.publish(i);
    ASSERT_TRUE(eventually([&] { return sender.answers() == kMessages; })) << a.process().err();
    const auto acked = sender.acked();
    EXPECT_EQ(acked.size(), static_cast<std::size_t>(kMessages));
    // Published on node a, delivered by node b to its member.
    ASSERT_TRUE(eventually([&] { return listener.received() == acked; }))
        << "node b delivered " << listener.received().size() << " of " << acked.size();

    for (RelayNode* node : {&a, &b}) node->process().signal(SIGTERM);
    for (RelayNode* node : {&a, &b}) {
        ASSERT_TRUE(node->process().wait_for(std::chrono::seconds(30)));
        EXPECT_EQ(node->process().exit_code(), 0) << node->process().err();
    }
    std::set<std::string> stored;
    for (RelayNode* node : {&a, &b}) {
        for (auto& id : stored_ids(node->db())) stored.insert(std::move(id));
    }
    EXPECT_EQ(stored, acked) << "acked " << acked.size() << ", stored " << stored.size();
}

}  // namespace
}  // namespace relay::testing::valkey
