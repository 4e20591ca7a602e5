#include "kafka_queue.hpp"

#include "broadcast_reader.hpp"
#include "broker_health.hpp"
#include "catch_up.hpp"
#include "client_log.hpp"
#include "host_post.hpp"
#include "kafka_client.hpp"
#include "log_reader.hpp"
#include "log_text.hpp"
#include "message_producer.hpp"
#include "progress_signal.hpp"
#include "record_decoder.hpp"
#include "store_consumer.hpp"
#include "topic_admin.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace relay::plugins::kafka {

namespace {

class KafkaCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "kafka"; }
    std::string message(int value) const override {
        switch (static_cast<QueueErrc>(value)) {
            case QueueErrc::message_not_found:
                return "the message to read after is not in the room's Kafka partition";
        }
        return "unknown kafka queue error";
    }
};

std::error_code relay_error(sdk::Errc e) {
    return sdk::make_error_code(e);
}

void join(std::thread&& thread) {
    if (thread.joinable()) thread.join();
}

}  // namespace

const std::error_category& kafka_category() noexcept {
    static const KafkaCategory category;
    return category;
}

std::error_code make_error_code(QueueErrc e) noexcept {
    return {static_cast<int>(e), kafka_category()};
}

/// The queue's lifecycle (created, starting, running, stopping, stopped) and the
/// wiring of its parts, each of which owns its client, thread and state:
/// MessageProducer (publish and acks), BroadcastReader, StoreConsumer, LogReader
/// (read_after); TopicAdmin runs start's steps on the topic, BrokerHealth and
/// ClientLog take what the clients report. start and stop run their blocking steps on
/// short-lived threads of their own.
///
/// The parts' threads use the parts and the Core's members: they are all joined
/// before the Core can go away (by stop, or by the KafkaQueue's destructor). Work
/// posted to the executor holds a shared_ptr, and does nothing once `closed_` is set.
class KafkaQueue::Core final : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          drain_timeout_(ctx.drain_timeout()),
          log_(ctx.log()),
          node_id_(ctx.node_id()),
          broker_health_(settings_.brokers, settings_.topic, ctx.health(), ctx.log(), ctx.metrics(),
                         [this](std::function<void()> report) {
                             boost::asio::post(
                                 executor_, [weak = weak_from_this(), report = std::move(report)] {
                                     auto self = weak.lock();
                                     if (self && !self->closed_.load()) report();
                                 });
                         }),
          decoder_(settings_.topic, max_record_bytes(settings_), ctx.log(), ctx.metrics()),
          producer_(settings_, node_id_, executor_, ctx.log(), ctx.metrics(), client_log_,
                    broker_health_, post_to_host(), [this] { progress_.notify(); }),
          broadcast_(settings_, node_id_, executor_, ctx.log(), ctx.metrics(), client_log_,
                     decoder_, broker_health_, post_to_host(), [this] { progress_.notify(); }),
          store_(settings_, node_id_, executor_, ctx.log(), ctx.metrics(), client_log_, decoder_,
                 post_to_host(), [this] { progress_.notify(); }),
          reader_(settings_, node_id_, executor_, ctx.log(), client_log_, decoder_) {}

    ~Core() { shutdown(); }
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;
    Core(Core&&) = delete;
    Core& operator=(Core&&) = delete;

    void subscribe_broadcast(sdk::BroadcastHandler handler) {
        broadcast_.add_handler(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) { store_.set_handler(std::move(handler)); }

    void start(sdk::Done done) {
        std::lock_guard lock(stop_mutex_);
        State expected = State::created;
        if (!state_.compare_exchange_strong(expected, State::starting)) {
            post_done(std::move(done), expected == State::running
                                           ? std::error_code()
                                           : relay_error(sdk::Errc::shutting_down));
            return;
        }
        starter_ =
            std::thread([this, done = std::move(done)]() mutable { run_start(std::move(done)); });
    }

    void publish(sdk::Message msg, sdk::PublishDone done) {
        // Counted before the state is read, so that stop (which sets the state, then
        // waits for the count to drop to zero) never misses a message on its way in.
        producer_.count_in();
        const State state = state_.load();
        if (state != State::running) {
            producer_.count_out();
            const auto ec = relay_error(state == State::stopping || state == State::stopped
                                            ? sdk::Errc::shutting_down
                                            : sdk::Errc::unavailable);
            boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
            return;
        }
        producer_.publish(std::move(msg), std::move(done));
    }

    void read_after(std::string room, std::string after_id, std::size_t limit, sdk::ReadDone done) {
        const State state = state_.load();
        if (state != State::running) {
            const auto ec = relay_error(state == State::created || state == State::starting
                                            ? sdk::Errc::unavailable
                                            : sdk::Errc::shutting_down);
            boost::asio::post(executor_, [done = std::move(done), ec] { done(ec, {}); });
            return;
        }
        reader_.read_after(std::move(room), std::move(after_id), limit, std::move(done));
    }

    void stop(sdk::Done done) {
        std::lock_guard lock(stop_mutex_);
        if (stop_finished_) {
            post_done(std::move(done), {});
            return;
        }
        stop_waiters_.push_back(std::move(done));
        if (stopper_.joinable()) return;
        state_.store(State::stopping);
        stopper_ = std::thread([this] { run_stop(); });
    }

    /// The KafkaQueue is going away. After a stop: waits for it. Without one: stops at
    /// once, dropping acks and deliveries still on their way.
    void shutdown() {
        std::thread stopper;
        {
            std::lock_guard lock(stop_mutex_);
            if (stopper_.joinable()) {
                stopper = std::move(stopper_);
            } else {
                state_.store(State::stopped);
                stop_finished_ = true;
            }
        }
        if (stopper.joinable()) {
            stopper.join();
            return;
        }
        if (shut_down_) return;
        closed_.store(true);
        store_.abandon();
        join(take(starter_));
        producer_.purge();
        quit_all();
        release_handles();
    }

private:
    enum class State { created, starting, running, stopping, stopped };

    // ---- start ----------------------------------------------------------------------

    void run_start(sdk::Done done) {
        std::error_code ec;
        try {
            ec = prepare();
        } catch (const std::exception& e) {
            log_.error(std::string("start failed: ") + e.what());
            ec = relay_error(sdk::Errc::unavailable);
        }
        if (!ec) {
            State expected = State::starting;
            if (!state_.compare_exchange_strong(expected, State::running)) {
                ec = relay_error(sdk::Errc::shutting_down);
            }
        }
        post_done(std::move(done), ec);
    }

    bool still_starting() const { return state_.load() == State::starting; }

    std::error_code prepare() {
        // The producer's thread serves its logs while the start-up steps use it.
        producer_.start_polling();
        TopicAdmin admin(settings_, log_, producer_.handle(), [this] { return still_starting(); });
        int partitions = 0;
        if (auto ec = admin.find_or_create(partitions)) return ec;
        if (auto ec = producer_.open_topic()) return ec;

        const bool broadcast = broadcast_.has_handlers();
        const bool store = store_.has_handler();
        if (broadcast && still_starting()) {
            // Start offsets are fixed here, before start() completes: every message
            // published after start() completed is broadcast, none from before.
            std::map<std::int32_t, std::int64_t> ends;
            if (settings_.broadcast_start == BroadcastStart::end) {
                const auto deadline = Clock::now() + settings_.admin_timeout;
                if (auto ec = admin.end_offsets(partitions, deadline, ends)) return ec;
            }
            if (auto ec = broadcast_.start(partitions, ends)) return ec;
        }
        if (store && still_starting()) {
            if (auto ec = store_.start()) return ec;
        }
        broker_health_.start(partitions, [this] { return producer_.outstanding(); });
        log_.info("started: brokers " + settings_.brokers + ", topic '" + settings_.topic +
                  "' with " + std::to_string(partitions) + " partition(s)" +
                  (broadcast ? ", broadcasting every partition" : "") +
                  (store ? ", storing in consumer group '" + settings_.store_group + "'" : ""));
        return {};
    }

    // ---- stop -----------------------------------------------------------------------

    void run_stop() {
        join(take(starter_));
        const auto deadline = Clock::now() + drain_timeout_;
        std::error_code result;

        // 1. Every accepted message gets its ack: delivered, or failed by the purge.
        const auto all_acked = [&] { return producer_.outstanding() == 0; };
        if (!progress_.wait_until(deadline, all_acked)) {
            log_.warn(std::to_string(producer_.outstanding()) +
                      " message(s) not delivered to Kafka within node.drain_timeout (" +
                      describe(drain_timeout_) +
                      "); their senders get error acks. Increase node.drain_timeout");
            producer_.purge();
            progress_.wait_until(Clock::now() + kPurgeWait, all_acked);
            result = relay_error(sdk::Errc::timed_out);
        }
        producer_.request_quit();
        producer_.join();

        // 2. The subscriptions catch up with what this node acked.
        if (auto ec = wait_until_caught_up(
                producer_.acked_ends(), broadcast_.started() ? &broadcast_ : nullptr,
                store_.started() ? &store_ : nullptr, progress_, deadline, drain_timeout_, log_)) {
            result = ec;
        }

        // 3. Close.
        store_.abandon();
        quit_all();
        release_handles();
        state_.store(State::stopped);

        // 4. Complete behind everything posted so far; nothing is posted after.
        std::vector<sdk::Done> waiters;
        {
            std::lock_guard lock(stop_mutex_);
            waiters = std::move(stop_waiters_);
            stop_waiters_.clear();
            stop_finished_ = true;
        }
        boost::asio::post(executor_,
                          [self = shared_from_this(), waiters = std::move(waiters), result] {
                              self->closed_.store(true);
                              for (const auto& done : waiters) done(result);
                          });
    }

    /// Stops every client thread and joins it (consumers close on their own thread,
    /// all at once).
    void quit_all() {
        producer_.request_quit();
        broadcast_.request_quit();
        store_.request_quit();
        reader_.close();
        producer_.join();
        broadcast_.join();
        store_.join();
        reader_.join();
    }

    /// Handles go only once every thread using them was joined.
    void release_handles() {
        broker_health_.stop();
        broadcast_.release();
        store_.release();
        producer_.release();
        shut_down_ = true;
    }

    // ---- helpers --------------------------------------------------------------------

    /// A HostPost for the parts: work reaches the host while the queue is open, and
    /// keeps the queue alive until it ran.
    HostPost post_to_host() {
        return [this](std::function<void()> work) {
            boost::asio::post(executor_, [self = shared_from_this(), work = std::move(work)] {
                if (!self->closed_.load()) work();
            });
        };
    }

    void post_done(sdk::Done done, std::error_code ec) {
        boost::asio::post(executor_, [done = std::move(done), ec] { done(ec); });
    }

    std::thread take(std::thread& thread) {
        std::lock_guard lock(stop_mutex_);
        return std::move(thread);
    }

    /// How long stop waits for the acks of what a purge failed.
    static constexpr std::chrono::milliseconds kPurgeWait{5000};

    const Settings settings_;
    const sdk::Executor executor_;
    const std::chrono::milliseconds drain_timeout_;  // node.drain_timeout
    sdk::Logger& log_;
    const std::string node_id_;
    ProgressSignal progress_;
    BrokerHealth broker_health_;
    ClientLog client_log_{log_, broker_health_};
    RecordDecoder decoder_;
    MessageProducer producer_;
    BroadcastReader broadcast_;
    StoreConsumer store_;
    LogReader reader_;

    std::atomic<State> state_{State::created};
    std::atomic<bool> closed_{false};  // nothing more reaches the host
    bool shut_down_ = false;

    std::mutex stop_mutex_;  // guards starter_, stopper_, the waiters
    std::vector<sdk::Done> stop_waiters_;
    bool stop_finished_ = false;
    std::thread starter_;
    std::thread stopper_;
};

KafkaQueue::KafkaQueue(Settings settings, sdk::PluginContext& ctx)
    : core_(std::make_shared<Core>(std::move(settings), ctx)) {}

KafkaQueue::~KafkaQueue() {
    core_->shutdown();
}

void KafkaQueue::subscribe_broadcast(sdk::BroadcastHandler handler) {
    core_->subscribe_broadcast(std::move(handler));
}

void KafkaQueue::subscribe_store(sdk::StoreHandler handler) {
    core_->subscribe_store(std::move(handler));
}

void KafkaQueue::start(sdk::Done done) {
    core_->start(std::move(done));
}

void KafkaQueue::publish(sdk::Message msg, sdk::PublishDone done) {
    core_->publish(std::move(msg), std::move(done));
}

void KafkaQueue::read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                            sdk::ReadDone done) {
    core_->read_after(std::string(room), std::string(after_id), limit, std::move(done));
}

void KafkaQueue::stop(sdk::Done done) {
    core_->stop(std::move(done));
}

}  // namespace relay::plugins::kafka
