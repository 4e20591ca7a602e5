#pragma once
// MessageIndex: where each stored message's line is in the file, by room and id, so a
// history query reads only the lines it returns. Kept in memory (about 100 bytes per
// message), rebuilt from the file at start.
#include <relay/sdk/store.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace jsonl_store {

/// A line of the file: its offset and length, '\n' excluded.
struct LineSpan {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

class MessageIndex {
public:
    /// True when a message with this id is stored (in any room).
    bool contains(const std::string& id) const { return ids_.contains(id); }
    void add(const std::string& room, const std::string& id, LineSpan line);

    /// The lines a history query returns, oldest first, as sdk::HistoryQuery says
    /// (ids sort in time order): the last `limit`; the last `limit` before `before_id`;
    /// the first `limit` after `after_id`; with both, the first `limit` between them.
    std::vector<LineSpan> select(std::string_view room,
                                 const relay::sdk::HistoryQuery& query) const;

private:
    using Room = std::map<std::string, LineSpan, std::less<>>;
    std::unordered_map<std::string, Room> rooms_;
    std::unordered_set<std::string> ids_;
};

}  // namespace jsonl_store
