#pragma once
/// read_after's reader: a consumer of its own on a thread of its own.
#include "client_log.hpp"
#include "log_search.hpp"
#include "record_decoder.hpp"
#include "settings.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/logger.hpp>
#include <relay/sdk/queue.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace relay::plugins::kafka {

/// Serves read_after() from the log, one read at a time, in the order asked, with a
/// consumer (manual assignment, never a group) and a thread of its own, both created
/// at the first read, so recovery reads never block an I/O thread nor the broadcast.
/// At most kMaxQueuedReads wait; beyond that a read fails with queue_full.
///
/// Every answer is posted to the executor. Thread safety: any thread. Lifetime: close()
/// then join() before destruction; reads still waiting then fail with shutting_down.
class LogReader final : public ClientOwner {
public:
    static constexpr std::size_t kMaxQueuedReads = 256;

    LogReader(const Settings& settings, std::string node_id, sdk::Executor executor,
              sdk::Logger& log, ClientLog& client_log, RecordDecoder& decoder);
    ~LogReader() override;
    LogReader(const LogReader&) = delete;
    LogReader& operator=(const LogReader&) = delete;
    LogReader(LogReader&&) = delete;
    LogReader& operator=(LogReader&&) = delete;

    void read_after(std::string room, std::string after_id, std::size_t limit, sdk::ReadDone done);

    /// Takes no more reads and tells the thread to end; join() waits for it.
    void close();
    /// After close(): joins the thread (which closes its consumer) and fails the reads
    /// it left with shutting_down.
    void join();

    ClientLog& client_log() noexcept override { return client_log_; }

private:
    struct Read {
        LogSearch::Request request;
        sdk::ReadDone done;
    };
    void run();
    void post(sdk::ReadDone done, std::error_code ec, std::vector<sdk::Message> found);

    const Settings& settings_;
    const std::string node_id_;
    const sdk::Executor executor_;
    sdk::Logger& log_;
    ClientLog& client_log_;
    LogSearch search_;

    std::mutex mutex_;  // guards the members below
    std::condition_variable wake_;
    std::deque<Read> reads_;
    bool closed_ = false;
    std::thread thread_;
};

}  // namespace relay::plugins::kafka
