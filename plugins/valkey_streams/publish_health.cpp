#include "publish_health.hpp"

namespace relay::plugins::valkey_streams {

void PublishHealth::cannot_publish(Cause cause, const std::string& reason) {
    if (!running_ || cause_ != Cause::none) return;
    cause_ = cause;
    log_.warn("Valkey lost: " + reason);
    health_.unavailable(reason);
}

void PublishHealth::connection_back() {
    // Logged in again: the server answers on the connection XADDs go through.
    if (cause_ == Cause::connection) can_publish();
}

void PublishHealth::xadd_acked() {
    if (cause_ != Cause::none) can_publish();
}

void PublishHealth::can_publish() {
    if (cause_ == Cause::none) return;
    cause_ = Cause::none;
    log_.info("Valkey back: publishes are acked again");
    health_.recovered();
}

}  // namespace relay::plugins::valkey_streams
