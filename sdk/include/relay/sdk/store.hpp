#pragma once
#include <relay/sdk/callbacks.hpp>
#include <relay/sdk/message.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::sdk {

/// Which messages of a room a history query wants. With neither `before_id` nor
/// `after_id`: the last `limit`. With `before_id`: the last `limit` older than it.
/// With `after_id`: the first `limit` newer than it. Results are always oldest first.
struct HistoryQuery {
    std::size_t limit = 50;
    std::string before_id;
    std::string after_id;
};

using HistoryDone = std::function<void(std::error_code, std::vector<Message>)>;
/// `report`: what a migration did, one line for the operator ("schema at version 3;
/// applied 2, 3"); on error, why not.
using MigrateDone = std::function<void(std::error_code error, std::string report)>;

/// Message history. Lifecycle: start() before anything else; nothing after stop().
/// `relay migrate` calls migrate() instead of start(), then stop().
/// Thread safety: append() and history() may be called from any host thread.
/// Callbacks run on the plugin's executor. Nothing here throws.
class Store {
public:
    virtual ~Store() = default;
    virtual void start(Done done) = 0;
    /// Stores `batch`. Idempotent by message id: a message stored before is skipped.
    /// `done` succeeds only when every message of the batch is durable.
    virtual void append(std::vector<Message> batch, Done done) = 0;
    virtual void history(std::string_view room, HistoryQuery query, HistoryDone done) = 0;
    /// Brings the backend's schema up to date without starting (start() does it too,
    /// so this is for operators who migrate before deploying). A backend whose
    /// schema is newer than this build knows is refused with an error that says so.
    /// The default: a store with no schema of its own to migrate.
    virtual void migrate(
        MigrateDone done) {  // NOLINT(performance-unnecessary-value-param): overrides keep it
        done({}, "no schema to migrate");
    }
    /// Finishes the operations under way, then completes.
    virtual void stop(Done done) = 0;
};

}  // namespace relay::sdk
