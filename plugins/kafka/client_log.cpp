#include "client_log.hpp"

#include <array>
#include <string>

namespace relay::plugins::kafka {

void ClientLog::route(rd_kafka_conf_t* conf, ClientOwner& owner) {
    rd_kafka_conf_set_opaque(conf, &owner);
    rd_kafka_conf_set_log_cb(conf, &ClientLog::on_log_cb);
    rd_kafka_conf_set_error_cb(conf, &ClientLog::on_error_cb);
}

void ClientLog::flush() {
    for (const auto& line : repeats_.flush()) log_.warn(line);
}

void ClientLog::on_log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    void* opaque = rd_kafka_opaque(rk);
    if (opaque == nullptr) return;
    owner_of<ClientOwner>(opaque).client_log().on_log(rk, level, facility, text);
}

void ClientLog::on_error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    owner_of<ClientOwner>(opaque).client_log().on_error(rk, err, reason);
}

void ClientLog::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    if (level > 6) {
        log_.debug(std::string("librdkafka ") + rd_kafka_name(rk) + ": " + facility + ": " + text);
        return;
    }
    // Every client reports each broker's trouble at every retry: one line per
    // problem per kLogRepeatWindow, with a count of the ones held back.
    const auto passed = repeats_.pass(RepeatFilter::key_of(facility, text),
                                      std::string("librdkafka: ") + facility + ": " + text);
    if (!passed) return;
    const std::string& line = *passed;
    // librdkafka logs what it recovers from (a broker connection refused) at
    // LOG_ERR; only critical conditions are errors of the queue.
    if (level <= 2) {
        log_.error(line);
    } else if (level <= 4) {
        log_.warn(line);
    } else {
        log_.info(line);
    }
}

void ClientLog::on_error(rd_kafka_t* rk, int err, const char* reason) {
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        std::array<char, 512> fatal{};
        const auto code = rd_kafka_fatal_error(rk, fatal.data(), fatal.size());
        const std::string why = std::string("Kafka client ") + rd_kafka_name(rk) +
                                " failed for good (" + rd_kafka_err2name(code) + ": " +
                                fatal.data() + "); publishes fail until the node restarts";
        log_.error(why);
        broker_health_.failed_for_good(why);
        return;
    }
    // Other errors are informational (librdkafka recovers by itself) and were logged
    // through the log callback already; all brokers down is worth a line of its own.
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        broker_health_.all_brokers_down();  // logs the change itself
    } else {
        log_.debug(std::string("Kafka client ") + rd_kafka_name(rk) + ": " +
                   rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ": " + reason);
    }
}

}  // namespace relay::plugins::kafka
