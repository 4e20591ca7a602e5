#include "server/recovery_overlap.hpp"

namespace relay::plugins::websocket {

RecoveryOverlap::RecoveryOverlap(std::string offset, const std::vector<std::string_view>& sent,
                                 Clock::time_point expires)
    : offset_(std::move(offset)), expires_(expires) {
    for (auto id : sent) sent_.emplace(id);
    active_ = !offset_.empty() || !sent_.empty();
}

bool RecoveryOverlap::skip(std::string_view id, Clock::time_point now) {
    if (!active_ || id.empty()) return false;
    if (now >= expires_) {
        *this = RecoveryOverlap();
        return false;
    }
    bool repeat = false;
    if (!offset_.empty()) {
        // Ids are fixed-length ULIDs: as strings they compare as they sort.
        repeat = id <= std::string_view(offset_);
        if (id == offset_) offset_.clear();
    }
    if (auto it = sent_.find(std::string(id)); it != sent_.end()) {
        sent_.erase(it);
        repeat = true;
    }
    if (offset_.empty() && sent_.empty()) *this = RecoveryOverlap();
    return repeat;
}

}  // namespace relay::plugins::websocket
