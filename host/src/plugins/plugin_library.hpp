#pragma once
#include <relay/sdk/manifest.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS
#endif
#include <boost/dll/shared_library.hpp>

namespace relay::host {

/// One opened plugin file whose ABI version matched and whose manifest was read.
/// Ownership: every object the plugin creates must be destroyed before the last
/// copy of `library` goes; holders keep a copy of it as their first member.
struct PluginLibrary {
    std::shared_ptr<const boost::dll::shared_library> library;
    const sdk::Manifest* manifest = nullptr;  ///< lives inside `library`
    std::filesystem::path file;
};

/// Opens `file`, checks the plain-C ABI number before touching any C++ type, then
/// reads the manifest. Throws PluginLoadError with one line naming the file:
/// cannot be loaded, not a Relay plugin, built for another ABI version, no manifest.
PluginLibrary open_plugin_library(const std::filesystem::path& file);

/// dlerror()'s reason with each undefined symbol also named as C++ spells it:
/// "undefined symbol: _ZN5relay5tests16missing_functionEi" reads
/// "undefined symbol: relay::tests::missing_function(int) (_ZN5relay5tests16missing_functionEi)"
/// (the mangled name kept, for nm and c++filt). Other text is returned as it is.
std::string readable_dl_error(std::string_view reason);

}  // namespace relay::host
