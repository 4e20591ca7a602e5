#include "flow/processed_message_check.hpp"

#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

/// True when every placeholder under `value` names an attachment below `attachments`.
bool placeholders_resolve(const nlohmann::json& value, std::size_t attachments) {
    if (value.is_object()) {
        const auto flag = value.find("_placeholder");
        if (flag != value.end() && flag->is_boolean() && flag->get<bool>()) {
            const auto num = value.find("num");
            return num != value.end() && num->is_number_unsigned() &&
                   num->get<std::uint64_t>() < attachments;
        }
    }
    if (value.is_structured()) {
        for (const auto& item : value) {
            if (!placeholders_resolve(item, attachments)) return false;
        }
    }
    return true;
}

}  // namespace

std::string check_processed_message(const sdk::Message& msg) {
    // No exceptions on the data path: a parse failure is a discarded value.
    const auto payload =
        nlohmann::json::parse(msg.payload_json, nullptr, /*allow_exceptions=*/false);
    if (payload.is_discarded()) return "a processor made the payload invalid JSON";
    if (!payload.is_object())
        return "a processor made the payload something other than a JSON object";
    if (!placeholders_resolve(payload, msg.attachments.size())) {
        return "a processor left a binary placeholder without its attachment";
    }
    return {};
}

}  // namespace relay::host
