#include "broadcast_reader.hpp"

#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Connection;
using valkey::Reply;

BroadcastReader::BroadcastReader(const sdk::Executor& executor,
                                 std::shared_ptr<const PartitionStreams> streams,
                                 std::vector<sdk::BroadcastHandler> handlers, Reading reading,
                                 sdk::Logger& log)
    : streams_(std::move(streams)),
      handlers_(std::move(handlers)),
      reading_(reading),
      log_(log),
      reads_(executor),
      last_read_(streams_->count(), "0-0") {}

void BroadcastReader::start(const valkey::ConnectionOptions& options, std::function<void()> ready) {
    reads_.connect(options, log_, "queue broadcast reader",
                   [weak = weak_from_this(), ready = std::move(ready)] {
                       auto self = weak.lock();
                       if (!self || self->reads_.closed()) return;
                       if (!self->reads_.running()) return ready();
                       self->read();
                   });
}

void BroadcastReader::find_stream_ends(Connection& commands, const std::function<void()>& done) {
    auto remaining = std::make_shared<std::size_t>(streams_->count());
    for (std::size_t p = 0; p < streams_->count(); ++p) {
        commands.command(
            {"XREVRANGE", streams_->key(p), "+", "-", "COUNT", "1"},
            [weak = weak_from_this(), p, remaining, done](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self || self->reads_.running() || self->reads_.closed()) return;
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
    reads_.run();
    read();
}

void BroadcastReader::close() {
    reads_.close();
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
    if (!reads_.may_read()) return;
    std::vector<std::string> args{"XREAD",
                                  "COUNT",
                                  std::to_string(reading_.read_count),
                                  "BLOCK",
                                  std::to_string(reading_.block.count()),
                                  "STREAMS"};
    args.insert(args.end(), streams_->keys().begin(), streams_->keys().end());
    args.insert(args.end(), last_read_.begin(), last_read_.end());
    reads_.send(
        args,
        [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
            auto self = weak.lock();
            if (!self || !self->reads_.answered()) return;
            if (ec) {
                if (ec == ClientErrc::server_error) {
                    self->log_.error("broadcast read failed: " + reply.str);
                    self->reads_.after(self->reading_.retry_delay, [weak] {
                        if (auto s = weak.lock()) s->read();
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
