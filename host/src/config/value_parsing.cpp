#include "config/value_parsing.hpp"

#include "config/suggest.hpp"

namespace relay::host {
namespace {

Parsed with_hint(const sdk::ConfigKey& key, std::string_view text, Parsed parsed) {
    if (parsed.ok() || key.type != sdk::ValueType::string || key.choices.empty() || key.secret) {
        return parsed;
    }
    if (const auto hint = suggest(text, key.choices)) {
        parsed.error += "; did you mean '" + *hint + "'?";
    }
    return parsed;
}

}  // namespace

Parsed parse_scalar(const sdk::ConfigKey& key, std::string_view text) {
    return with_hint(key, text, sdk::values::parse_scalar(key, text));
}

Parsed parse_default(const sdk::ConfigKey& key) {
    return with_hint(key, key.default_value.value_or(""), sdk::values::parse_default(key));
}

std::string_view type_name(sdk::ValueType type) noexcept {
    switch (type) {
        case sdk::ValueType::string: return "string";
        case sdk::ValueType::integer: return "integer";
        case sdk::ValueType::number: return "number";
        case sdk::ValueType::boolean: return "boolean";
        case sdk::ValueType::duration: return "duration";
        case sdk::ValueType::size: return "size";
        case sdk::ValueType::string_list: return "list";
        case sdk::ValueType::endpoint: return "endpoint";
    }
    return "value";
}

}  // namespace relay::host
