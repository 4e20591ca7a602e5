#pragma once
/// What a refused client reads in its `connect_error` (or its `refresh` error ack) when
/// the auth service did not decide: the reasons the plugin gives itself. A denial the
/// service gives (`{"deny": "..."}`, a 401/403 `reason`) passes through unchanged.
/// Tests pin these word for word; they never carry secrets or the service's address.
#include <string>
#include <string_view>

namespace relay::plugins::http_auth::refusals {

/// A denial without a reason of its own.
inline constexpr std::string_view kDenied = "access denied";
/// `max_in_flight` requests are under way already.
inline constexpr std::string_view kBusy = "auth service busy";
/// No answer within `timeout`.
inline constexpr std::string_view kTimedOut = "auth service timed out";
/// No connection, or it was lost before the answer.
inline constexpr std::string_view kUnavailable = "auth service unavailable";
/// An answer that is not HTTP, too large, or a 2xx that is not an identity.
inline constexpr std::string_view kMalformed = "auth service answered malformed identity";
/// The authenticator was destroyed with the request under way (the host is stopping).
inline constexpr std::string_view kShuttingDown = "server shutting down";

/// A status that is neither 2xx nor 401/403.
inline std::string service_error(unsigned status) {
    return "auth service error (HTTP " + std::to_string(status) + ")";
}

}  // namespace relay::plugins::http_auth::refusals
