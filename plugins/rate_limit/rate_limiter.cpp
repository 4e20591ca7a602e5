#include "rate_limiter.hpp"

#include <string>

namespace relay::plugins::rate_limit {

namespace {
constexpr std::string_view kHelp =
    "Messages rejected by the rate_limit processor, by the bucket "
    "that was empty (connection, user, address)";
}  // namespace

RateLimiter::RateLimiter(const Settings& settings, sdk::Metrics& metrics) {
    const std::array<std::pair<std::string_view, Rate>, 3> kinds = {{
        {"connection", settings.per_connection},
        {"user", settings.per_user},
        {"address", settings.per_address},
    }};
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        const auto& [name, rate] = kinds[i];
        if (!rate.on()) continue;
        kinds_[i].buckets = std::make_unique<BucketTable>(rate, settings.max_tracked_keys);
        kinds_[i].rejected = &metrics.counter(
            "rate_limit_rejected_total{kind=\"" + std::string(name) + "\"}", kHelp);
    }
}

void RateLimiter::process(sdk::Message& msg, sdk::VerdictDone done) {
    done(decide(msg.sender, msg.user, msg.remote_address, Clock::now()));
}

sdk::Verdict RateLimiter::decide(std::string_view sender, std::string_view user,
                                 std::string_view address, Clock::time_point now) {
    const std::array<std::string_view, 3> keys = {sender, user, address};
    for (std::size_t i = 0; i < kinds_.size(); ++i) {
        if (!kinds_[i].buckets || keys[i].empty()) continue;
        const auto wait = kinds_[i].buckets->take(keys[i], now);
        if (wait == Clock::duration::zero()) continue;
        for (std::size_t j = 0; j < i; ++j) {
            if (kinds_[j].buckets && !keys[j].empty()) kinds_[j].buckets->give_back(keys[j]);
        }
        kinds_[i].rejected->add();
        return sdk::Verdict::throttle(std::string(kRateLimited),
                                      std::chrono::ceil<std::chrono::milliseconds>(wait));
    }
    return sdk::Verdict::accept();
}

}  // namespace relay::plugins::rate_limit
