#pragma once
/// Where the log and error lines of the queue's librdkafka clients go.
#include "broker_health.hpp"
#include "repeat_filter.hpp"

#include <relay/sdk/logger.hpp>

#include <librdkafka/rdkafka.h>

#include <chrono>

namespace relay::plugins::kafka {

class ClientLog;

/// What every client's opaque (rd_kafka_conf_set_opaque) points to: the part of the
/// queue that owns the client. The log and error callbacks reach the queue's ClientLog
/// through it; the owner's own callbacks (delivery reports, statistics, rebalances)
/// cast the same opaque back to the owner with owner_of().
class ClientOwner {
public:
    virtual ~ClientOwner() = default;
    virtual ClientLog& client_log() noexcept = 0;

protected:
    ClientOwner() = default;
    ClientOwner(const ClientOwner&) = default;
    ClientOwner& operator=(const ClientOwner&) = default;
    ClientOwner(ClientOwner&&) = default;
    ClientOwner& operator=(ClientOwner&&) = default;
};

/// The owner behind a client's opaque, which route() set to a ClientOwner.
template <class Owner>
Owner& owner_of(void* opaque) {
    return static_cast<Owner&>(*static_cast<ClientOwner*>(opaque));
}

/// librdkafka's log lines and errors, for every client of one queue. Served only by
/// the owners' poll calls (`log.queue`), never by librdkafka's own threads.
///
/// Every client reports each broker's trouble at every retry: one line per problem per
/// kLogRepeatWindow passes (RepeatFilter), with a count of the ones held back. All
/// brokers down and fatal errors are BrokerHealth's business.
/// Thread safety: any thread (each client's callbacks run on its owner's thread).
class ClientLog {
public:
    /// librdkafka's lines repeat per client and per retry: one per problem this often.
    static constexpr std::chrono::milliseconds kLogRepeatWindow{10000};

    ClientLog(sdk::Logger& log, BrokerHealth& broker_health)
        : log_(log), broker_health_(broker_health) {}

    /// Sends `conf`'s log and error callbacks to `owner`'s ClientLog, and makes `owner`
    /// the client's opaque.
    static void route(rd_kafka_conf_t* conf, ClientOwner& owner);

    /// Passes the held-back counts of lines whose window ended; call it now and then.
    void flush();

private:
    static void on_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text);
    static void on_error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text);
    void on_error(rd_kafka_t* rk, int err, const char* reason);

    sdk::Logger& log_;
    BrokerHealth& broker_health_;
    RepeatFilter repeats_{kLogRepeatWindow};
};

}  // namespace relay::plugins::kafka
