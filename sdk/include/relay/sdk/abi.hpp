#pragma once
/// The SDK's binary interface version.
///
/// A plugin records the version it was compiled against in a plain `extern "C"`
/// symbol; the host reads that number before it touches any C++ type of the plugin
/// and refuses a mismatch. Bump it whenever a type in these headers changes layout
/// or a virtual function is added, removed or reordered; docs/plugins/abi.md lists
/// what does and does not, and why a plugin cannot declare a range of versions.
#include <cstdint>

#ifndef RELAY_SDK_ABI_VERSION
// A macro: a test build overrides it (-D) to make a plugin of another ABI.
#define RELAY_SDK_ABI_VERSION 10  // NOLINT(cppcoreguidelines-macro-usage)
#endif

namespace relay::sdk {
inline constexpr std::uint32_t kAbiVersion = RELAY_SDK_ABI_VERSION;
}  // namespace relay::sdk
