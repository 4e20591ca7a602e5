#pragma once
#include <functional>
#include <system_error>

namespace relay::sdk {

/// Completion of an asynchronous operation: an empty error_code means success.
/// Runs exactly once, on a host executor.
using Done = std::function<void(std::error_code)>;

}  // namespace relay::sdk
