#include "admin/api_error.hpp"

#include <nlohmann/json.hpp>

namespace relay::host {

std::string ApiError::body() const {
    // `replace`: a reason quoting what the client sent never makes the answer invalid.
    return nlohmann::json{{"error", error}, {"reason", reason}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
}

}  // namespace relay::host
