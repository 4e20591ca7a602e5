#include "store_readiness.hpp"

namespace relay::plugins::postgres {

void StoreReadiness::writer_lost(const std::string& error) {
    if (!watching_ || unavailable_) return;
    unavailable_ = true;
    ctx_.health.unavailable("lost the connection to Postgres at " + ctx_.where + " (" + error +
                            "); writes wait up to store.retry_timeout (" +
                            std::to_string(ctx_.settings.retry_timeout.count()) +
                            " ms), history fails until it is back");
}

void StoreReadiness::writes_flow() {
    if (!unavailable_) return;
    unavailable_ = false;
    ctx_.log.info("postgres store " + ctx_.where + ": writes go through again");
    ctx_.health.recovered();
}

}  // namespace relay::plugins::postgres
