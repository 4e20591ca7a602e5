#pragma once
/// read_after(): a reconnecting client's missed messages, read back from its room's
/// stream (XRANGE on the queue's command connection).
#include "partition_streams.hpp"
#include "valkey/connection.hpp"

#include <relay/sdk/message.hpp>
#include <relay/sdk/queue.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relay::plugins::valkey_streams {

/// Finds the message `after_id` in the room's stream, from shortly before the time its
/// id starts with (or from the oldest entry for an id that is not a ULID), and reads the
/// room's messages after it, skipping other rooms of the partition. A message not in the
/// stream (trimmed, unknown, another room's) fails with QueueErrc::message_not_found.
/// Thread safety: none; runs on the queue's executor. Lifetime: shared; answers after
/// destruction fail with shutting_down.
class RecoveryReader : public std::enable_shared_from_this<RecoveryReader> {
public:
    RecoveryReader(std::shared_ptr<valkey::Connection> commands,
                   std::shared_ptr<const PartitionStreams> streams);

    /// `done` gets at most `limit` messages; unavailable while the connection is down.
    void read_after(std::string room, std::string_view after_id, std::size_t limit,
                    sdk::ReadDone done);

private:
    struct Search {
        std::string room;
        std::size_t partition;
        std::string after_id;  // empty once found
        std::size_t limit;
        std::vector<sdk::Message> found;
        std::size_t scanned = 0;  // entries looked at
        sdk::ReadDone done;
    };

    void scan(Search search, const std::string& from);

    std::shared_ptr<valkey::Connection> commands_;
    std::shared_ptr<const PartitionStreams> streams_;
};

}  // namespace relay::plugins::valkey_streams
