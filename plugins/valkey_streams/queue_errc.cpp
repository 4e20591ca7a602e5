#include "queue_errc.hpp"

#include <string>

namespace relay::plugins::valkey_streams {

namespace {

class StreamsCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "valkey_streams"; }
    std::string message(int value) const override {
        switch (static_cast<QueueErrc>(value)) {
            case QueueErrc::message_not_found:
                return "the message to read after is not in the room's stream (trimmed, or "
                       "unknown); raise queue.maxlen";
        }
        return "unknown valkey_streams error";
    }
};

}  // namespace

const std::error_category& streams_category() noexcept {
    static const StreamsCategory category;
    return category;
}

std::error_code make_error_code(QueueErrc e) noexcept {
    return {static_cast<int>(e), streams_category()};
}

}  // namespace relay::plugins::valkey_streams
