#pragma once
#include <stdexcept>

namespace relay::host {

/// A plugin file exists but cannot be used (not a plugin, built for another SDK ABI,
/// manifest of the wrong shape). `what()` is the one-line reason, naming the file.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace relay::host
