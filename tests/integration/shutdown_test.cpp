// SIGTERM during load loses no acked message: the whole binary with the embedded
// plugins and the line-protocol test transport, as a separate process.
#include "support/process.hpp"
#include "support/sqlite_rows.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <relay/sdk/asio.hpp>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace relay::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string pipeline_text(const TempDir& dir, const std::string& port_file) {
    return "plugins: { path: [" + std::string(RELAY_TEST_PLUGIN_DIR) + ", " + RELAY_PLUGIN_DIR +
           "] }\n"
           "node: { id: shutdown-test, threads: 2 }\n"
           "transport: { use: testline, listen: 127.0.0.1:0, port_file: " +
           (dir / port_file).string() +
           " }\n"
           "queue: { use: memory, capacity: 100000 }\n"
           "presence: { use: local }\n"
           "store: { use: sqlite, path: " +
           (dir / "relay.db").string() + " }\n";
}

std::optional<unsigned short> read_port(const std::filesystem::path& file) {
    std::ifstream in(file);
    unsigned short port = 0;
    if (in >> port) return port;
    return std::nullopt;
}

/// One line-protocol client that publishes as fast as the socket takes it and records
/// the ids of its acks, until the server closes the connection.
class Publisher {
public:
    Publisher(unsigned short port, const std::string& room) : socket_(io_) {
        socket_.connect({asio::ip::make_address("127.0.0.1"), port});
        asio::write(socket_, asio::buffer("HELLO " + room + " tester\n"));
        reader_ = std::thread([this] { read(); });
        writer_ = std::thread([this] { write(); });
    }
    ~Publisher() {
        stop_ = true;
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        if (writer_.joinable()) writer_.join();
        if (reader_.joinable()) reader_.join();
    }
    std::size_t acked() const { return acked_.load(); }
    bool closed() const { return closed_.load(); }
    std::set<std::string> ids() const {
        std::lock_guard lock(mutex_);
        return ids_;
    }

private:
    void write() {
        boost::system::error_code ec;
        for (int i = 0; i < 50'000 && !stop_ && !closed_; ++i) {
            asio::write(
                socket_,
                asio::buffer("PUB t" + std::to_string(i) + " {\"n\":" + std::to_string(i) + "}\n"),
                ec);
            if (ec) return;
        }
    }
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
            if (line.starts_with("ACK ")) {
                std::lock_guard lock(mutex_);
                ids_.insert(line.substr(line.rfind(' ') + 1));
                ++acked_;
            }
        }
        closed_ = true;
    }

    asio::io_context io_;
    tcp::socket socket_;
    std::thread reader_;
    std::thread writer_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> closed_{false};
    std::atomic<std::size_t> acked_{0};
    mutable std::mutex mutex_;
    std::set<std::string> ids_;
};

TEST(Shutdown, SigtermDuringLoadLosesNoAckedMessage) {
    TempDir dir;
    const auto pipeline = dir / "pipeline.yaml";
    std::ofstream(pipeline) << pipeline_text(dir, "port");
    Process relay({RELAY_BINARY, "run", pipeline.string()}, dir.path());
    std::optional<unsigned short> port;
    ASSERT_TRUE(eventually(
        [&] { return (port = read_port(dir / "port")).has_value() || !relay.running(); }));
    ASSERT_TRUE(port) << relay.err();

    std::vector<std::unique_ptr<Publisher>> publishers;
    for (int i = 0; i < 8; ++i)
        publishers.push_back(std::make_unique<Publisher>(*port, "room" + std::to_string(i % 4)));
    auto total_acked = [&] {
        std::size_t n = 0;
        for (const auto& p : publishers) n += p->acked();
        return n;
    };
    ASSERT_TRUE(eventually([&] { return total_acked() >= 5'000; })) << relay.err();

    relay.signal(SIGTERM);
    ASSERT_TRUE(relay.wait_for(std::chrono::seconds(30))) << "relay did not stop";
    EXPECT_EQ(relay.exit_code(), 0) << relay.err();
    ASSERT_TRUE(eventually([&] {
        for (const auto& p : publishers) {
            if (!p->closed()) return false;
        }
        return true;
    }));
    std::set<std::string> acked;
    for (const auto& p : publishers) {
        const auto ids = p->ids();
        acked.insert(ids.begin(), ids.end());
    }
    publishers.clear();

    const auto stored = stored_ids(dir / "relay.db");
    const std::set<std::string> stored_set(stored.begin(), stored.end());
    EXPECT_EQ(stored.size(), stored_set.size()) << "a message was stored twice";
    EXPECT_EQ(stored_set, acked) << "acked " << acked.size() << ", stored " << stored_set.size();

    // Restart on the same store: it starts, serves and stops cleanly, data intact.
    Process again({RELAY_BINARY, "run", pipeline.string()}, dir.path());
    std::filesystem::remove(dir / "port");
    ASSERT_TRUE(eventually([&] { return read_port(dir / "port").has_value() || !again.running(); }))
        << again.err();
    again.signal(SIGTERM);
    ASSERT_TRUE(again.wait_for(std::chrono::seconds(30)));
    EXPECT_EQ(again.exit_code(), 0) << again.err();
    EXPECT_EQ(stored_ids(dir / "relay.db").size(), acked.size());
}

TEST(Shutdown, ASecondSignalExitsAtOnceWhileTheFirstIsStillDraining) {
    TempDir dir;
    const auto pipeline = dir / "pipeline.yaml";
    std::ofstream(pipeline) << pipeline_text(dir, "port")
                            << "processors:\n  - { use: slowpass, delay: 60s }\n";
    Process relay({RELAY_BINARY, "run", pipeline.string()}, dir.path());
    std::optional<unsigned short> port;
    ASSERT_TRUE(eventually(
        [&] { return (port = read_port(dir / "port")).has_value() || !relay.running(); }));
    ASSERT_TRUE(port) << relay.err();
    asio::io_context io;
    tcp::socket client(io);
    client.connect({asio::ip::make_address("127.0.0.1"), *port});
    asio::write(client, asio::buffer(std::string("HELLO lobby ann\nPUB t1 {}\n")));
    // The message is now held by the processor for 60 s: a graceful stop waits for it.
    ASSERT_TRUE(
        eventually([&] { return relay.err().find("holding a message") != std::string::npos; }));
    relay.signal(SIGTERM);
    ASSERT_TRUE(eventually(
        [&] { return relay.err().find("send it again to exit at once") != std::string::npos; }));
    EXPECT_TRUE(relay.running()) << "the first signal must wait for the message in flight";
    relay.signal(SIGTERM);
    ASSERT_TRUE(relay.wait_for(std::chrono::seconds(10))) << "a second signal must exit at once";
    EXPECT_EQ(relay.exit_code(), 128 + SIGTERM);
}

}  // namespace
}  // namespace relay::testing
