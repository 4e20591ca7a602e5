#include "log_reader.hpp"

#include "kafka_client.hpp"

#include <relay/sdk/error.hpp>

#include <exception>
#include <utility>

namespace relay::plugins::kafka {

LogReader::LogReader(const Settings& settings, std::string node_id, sdk::Executor executor,
                     sdk::Logger& log, ClientLog& client_log, RecordDecoder& decoder)
    : settings_(settings),
      node_id_(std::move(node_id)),
      executor_(std::move(executor)),
      log_(log),
      client_log_(client_log),
      search_(settings, decoder, log) {}

LogReader::~LogReader() {
    close();
    join();
}

void LogReader::read_after(std::string room, std::string after_id, std::size_t limit,
                           sdk::ReadDone done) {
    std::lock_guard lock(mutex_);
    if (closed_) {
        post(std::move(done), sdk::make_error_code(sdk::Errc::shutting_down), {});
        return;
    }
    if (reads_.size() >= kMaxQueuedReads) {
        post(std::move(done), sdk::make_error_code(sdk::Errc::queue_full), {});
        return;
    }
    reads_.push_back({{std::move(room), std::move(after_id), limit}, std::move(done)});
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    wake_.notify_one();
}

void LogReader::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    wake_.notify_all();
}

void LogReader::join() {
    std::thread thread;
    std::deque<Read> unanswered;
    {
        std::lock_guard lock(mutex_);
        thread = std::move(thread_);
    }
    if (thread.joinable()) thread.join();
    {
        std::lock_guard lock(mutex_);
        unanswered = std::move(reads_);
        reads_.clear();
    }
    for (auto& read : unanswered) {
        post(std::move(read.done), sdk::make_error_code(sdk::Errc::shutting_down), {});
    }
}

void LogReader::run() {
    ConsumerPtr rk;
    TopicPtr topic;
    try {
        ConfPtr conf = make_conf(settings_, Role::reader, node_id_,
                                 "relay-reader-" + node_id_ + "-" + random_suffix());
        ClientLog::route(conf.get(), *this);
        rk = make_consumer(Role::reader, std::move(conf));
        topic.reset(rd_kafka_topic_new(rk.get(), settings_.topic.c_str(), nullptr));
    } catch (const std::exception& e) {
        log_.error(std::string("cannot create the reader for read_after: ") + e.what());
        rk.reset();
    }
    for (;;) {
        Read read;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return closed_ || !reads_.empty(); });
            if (closed_) break;
            read = std::move(reads_.front());
            reads_.pop_front();
        }
        if (!rk || !topic) {
            post(std::move(read.done), sdk::make_error_code(sdk::Errc::unavailable), {});
            continue;
        }
        auto [ec, found] = search_.find(rk.get(), topic.get(), read.request);
        post(std::move(read.done), ec, std::move(found));
    }
    topic.reset();
    if (rk) close_consumer(rk.get(), "reader", log_);
}

void LogReader::post(sdk::ReadDone done, std::error_code ec, std::vector<sdk::Message> found) {
    boost::asio::post(executor_, [done = std::move(done), ec, found = std::move(found)]() mutable {
        done(ec, std::move(found));
    });
}

}  // namespace relay::plugins::kafka
