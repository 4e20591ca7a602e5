#include "streams_queue.hpp"

#include "broadcast_reader.hpp"
#include "drain_watch.hpp"
#include "pending_claimer.hpp"
#include "publish_health.hpp"
#include "queue_metrics.hpp"
#include "recovery_reader.hpp"
#include "store_backlog.hpp"
#include "store_consumer.hpp"
#include "stream_publisher.hpp"
#include "valkey/connection.hpp"
#include "valkey/lifecycle.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>

#include <string>
#include <utility>
#include <vector>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Connection;

/// The lifecycle (created, starting, running, stopping, stopped) and the wiring
/// of the parts; touched only on the executor. Handlers that may outlive the
/// queue object hold a weak_ptr and do nothing once it expired.
class StreamsQueue::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          consumer_(settings_.consumer.empty() ? std::string(ctx.node_id()) : settings_.consumer),
          metrics_(QueueMetrics::register_in(ctx.metrics())),
          options_(connection_options(settings_.connection, consumer_)),
          streams_(
              std::make_shared<const PartitionStreams>(settings_.stream, settings_.partitions)),
          // XADD, XINFO, XPENDING, XAUTOCLAIM, XRANGE (the readers have their
          // own)
          commands_(Connection::create(executor_, options_, log_, "queue")),
          health_(std::make_shared<PublishHealth>(ctx.health(), log_)),
          backlog_(std::make_shared<StoreBacklog>(executor_, store_group(),
                                                  settings_.backlog_interval, metrics_.backlog)),
          publisher_(std::make_shared<StreamPublisher>(
              commands_, streams_,
              StreamPublisher::Limits{.max_in_flight = settings_.max_in_flight,
                                      .capacity = settings_.capacity,
                                      .maxlen = settings_.maxlen},
              backlog_, health_, log_,
              StreamPublisher::Metrics{.published = metrics_.published,
                                       .full = metrics_.full,
                                       .failed = metrics_.failed},
              endpoint())),
          recovery_(std::make_shared<RecoveryReader>(commands_, streams_)),
          claimer_(std::make_shared<PendingClaimer>(
              executor_, commands_, streams_,
              PendingClaimer::Claim{.group = settings_.store_group,
                                    .consumer = consumer_,
                                    .idle = settings_.claim_idle,
                                    .count = settings_.store.batch_max},
              log_, metrics_.lost)),
          drain_(std::make_shared<DrainWatch>(executor_, store_group(), ctx.drain_timeout(), log_)),
          start_timer_(executor_) {}

    void subscribe_broadcast(sdk::BroadcastHandler handler) {
        if (handler) broadcast_handlers_.push_back(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) { store_handler_ = std::move(handler); }

    void start(sdk::Done done) {
        if (!lifecycle_.begin_start(std::move(done))) return;
        auto weak = weak_from_this();
        auto drain_check = [weak] {
            if (auto self = weak.lock()) self->drain_->check();
        };
        publisher_->on_answered(drain_check);
        commands_->on_up([weak] {
            if (auto self = weak.lock()) self->command_up();
        });
        commands_->on_down([weak](std::error_code) {
            auto self = weak.lock();
            if (!self) return;
            self->metrics_.disconnects.add();
            self->health_->cannot_publish(PublishHealth::Cause::connection,
                                          "lost the connection to Valkey at " + self->endpoint() +
                                              " (" + self->commands_->last_error() +
                                              "); publishes fail until it is back");
        });
        commands_->start();
        auto started = [weak] {
            if (auto self = weak.lock()) self->maybe_started();
        };
        if (!broadcast_handlers_.empty()) {
            broadcast_ = std::make_shared<BroadcastReader>(
                executor_, streams_, std::move(broadcast_handlers_),
                BroadcastReader::Reading{.read_count = settings_.read_count,
                                         .block = settings_.block,
                                         .retry_delay = settings_.store.retry_delay},
                log_);
            broadcast_handlers_.clear();
            broadcast_->on_progress(drain_check);
            broadcast_->start(options_, started);
        }
        if (store_handler_) {
            store_ = std::make_shared<StoreConsumer>(
                executor_, streams_,
                StoreConsumer::Group{.name = settings_.store_group,
                                     .consumer = consumer_,
                                     .batch_max = settings_.store.batch_max,
                                     .block = settings_.block,
                                     .retry_delay = settings_.store.retry_delay},
                std::move(store_handler_), log_,
                StoreConsumer::Metrics{.retries = metrics_.retries, .lost = metrics_.lost});
            store_handler_ = nullptr;
            store_->start(options_, started);
        }
        start_timer_.expires_after(valkey::Lifecycle::start_deadline(settings_.connection));
        start_timer_.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || self->lifecycle_.state() != State::starting) return;
            self->start_timed_out();
        });
    }

    void publish(sdk::Message msg, const sdk::PublishDone& done) {
        publisher_->publish(std::move(msg), done);
    }

    void read_after(std::string room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done) {
        if (after_id.empty()) return done(make_error_code(sdk::Errc::invalid_argument), {});
        if (lifecycle_.state() == State::stopped) {
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        recovery_->read_after(std::move(room), after_id, limit, std::move(done));
    }

    void stop(sdk::Done done) {
        const auto was = lifecycle_.begin_stop(std::move(done));
        if (!was) return;
        if (*was != State::running) return finish({});
        health_->running(false);
        publisher_->shut();
        drain_->begin(DrainWatch::Parts{.publisher = publisher_,
                                        .broadcast = broadcast_,
                                        .store_subscribed = store_ != nullptr},
                      [weak = weak_from_this()](std::error_code result) {
                          if (auto self = weak.lock()) self->finish(result);
                      });
    }

    /// The queue object is going away: stop timers and connections, drop
    /// subscribers.
    void close() {
        lifecycle_.close();
        start_timer_.cancel();
        health_->running(false);
        publisher_->shut();
        backlog_->close();
        claimer_->close();
        drain_->close();
        commands_->close();
        if (broadcast_) broadcast_->close();
        if (store_) store_->close();
        broadcast_handlers_.clear();
        store_handler_ = nullptr;
    }

private:
    using State = valkey::Lifecycle::State;

    static valkey::ConnectionOptions connection_options(valkey::ConnectionOptions options,
                                                        const std::string& consumer) {
        options.client_name = "relay-queue:" + consumer;
        return options;
    }

    std::string endpoint() const { return settings_.connection.address.endpoint(); }
    StoreGroup store_group() const { return {commands_, streams_, settings_.store_group}; }

    void command_up() {
        health_->connection_back();
        if (lifecycle_.state() != State::starting || command_ready_) return;
        if (!broadcast_) return command_ready();
        // Broadcasts start at the streams' ends: what is published from now on. An
        // error leaves it to the reconnection, which comes back here.
        broadcast_->find_stream_ends(*commands_, [weak = weak_from_this()] {
            auto self = weak.lock();
            if (self && self->lifecycle_.state() == State::starting) self->command_ready();
        });
    }

    void command_ready() {
        if (command_ready_) return;
        command_ready_ = true;
        backlog_->start();
        maybe_started();
    }

    void maybe_started() {
        if (lifecycle_.state() != State::starting || !command_ready_) return;
        if (broadcast_ && !broadcast_->up()) return;
        if (store_ && !store_->group_ready()) return;
        start_timer_.cancel();
        auto done = lifecycle_.running();
        health_->running(true);
        publisher_->open();
        if (broadcast_) broadcast_->run();
        if (store_) {
            store_->run();
            claimer_->run([store = std::weak_ptr<StoreConsumer>(store_)] {
                if (auto s = store.lock()) s->recover_pending();
            });
        }
        if (done) done({});
    }

    void start_timed_out() {
        std::string why = commands_->last_error();
        for (const std::string& error : {broadcast_ ? broadcast_->last_error() : std::string(),
                                         store_ ? store_->last_error() : std::string()}) {
            if (!error.empty()) why = error;
        }
        log_.error(valkey::Lifecycle::unreachable(settings_.connection.address, why));
        finish(make_error_code(ClientErrc::connect_failed));
    }

    /// Completes start (with an error) or stop.
    void finish(std::error_code result) {
        close();
        lifecycle_.finish(result);
    }

    Settings settings_;
    sdk::Executor executor_;
    sdk::Logger& log_;
    std::string consumer_;
    QueueMetrics metrics_;
    valkey::ConnectionOptions options_;  // every connection's, with this node's client name
    std::shared_ptr<const PartitionStreams> streams_;
    std::shared_ptr<Connection> commands_;
    std::shared_ptr<PublishHealth> health_;
    std::shared_ptr<StoreBacklog> backlog_;
    std::shared_ptr<StreamPublisher> publisher_;
    std::shared_ptr<RecoveryReader> recovery_;
    std::shared_ptr<PendingClaimer> claimer_;
    std::shared_ptr<DrainWatch> drain_;
    std::shared_ptr<BroadcastReader> broadcast_;  // when broadcasts are subscribed
    std::shared_ptr<StoreConsumer> store_;        // when a store is subscribed
    boost::asio::steady_timer start_timer_;

    valkey::Lifecycle lifecycle_;
    std::vector<sdk::BroadcastHandler> broadcast_handlers_;  // until start()
    sdk::StoreHandler store_handler_;                        // until start()
    bool command_ready_ = false;                             // logged in, stream ends known
};

StreamsQueue::StreamsQueue(Settings settings, sdk::PluginContext& ctx)
    : core_(ctx.executor(), std::make_shared<Core>(std::move(settings), ctx)) {}

StreamsQueue::~StreamsQueue() = default;

void StreamsQueue::subscribe_broadcast(sdk::BroadcastHandler handler) {
    core_.post([handler = std::move(handler)](Core& core) mutable {
        core.subscribe_broadcast(std::move(handler));
    });
}

void StreamsQueue::subscribe_store(sdk::StoreHandler handler) {
    core_.post([handler = std::move(handler)](Core& core) mutable {
        core.subscribe_store(std::move(handler));
    });
}

void StreamsQueue::start(sdk::Done done) {
    core_.post([done = std::move(done)](Core& core) mutable { core.start(std::move(done)); });
}

void StreamsQueue::publish(sdk::Message msg, sdk::PublishDone done) {
    core_.post([msg = std::move(msg), done = std::move(done)](Core& core) mutable {
        core.publish(std::move(msg), done);
    });
}

void StreamsQueue::read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                              sdk::ReadDone done) {
    core_.post([room = std::string(room), after_id = std::string(after_id), limit,
                done = std::move(done)](Core& core) mutable {
        core.read_after(std::move(room), after_id, limit, std::move(done));
    });
}

void StreamsQueue::stop(sdk::Done done) {
    core_.post([done = std::move(done)](Core& core) mutable { core.stop(std::move(done)); });
}

}  // namespace relay::plugins::valkey_streams
