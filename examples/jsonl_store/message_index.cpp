#include "message_index.hpp"

#include <algorithm>

namespace jsonl_store {

void MessageIndex::add(const std::string& room, const std::string& id, LineSpan line) {
    rooms_[room].insert_or_assign(id, line);
    ids_.insert(id);
}

std::vector<LineSpan> MessageIndex::select(std::string_view room,
                                           const relay::sdk::HistoryQuery& query) const {
    std::vector<LineSpan> lines;
    const auto found = rooms_.find(std::string(room));
    if (found == rooms_.end() || query.limit == 0) return lines;
    const Room& messages = found->second;
    auto first = query.after_id.empty() ? messages.begin() : messages.upper_bound(query.after_id);
    auto last = query.before_id.empty() ? messages.end() : messages.lower_bound(query.before_id);
    if (first == messages.end() || (last != messages.end() && last->first <= first->first)) {
        return lines;
    }
    if (query.after_id.empty()) {
        // The newest `limit` of the range: step back from its end.
        auto from = last;
        for (std::size_t n = 0; n < query.limit && from != first; ++n) --from;
        first = from;
    }
    for (auto it = first; it != last && lines.size() < query.limit; ++it) {
        lines.push_back(it->second);
    }
    return lines;
}

}  // namespace jsonl_store
