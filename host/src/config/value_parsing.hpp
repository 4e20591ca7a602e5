#pragma once
/// The host's side of config values: the SDK's rules (relay/sdk/config_values.hpp,
/// shared with the SDK's TestConfig, so a plugin's tests parse as the host does), plus
/// the "did you mean" hint only the host gives.
#include <relay/sdk/config_values.hpp>

#include <string_view>

namespace relay::host {

using sdk::values::Endpoint;
using sdk::values::expectation;
using sdk::values::expected_got;
using sdk::values::parse_duration;
using sdk::values::parse_endpoint;
using sdk::values::parse_integer;
using sdk::values::parse_number;
using sdk::values::parse_size;
using sdk::values::Parsed;
using sdk::values::quote;
using sdk::values::Value;

/// sdk::values::parse_scalar; a string that is not one of the key's choices gets a
/// hint naming the closest one ("did you mean 'full'?").
Parsed parse_scalar(const sdk::ConfigKey& key, std::string_view text);

/// sdk::values::parse_default, with the same hint.
Parsed parse_default(const sdk::ConfigKey& key);

/// A type's short name, as `relay plugins` lists it and host messages name it:
/// "duration", "list" (for string_list).
std::string_view type_name(sdk::ValueType type) noexcept;

}  // namespace relay::host
