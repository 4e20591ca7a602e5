#include "stream_publisher.hpp"

#include <relay/sdk/error.hpp>

#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Reply;

StreamPublisher::StreamPublisher(std::shared_ptr<valkey::Connection> commands,
                                 std::shared_ptr<const PartitionStreams> streams, Limits limits,
                                 std::shared_ptr<StoreBacklog> backlog,
                                 std::shared_ptr<PublishHealth> health, sdk::Logger& log,
                                 Metrics metrics, std::string endpoint)
    : commands_(std::move(commands)),
      streams_(std::move(streams)),
      limits_(limits),
      backlog_(std::move(backlog)),
      health_(std::move(health)),
      log_(log),
      metrics_(metrics),
      endpoint_(std::move(endpoint)),
      last_published_(streams_->count(), std::nullopt) {}

void StreamPublisher::publish(sdk::Message msg, const sdk::PublishDone& done) {
    if (state_ == State::shut) return done(make_error_code(sdk::Errc::shutting_down), {});
    if (state_ != State::open || !commands_->up()) {
        metrics_.failed.add();
        return done(make_error_code(sdk::Errc::unavailable), {});
    }
    const std::size_t in_store_backlog = backlog_->size();
    if (in_flight_ >= limits_.max_in_flight || in_store_backlog >= limits_.capacity) {
        metrics_.full.add();
        if (full_in_a_row_++ % 1000 == 0) {
            log_.warn(in_flight_ >= limits_.max_in_flight
                          ? "publish refused: " + std::to_string(in_flight_) +
                                " XADDs await Valkey's answer; raise queue.max_in_flight"
                          : "publish refused: the store group has " +
                                std::to_string(in_store_backlog) +
                                " messages not committed; raise queue.capacity or speed "
                                "up the store");
        }
        return done(make_error_code(sdk::Errc::queue_full), {});
    }
    full_in_a_row_ = 0;
    const std::size_t p = streams_->partition_of_room(msg.room);
    std::vector<std::string> args;
    args.reserve(20);
    args.emplace_back("XADD");
    args.push_back(streams_->key(p));
    if (limits_.maxlen > 0) {
        args.emplace_back("MAXLEN");
        args.emplace_back("~");
        args.push_back(std::to_string(limits_.maxlen));
    }
    args.emplace_back("*");
    append_entry_fields(args, std::move(msg));
    ++in_flight_;
    backlog_->count_publish();
    commands_->command(args,
                       [weak = weak_from_this(), p, done](std::error_code ec, const Reply& reply) {
                           auto self = weak.lock();
                           if (!self) return done(make_error_code(sdk::Errc::shutting_down), {});
                           self->on_added(p, ec, reply, done);
                       });
}

void StreamPublisher::on_added(std::size_t p, std::error_code ec, const Reply& reply,
                               const sdk::PublishDone& done) {
    --in_flight_;
    if (ec) {
        metrics_.failed.add();
        if (ec == ClientErrc::server_error) {
            log_.error("XADD failed: " + reply.str);
            // The server refuses writes (out of memory, a read-only replica, a
            // failing disk): only an XADD that works says it is over.
            health_->cannot_publish(PublishHealth::Cause::writes,
                                    "Valkey at " + endpoint_ + " refuses XADD: " + reply.str);
        }
        done(ec == ClientErrc::server_error ? make_error_code(sdk::Errc::unavailable) : ec, {});
        if (on_answered_) on_answered_();
        return;
    }
    auto id = EntryId::parse(reply.str);
    if (id && (!last_published_[p] || *last_published_[p] < *id)) last_published_[p] = *id;
    metrics_.published.add();
    health_->xadd_acked();
    done({}, position_of(p, reply.str));
    if (on_answered_) on_answered_();
}

}  // namespace relay::plugins::valkey_streams
