#include "streams_queue.hpp"

#include "valkey/connection.hpp"
#include "valkey/fields.hpp"

#include <relay/sdk/asio.hpp>
#include <relay/sdk/error.hpp>
#include <relay/sdk/message_id.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Connection;
using valkey::Reply;

namespace {

class StreamsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "valkey_streams"; }
    std::string message(int value) const override {
        switch (static_cast<QueueErrc>(value)) {
            case QueueErrc::message_not_found:
                return "the message to read after is not in the room's stream (trimmed, or "
                       "unknown); raise queue.maxlen";
        }
        return "unknown valkey_streams error";
    }
};

/// A stream entry id, "<ms>-<seq>".
struct EntryId {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    static std::optional<EntryId> parse(std::string_view text) {
        const auto dash = text.find('-');
        if (dash == std::string_view::npos) return std::nullopt;
        EntryId id;
        auto a = std::from_chars(text.data(), text.data() + dash, id.ms);
        auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), id.seq);
        if (a.ec != std::errc() || a.ptr != text.data() + dash || b.ec != std::errc() ||
            b.ptr != text.data() + text.size()) {
            return std::nullopt;
        }
        return id;
    }
    std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
    friend auto operator<=>(const EntryId&, const EntryId&) = default;
};

/// "<partition>:<entry id>"
std::string position_of(std::size_t partition, std::string_view id) {
    return std::to_string(partition) + ":" + std::string(id);
}

/// How far the server's clock may be behind the host's, for read_after's search.
constexpr std::chrono::milliseconds kClockSkewAllowance{10000};

/// Field/value pairs of one entry -> a message (without its position).
std::optional<sdk::Message> decode_entry(const Reply& fields) {
    if (!fields.is_array() || fields.elements.size() % 2 != 0) return std::nullopt;
    sdk::Message msg;
    bool has_id = false;
    for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
        const std::string& name = fields.elements[i].str;
        const std::string& value = fields.elements[i + 1].str;
        if (name == "id") {
            msg.id = value;
            has_id = true;
        } else if (name == "room") {
            msg.room = value;
        } else if (name == "sender") {
            msg.sender = value;
        } else if (name == "user") {
            msg.user = value;
        } else if (name == "ts") {
            msg.ts_ms = fields.elements[i + 1].as_integer();
        } else if (name == "payload") {
            msg.payload_json = value;
        } else if (name == "att") {
            auto attachments = valkey::unpack_fields(value);
            if (!attachments) return std::nullopt;
            msg.attachments = std::move(*attachments);
        }
    }
    if (!has_id) return std::nullopt;
    return msg;
}

/// A flat [k, v, k, v...] reply's value for `key`.
const Reply* value_of(const Reply& flat, std::string_view key) {
    for (std::size_t i = 0; i + 1 < flat.elements.size(); i += 2) {
        if (flat.elements[i].str == key) return &flat.elements[i + 1];
    }
    return nullptr;
}

bool starts_with(const std::string& text, std::string_view prefix) {
    return text.rfind(prefix, 0) == 0;
}

}  // namespace

const std::error_category& streams_category() noexcept {
    static const StreamsCategory category;
    return category;
}

std::error_code make_error_code(QueueErrc e) noexcept {
    return {static_cast<int>(e), streams_category()};
}

std::size_t partition_of(std::string_view room, std::size_t partitions) noexcept {
    std::uint32_t hash = 2166136261u;
    for (unsigned char c : room) {
        hash ^= c;
        hash *= 16777619u;
    }
    return partitions == 0 ? 0 : hash % partitions;
}

/// All state, touched only on the executor. Handlers that may outlive the queue
/// object hold a weak_ptr and do nothing once it expired.
class StreamsQueue::Core : public std::enable_shared_from_this<Core> {
public:
    Core(Settings settings, sdk::PluginContext& ctx)
        : settings_(std::move(settings)),
          executor_(ctx.executor()),
          log_(ctx.log()),
          health_(ctx.health()),
          consumer_(settings_.consumer.empty() ? std::string(ctx.node_id()) : settings_.consumer),
          published_(ctx.metrics().counter("valkey_streams_published_total",
                                           "messages XADDed and acknowledged by Valkey")),
          full_(ctx.metrics().counter("valkey_streams_full_total",
                                      "publishes rejected with queue_full (capacity or "
                                      "max_in_flight)")),
          failed_(ctx.metrics().counter("valkey_streams_publish_failures_total",
                                        "publishes acked with an error (Valkey out of reach, "
                                        "timeout, error reply)")),
          retries_(ctx.metrics().counter("valkey_streams_store_retries_total",
                                         "store batches redelivered after a failed commit")),
          lost_(ctx.metrics().counter("valkey_streams_trimmed_unstored_total",
                                      "pending store entries found trimmed away (raise maxlen)")),
          disconnects_(ctx.metrics().counter("valkey_streams_disconnects_total",
                                             "connections to Valkey lost (then re-established)")),
          backlog_gauge_(ctx.metrics().gauge("valkey_streams_store_backlog",
                                             "messages the store group has not committed")),
          start_timer_(executor_),
          retry_timer_(executor_),
          backlog_timer_(executor_),
          claim_timer_(executor_),
          drain_timer_(executor_),
          drain_poll_timer_(executor_),
          bcast_retry_timer_(executor_) {
        for (std::size_t p = 0; p < settings_.partitions; ++p) {
            keys_.push_back(settings_.stream + ":" + std::to_string(p));
            partition_by_key_.emplace(keys_.back(), p);
        }
        bcast_ids_.assign(settings_.partitions, "0-0");
        last_published_.assign(settings_.partitions, std::nullopt);
        claim_cursor_.assign(settings_.partitions, "0-0");
    }

    void subscribe_broadcast(sdk::BroadcastHandler handler) {
        if (handler) broadcast_.push_back(std::move(handler));
    }
    void subscribe_store(sdk::StoreHandler handler) { store_handler_ = std::move(handler); }

    void start(sdk::Done done) {
        if (state_ != State::created) {
            done(state_ == State::running ? std::error_code()
                                          : make_error_code(sdk::Errc::shutting_down));
            return;
        }
        state_ = State::starting;
        start_done_ = std::move(done);
        auto weak = weak_from_this();
        auto options = settings_.connection;
        options.client_name = "relay-queue:" + consumer_;
        cmd_ = Connection::create(executor_, options, log_, "queue");
        cmd_->on_up([weak] {
            if (auto self = weak.lock()) self->command_up();
        });
        cmd_->on_down([weak](std::error_code) {
            auto self = weak.lock();
            if (!self) return;
            self->disconnects_.add();
            self->cannot_publish(Cause::connection,
                                 "lost the connection to Valkey at " +
                                     self->settings_.connection.address.endpoint() + " (" +
                                     self->cmd_->last_error() +
                                     "); publishes fail until it is back");
        });
        cmd_->start();
        if (!broadcast_.empty()) {
            bcast_ = Connection::create(executor_, options, log_, "queue broadcast reader");
            bcast_->on_up([weak] {
                auto self = weak.lock();
                if (!self) return;
                if (self->state_ == State::starting) return self->maybe_started();
                self->read_broadcast();
            });
            bcast_->start();
        }
        if (store_handler_) {
            store_ = Connection::create(executor_, options, log_, "queue store reader");
            store_->on_up([weak] {
                if (auto self = weak.lock()) self->store_up();
            });
            store_->start();
        }
        start_timer_.expires_after(settings_.connection.connect_timeout +
                                   settings_.connection.command_timeout);
        start_timer_.async_wait([weak](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || self->state_ != State::starting) return;
            std::string why;
            for (const auto* c : {&self->cmd_, &self->bcast_, &self->store_}) {
                if (*c && !(*c)->last_error().empty()) why = (*c)->last_error();
            }
            self->log_.error("cannot reach Valkey at " +
                             self->settings_.connection.address.endpoint() + " (" +
                             (why.empty() ? std::string("no answer") : why) +
                             "); check `url`, `user` and `password`");
            self->finish(make_error_code(ClientErrc::connect_failed));
        });
    }

    void publish(sdk::Message msg, const sdk::PublishDone& done) {
        if (state_ == State::stopping || state_ == State::stopped) {
            return done(make_error_code(sdk::Errc::shutting_down), {});
        }
        if (state_ != State::running || !cmd_->up()) {
            failed_.add();
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        if (in_flight_ >= settings_.max_in_flight || backlog_ >= settings_.capacity) {
            full_.add();
            if (full_in_a_row_++ % 1000 == 0) {
                log_.warn(in_flight_ >= settings_.max_in_flight
                              ? "publish refused: " + std::to_string(in_flight_) +
                                    " XADDs await Valkey's answer; raise queue.max_in_flight"
                              : "publish refused: the store group has " + std::to_string(backlog_) +
                                    " messages not committed; raise queue.capacity or speed "
                                    "up the store");
            }
            return done(make_error_code(sdk::Errc::queue_full), {});
        }
        full_in_a_row_ = 0;
        const std::size_t p = partition_of(msg.room, settings_.partitions);
        std::vector<std::string> args;
        args.reserve(20);
        args.emplace_back("XADD");
        args.push_back(keys_[p]);
        if (settings_.maxlen > 0) {
            args.emplace_back("MAXLEN");
            args.emplace_back("~");
            args.push_back(std::to_string(settings_.maxlen));
        }
        args.emplace_back("*");
        args.emplace_back("id");
        args.push_back(std::move(msg.id));
        args.emplace_back("room");
        args.push_back(std::move(msg.room));
        args.emplace_back("sender");
        args.push_back(std::move(msg.sender));
        args.emplace_back("user");
        args.push_back(std::move(msg.user));
        args.emplace_back("ts");
        args.push_back(std::to_string(msg.ts_ms));
        args.emplace_back("payload");
        args.push_back(std::move(msg.payload_json));
        if (!msg.attachments.empty()) {
            args.emplace_back("att");
            args.push_back(valkey::pack_fields(msg.attachments));
        }
        ++in_flight_;
        ++backlog_;
        ++xadds_sent_;
        cmd_->command(args, [weak = weak_from_this(), p, done](std::error_code ec, Reply reply) {
            auto self = weak.lock();
            if (!self) return done(make_error_code(sdk::Errc::shutting_down), {});
            self->on_added(p, ec, std::move(reply), done);
        });
    }

    void read_after(const std::string& room, std::string_view after_id, std::size_t limit,
                    const sdk::ReadDone& done) {
        if (after_id.empty()) return done(make_error_code(sdk::Errc::invalid_argument), {});
        if (!cmd_ || !cmd_->up() || state_ == State::stopped) {
            return done(make_error_code(sdk::Errc::unavailable), {});
        }
        // Entry ids start with the server's time at XADD, a message id (a ULID) with the
        // host's a moment earlier: the search starts kClockSkewAllowance before it. An
        // id without a time is searched from the stream's oldest entry.
        std::string from = "-";
        if (const auto ms = sdk::message_id_time(after_id)) {
            from = std::to_string(std::max<std::int64_t>(*ms - kClockSkewAllowance.count(), 0));
        }
        scan(room, partition_of(room, settings_.partitions), std::string(after_id), std::move(from),
             limit, {}, 0, done);
    }

    void stop(sdk::Done done) {
        if (state_ == State::stopped) return done({});
        stop_waiters_.push_back(std::move(done));
        if (state_ == State::stopping) return;
        if (state_ != State::running) {
            finish({});
            return;
        }
        state_ = State::stopping;
        drain_timer_.expires_after(settings_.drain_timeout);
        drain_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || self->state_ != State::stopping) return;
            self->log_.warn(
                "stopped before the store committed every accepted message "
                "within drain_timeout (" +
                std::to_string(self->settings_.drain_timeout.count()) +
                "ms); they stay in the stream for the group (raise "
                "queue.drain_timeout)");
            self->finish(make_error_code(sdk::Errc::timed_out));
        });
        check_drained();
    }

    /// The queue object is going away: stop timers and connections, drop subscribers.
    void close() {
        state_ = State::stopped;
        for (auto* timer : {&start_timer_, &retry_timer_, &backlog_timer_, &claim_timer_,
                            &drain_timer_, &drain_poll_timer_, &bcast_retry_timer_}) {
            timer->cancel();
        }
        for (auto* c : {&cmd_, &bcast_, &store_}) {
            if (*c) (*c)->close();
        }
        broadcast_.clear();
        store_handler_ = nullptr;
    }

private:
    enum class State { created, starting, running, stopping, stopped };
    struct Pending {
        std::size_t partition;
        std::string id;  // entry id
        sdk::Message msg;
    };

    bool active() const { return state_ == State::running || state_ == State::stopping; }

    // ---- health ---------------------------------------------------------------------

    /// Why publishes cannot be acked: the connection is gone, or the server refuses.
    enum class Cause { none, connection, writes };

    void cannot_publish(Cause cause, const std::string& reason) {
        if (state_ != State::running || cause_ != Cause::none) return;
        cause_ = cause;
        log_.warn("Valkey lost: " + reason);
        health_.unavailable(reason);
    }

    void can_publish() {
        if (cause_ == Cause::none) return;
        cause_ = Cause::none;
        log_.info("Valkey back: publishes are acked again");
        health_.recovered();
    }

    // ---- start-up -------------------------------------------------------------------

    void command_up() {
        // Logged in again: the server answers on the connection XADDs go through.
        if (cause_ == Cause::connection) can_publish();
        if (state_ == State::starting && !command_ready_) {
            // Broadcasts start at the streams' ends: what is published from now on.
            if (broadcast_.empty()) {
                command_ready_ = true;
                poll_backlog();
                return maybe_started();
            }
            auto remaining = std::make_shared<std::size_t>(settings_.partitions);
            for (std::size_t p = 0; p < settings_.partitions; ++p) {
                cmd_->command(
                    {"XREVRANGE", keys_[p], "+", "-", "COUNT", "1"},
                    [weak = weak_from_this(), p, remaining](std::error_code ec, Reply reply) {
                        auto self = weak.lock();
                        if (!self || self->state_ != State::starting) return;
                        if (ec) return;  // the reconnection tries again
                        if (!reply.elements.empty() && reply.elements[0].is_array() &&
                            !reply.elements[0].elements.empty()) {
                            self->bcast_ids_[p] = reply.elements[0].elements[0].str;
                        }
                        if (--*remaining == 0) {
                            self->command_ready_ = true;
                            self->poll_backlog();
                            self->maybe_started();
                        }
                    });
            }
        }
    }

    void store_up() {
        // Create the group (again: the server may have lost it), then re-read this
        // consumer's pending entries before new ones.
        store_mode_recover_ = true;
        store_reading_ = false;
        auto remaining = std::make_shared<std::size_t>(settings_.partitions);
        for (std::size_t p = 0; p < settings_.partitions; ++p) {
            store_->command({"XGROUP", "CREATE", keys_[p], settings_.group, "0", "MKSTREAM"},
                            [weak = weak_from_this(), remaining](std::error_code ec, Reply reply) {
                                auto self = weak.lock();
                                if (!self) return;
                                if (ec && !(ec == ClientErrc::server_error &&
                                            starts_with(reply.str, "BUSYGROUP"))) {
                                    if (ec == ClientErrc::server_error) {
                                        self->log_.error("XGROUP CREATE failed: " + reply.str);
                                    }
                                    return;
                                }
                                if (--*remaining > 0) return;
                                self->group_ready_ = true;
                                if (self->state_ == State::starting) return self->maybe_started();
                                self->read_store();
                            });
        }
    }

    void maybe_started() {
        if (state_ != State::starting || !command_ready_) return;
        if (bcast_ && !bcast_->up()) return;
        if (store_ && !group_ready_) return;
        state_ = State::running;
        start_timer_.cancel();
        auto done = std::move(start_done_);
        start_done_ = nullptr;
        read_broadcast();
        read_store();
        if (store_) schedule_claim();
        if (done) done({});
    }

    // ---- publish --------------------------------------------------------------------

    void on_added(std::size_t p, std::error_code ec, Reply reply, const sdk::PublishDone& done) {
        --in_flight_;
        if (ec) {
            failed_.add();
            if (ec == ClientErrc::server_error) {
                log_.error("XADD failed: " + reply.str);
                // The server refuses writes (out of memory, a read-only replica, a
                // failing disk): only an XADD that works says it is over.
                cannot_publish(Cause::writes, "Valkey at " +
                                                  settings_.connection.address.endpoint() +
                                                  " refuses XADD: " + reply.str);
            }
            done(ec == ClientErrc::server_error ? make_error_code(sdk::Errc::unavailable) : ec, {});
            check_drained();
            return;
        }
        auto id = EntryId::parse(reply.str);
        if (id && (!last_published_[p] || *last_published_[p] < *id)) last_published_[p] = *id;
        published_.add();
        if (cause_ != Cause::none) can_publish();
        done({}, position_of(p, reply.str));
        check_drained();
    }

    /// Measures the store group's backlog (undelivered + unacknowledged) over all
    /// partitions; publishes made meanwhile are added on top.
    void poll_backlog() {
        if (state_ == State::stopped || backlog_polling_) return;
        if (!cmd_->up()) return schedule_backlog();
        backlog_polling_ = true;
        const std::uint64_t mark = xadds_sent_;
        auto total = std::make_shared<std::uint64_t>(0);
        auto remaining = std::make_shared<std::size_t>(settings_.partitions);
        for (std::size_t p = 0; p < settings_.partitions; ++p) {
            cmd_->command({"XINFO", "GROUPS", keys_[p]}, [weak = weak_from_this(), total, remaining,
                                                          mark](std::error_code ec, Reply reply) {
                auto self = weak.lock();
                if (!self) return;
                if (!ec) {
                    for (const auto& group : reply.elements) {
                        const Reply* name = value_of(group, "name");
                        if (!name || name->str != self->settings_.group) continue;
                        const Reply* pending = value_of(group, "pending");
                        const Reply* lag = value_of(group, "lag");
                        if (pending) *total += static_cast<std::uint64_t>(pending->as_integer());
                        if (lag) *total += static_cast<std::uint64_t>(lag->as_integer());
                    }
                }
                if (--*remaining > 0) return;
                self->backlog_polling_ = false;
                self->backlog_ = static_cast<std::size_t>(*total) +
                                 static_cast<std::size_t>(self->xadds_sent_ - mark);
                self->backlog_gauge_.set(static_cast<std::int64_t>(*total));
                self->schedule_backlog();
            });
        }
    }

    void schedule_backlog() {
        if (state_ == State::stopped) return;
        backlog_timer_.expires_after(settings_.backlog_interval);
        backlog_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->poll_backlog();
        });
    }

    // ---- broadcast ------------------------------------------------------------------

    void read_broadcast() {
        if (!active() || !bcast_ || bcast_reading_ || !bcast_->up()) return;
        std::vector<std::string> args{"XREAD",
                                      "COUNT",
                                      std::to_string(settings_.read_count),
                                      "BLOCK",
                                      std::to_string(settings_.block.count()),
                                      "STREAMS"};
        args.insert(args.end(), keys_.begin(), keys_.end());
        args.insert(args.end(), bcast_ids_.begin(), bcast_ids_.end());
        bcast_reading_ = true;
        bcast_->command(
            args,
            [weak = weak_from_this()](std::error_code ec, Reply reply) {
                auto self = weak.lock();
                if (!self) return;
                self->bcast_reading_ = false;
                if (!self->active()) return;
                if (ec) {
                    if (ec == ClientErrc::server_error) {
                        self->log_.error("broadcast read failed: " + reply.str);
                        self->bcast_retry_timer_.expires_after(self->settings_.store_retry_delay);
                        self->bcast_retry_timer_.async_wait([weak](boost::system::error_code e) {
                            if (auto s = weak.lock(); s && !e) s->read_broadcast();
                        });
                    }
                    return;  // a lost connection reads again once it is back (on_up)
                }
                self->on_broadcast(reply);
                self->read_broadcast();
            },
            settings_.block);
    }

    void on_broadcast(const Reply& reply) {
        for (const auto& stream : reply.elements) {
            if (!stream.is_array() || stream.elements.size() != 2) continue;
            auto it = partition_by_key_.find(stream.elements[0].str);
            if (it == partition_by_key_.end()) continue;
            const std::size_t p = it->second;
            for (const auto& entry : stream.elements[1].elements) {
                if (!entry.is_array() || entry.elements.size() != 2) continue;
                const std::string& id = entry.elements[0].str;
                bcast_ids_[p] = id;
                auto msg = decode_entry(entry.elements[1]);
                if (!msg) {
                    log_.warn("skipped stream entry " + keys_[p] + " " + id +
                              ": not a Relay message");
                    continue;
                }
                msg->position = position_of(p, id);
                for (const auto& handler : broadcast_) handler(*msg);
            }
        }
        check_drained();
    }

    // ---- store ----------------------------------------------------------------------

    void read_store() {
        if (!active() || !store_ || !store_handler_ || !group_ready_ || store_reading_ ||
            in_store_ || retry_pending_ || !store_queue_.empty() || !store_->up()) {
            return;
        }
        const bool recover = store_mode_recover_;
        std::vector<std::string> args{"XREADGROUP",    "GROUP",
                                      settings_.group, consumer_,
                                      "COUNT",         std::to_string(settings_.store_batch_max)};
        if (!recover) {
            args.emplace_back("BLOCK");
            args.push_back(std::to_string(settings_.block.count()));
        }
        args.emplace_back("STREAMS");
        args.insert(args.end(), keys_.begin(), keys_.end());
        for (std::size_t p = 0; p < settings_.partitions; ++p)
            args.emplace_back(recover ? "0" : ">");
        store_reading_ = true;
        store_->command(
            args,
            [weak = weak_from_this(), recover](std::error_code ec, Reply reply) {
                auto self = weak.lock();
                if (!self) return;
                self->store_reading_ = false;
                if (!self->active()) return;
                if (ec) {
                    if (ec == ClientErrc::server_error) {
                        // NOGROUP: the server lost the group (restarted without
                        // persistence?); create it again.
                        self->log_.error("store read failed: " + reply.str);
                        if (starts_with(reply.str, "NOGROUP")) {
                            self->group_ready_ = false;
                            return self->store_up();
                        }
                        self->retry_store_later();
                    }
                    return;  // a lost connection reads again once it is back (store_up)
                }
                self->on_store_read(reply, recover);
            },
            recover ? std::chrono::milliseconds(0) : settings_.block);
    }

    void on_store_read(const Reply& reply, bool recover) {
        std::vector<std::pair<std::size_t, std::string>> gone;  // trimmed while pending
        for (const auto& stream : reply.elements) {
            if (!stream.is_array() || stream.elements.size() != 2) continue;
            auto it = partition_by_key_.find(stream.elements[0].str);
            if (it == partition_by_key_.end()) continue;
            const std::size_t p = it->second;
            for (const auto& entry : stream.elements[1].elements) {
                if (!entry.is_array() || entry.elements.size() != 2) continue;
                const std::string& id = entry.elements[0].str;
                auto msg =
                    entry.elements[1].is_nil() ? std::nullopt : decode_entry(entry.elements[1]);
                if (!msg) {
                    // Nothing to store: a trimmed pending entry or a foreign one.
                    if (entry.elements[1].is_nil()) {
                        lost_.add();
                        log_.error("pending store entry " + keys_[p] + " " + id +
                                   " was trimmed before it was stored; raise queue.maxlen");
                    }
                    gone.emplace_back(p, id);
                    continue;
                }
                msg->position = position_of(p, id);
                store_queue_.push_back(Pending{p, id, std::move(*msg)});
            }
        }
        if (!gone.empty()) acknowledge(gone);
        if (store_queue_.empty()) {
            if (recover && gone.empty()) store_mode_recover_ = false;  // nothing pending left
            return read_store();
        }
        deliver_store();
    }

    void deliver_store() {
        if (!active() || in_store_ || store_queue_.empty() || !store_handler_) return;
        const std::size_t n = std::min(settings_.store_batch_max, store_queue_.size());
        std::vector<sdk::Message> batch;
        batch.reserve(n);
        in_store_ids_.clear();
        for (std::size_t i = 0; i < n; ++i) {
            in_store_ids_.emplace_back(store_queue_.front().partition, store_queue_.front().id);
            batch.push_back(std::move(store_queue_.front().msg));
            store_queue_.pop_front();
        }
        in_store_ = true;
        const std::uint64_t serial = ++batch_serial_;
        // The store may commit from any thread, inline or later, and more than once by
        // mistake: hop to the executor and let on_commit() ignore stale calls.
        store_handler_(std::move(batch),
                       [weak = weak_from_this(), executor = executor_, serial](std::error_code ec) {
                           boost::asio::post(executor, [weak, serial, ec] {
                               if (auto self = weak.lock()) self->on_commit(serial, ec);
                           });
                       });
    }

    void on_commit(std::uint64_t serial, std::error_code ec) {
        if (serial != batch_serial_ || !in_store_ || state_ == State::stopped) return;
        in_store_ = false;
        if (ec) {
            retries_.add();
            if (failures_in_a_row_++ % 50 == 0) {
                log_.warn("store commit failed (" + ec.message() + "); redelivering " +
                          std::to_string(in_store_ids_.size()) + " message(s) in " +
                          std::to_string(settings_.store_retry_delay.count()) + "ms");
            }
            // Everything read but not committed is in this consumer's pending list:
            // read it again from there.
            store_queue_.clear();
            store_mode_recover_ = true;
            retry_store_later();
            return;
        }
        failures_in_a_row_ = 0;
        acknowledge(in_store_ids_);
        in_store_ids_.clear();
        if (!store_queue_.empty()) return deliver_store();
        read_store();
    }

    /// XACK on the store connection: pipelined before the next read, so that read
    /// never sees these entries again.
    void acknowledge(const std::vector<std::pair<std::size_t, std::string>>& ids) {
        std::map<std::size_t, std::vector<std::string>> by_partition;
        for (const auto& [p, id] : ids) by_partition[p].push_back(id);
        for (auto& [p, list] : by_partition) {
            std::vector<std::string> args{"XACK", keys_[p], settings_.group};
            args.insert(args.end(), list.begin(), list.end());
            store_->command(args, [weak = weak_from_this()](std::error_code ec, Reply reply) {
                auto self = weak.lock();
                if (!self || !ec) return;
                if (ec == ClientErrc::server_error) self->log_.error("XACK failed: " + reply.str);
                // Unacknowledged entries stay pending: a later recovery reads them again.
                self->store_mode_recover_ = true;
            });
        }
    }

    void retry_store_later() {
        retry_pending_ = true;
        retry_timer_.expires_after(settings_.store_retry_delay);
        retry_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            self->retry_pending_ = false;
            self->read_store();
        });
    }

    /// Claims entries other consumers left pending for claim_idle (a node that died
    /// mid-batch); they then come through this consumer's recovery reads.
    void schedule_claim() {
        claim_timer_.expires_after(
            std::max(settings_.claim_idle / 2, std::chrono::milliseconds(100)));
        claim_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || !self->active()) return;
            self->claim();
            self->schedule_claim();
        });
    }

    void claim() {
        if (!cmd_->up()) return;
        for (std::size_t p = 0; p < settings_.partitions; ++p) {
            cmd_->command(
                {"XAUTOCLAIM", keys_[p], settings_.group, consumer_,
                 std::to_string(settings_.claim_idle.count()), claim_cursor_[p], "COUNT",
                 std::to_string(settings_.store_batch_max), "JUSTID"},
                [weak = weak_from_this(), p](std::error_code ec, Reply reply) {
                    auto self = weak.lock();
                    if (!self || ec || reply.elements.size() < 2) return;
                    self->claim_cursor_[p] = reply.elements[0].str;
                    if (!reply.elements[1].elements.empty()) {
                        self->log_.info("claimed " +
                                        std::to_string(reply.elements[1].elements.size()) +
                                        " store entries of " + self->keys_[p] +
                                        " left pending by another consumer");
                        self->store_mode_recover_ = true;
                    }
                    if (reply.elements.size() >= 3 && !reply.elements[2].elements.empty()) {
                        self->lost_.add(reply.elements[2].elements.size());
                        self->log_.error(std::to_string(reply.elements[2].elements.size()) +
                                         " pending store entries of " + self->keys_[p] +
                                         " were trimmed before they were stored; raise "
                                         "queue.maxlen");
                    }
                });
        }
    }

    // ---- read_after -----------------------------------------------------------------

    /// XRANGE from `from` in chunks: first the entry of the message `after_id` (empty
    /// once found), then the room's messages after it.
    void scan(std::string room, std::size_t p, std::string after_id, std::string from,
              std::size_t limit, std::vector<sdk::Message> found, std::size_t scanned,
              sdk::ReadDone done) {
        constexpr std::size_t kChunk = 1000;
        constexpr std::size_t kScanMax = 100000;  // entries of other rooms skipped, at most
        cmd_->command(
            {"XRANGE", keys_[p], from, "+", "COUNT", std::to_string(kChunk)},
            [weak = weak_from_this(), room = std::move(room), p, after_id = std::move(after_id),
             limit, found = std::move(found), scanned,
             done = std::move(done)](std::error_code ec, Reply reply) mutable {
                auto self = weak.lock();
                if (!self) return done(make_error_code(sdk::Errc::shutting_down), {});
                if (ec) return done(ec, {});
                std::string last;
                for (const auto& entry : reply.elements) {
                    if (!entry.is_array() || entry.elements.size() != 2) continue;
                    last = entry.elements[0].str;
                    auto msg = decode_entry(entry.elements[1]);
                    if (!after_id.empty()) {
                        if (!msg || msg->id != after_id) continue;
                        if (msg->room != room) {  // another room's message
                            return done(make_error_code(QueueErrc::message_not_found), {});
                        }
                        after_id.clear();
                        if (limit == 0) return done({}, {});
                        continue;
                    }
                    if (!msg || msg->room != room) continue;
                    msg->position = position_of(p, last);
                    found.push_back(std::move(*msg));
                    if (found.size() >= limit) return done({}, std::move(found));
                }
                scanned += reply.elements.size();
                if (reply.elements.size() < kChunk || last.empty() || scanned >= kScanMax) {
                    if (!after_id.empty()) {
                        return done(make_error_code(QueueErrc::message_not_found), {});
                    }
                    return done({}, std::move(found));
                }
                self->scan(std::move(room), p, std::move(after_id), "(" + last, limit,
                           std::move(found), scanned, std::move(done));
            });
    }

    // ---- stop -----------------------------------------------------------------------

    /// Stop completes once this node's accepted messages are broadcast here and
    /// committed by the store group (when this node subscribed a store).
    void check_drained() {
        if (state_ != State::stopping || in_flight_ > 0 || drain_polling_) return;
        if (bcast_) {
            for (std::size_t p = 0; p < settings_.partitions; ++p) {
                if (!last_published_[p]) continue;
                auto seen = EntryId::parse(bcast_ids_[p]);
                if (!seen || *seen < *last_published_[p]) return;  // read_broadcast goes on
            }
        }
        if (!store_) return finish({});
        // Ask the server: has the group delivered past our last entries, and is none of
        // them (or older) still pending?
        std::vector<std::size_t> partitions;
        for (std::size_t p = 0; p < settings_.partitions; ++p) {
            if (last_published_[p]) partitions.push_back(p);
        }
        if (partitions.empty()) return finish({});
        if (!cmd_->up()) return poll_drain_later();
        drain_polling_ = true;
        auto ok = std::make_shared<bool>(true);
        auto remaining = std::make_shared<std::size_t>(partitions.size() * 2);
        auto done_one = [weak = weak_from_this(), ok, remaining](bool fine) {
            auto self = weak.lock();
            if (!self) return;
            if (!fine) *ok = false;
            if (--*remaining > 0) return;
            self->drain_polling_ = false;
            if (self->state_ != State::stopping) return;
            if (*ok) return self->finish({});
            self->poll_drain_later();
        };
        for (std::size_t p : partitions) {
            const EntryId last = *last_published_[p];
            cmd_->command({"XINFO", "GROUPS", keys_[p]}, [weak = weak_from_this(), last, done_one](
                                                             std::error_code ec, Reply reply) {
                auto self = weak.lock();
                if (!self || ec) return done_one(false);
                for (const auto& group : reply.elements) {
                    const Reply* name = value_of(group, "name");
                    if (!name || name->str != self->settings_.group) continue;
                    const Reply* delivered = value_of(group, "last-delivered-id");
                    auto id = delivered ? EntryId::parse(delivered->str) : std::nullopt;
                    return done_one(id && !(*id < last));
                }
                done_one(false);
            });
            cmd_->command({"XPENDING", keys_[p], settings_.group, "-", last.str(), "1"},
                          [done_one](std::error_code ec, Reply reply) {
                              done_one(!ec && reply.is_array() && reply.elements.empty());
                          });
        }
    }

    void poll_drain_later() {
        drain_poll_timer_.expires_after(std::chrono::milliseconds(20));
        drain_poll_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->check_drained();
        });
    }

    void finish(std::error_code result) {
        // A start still pending fails: with `result`, or because stop() came first.
        auto start_done = std::move(start_done_);
        start_done_ = nullptr;
        close();
        if (start_done) {
            start_done(result ? result : make_error_code(sdk::Errc::shutting_down));
            result = {};
        }
        auto waiters = std::move(stop_waiters_);
        stop_waiters_.clear();
        for (auto& done : waiters) done(result);
    }

    Settings settings_;
    sdk::Executor executor_;
    sdk::Logger& log_;
    sdk::Health& health_;
    Cause cause_ = Cause::none;
    std::string consumer_;
    sdk::Counter& published_;
    sdk::Counter& full_;
    sdk::Counter& failed_;
    sdk::Counter& retries_;
    sdk::Counter& lost_;
    sdk::Counter& disconnects_;
    sdk::Gauge& backlog_gauge_;
    boost::asio::steady_timer start_timer_;
    boost::asio::steady_timer retry_timer_;
    boost::asio::steady_timer backlog_timer_;
    boost::asio::steady_timer claim_timer_;
    boost::asio::steady_timer drain_timer_;
    boost::asio::steady_timer drain_poll_timer_;
    boost::asio::steady_timer bcast_retry_timer_;

    State state_ = State::created;
    std::vector<std::string> keys_;  // partition -> stream key
    std::unordered_map<std::string, std::size_t> partition_by_key_;
    std::shared_ptr<Connection> cmd_;    // XADD, XINFO, XPENDING, XAUTOCLAIM, XRANGE
    std::shared_ptr<Connection> bcast_;  // XREAD BLOCK
    std::shared_ptr<Connection> store_;  // XGROUP CREATE, XREADGROUP BLOCK, XACK
    std::vector<sdk::BroadcastHandler> broadcast_;
    sdk::StoreHandler store_handler_;
    sdk::Done start_done_;
    std::vector<sdk::Done> stop_waiters_;
    bool command_ready_ = false;
    bool group_ready_ = false;

    // publish
    std::size_t in_flight_ = 0;
    std::size_t backlog_ = 0;  // measured backlog + XADDs sent since
    std::uint64_t xadds_sent_ = 0;
    bool backlog_polling_ = false;
    std::uint64_t full_in_a_row_ = 0;
    std::vector<std::optional<EntryId>> last_published_;  // per partition, by this node

    // broadcast
    std::vector<std::string> bcast_ids_;  // per partition: the last entry read
    bool bcast_reading_ = false;

    // store
    bool store_mode_recover_ = true;  // read this consumer's pending entries (id 0)
    bool store_reading_ = false;
    bool in_store_ = false;
    bool retry_pending_ = false;
    std::deque<Pending> store_queue_;  // read, not yet handed to the store
    std::vector<std::pair<std::size_t, std::string>> in_store_ids_;
    std::uint64_t batch_serial_ = 0;
    std::uint64_t failures_in_a_row_ = 0;
    std::vector<std::string> claim_cursor_;

    // stop
    bool drain_polling_ = false;
};

StreamsQueue::StreamsQueue(Settings settings, sdk::PluginContext& ctx)
    : executor_(ctx.executor()), core_(std::make_shared<Core>(std::move(settings), ctx)) {}

StreamsQueue::~StreamsQueue() {
    boost::asio::post(executor_, [core = std::move(core_)] { core->close(); });
}

void StreamsQueue::subscribe_broadcast(sdk::BroadcastHandler handler) {
    boost::asio::post(executor_, [core = core_, handler = std::move(handler)]() mutable {
        core->subscribe_broadcast(std::move(handler));
    });
}

void StreamsQueue::subscribe_store(sdk::StoreHandler handler) {
    boost::asio::post(executor_, [core = core_, handler = std::move(handler)]() mutable {
        core->subscribe_store(std::move(handler));
    });
}

void StreamsQueue::start(sdk::Done done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)]() mutable {
        core->start(std::move(done));
    });
}

void StreamsQueue::publish(sdk::Message msg, sdk::PublishDone done) {
    boost::asio::post(executor_,
                      [core = core_, msg = std::move(msg), done = std::move(done)]() mutable {
                          core->publish(std::move(msg), done);
                      });
}

void StreamsQueue::read_after(std::string_view room, std::string_view after_id, std::size_t limit,
                              sdk::ReadDone done) {
    boost::asio::post(
        executor_, [core = core_, room = std::string(room), after_id = std::string(after_id), limit,
                    done = std::move(done)] { core->read_after(room, after_id, limit, done); });
}

void StreamsQueue::stop(sdk::Done done) {
    boost::asio::post(executor_, [core = core_, done = std::move(done)]() mutable {
        core->stop(std::move(done));
    });
}

}  // namespace relay::plugins::valkey_streams
