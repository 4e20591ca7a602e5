#include "kafka_client.hpp"

#include "log_text.hpp"

#include <array>
#include <climits>
#include <random>

namespace relay::plugins::kafka {

namespace {

std::string millis(std::chrono::milliseconds value) {
    return std::to_string(value.count());
}

}  // namespace

void set_property(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    std::array<char, 512> errstr{};
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
        throw ClientConfigError("librdkafka property '" + name + "': " + errstr.data());
    }
}

std::vector<std::string> check_properties(
    const std::vector<std::pair<std::string, std::string>>& properties) {
    std::vector<std::string> problems;
    for (const auto& [name, value] : properties) {
        ConfPtr conf(rd_kafka_conf_new());
        std::array<char, 512> errstr{};
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr.data(),
                              errstr.size()) != RD_KAFKA_CONF_OK) {
            // librdkafka's text names the property and, for a bad value, the accepted
            // forms; it does not repeat the value.
            problems.emplace_back(errstr.data());
        }
    }
    return problems;
}

ConfPtr make_conf(const Settings& s, Role role, std::string_view node_id,
                  const std::string& group_id) {
    ConfPtr conf(rd_kafka_conf_new());
    auto set = [&](const std::string& name, const std::string& value) {
        set_property(conf.get(), name, value);
    };
    for (const auto& [name, value] : s.properties) set(name, value);

    static constexpr const char* kRoleNames[] = {"producer", "broadcast", "store", "reader"};
    set("bootstrap.servers", s.brokers);
    set("client.id",
        s.client_id + "-" + std::string(node_id) + "-" + kRoleNames[static_cast<int>(role)]);
    // Small chat messages: never wait for Nagle.
    set("socket.nagle.disable", "true");
    // librdkafka's logs and errors are queued and served by our own poll calls, so
    // that none of its threads ever calls into the host.
    set("log.queue", "true");

    switch (role) {
        case Role::producer:
            set("enable.idempotence", "true");
            set("acks", "all");
            set("linger.ms", millis(s.linger));
            set("max.in.flight.requests.per.connection", std::to_string(s.requests_in_flight));
            set("batch.size", std::to_string(s.batch_size));
            set("message.timeout.ms", millis(s.message_timeout));
            set("queue.buffering.max.messages", std::to_string(s.max_in_flight));
            // batch.num.messages may not exceed the queue.
            set("batch.num.messages",
                std::to_string(std::min<std::size_t>(10000, s.max_in_flight)));
            set("compression.codec", s.compression);
            // Java's partitioner: a room lands in the same partition whichever client
            // (Relay, kafkajs, Kafka Streams) writes it.
            set("partitioner", "murmur2_random");
            // Only the delivery reports we ask for; success reports carry the offset.
            set("delivery.report.only.error", "false");
            break;
        case Role::broadcast:
        case Role::reader:
            // A private group id: required by assign(), never joined, never committed.
            set("group.id", group_id);
            set("enable.auto.commit", "false");
            set("enable.auto.offset.store", "false");
            set("fetch.wait.max.ms", millis(s.fetch_wait_max));
            set("auto.offset.reset", role == Role::reader ? "error" : "latest");
            set("enable.partition.eof", "false");
            break;
        case Role::store:
            set("group.id", group_id);
            // Offsets are committed by hand, only after the store committed the batch.
            set("enable.auto.commit", "false");
            set("enable.auto.offset.store", "false");
            // A new group stores everything still in the log: the store is idempotent
            // by id, and no acked message may be skipped.
            set("auto.offset.reset", "earliest");
            set("session.timeout.ms", millis(s.store_session_timeout));
            // Kafka's advice: a heartbeat at most a third of the session timeout.
            set("heartbeat.interval.ms",
                millis(std::min(std::chrono::milliseconds(3000), s.store_session_timeout / 3)));
            set("fetch.wait.max.ms", millis(s.store_fetch_wait_max));
            set("enable.partition.eof", "false");
            break;
    }
    return conf;
}

HandlePtr make_handle(Role role, ConfPtr conf) {
    std::array<char, 512> errstr{};
    rd_kafka_t* rk = rd_kafka_new(role == Role::producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                                  conf.get(), errstr.data(), errstr.size());
    if (rk == nullptr)
        throw ClientConfigError(std::string("cannot create a Kafka client: ") + errstr.data());
    (void)conf.release();  // rd_kafka_new took it
    return HandlePtr(rk);
}

ConsumerPtr make_consumer(Role role, ConfPtr conf) {
    ConsumerPtr rk(make_handle(role, std::move(conf)).release());
    rd_kafka_set_log_queue(rk.get(), nullptr);
    rd_kafka_poll_set_consumer(rk.get());
    return rk;
}

std::string format_position(std::int32_t partition, std::int64_t offset) {
    return std::to_string(partition) + ":" + std::to_string(offset);
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<std::int64_t>(left, 0, INT_MAX));
}

std::string random_suffix() {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::random_device rd;
    std::string suffix;
    for (int word = 0; word < 2; ++word) {
        const std::uint32_t value = rd();
        for (int shift = 28; shift >= 0; shift -= 4) suffix += kDigits[(value >> shift) & 0xFU];
    }
    return suffix;
}

bool close_consumer(rd_kafka_t* rk, const char* label, sdk::Logger& log) {
    QueuePtr queue(rd_kafka_queue_new(rk));
    ErrorPtr error(rd_kafka_consumer_close_queue(rk, queue.get()));
    if (error) {
        log.warn(std::string("closing the ") + label +
                 " consumer failed: " + rd_kafka_error_string(error.get()));
        return false;
    }
    const auto deadline = Clock::now() + kCloseTimeout;
    while (!rd_kafka_consumer_closed(rk)) {
        if (Clock::now() >= deadline) {
            log.warn(std::string("the ") + label + " consumer did not close within " +
                     describe(kCloseTimeout) + "; going on");
            return false;
        }
        EventPtr event(rd_kafka_queue_poll(queue.get(), 100));
        if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
            rd_kafka_assign(rk, nullptr);
        }
    }
    return true;
}

}  // namespace relay::plugins::kafka
