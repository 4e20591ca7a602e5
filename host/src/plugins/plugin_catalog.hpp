#pragma once
#include "config/manifest_lookup.hpp"
#include "plugins/plugin_library.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relay::host {

/// The plugins on the search path. A plugin named `x` lives in a file
/// `librelay_x.so`; the first directory that has the file wins, as with PATH.
/// Files are opened lazily and kept open for the catalog's lifetime, so manifests
/// it hands out stay valid as long as the catalog lives.
/// Thread safety: none; used on the control thread during start-up.
class PluginCatalog final : public ManifestLookup {
public:
    explicit PluginCatalog(std::vector<std::filesystem::path> search_path);

    const sdk::Manifest* find(std::string_view name) override;
    std::vector<std::string> names(sdk::Kind kind) override;
    std::string search_path_text() const override;

    /// Every plugin file on the path, opened; files that fail to open are returned
    /// as errors beside the good ones (for `relay plugins`).
    struct Entry {
        std::filesystem::path file;
        const PluginLibrary* library = nullptr;  ///< null when `error` is set
        std::string error;
    };
    std::vector<Entry> scan();

    const std::vector<std::filesystem::path>& search_path() const { return search_path_; }

private:
    std::optional<std::filesystem::path> file_of(std::string_view name) const;
    const PluginLibrary& open(const std::filesystem::path& file);

    std::vector<std::filesystem::path> search_path_;
    std::map<std::filesystem::path, PluginLibrary> opened_;
    std::map<std::string, std::filesystem::path, std::less<>> by_name_;
};

/// How `relay` (and the tests) load a pipeline's plugins: a PluginCatalog over `first`
/// (the command line's --plugin-path), then the pipeline's plugins.path, then `last`
/// (plugin_search_path({}) for relay). The pipeline owns the catalog it makes, so the
/// plugin libraries stay loaded as long as any copy of the pipeline, or a Host built
/// from one, lives.
LookupFactory plugin_catalog_factory(std::vector<std::filesystem::path> first,
                                     std::vector<std::filesystem::path> last);

/// The default search path: `extra` (the pipeline's plugins.path) first, then each
/// directory of RELAY_PLUGIN_PATH (colon-separated), then the directories beside the
/// running binary (`<bin>/plugins`, `<bin>/../lib/relay/plugins`).
std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::filesystem::path>& extra);

}  // namespace relay::host
