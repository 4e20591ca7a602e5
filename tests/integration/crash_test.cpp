// An ack means stored, in every pipeline, through kill -9 (issue 12).
//
// For each shipped pipeline — default (memory queue + sqlite, config/default.yaml),
// postgres (memory queue + postgres, config/postgres.yaml), valkey_streams (+ sqlite) and
// kafka (on tools/mock-kafka in its own process, + postgres) — the relay binary runs with
// the line-protocol test transport in place of the websocket one. A sender keeps 1 or 50
// messages unacked; the relay gets SIGKILL at a random moment and is started again on
// the same data (the same sqlite file, the same servers: they keep running), five times.
// After each restart, once the store caught up (a durable queue's store subscription
// redelivers what was not committed before the crash), the room's history, read through
// the restarted relay as a client reads it, must hold every message ever acked, each
// once, and nothing but what was sent.
//
// The kill moments come from a seeded generator. The seed is printed; set
// RELAY_CRASH_SEED to it to replay a failure.
#include "support/mock_kafka.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/valkey_server.hpp"
#include "support/wait.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kCrashes = 5;
/// The kill lands this long after the first ack of a round (uniformly): long enough for
/// a load, short enough to keep a test within seconds.
constexpr std::chrono::milliseconds kMinDelay{20};
constexpr std::chrono::milliseconds kMaxDelay{300};
/// History is read in pages of this many ids.
constexpr std::size_t kHistoryPage = 1000;
constexpr const char* kRoom = "crash-room";

std::uint64_t crash_seed() {
    if (const char* env = std::getenv("RELAY_CRASH_SEED"); env != nullptr && *env != '\0') {
        return std::stoull(env);
    }
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32U) ^ device();
}

std::string random_token() {
    std::random_device device;
    std::ostringstream out;
    out << std::hex << device() << device();
    return out.str();
}

/// A TCP connection to 127.0.0.1 that speaks lines, with blocking writes and reads
/// bounded by a deadline.
class LineSocket {
public:
    explicit LineSocket(std::uint16_t port)
        : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~LineSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    LineSocket(const LineSocket&) = delete;
    LineSocket& operator=(const LineSocket&) = delete;

    bool connected() const { return connected_; }

    /// Writes `line` and its '\n'; false once the peer is gone. No SIGPIPE.
    bool send_line(const std::string& line) {
        const std::string data = line + "\n";
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// The next line without its '\n'; nullopt at `deadline`, or for good once the peer
    /// closed the connection (then ended() is true).
    std::optional<std::string> read_line(Clock::time_point deadline) {
        while (true) {
            if (const auto end = buffer_.find('\n'); end != std::string::npos) {
                std::string line = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                return line;
            }
            if (ended_) return std::nullopt;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000))) <= 0) {
                continue;
            }
            char chunk[65536];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) {
                ended_ = true;
                continue;
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }
    bool ended() const { return ended_; }

    /// Wakes a reader blocked on this socket: it sees the end of the stream.
    void shutdown() { ::shutdown(fd_, SHUT_RDWR); }

private:
    int fd_;
    bool connected_ = false;
    bool ended_ = false;
    std::string buffer_;
};

/// Publishes {"n":i} into kRoom as fast as the answers come, with at most `window` PUBs
/// unanswered, until the connection ends; records what the relay answered.
class Sender {
public:
    Sender(std::uint16_t port, std::size_t window) : socket_(port), window_(window) {
        if (!socket_.connected() || !socket_.send_line(std::string("HELLO ") + kRoom + " sender")) {
            closed_ = true;
            return;
        }
        reader_ = std::thread([this] { read(); });
        writer_ = std::thread([this] { write(); });
    }
    ~Sender() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        changed_.notify_all();
        socket_.shutdown();
        if (writer_.joinable()) writer_.join();
        if (reader_.joinable()) reader_.join();
    }
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    bool wait_first_ack(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return !acked_.empty() || closed_; }) &&
               !acked_.empty();
    }
    bool wait_closed(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return closed_; });
    }
    std::size_t sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }
    std::size_t answered() const {
        std::lock_guard lock(mutex_);
        return answered_;
    }
    std::size_t nacked() const {
        std::lock_guard lock(mutex_);
        return nacked_;
    }
    std::string first_nack() const {
        std::lock_guard lock(mutex_);
        return first_nack_;
    }
    std::vector<std::string> acked() const {
        std::lock_guard lock(mutex_);
        return acked_;
    }

private:
    // Fills the window in one write, so that the relay gets the PUBs together and the
    // window stays full while it works (one write per PUB would trickle them in).
    void write() {
        std::size_t next = 0;
        while (true) {
            std::size_t room = 0;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock,
                              [&] { return stop_ || closed_ || sent_ - answered_ < window_; });
                if (stop_ || closed_) return;
                room = window_ - (sent_ - answered_);
                sent_ += room;  // before the write: an answer never outruns its count
            }
            std::string lines;
            for (; room > 0; --room, ++next) {
                const auto n = std::to_string(next);
                lines += "PUB t" + n + " {\"n\":" + n + "}\n";
            }
            lines.pop_back();  // send_line adds it back
            if (!socket_.send_line(lines)) return;
        }
    }
    void read() {
        while (true) {
            const auto line = socket_.read_line(Clock::now() + 1h);
            if (!line) {
                if (!socket_.ended()) continue;
                break;
            }
            std::lock_guard lock(mutex_);
            if (line->starts_with("ACK ")) {
                acked_.push_back(line->substr(line->rfind(' ') + 1));
                ++answered_;
            } else if (line->starts_with("NACK ")) {
                if (nacked_++ == 0) first_nack_ = *line;
                ++answered_;
            } else {
                continue;
            }
            changed_.notify_all();
        }
        std::lock_guard lock(mutex_);
        closed_ = true;
        changed_.notify_all();
    }

    LineSocket socket_;
    const std::size_t window_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t sent_ = 0;
    std::size_t answered_ = 0;
    std::size_t nacked_ = 0;
    std::string first_nack_;
    std::vector<std::string> acked_;
    bool closed_ = false;
    bool stop_ = false;
    std::thread reader_;
    std::thread writer_;
};

/// kRoom's history as the relay on `port` answers HIST: every id, oldest first; or the
/// reason it could not be read.
struct History {
    std::vector<std::string> ids;
    std::string error;
};

History read_history(std::uint16_t port) {
    History history;
    LineSocket socket(port);
    const auto deadline = Clock::now() + 10s;
    if (!socket.connected() || !socket.send_line(std::string("HELLO ") + kRoom + " reader")) {
        history.error = "cannot connect";
        return history;
    }
    // Newest first: the last page, then the page before its oldest id, and so on.
    std::vector<std::vector<std::string>> pages;
    for (int page = 0;; ++page) {
        const std::string token = "h" + std::to_string(page);
        if (!socket.send_line("HIST " + token + " " + std::to_string(kHistoryPage) +
                              (pages.empty() ? "" : " before " + pages.back().front()))) {
            history.error = "connection lost";
            return history;
        }
        std::optional<std::string> answer;
        while ((answer = socket.read_line(deadline))) {
            // Skips WELCOME, and broadcasts of the room.
            if (answer->starts_with("HISTORY " + token) || answer->starts_with("NACK " + token) ||
                answer->starts_with("ERROR")) {
                break;
            }
        }
        if (!answer) {
            history.error = "no answer to HIST within 10 s";
            return history;
        }
        if (!answer->starts_with("HISTORY ")) {
            history.error = *answer;
            return history;
        }
        std::istringstream words(answer->substr(std::string("HISTORY " + token).size()));
        std::vector<std::string> ids;
        for (std::string id; words >> id;) ids.push_back(id);
        const bool last = ids.size() < kHistoryPage;
        if (!ids.empty()) pages.push_back(std::move(ids));
        if (last) break;
    }
    for (auto page = pages.rbegin(); page != pages.rend(); ++page) {
        history.ids.insert(history.ids.end(), page->begin(), page->end());
    }
    return history;
}

/// One test's pipeline: the file the relay runs, the environment it reads, and how long
/// the store may take after a restart to hold what was acked before the crash.
struct Pipeline {
    std::string yaml;
    std::vector<std::string> env;
    std::chrono::milliseconds catch_up;
};

/// `config/<name>.yaml` as shipped, with the websocket transport swapped for the test
/// transport that writes its port to `port_file`. Throws if the file's transport section
/// changed shape, so that the swap never silently tests something else.
std::string shipped_pipeline(const std::string& name, const std::filesystem::path& port_file) {
    const auto path = std::filesystem::path(RELAY_SOURCE_DIR) / "config" / (name + ".yaml");
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = text.str();
    const std::string transport = "  use: websocket\n  listen: ${RELAY_LISTEN:-0.0.0.0:3000}\n";
    const auto at = yaml.find(transport);
    if (at == std::string::npos) {
        throw std::runtime_error(path.string() + ": no transport section '" + transport +
                                 "' to replace with the test transport");
    }
    yaml.replace(
        at, transport.size(),
        "  use: testline\n  listen: 127.0.0.1:0\n  port_file: " + port_file.string() + "\n");
    return yaml;
}

/// The relay binary on a pipeline; `port()` waits for its test transport to listen.
class Relay {
public:
    Relay(const TempDir& dir, const Pipeline& pipeline)
        : port_file_(dir / "port"),
          process_(
              [&] {
                  std::filesystem::remove(port_file_);
                  return std::vector<std::string>{RELAY_BINARY,
                                                  "run",
                                                  "--plugin-path",
                                                  RELAY_TEST_PLUGIN_DIR,
                                                  "--plugin-path",
                                                  RELAY_PLUGIN_DIR,
                                                  (dir / "pipeline.yaml").string()};
              }(),
              dir.path(), pipeline.env) {}

    std::optional<std::uint16_t> port() {
        std::optional<std::uint16_t> port;
        eventually(
            [&] {
                std::ifstream in(port_file_);
                std::uint16_t value = 0;
                if (in >> value) port = value;
                return port.has_value() || process_.wait_for(0ms);
            },
            60s);
        return port;
    }
    Process& process() { return process_; }
    /// The end of the relay's log, for failure messages.
    std::string log_tail() const {
        const auto err = process_.err();
        return err.size() > 3000 ? "..." + err.substr(err.size() - 3000) : err;
    }

private:
    std::filesystem::path port_file_;
    Process process_;
};

/// Waits until kRoom's history, read through `relay`, holds every id of `acked`, then
/// checks that it holds each once and nothing that was not sent: besides the acked ids,
/// at most `unanswered` others (messages in flight at a crash may or may not be stored).
void expect_history_holds(Relay& relay, std::uint16_t port, const std::set<std::string>& acked,
                          std::size_t unanswered, std::chrono::milliseconds catch_up,
                          int after_crash) {
    History history;
    std::vector<std::string> missing;
    const auto started = Clock::now();
    eventually(
        [&] {
            history = read_history(port);
            if (!history.error.empty()) return false;
            const std::set<std::string> have(history.ids.begin(), history.ids.end());
            missing.clear();
            for (const auto& id : acked) {
                if (have.count(id) == 0) missing.push_back(id);
            }
            return missing.empty();
        },
        catch_up);
    const auto waited =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    ASSERT_TRUE(history.error.empty())
        << "after crash " << after_crash << ": history failed: " << history.error << "\n"
        << relay.log_tail();
    ASSERT_TRUE(missing.empty()) << "after crash " << after_crash << ": " << missing.size()
                                 << " of " << acked.size()
                                 << " acked messages are not in history after " << waited.count()
                                 << " ms (first: " << missing.front()
                                 << ", last: " << missing.back() << ")";
    const std::set<std::string> distinct(history.ids.begin(), history.ids.end());
    EXPECT_EQ(distinct.size(), history.ids.size())
        << "after crash " << after_crash << ": an id is in history more than once";
    EXPECT_LE(distinct.size() - acked.size(), unanswered)
        << "after crash " << after_crash
        << ": history holds more unacked messages than were ever in flight";
    std::cout << "[  crash   ] after crash " << after_crash << ": history holds all "
              << acked.size() << " acked messages (+" << distinct.size() - acked.size()
              << " unacked), the store caught up in " << waited.count() << " ms\n";
}

/// Five rounds of: start the relay on the pipeline's data, check history against every
/// ack so far, send with `window` messages in flight, SIGKILL at a random moment. Then a
/// last start, history check and a clean stop.
void crash_rounds(const TempDir& dir, const Pipeline& pipeline, std::size_t window) {
    const auto seed = crash_seed();
    std::cout << "[  crash   ] seed " << seed << " (replay: RELAY_CRASH_SEED=" << seed << ")\n";
    ::testing::Test::RecordProperty("crash_seed", std::to_string(seed));
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<std::int64_t> delay_ms(kMinDelay.count(), kMaxDelay.count());
    std::ofstream(dir / "pipeline.yaml") << pipeline.yaml;

    std::set<std::string> acked;  // every id acked in any round
    std::size_t unanswered = 0;   // PUBs of every round that got no answer
    std::size_t nacked = 0;
    for (int round = 0;; ++round) {
        Relay relay(dir, pipeline);
        const auto port = relay.port();
        ASSERT_TRUE(port) << "the relay did not start (exit " << relay.process().exit_code()
                          << "):\n"
                          << relay.log_tail();
        if (round > 0) {
            ASSERT_NO_FATAL_FAILURE(expect_history_holds(relay, *port, acked, unanswered + nacked,
                                                         pipeline.catch_up, round));
        }
        if (round == kCrashes) {
            relay.process().signal(SIGTERM);
            ASSERT_TRUE(relay.process().wait_for(30s)) << "the relay did not stop on SIGTERM";
            EXPECT_EQ(relay.process().exit_code(), 0) << relay.log_tail();
            break;
        }

        Sender sender(*port, window);
        ASSERT_TRUE(sender.wait_first_ack(30s))
            << "round " << round + 1 << ": no ack (" << sender.first_nack() << ")\n"
            << relay.log_tail();
        const std::chrono::milliseconds delay(delay_ms(random));
        // Not a synchronisation: the random moment of the crash, after the load started.
        std::this_thread::sleep_for(delay);
        relay.process().signal(SIGKILL);
        ASSERT_TRUE(relay.process().wait_for(10s)) << "the relay survived SIGKILL";
        ASSERT_TRUE(sender.wait_closed(10s)) << "the connection outlived the relay";

        const auto round_acked = sender.acked();
        const std::size_t outstanding = sender.sent() - sender.answered();
        unanswered += outstanding;
        nacked += sender.nacked();
        acked.insert(round_acked.begin(), round_acked.end());
        std::cout << "[  crash   ] crash " << round + 1 << ": SIGKILL " << delay.count()
                  << " ms after the first ack; " << sender.sent() << " sent, " << round_acked.size()
                  << " acked, " << sender.nacked() << " nacked"
                  << (sender.nacked() > 0 ? " (" + sender.first_nack() + ")" : "") << ", "
                  << outstanding << " outstanding at the crash\n";
    }
    // A crash that hit nothing in flight proves nothing: over five, some must have.
    EXPECT_GT(unanswered, 0u) << "no crash happened with a message in flight";
}

// ---- default: config/default.yaml (memory queue, local presence, sqlite) ------------

Pipeline default_pipeline(const TempDir& dir) {
    return {shipped_pipeline("default", dir / "port"),
            {"RELAY_NODE_ID=crash", "RELAY_SQLITE_PATH=" + (dir / "relay.db").string()},
            10s};
}

TEST(CrashDefaultPipeline, OneInFlight) {
    TempDir dir("relay-crash");
    crash_rounds(dir, default_pipeline(dir), 1);
}

TEST(CrashDefaultPipeline, FiftyInFlight) {
    TempDir dir("relay-crash");
    crash_rounds(dir, default_pipeline(dir), 50);
}

// ---- postgres: config/postgres.yaml (memory queue, local presence, postgres) --------

Pipeline postgres_pipeline(const TempDir& dir, const PostgresServer& server) {
    return {shipped_pipeline("postgres", dir / "port"),
            {"RELAY_NODE_ID=crash", "RELAY_POSTGRES_DSN=" + server.url()},
            10s};
}

TEST(CrashPostgresPipeline, OneInFlight) {
    PostgresServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, postgres_pipeline(dir, server), 1);
}

TEST(CrashPostgresPipeline, FiftyInFlight) {
    PostgresServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, postgres_pipeline(dir, server), 50);
}

// ---- valkey_streams: the queue on Valkey, history in sqlite -------------------------
// Wired as the valkey cluster test runs it. The server keeps its data in memory
// across the relay's crash; `consumer` defaults to the node id, the same on restart,
// so the restarted relay re-reads what its store subscription had not acknowledged.

Pipeline valkey_streams_pipeline(const TempDir& dir, const ValkeyServer& server) {
    const std::string url = "\"" + server.url() + "\"";
    return {
        "node: { id: crash }\n"
        "transport: { use: testline, listen: 127.0.0.1:0, port_file: " +
            (dir / "port").string() +
            " }\n"
            "queue: { use: valkey_streams, url: " +
            url + ", stream: \"crash:" + random_token() +
            "\", partitions: 4, block: 200ms }\n"
            "presence: { use: local }\n"
            "store: { use: sqlite, path: " +
            (dir / "relay.db").string() + " }\n",
        {},
        15s};
}

TEST(CrashValkeyStreamsPipeline, OneInFlight) {
    ValkeyServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, valkey_streams_pipeline(dir, server), 1);
}

TEST(CrashValkeyStreamsPipeline, FiftyInFlight) {
    ValkeyServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, valkey_streams_pipeline(dir, server), 50);
}

// ---- kafka: the production queue on tools/mock-kafka, history in postgres ----------
// The production shape (config/production.yaml) with local presence. The killed node's
// consumer holds its store partitions until its session times out: the restarted node
// gets them (and redelivers what was not committed) after store_session_timeout, kept
// at the plugin's shortest (4s) here so that five crashes fit in seconds. (With 2s, a
// restarted node that joined the store group alone, the killed one having died before
// joining, was dropped by the mock during its 3s first-join delay: nothing stored.)

Pipeline kafka_pipeline(const TempDir& dir, MockKafka& cluster, const PostgresServer& server) {
    const std::string topic = "crash-" + random_token();
    cluster.create_topic(topic, 4);
    return {
        "node: { id: crash }\n"
        "transport: { use: testline, listen: 127.0.0.1:0, port_file: " +
            (dir / "port").string() +
            " }\n"
            "queue: { use: kafka, brokers: \"" +
            cluster.bootstrap() + "\", topic: " + topic + ", partitions: 4, store_group: store-" +
            topic +
            ", store_session_timeout: 4s }\n"
            "presence: { use: local }\n"
            "store: { use: postgres, dsn: \"" +
            server.url() + "\" }\n",
        {},
        30s};
}

TEST(CrashKafkaPipeline, OneInFlight) {
    MockKafka cluster(3);
    PostgresServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, kafka_pipeline(dir, cluster, server), 1);
}

TEST(CrashKafkaPipeline, FiftyInFlight) {
    MockKafka cluster(3);
    PostgresServer server;
    TempDir dir("relay-crash");
    crash_rounds(dir, kafka_pipeline(dir, cluster, server), 50);
}

}  // namespace
}  // namespace relay::testing
