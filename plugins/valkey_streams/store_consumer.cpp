#include "store_consumer.hpp"

#include "stream_entry.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace relay::plugins::valkey_streams {

using valkey::ClientErrc;
using valkey::Reply;

namespace {

bool starts_with(const std::string& text, std::string_view prefix) {
    return text.rfind(prefix, 0) == 0;
}

}  // namespace

StoreConsumer::StoreConsumer(sdk::Executor executor,
                             std::shared_ptr<const PartitionStreams> streams, Group group,
                             sdk::StoreHandler handler, sdk::Logger& log, Metrics metrics)
    : streams_(std::move(streams)),
      group_(std::move(group)),
      log_(log),
      metrics_(metrics),
      reads_(executor),
      feed_(
          store_feed::StoreFeed::create(std::move(executor), std::move(handler),
                                        {.batches_in_flight = 1, .retry_delay = group_.retry_delay},
                                        {.log = log_, .retries = metrics_.retries})) {}

void StoreConsumer::start(const valkey::ConnectionOptions& options, std::function<void()> ready) {
    ready_ = std::move(ready);
    reads_.connect(options, log_, "queue store reader", [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->create_group();
    });
}

void StoreConsumer::run() {
    reads_.run();
    // After a commit, or once a failed one's retry delay ran out.
    feed_->on_resume([weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        if (!self->read_.empty()) return self->hand_to_store();
        self->read();
    });
    read();
}

void StoreConsumer::close() {
    reads_.close();
    feed_->close();
    ready_ = nullptr;
}

void StoreConsumer::create_group() {
    if (reads_.closed()) return;
    // Create the group (again: the server may have lost it), then re-read this
    // consumer's pending entries before new ones.
    recover_ = true;
    reads_.forget_read();
    auto remaining = std::make_shared<std::size_t>(streams_->count());
    for (std::size_t p = 0; p < streams_->count(); ++p) {
        reads_.connection().command(
            {"XGROUP", "CREATE", streams_->key(p), group_.name, "0", "MKSTREAM"},
            [weak = weak_from_this(), remaining](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self || self->reads_.closed()) return;
                if (ec &&
                    !(ec == ClientErrc::server_error && starts_with(reply.str, "BUSYGROUP"))) {
                    if (ec == ClientErrc::server_error) {
                        self->log_.error("XGROUP CREATE failed: " + reply.str);
                    }
                    return;
                }
                if (--*remaining > 0) return;
                self->group_ready_ = true;
                if (!self->reads_.running()) {
                    if (self->ready_) self->ready_();
                    return;
                }
                self->read();
            });
    }
}

void StoreConsumer::read() {
    if (!reads_.may_read() || !feed_->ready() || !group_ready_ || retry_pending_ ||
        !read_.empty()) {
        return;
    }
    const bool recover = recover_;
    std::vector<std::string> args{"XREADGROUP",    "GROUP", group_.name,
                                  group_.consumer, "COUNT", std::to_string(group_.batch_max)};
    if (!recover) {
        args.emplace_back("BLOCK");
        args.push_back(std::to_string(group_.block.count()));
    }
    args.emplace_back("STREAMS");
    args.insert(args.end(), streams_->keys().begin(), streams_->keys().end());
    for (std::size_t p = 0; p < streams_->count(); ++p) args.emplace_back(recover ? "0" : ">");
    reads_.send(
        args,
        [weak = weak_from_this(), recover](std::error_code ec, const Reply& reply) {
            auto self = weak.lock();
            if (!self || !self->reads_.answered()) return;
            if (ec) {
                if (ec == ClientErrc::server_error) {
                    // NOGROUP: the server lost the group (restarted without
                    // persistence?); create it again.
                    self->log_.error("store read failed: " + reply.str);
                    if (starts_with(reply.str, "NOGROUP")) {
                        self->group_ready_ = false;
                        return self->create_group();
                    }
                    self->read_later();
                }
                return;  // a lost connection reads again once it is back (create_group)
            }
            self->on_read(reply, recover);
        },
        recover ? std::chrono::milliseconds(0) : group_.block);
}

void StoreConsumer::on_read(const Reply& reply, bool recover) {
    std::vector<EntryRef> gone;  // trimmed while pending
    streams_->for_each_entry(reply, [&](std::size_t p, const std::string& id, const Reply& fields) {
        auto msg = fields.is_nil() ? std::nullopt : decode_entry(fields);
        if (!msg) {
            // Nothing to store: a trimmed pending entry or a foreign one.
            if (fields.is_nil()) {
                metrics_.lost.add();
                log_.error("pending store entry " + streams_->key(p) + " " + id +
                           " was trimmed before it was stored; raise queue.maxlen");
            }
            gone.emplace_back(p, id);
            return;
        }
        msg->position = position_of(p, id);
        read_.push_back(Entry{{p, id}, std::move(*msg)});
    });
    if (!gone.empty()) acknowledge(gone);
    if (read_.empty()) {
        if (recover && gone.empty()) recover_ = false;  // nothing pending left
        return read();
    }
    hand_to_store();
}

void StoreConsumer::hand_to_store() {
    if (!reads_.running() || read_.empty() || !feed_->ready()) return;
    const std::size_t n = std::min(group_.batch_max, read_.size());
    std::vector<sdk::Message> batch;
    std::vector<EntryRef> entries;
    batch.reserve(n);
    entries.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        entries.push_back(std::move(read_.front().ref));
        batch.push_back(std::move(read_.front().msg));
        read_.pop_front();
    }
    feed_->hand_over(std::move(batch),
                     [weak = weak_from_this(), entries = std::move(entries)](std::error_code ec) {
                         if (auto self = weak.lock()) self->on_commit(entries, ec);
                     });
}

void StoreConsumer::on_commit(const std::vector<EntryRef>& entries, std::error_code ec) {
    if (ec) {
        // Everything read but not committed is in this consumer's pending list: read it
        // again from there once the feed's retry delay ran out.
        read_.clear();
        recover_ = true;
        return;
    }
    acknowledge(entries);
}

/// XACK on the store connection: pipelined before the next read, so that read
/// never sees these entries again.
void StoreConsumer::acknowledge(const std::vector<EntryRef>& entries) {
    std::map<std::size_t, std::vector<std::string>> by_partition;
    for (const auto& [p, id] : entries) by_partition[p].push_back(id);
    for (auto& [p, ids] : by_partition) {
        std::vector<std::string> args{"XACK", streams_->key(p), group_.name};
        args.insert(args.end(), ids.begin(), ids.end());
        reads_.connection().command(
            args, [weak = weak_from_this()](std::error_code ec, const Reply& reply) {
                auto self = weak.lock();
                if (!self || !ec) return;
                if (ec == ClientErrc::server_error) self->log_.error("XACK failed: " + reply.str);
                // Unacknowledged entries stay pending: a later recovery reads them
                // again.
                self->recover_ = true;
            });
    }
}

void StoreConsumer::read_later() {
    retry_pending_ = true;
    reads_.after(group_.retry_delay, [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) return;
        self->retry_pending_ = false;
        self->read();
    });
}

}  // namespace relay::plugins::valkey_streams
