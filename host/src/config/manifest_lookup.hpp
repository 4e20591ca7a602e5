#pragma once
#include "config/plugin_load_error.hpp"

#include <relay/sdk/manifest.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relay::host {

/// How the pipeline loader finds plugins by name. The plugin catalog implements it
/// over the plugin search path (it loads files); tests use an in-memory fake.
/// Manifests returned stay valid as long as the lookup lives. Not thread-safe.
class ManifestLookup {
public:
    virtual ~ManifestLookup() = default;
    /// The manifest of plugin `name`, or nullptr when no file provides it.
    /// Throws PluginLoadError when a file exists but cannot be used (not a plugin, ABI
    /// mismatch): its what() is the one-line reason.
    virtual const sdk::Manifest* find(std::string_view name) = 0;
    /// The available plugins of a kind, for suggestions and listings.
    virtual std::vector<std::string> names(sdk::Kind kind) = 0;
    /// The search path as messages show it, e.g. "[build/plugins, /usr/lib/relay/plugins]".
    virtual std::string search_path_text() const = 0;
};

/// Makes the lookup for a pipeline, given its `plugins.path` (resolved against the
/// file's directory; the factory adds RELAY_PLUGIN_PATH and the install directory).
using LookupFactory = std::function<std::unique_ptr<ManifestLookup>(
    const std::vector<std::filesystem::path>& plugin_paths)>;

}  // namespace relay::host
