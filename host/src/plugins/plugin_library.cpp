#include "plugins/plugin_library.hpp"

#include "config/plugin_load_error.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/std.h>

namespace relay::host {
namespace {

constexpr const char* kAbiSymbol = "relay_sdk_abi_version";
constexpr const char* kManifestAlias = "relay_plugin_manifest";

}  // namespace

PluginLibrary open_plugin_library(const std::filesystem::path& file) {
    auto library = std::make_shared<boost::dll::shared_library>();
    std::error_code ec;
    // rtld_now: a plugin with an unresolved symbol fails here, with the linker's
    // words, instead of crashing at first use.
    library->load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec) {
        // dlerror() names the file again ("<file>: invalid ELF header"): keep its reason.
        // Plugins are loaded on one thread; dlerror() is per thread on glibc anyway.
        const char* dl_error = ::dlerror();  // NOLINT(concurrency-mt-unsafe)
        std::string_view why = dl_error != nullptr ? dl_error : "";
        if (const auto prefix = file.string() + ": "; why.starts_with(prefix)) {
            why.remove_prefix(prefix.size());
        }
        throw PluginLoadError(fmt::format("{}: cannot load: {}", file.string(),
                                          why.empty() ? ec.message() : std::string(why)));
    }
    if (!library->has(kAbiSymbol)) {
        throw PluginLoadError(
            fmt::format("{}: not a Relay plugin (it exports no '{}'; build it with RELAY_PLUGIN)",
                        file.string(), kAbiSymbol));
    }
    const std::uint32_t abi = library->get<const std::uint32_t>(kAbiSymbol);
    if (abi != sdk::kAbiVersion) {
        throw PluginLoadError(fmt::format(
            "{}: built for Relay SDK ABI version {}, but this relay speaks ABI version {}; "
            "rebuild the plugin against this SDK",
            file.string(), abi, sdk::kAbiVersion));
    }
    if (!library->has(kManifestAlias)) {
        throw PluginLoadError(fmt::format("{}: Relay plugin without a manifest (no '{}')",
                                          file.string(), kManifestAlias));
    }
    const auto& manifest_function = library->get_alias<const sdk::Manifest&()>(kManifestAlias);
    const sdk::Manifest* manifest = nullptr;
    try {
        manifest = &manifest_function();
    } catch (const std::exception& e) {
        throw PluginLoadError(
            fmt::format("{}: reading its manifest threw: {}", file.string(), e.what()));
    }
    return PluginLibrary{std::move(library), manifest, file};
}

}  // namespace relay::host
