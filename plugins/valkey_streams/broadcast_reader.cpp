#include "broadcast_reader.hpp"

#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Connection;
using valkey::Reply;

BroadcastReader::BroadcastReader(sdk::Executor executor,
                                 std::shared_ptr<const PartitionStreams> streams,
                                 std::vector<sdk::BroadcastHandler> handlers, Reading reading,
                                 sdk::Logger& log)
    : streams_(std::move(streams)),
      handlers_(std::move(handlers)),
      reading_(reading),
      executor_(std::move(executor)),
      log_(log),
      retry_timer_(executor_),
      last_read_(streams_->count(), "0-0") {}

void BroadcastReader::start(const valkey::ConnectionOptions& options, std::function<void()> ready) {
    connection_ = Connection::create(executor_, options, log_, "queue broadcast reader");
    connection_->on_up([weak = weak_from_this(), ready = std::move(ready)] {
        auto self = weak.lock();
        if (!self || self->closed_) return;
        if (!self->running_) return ready();
        self->read();
    });
    connection_->start();
}

void BroadcastReader::find_stream_ends(Connection& commands, const std::function<void()>& done) {
    auto remaining = std::make_shared<std::size_t>(streams_->count());
    for (std::size_t p = 0; p < streams_->count(); ++p) {
        commands.command(
            {"XREVRANGE", streams_->key(p), "+", "-", "COUNT", "1"},
            [weak = weak_from_this(), p, remaining, done](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self || self->running_ || self->closed_) return;
                if (ec) return;  // the caller tries again
                if (!reply.elements.empty() && reply.elements[0].is_array() &&
                    !reply.elements[0].elements.empty()) {
                    self->last_read_[p] = reply.elements[0].elements[0].str;
                }
                if (--*remaining == 0) done();
            });
    }
}

void BroadcastReader::run() {
    running_ = true;
    read();
}

void BroadcastReader::close() {
    closed_ = true;
    running_ = false;
    retry_timer_.cancel();
    if (connection_) connection_->close();
    handlers_.clear();
}

bool BroadcastReader::has_read(const std::vector<std::optional<EntryId>>& entries) const {
    for (std::size_t p = 0; p < entries.size() && p < last_read_.size(); ++p) {
        if (!entries[p]) continue;
        auto seen = EntryId::parse(last_read_[p]);
        if (!seen || *seen < *entries[p]) return false;
    }
    return true;
}

void BroadcastReader::read() {
    if (!running_ || read_pending_ || !up()) return;
    std::vector<std::string> args{"XREAD",
                                  "COUNT",
                                  std::to_string(reading_.read_count),
                                  "BLOCK",
                                  std::to_string(reading_.block.count()),
                                  "STREAMS"};
    args.insert(args.end(), streams_->keys().begin(), streams_->keys().end());
    args.insert(args.end(), last_read_.begin(), last_read_.end());
    read_pending_ = true;
    connection_->command(
        args,
        [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
            auto self = weak.lock();
            if (!self) return;
            self->read_pending_ = false;
            if (!self->running_) return;
            if (ec) {
                if (ec == ClientErrc::server_error) {
                    self->log_.error("broadcast read failed: " + reply.str);
                    self->retry_timer_.expires_after(self->reading_.retry_delay);
                    self->retry_timer_.async_wait([weak](boost::system::error_code e) {
                        if (auto s = weak.lock(); s && !e) s->read();
                    });
                }
                return;  // a lost connection reads again once it is back (on_up)
            }
            self->on_read(reply);
            self->read();
        },
        reading_.block);
}

void BroadcastReader::on_read(const Reply& reply) {
    streams_->for_each_entry(reply,
                             [this](std::size_t p, const std::string& id, const Reply& fields) {
                                 last_read_[p] = id;
                                 auto msg = decode_entry(fields);
                                 if (!msg) {
                                     log_.warn("skipped stream entry " + streams_->key(p) + " " +
                                               id + ": not a Relay message");
                                     return;
                                 }
                                 msg->position = position_of(p, id);
                                 for (const auto& handler : handlers_) handler(*msg);
                             });
    if (on_progress_) on_progress_();
}

}  // namespace relay::plugins::valkey_streams
