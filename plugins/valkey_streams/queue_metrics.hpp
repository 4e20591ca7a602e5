#pragma once
/// The queue's metrics, registered once by name and handed to the parts that count.
#include <relay/sdk/metrics.hpp>

namespace relay::plugins::valkey_streams {

struct QueueMetrics {
    sdk::Counter& published;
    sdk::Counter& full;
    sdk::Counter& failed;
    sdk::Counter& retries;
    sdk::Counter& lost;
    sdk::Counter& disconnects;
    sdk::Gauge& backlog;

    static QueueMetrics register_in(sdk::Metrics& metrics) {
        return QueueMetrics{
            .published = metrics.counter("valkey_streams_published_total",
                                         "messages XADDed and acknowledged by Valkey"),
            .full = metrics.counter("valkey_streams_full_total",
                                    "publishes rejected with queue_full (capacity or "
                                    "max_in_flight)"),
            .failed = metrics.counter("valkey_streams_publish_failures_total",
                                      "publishes acked with an error (Valkey out of reach, "
                                      "timeout, error reply)"),
            .retries = metrics.counter("valkey_streams_store_retries_total",
                                       "store batches redelivered after a failed commit"),
            .lost = metrics.counter("valkey_streams_trimmed_unstored_total",
                                    "pending store entries found trimmed away (raise maxlen)"),
            .disconnects = metrics.counter("valkey_streams_disconnects_total",
                                           "connections to Valkey lost (then re-established)"),
            .backlog = metrics.gauge("valkey_streams_store_backlog",
                                     "messages the store group has not committed"),
        };
    }
};

}  // namespace relay::plugins::valkey_streams
