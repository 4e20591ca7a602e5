#pragma once
#include "socketio/json.hpp"

#include <string_view>
#include <system_error>

#include <boost/container/small_vector.hpp>

namespace relay::plugins::websocket::socketio {

/// The `num` tokens of a payload's attachment placeholders, as views into its text.
using PlaceholderNums = boost::container::small_vector<std::string_view, 8>;

/// Finds every object of `json` with `"_placeholder": true` (Socket.IO's stand-in for
/// a binary attachment, `{"_placeholder":true,"num":k}`) and appends its `num` member,
/// the raw token (empty when the object has none), in the order the objects close.
/// Validates `json` as json::walk() does and fails as it does.
std::error_code find_placeholders(std::string_view json, PlaceholderNums& nums,
                                  const json::Limits& limits = {});

}  // namespace relay::plugins::websocket::socketio
