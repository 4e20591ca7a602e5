#include "memory_queue.hpp"

#include "store_feed/store_feed.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::memory {

namespace {

class MemoryCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "memory"; }
    std::string message(int value) const override {
        switch (static_cast<QueueErrc>(value)) {
            case QueueErrc::message_not_retained:
                return "the message to read after is not among the retained ones (too old, "
                       "or unknown); increase queue.retain";
        }
        return "unknown memory queue error";
    }
};

}  // namespace

const std::error_category& memory_category() noexcept {
    static const MemoryCategory category;
    return category;
}

std::error_code make_error_code(QueueErrc e) noexcept {
    return {static_cast<int>(e), memory_category()};
}

/// All state, touched only on the executor. Handlers that may outlive the queue
/// object (timers, commits) hold a weak_ptr and do nothing once it expired.
class MemoryQueue::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(settings),
          drain_timeout_(ctx.drain_timeout()),
          executor_(ctx.executor()),
          log_(ctx.log()),
          depth_(ctx.metrics().gauge("memory_queue_uncommitted",
                                     "messages accepted but not yet committed by the store")),
          published_(ctx.metrics().counter("memory_queue_published_total",
                                           "messages accepted by the memory queue")),
          rejected_(ctx.metrics().counter("memory_queue_full_total",
                                          "publishes rejected because the queue was full")),
          retries_(ctx.metrics().counter("memory_queue_store_retries_total",
                                         "store batches redelivered after a failed commit")),
          batch_timer_(executor_),
          drain_timer_(executor_) {}

    void subscribe_broadcast(sdk::BroadcastHandler handler) {
        if (handler) broadcast_.push_back(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) {
        if (store_) store_->close();
        store_ = nullptr;
        if (!handler) return;
        store_ = store_feed::StoreFeed::create(
            executor_, std::move(handler),
            {.batches_in_flight = kBatchesInFlight, .retry_delay = settings_.store.retry_delay},
            {.log = log_, .retries = retries_});
        store_->on_resume([weak = weak_from_this()] {
            if (auto self = weak.lock()) self->deliver_store();
        });
    }

    void start(const sdk::Done& done) {
        if (state_ == State::created) state_ = State::running;
        done(state_ == State::running ? std::error_code()
                                      : make_error_code(sdk::Errc::shutting_down));
    }

    void publish(sdk::Message msg, sdk::PublishDone done) {
        if (state_ == State::stopping || state_ == State::stopped) {
            done(make_error_code(sdk::Errc::shutting_down), {});
            return;
        }
        const std::size_t bytes = message_bytes(msg);
        if (store_ && (uncommitted_.size() >= settings_.capacity ||
                       uncommitted_bytes_ + bytes > settings_.max_bytes)) {
            rejected_.add();
            done(make_error_code(sdk::Errc::queue_full), {});
            return;
        }
        const std::uint64_t seq = next_seq_++;
        msg.position = std::to_string(seq);
        Entry entry{seq,
                    std::make_shared<const sdk::Message>(std::move(msg)),
                    bytes,
                    {},
                    std::chrono::steady_clock::now()};
        published_.add();
        if (!store_) {
            done({}, entry.msg->position);
            release(entry);
            return;
        }
        if (settings_.ack == AckMode::stored)
            entry.done = std::move(done);
        else
            done({}, entry.msg->position);
        if (settings_.ack == AckMode::accepted) release(entry);
        uncommitted_bytes_ += bytes;
        uncommitted_.push_back(std::move(entry));
        depth_.add();
        deliver_store();
    }

    void read_after(const std::string& room, std::string_view after_id, std::size_t limit,
                    const sdk::ReadDone& done) const {
        if (after_id.empty()) {
            done(make_error_code(sdk::Errc::invalid_argument), {});
            return;
        }
        // Newest first: a reconnecting client usually missed only the last few. Only a
        // message still retained tells where the answer starts without a gap.
        auto it = std::find_if(retained_.rbegin(), retained_.rend(),
                               [&](const Entry& e) { return e.msg->id == after_id; });
        if (it == retained_.rend() || it->msg->room != room) {
            done(make_error_code(QueueErrc::message_not_retained), {});
            return;
        }
        std::vector<sdk::Message> found;
        for (auto next = it.base(); next != retained_.end() && found.size() < limit; ++next) {
            if (next->msg->room == room) found.push_back(*next->msg);
        }
        done({}, std::move(found));
    }

    void stop(sdk::Done done) {
        if (state_ == State::stopped) {
            done({});
            return;
        }
        stop_waiters_.push_back(std::move(done));
        if (state_ == State::stopping) return;
        state_ = State::stopping;
        if (uncommitted_.empty()) {
            finish({});
            return;
        }
        drain_timer_.expires_after(drain_timeout_);
        drain_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec == boost::asio::error::operation_aborted) return;
            self->on_drain_timeout();
        });
        deliver_store();  // a batch still filling goes now
    }

    /// The queue object is going away: stop timers, drop the subscribers.
    void close() {
        batch_timer_.cancel();
        drain_timer_.cancel();
        broadcast_.clear();
        if (store_) store_->close();
        store_ = nullptr;
    }

private:
    struct Entry {
        std::uint64_t seq;
        std::shared_ptr<const sdk::Message> msg;  // shared by retained_ and uncommitted_
        std::size_t bytes;                        // message_bytes(*msg)
        sdk::PublishDone done;                    // the sender's ack, while it waits
        std::chrono::steady_clock::time_point accepted_at;
    };

    /// What a message holds in memory, for the byte bounds: its strings plus a fixed
    /// allowance for the object and the queue's bookkeeping.
    static std::size_t message_bytes(const sdk::Message& msg) {
        constexpr std::size_t kOverhead = sizeof(sdk::Message) + 64;
        std::size_t bytes = kOverhead + msg.id.size() + msg.room.size() + msg.sender.size() +
                            msg.user.size() + msg.payload_json.size() + msg.position.size();
        for (const auto& attachment : msg.attachments) bytes += attachment.size() + 32;
        return bytes;
    }

    /// The message is published: every broadcast subscriber gets it, and it is kept for
    /// read_after() within `retain` messages and `retain_bytes`.
    void release(const Entry& entry) {
        if (settings_.retain > 0 && entry.bytes <= settings_.retain_bytes) {
            retained_bytes_ += entry.bytes;
            retained_.push_back(entry);
            while (retained_.size() > settings_.retain ||
                   retained_bytes_ > settings_.retain_bytes) {
                retained_bytes_ -= retained_.front().bytes;
                retained_.pop_front();
            }
        }
        for (const auto& handler : broadcast_) handler(*entry.msg);
    }
    enum class State { created, running, stopping, stopped };

    /// Hands the store the next batches, up to kBatchesInFlight: while the store commits
    /// one, the next is with it already, so it never waits for this executor in between.
    void deliver_store() {
        while (store_ && store_->ready() && state_ != State::stopped &&
               uncommitted_.size() > handed_) {
            if (!batch_ready()) return;
            const std::size_t n =
                std::min(settings_.store.batch_max, uncommitted_.size() - handed_);
            std::vector<sdk::Message> batch;
            batch.reserve(n);
            for (std::size_t i = handed_; i < handed_ + n; ++i) {
                batch.push_back(*uncommitted_[i].msg);
            }
            handed_ += n;
            store_->hand_over(std::move(batch), [weak = weak_from_this(), n](std::error_code ec) {
                if (auto self = weak.lock()) self->on_commit(n, ec);
            });
        }
    }

    /// A batch goes to the store when full, when stopping, or store_batch_delay after
    /// its oldest message was accepted: under load, one store transaction for many
    /// messages. Counted from acceptance, not from the previous commit: what piled up
    /// while a batch was in flight is overdue by then and goes at once.
    bool batch_ready() {
        if (settings_.store_batch_delay.count() == 0 || state_ != State::running ||
            uncommitted_.size() - handed_ >= settings_.store.batch_max) {
            return true;
        }
        const auto due = uncommitted_[handed_].accepted_at + settings_.store_batch_delay;
        if (std::chrono::steady_clock::now() >= due) return true;
        if (!batch_timer_armed_) {
            batch_timer_armed_ = true;
            batch_timer_.expires_at(due);
            batch_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
                auto self = weak.lock();
                if (!self) return;
                self->batch_timer_armed_ = false;
                if (!ec) self->deliver_store();
            });
        }
        return false;
    }

    /// The store's feed reports, in hand-over order, how a batch of the oldest `n`
    /// handed messages ended.
    void on_commit(std::size_t n, std::error_code ec) {
        if (ec) {
            // Everything handed over goes again, from the oldest uncommitted message (the
            // feed fails every batch in flight).
            handed_ = 0;
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            Entry& entry = uncommitted_[i];
            uncommitted_bytes_ -= entry.bytes;
            if (settings_.ack != AckMode::stored) continue;
            // Stored: now the sender may hear of it, and the room may see it.
            auto done = std::move(entry.done);
            done({}, entry.msg->position);
            release(entry);
        }
        uncommitted_.erase(uncommitted_.begin(),
                           uncommitted_.begin() + static_cast<std::ptrdiff_t>(n));
        handed_ -= n;
        depth_.sub(static_cast<std::int64_t>(n));
        if (state_ == State::stopping && uncommitted_.empty()) finish({});
    }

    void on_drain_timeout() {
        if (state_ != State::stopping) return;
        log_.warn("stopped with " + std::to_string(uncommitted_.size()) +
                  " message(s) not committed by the store within node.drain_timeout (" +
                  std::to_string(drain_timeout_.count()) + "ms); increase node.drain_timeout");
        finish(make_error_code(sdk::Errc::timed_out));
    }

    void finish(std::error_code result) {
        state_ = State::stopped;
        // Acks still waiting for the store will not be stored by this process: the
        // senders hear so, rather than nothing.
        for (auto& entry : uncommitted_) {
            if (auto done = std::move(entry.done)) done(make_error_code(sdk::Errc::timed_out), {});
        }
        close();
        auto waiters = std::move(stop_waiters_);
        stop_waiters_.clear();
        for (auto& done : waiters) done(result);
    }

    Settings settings_;
    const std::chrono::milliseconds drain_timeout_;  // node.drain_timeout
    sdk::Executor executor_;
    sdk::Logger& log_;
    sdk::Gauge& depth_;
    sdk::Counter& published_;
    sdk::Counter& rejected_;
    sdk::Counter& retries_;
    boost::asio::steady_timer batch_timer_;
    bool batch_timer_armed_ = false;
    boost::asio::steady_timer drain_timer_;

    State state_ = State::created;
    std::vector<sdk::BroadcastHandler> broadcast_;
    std::shared_ptr<store_feed::StoreFeed> store_;  // with a store subscriber
    std::vector<sdk::Done> stop_waiters_;
    std::uint64_t next_seq_ = 1;
    std::deque<Entry> retained_;  // the last `retain` messages, by seq (no `done`)
    std::size_t retained_bytes_ = 0;
    std::deque<Entry> uncommitted_;  // accepted, not yet committed, by seq
    std::size_t uncommitted_bytes_ = 0;
    static constexpr std::size_t kBatchesInFlight = 2;
    std::size_t handed_ = 0;  // the front of uncommitted_ handed to the store
};

MemoryQueue::MemoryQueue(Settings settings, sdk::PluginContext& ctx)
    : executor_(ctx.executor()), core_(std::make_shared<Core>(settings, ctx)) {}

MemoryQueue::~MemoryQueue() {
    boost::asio::post(executor_, [core = std::move(core_)] { core->close(); });
}

void MemoryQueue::subscribe_broadcast(sdk::BroadcastHandler handler) {
    boost::asio::post(executor_, [core = core_, handler = std::move(handler)]() mutable {
        core->subscribe_broadcast(std::move(handler));
    });
}

void MemoryQueue::subscribe_store(sdk::StoreHandler handler) {
    boost::asio::post(executor_, [core = core_, handler = std::move(handler)]() mutable {
        core->subscribe_store(std::move(handler));
    });
}

void MemoryQueue::start(sdk::Done done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)] { core->start(done); });
}

void MemoryQueue::publish(sdk::Message msg, sdk::PublishDone done) {
    boost::asio::post(executor_,
                      [core = core_, msg = std::move(msg), done = std::move(done)]() mutable {
                          core->publish(std::move(msg), std::move(done));
                      });
}

void MemoryQueue::read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                             sdk::ReadDone done) {
    boost::asio::post(
        executor_, [core = core_, room = std::string(room), after_id = std::string(after_id), limit,
                    done = std::move(done)] { core->read_after(room, after_id, limit, done); });
}

void MemoryQueue::stop(sdk::Done done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)]() mutable {
        core->stop(std::move(done));
    });
}

}  // namespace relay::plugins::memory
