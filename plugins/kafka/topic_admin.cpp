#include "topic_admin.hpp"

#include "log_text.hpp"

#include <relay/sdk/error.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <thread>

namespace relay::plugins::kafka {

std::error_code TopicAdmin::find_or_create(int& partitions) {
    const auto deadline = Clock::now() + settings_.admin_timeout;

    int brokers = 0;
    partitions = 0;
    if (auto ec = inspect_cluster(deadline, brokers, partitions)) return ec;
    if (partitions == 0) {
        // Each step has admin_timeout of its own: a CreateTopics that times out
        // must leave time to find the auto-created topic.
        if (settings_.create_topic) {
            create_topic(brokers, Clock::now() + settings_.admin_timeout);
        } else {
            log_.info("topic '" + settings_.topic +
                      "' does not exist and queue.create_topic is false; relying on the "
                      "brokers' auto-creation");
        }
        partitions = wait_for_topic(Clock::now() + settings_.admin_timeout);
        if (partitions == 0) {
            log_.error("topic '" + settings_.topic +
                       "' does not exist and was not created within queue.admin_timeout (" +
                       describe(settings_.admin_timeout) +
                       "); create it, or allow queue.create_topic");
            return sdk::make_error_code(sdk::Errc::unavailable);
        }
        if (partitions < settings_.partitions) warn_fewer_partitions(partitions);
    }
    return {};
}

std::error_code TopicAdmin::end_offsets(int partitions, Clock::time_point deadline,
                                        std::map<std::int32_t, std::int64_t>& ends) {
    for (std::int32_t p = 0; p < partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        const auto err = rd_kafka_query_watermark_offsets(
            rk_, settings_.topic.c_str(), p, &low, &high, std::max(1, remaining_ms(deadline)));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_.error("cannot read the end offset of " + settings_.topic + "[" +
                       std::to_string(p) +
                       "] within queue.admin_timeout: " + rd_kafka_err2str(err));
            return sdk::make_error_code(sdk::Errc::unavailable);
        }
        ends[p] = high;
    }
    return {};
}

/// Reads the cluster's metadata: how many brokers, and the topic's partitions (0
/// when it does not exist). All topics are asked for, which never auto-creates one.
std::error_code TopicAdmin::inspect_cluster(Clock::time_point deadline, int& brokers,
                                            int& partitions) {
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk_, 1, nullptr, &raw, remaining_ms(deadline));
    MetadataPtr metadata(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log_.error("cannot reach the Kafka cluster at " + settings_.brokers +
                   " within queue.admin_timeout (" + describe(settings_.admin_timeout) +
                   "): " + rd_kafka_err2str(err) + "; check queue.brokers");
        return sdk::make_error_code(sdk::Errc::unavailable);
    }
    brokers = metadata->broker_cnt;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        const auto& topic = metadata->topics[i];
        if (settings_.topic == topic.topic && topic.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            partitions = topic.partition_cnt;
        }
    }
    if (partitions > 0 && partitions < settings_.partitions) {
        warn_fewer_partitions(partitions);
    }
    return {};
}

void TopicAdmin::warn_fewer_partitions(int partitions) {
    log_.warn("topic '" + settings_.topic + "' has " + std::to_string(partitions) +
              " partition(s), fewer than queue.partitions (" +
              std::to_string(settings_.partitions) + "); going on with " +
              std::to_string(partitions) +
              ". Add partitions with Kafka's tools while no node runs, or use a new "
              "queue.topic");
}

/// Creates the topic through the Admin API. A failure is a warning: the topic may
/// exist by now (another node), or be auto-created on first use.
void TopicAdmin::create_topic(int brokers, Clock::time_point deadline) {
    int replication = settings_.replication_factor;
    if (brokers > 0 && replication > brokers) {
        log_.warn("queue.replication_factor is " + std::to_string(replication) +
                  " but the cluster has " + std::to_string(brokers) +
                  " broker(s); creating topic '" + settings_.topic + "' with replication factor " +
                  std::to_string(brokers));
        replication = brokers;
    }
    std::array<char, 512> errstr{};
    NewTopicPtr topic(rd_kafka_NewTopic_new(settings_.topic.c_str(), settings_.partitions,
                                            replication, errstr.data(), errstr.size()));
    std::string problem;
    if (!topic) {
        problem = errstr.data();
    } else {
        const int timeout = std::max(1, remaining_ms(deadline));
        AdminOptionsPtr options(rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS));
        rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout, errstr.data(),
                                                  errstr.size());
        rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout, errstr.data(),
                                                    errstr.size());
        QueuePtr queue(rd_kafka_queue_new(rk_));
        std::array<rd_kafka_NewTopic_t*, 1> topics{topic.get()};
        rd_kafka_CreateTopics(rk_, topics.data(), topics.size(), options.get(), queue.get());
        EventPtr event(rd_kafka_queue_poll(queue.get(), timeout + 1000));
        if (!event) {
            problem = "no answer within queue.admin_timeout";
        } else if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            problem = rd_kafka_event_error_string(event.get());
        } else {
            const auto* result = rd_kafka_event_CreateTopics_result(event.get());
            std::size_t count = 0;
            const auto** results = rd_kafka_CreateTopics_result_topics(result, &count);
            for (std::size_t i = 0; i < count; ++i) {
                const auto err = rd_kafka_topic_result_error(results[i]);
                if (err == RD_KAFKA_RESP_ERR_NO_ERROR ||
                    err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    continue;
                }
                const char* text = rd_kafka_topic_result_error_string(results[i]);
                problem =
                    std::string(rd_kafka_err2str(err)) + (text ? std::string(": ") + text : "");
            }
        }
    }
    if (problem.empty()) {
        log_.info("created topic '" + settings_.topic + "' with " +
                  std::to_string(settings_.partitions) + " partitions, replication factor " +
                  std::to_string(replication));
    } else {
        log_.warn("could not create topic '" + settings_.topic + "' (" + problem +
                  "); going on with the existing or auto-created topic. Create it with " +
                  std::to_string(settings_.partitions) +
                  " partitions yourself, or set queue.create_topic: false");
    }
}

/// Waits for the topic to show up in the metadata; asking for it by name lets a
/// broker with auto-creation create it. Returns its partitions, 0 when it did not.
int TopicAdmin::wait_for_topic(Clock::time_point deadline) {
    TopicPtr topic(rd_kafka_topic_new(rk_, settings_.topic.c_str(), nullptr));
    while (topic && still_starting_()) {
        const rd_kafka_metadata_t* raw = nullptr;
        const auto err = rd_kafka_metadata(rk_, 0, topic.get(), &raw,
                                           std::clamp(remaining_ms(deadline), 1, 1000));
        MetadataPtr metadata(raw);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1 &&
            metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
            metadata->topics[0].partition_cnt > 0) {
            return metadata->topics[0].partition_cnt;
        }
        if (Clock::now() >= deadline) break;
        // A retry backoff, not synchronisation: the broker is creating the topic.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
}

}  // namespace relay::plugins::kafka
