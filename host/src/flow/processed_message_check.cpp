#include "flow/processed_message_check.hpp"

#include <relay/sdk/payload.hpp>

namespace relay::host {

std::string check_processed_message(const sdk::Message& msg) {
    // The SDK owns the rule, so that ProcessorContract checks exactly what the host does.
    return sdk::processed_payload_problem(msg.payload_json, msg.attachments.size());
}

}  // namespace relay::host
