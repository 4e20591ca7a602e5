#pragma once
#include <string>

namespace relay::host {

/// What the server API answers when it cannot do what was asked: an HTTP status and
/// the body `{"error": "<what>", "reason": "<why, for a human>"}` (docs/api.md).
struct ApiError {
    int status = 500;
    std::string error;   ///< short and stable, for programs: "unknown room", "bad request"
    std::string reason;  ///< one sentence for the operator
    /// The body, as JSON text.
    std::string body() const;
};

}  // namespace relay::host
