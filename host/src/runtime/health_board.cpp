#include "runtime/health_board.hpp"

namespace relay::host {

class HealthBoard::Reporter final : public sdk::Health {
public:
    Reporter(HealthBoard& board, std::string label) : board_(board), label_(std::move(label)) {}
    void degraded(std::string_view reason) override { board_.set(label_, std::string(reason)); }
    void recovered() override { board_.clear(label_); }

private:
    HealthBoard& board_;
    const std::string label_;
};

HealthBoard::HealthBoard(sdk::Metrics& metrics)
    : degraded_count_(metrics.gauge("plugins_degraded",
                                    "plugins that report they work only in part (see /readyz)")) {}

HealthBoard::~HealthBoard() = default;

sdk::Health& HealthBoard::reporter(const std::string& label) {
    std::lock_guard lock(mutex_);
    auto& slot = reporters_[label];
    if (!slot) slot = std::make_unique<Reporter>(*this, label);
    return *slot;
}

std::string HealthBoard::degradations() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& [label, reason] : reasons_)
        text.append(label).append(": ").append(reason) += '\n';
    return text;
}

void HealthBoard::set(const std::string& label, std::string reason) {
    std::lock_guard lock(mutex_);
    reasons_[label] = std::move(reason);
    degraded_count_.set(static_cast<std::int64_t>(reasons_.size()));
}

void HealthBoard::clear(const std::string& label) {
    std::lock_guard lock(mutex_);
    reasons_.erase(label);
    degraded_count_.set(static_cast<std::int64_t>(reasons_.size()));
}

}  // namespace relay::host
