#pragma once
/// The store consumer group as the backlog measure and the drain check see it: the
/// partition streams it reads, its name, and the queue's command connection that asks
/// the server about it.
#include "group_info.hpp"
#include "partition_streams.hpp"
#include "valkey/connection.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace relay::plugins::valkey_streams {

struct StoreGroup {
    std::shared_ptr<valkey::Connection> commands;  ///< shared with the publisher
    std::shared_ptr<const PartitionStreams> streams;
    std::string name;

    /// XINFO GROUPS of partition `p`'s stream: `done` gets the group's line (a flat
    /// [name, value...] reply), or nullptr after an error or when the stream has no
    /// such group. Runs on the connection's executor; the line lives only during `done`.
    void info(std::size_t p, std::function<void(const valkey::Reply* line)> done) const {
        commands->command(
            {"XINFO", "GROUPS", streams->key(p)},
            [name = name, done = std::move(done)](std::error_code ec, const valkey::Reply& reply) {
                done(ec ? nullptr : find_group(reply, name));
            });
    }
};

}  // namespace relay::plugins::valkey_streams
