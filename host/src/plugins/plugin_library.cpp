#include "plugins/plugin_library.hpp"

#include "config/plugin_load_error.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/std.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace relay::host {
namespace {

constexpr const char* kAbiSymbol = "relay_sdk_abi_version";
constexpr const char* kManifestAlias = "relay_plugin_manifest";

/// The C++ name of `mangled`, or nothing when it is not a mangled C++ name.
std::optional<std::string> demangle(const std::string& mangled) {
    // __cxa_demangle also reads type manglings: a C function named `i` would read "int".
    if (!mangled.starts_with("_Z")) return std::nullopt;
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), &std::free);
    if (status != 0 || !name) return std::nullopt;
    return std::string(name.get());
}

}  // namespace

std::string readable_dl_error(std::string_view reason) {
    // glibc: "<file>: undefined symbol: <name>" or "... undefined symbol: <name>, version V".
    static constexpr std::string_view kUndefined = "undefined symbol: ";
    std::string out;
    for (;;) {
        const std::size_t at = reason.find(kUndefined);
        if (at == std::string_view::npos) break;
        const std::size_t begin = at + kUndefined.size();
        const std::size_t end = std::min(reason.find_first_of(", \t\n", begin), reason.size());
        const std::string symbol(reason.substr(begin, end - begin));
        out += reason.substr(0, begin);
        if (const auto name = demangle(symbol)) {
            out += *name + " (" + symbol + ")";
        } else {
            out += symbol;
        }
        reason.remove_prefix(end);
    }
    out += reason;
    return out;
}

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
                                          why.empty() ? ec.message() : readable_dl_error(why)));
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
