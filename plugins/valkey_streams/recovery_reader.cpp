#include "recovery_reader.hpp"

#include "queue_errc.hpp"
#include "stream_entry.hpp"

#include <relay/sdk/error.hpp>
#include <relay/sdk/message_id.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <utility>

namespace relay::plugins::valkey_streams {

using valkey::Reply;

namespace {

/// How far the server's clock may be behind the host's, for read_after's search.
constexpr std::chrono::milliseconds kClockSkewAllowance{10000};

}  // namespace

RecoveryReader::RecoveryReader(std::shared_ptr<valkey::Connection> commands,
                               std::shared_ptr<const PartitionStreams> streams)
    : commands_(std::move(commands)), streams_(std::move(streams)) {}

void RecoveryReader::read_after(std::string room, std::string_view after_id, std::size_t limit,
                                sdk::ReadDone done) {
    if (!commands_->up()) return done(make_error_code(sdk::Errc::unavailable), {});
    // Entry ids start with the server's time at XADD, a message id (a ULID) with the
    // host's a moment earlier: the search starts kClockSkewAllowance before it. An
    // id without a time is searched from the stream's oldest entry.
    std::string from = "-";
    if (const auto ms = sdk::message_id_time(after_id)) {
        from = std::to_string(std::max<std::int64_t>(*ms - kClockSkewAllowance.count(), 0));
    }
    const std::size_t partition = streams_->partition_of_room(room);
    scan(Search{.room = std::move(room),
                .partition = partition,
                .after_id = std::string(after_id),
                .limit = limit,
                .found = {},
                .done = std::move(done)},
         from);
}

/// XRANGE from `from` in chunks: first the entry of the message `after_id` (empty
/// once found), then the room's messages after it.
void RecoveryReader::scan(Search search, const std::string& from) {
    constexpr std::size_t kChunk = 1000;
    constexpr std::size_t kScanMax = 100000;  // entries of other rooms skipped, at most
    const std::string& key = streams_->key(search.partition);
    commands_->command(
        {"XRANGE", key, from, "+", "COUNT", std::to_string(kChunk)},
        [weak = weak_from_this(), search = std::move(search)](std::error_code ec,
                                                              const Reply& reply) mutable {
            auto self = weak.lock();
            if (!self) return search.done(make_error_code(sdk::Errc::shutting_down), {});
            if (ec) return search.done(ec, {});
            std::string last;
            for (const auto& entry : reply.elements) {
                if (!entry.is_array() || entry.elements.size() != 2) continue;
                last = entry.elements[0].str;
                auto msg = decode_entry(entry.elements[1]);
                if (!search.after_id.empty()) {
                    if (!msg || msg->id != search.after_id) continue;
                    if (msg->room != search.room) {  // another room's message
                        return search.done(make_error_code(QueueErrc::message_not_found), {});
                    }
                    search.after_id.clear();
                    if (search.limit == 0) return search.done({}, {});
                    continue;
                }
                if (!msg || msg->room != search.room) continue;
                msg->position = position_of(search.partition, last);
                search.found.push_back(std::move(*msg));
                if (search.found.size() >= search.limit)
                    return search.done({}, std::move(search.found));
            }
            search.scanned += reply.elements.size();
            if (reply.elements.size() < kChunk || last.empty() || search.scanned >= kScanMax) {
                if (!search.after_id.empty()) {
                    return search.done(make_error_code(QueueErrc::message_not_found), {});
                }
                return search.done({}, std::move(search.found));
            }
            self->scan(std::move(search), "(" + last);
        });
}

}  // namespace relay::plugins::valkey_streams
