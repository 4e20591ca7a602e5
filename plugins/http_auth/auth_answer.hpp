#pragma once
/// The auth service's answer read into an AuthOutcome. Pure, no I/O.
///
/// - 2xx with an identity: allowed.
///       {"user": "u-42", "name": "Ada", "expires_at": 1767225600,
///        "rooms": {"team-42/*": ["join", "publish", "history", "presence"],
///                  "lobby": ["join"]}}
///   `user` is required (a non-empty string); `name` (shown name), `expires_at` (unix
///   seconds, fractions kept to the millisecond; 0, null or absent: never) and `rooms`
///   are optional. `rooms` may also be a list of patterns, each with every permission:
///   `"rooms": ["team-42/*", "lobby"]`. No `rooms`: the identity may do nothing in any
///   room. Other keys are ignored.
/// - 2xx with `{"deny": "reason"}`: refused with that reason ("access denied" if empty).
/// - 401 or 403: refused with the JSON body's `reason` if there is one, else "access
///   denied".
/// - Any other status: refused "auth service error (HTTP <status>)".
/// - A 2xx that is not one of the above (not JSON, no `user`, an unknown permission):
///   refused "auth service answered malformed identity", with what is wrong in
///   Answer::problem for the log (never for the client).
#include <relay/sdk/auth.hpp>

#include <string>
#include <string_view>

namespace relay::plugins::http_auth {

struct Answer {
    enum class Kind {
        allowed,        ///< an identity
        denied,         ///< the service refused the client
        service_error,  ///< a status other than 2xx, 401 and 403
        malformed,      ///< a 2xx that is not an identity or a denial
    };
    Kind kind = Kind::malformed;
    sdk::AuthOutcome outcome;
    std::string problem;  ///< for malformed: what is wrong, for the log
};

Answer read_answer(unsigned status, std::string_view body);

}  // namespace relay::plugins::http_auth
