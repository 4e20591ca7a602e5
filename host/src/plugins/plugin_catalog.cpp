#include "plugins/plugin_catalog.hpp"

#include <memory>

#include "config/plugin_load_error.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>
#include <system_error>

#include <boost/dll/runtime_symbol_info.hpp>

namespace relay::host {
namespace {

constexpr std::string_view kPrefix = "librelay_";
constexpr std::string_view kSuffix = ".so";

std::optional<std::string> plugin_name_of(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
        !name.ends_with(kSuffix)) {
        return std::nullopt;
    }
    return name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
}

}  // namespace

PluginCatalog::PluginCatalog(std::vector<std::filesystem::path> search_path)
    : search_path_(std::move(search_path)) {}

std::optional<std::filesystem::path> PluginCatalog::file_of(std::string_view name) const {
    for (const auto& dir : search_path_) {
        std::error_code ec;
        auto file = dir / (std::string(kPrefix) + std::string(name) + std::string(kSuffix));
        if (std::filesystem::is_regular_file(file, ec)) return file;
    }
    return std::nullopt;
}

const PluginLibrary& PluginCatalog::open(const std::filesystem::path& file) {
    auto it = opened_.find(file);
    if (it == opened_.end()) it = opened_.emplace(file, open_plugin_library(file)).first;
    return it->second;
}

const sdk::Manifest* PluginCatalog::find(std::string_view name) {
    if (auto known = by_name_.find(name); known != by_name_.end()) {
        return open(known->second).manifest;
    }
    const auto file = file_of(name);
    if (!file) return nullptr;
    const PluginLibrary& library = open(*file);
    if (library.manifest->name != name) {
        throw PluginLoadError(file->string() + ": declares plugin '" + library.manifest->name +
                              "', but its file name says '" + std::string(name) +
                              "'; name the file librelay_" + library.manifest->name + ".so");
    }
    by_name_.emplace(std::string(name), *file);
    return library.manifest;
}

std::vector<std::string> PluginCatalog::names(sdk::Kind kind) {
    std::vector<std::string> out;
    for (const auto& entry : scan()) {
        if (entry.library != nullptr && entry.library->manifest->kind() == kind) {
            out.push_back(entry.library->manifest->name);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<PluginCatalog::Entry> PluginCatalog::scan() {
    std::vector<Entry> out;
    std::set<std::string> seen;  // the first directory providing a name shadows the rest
    for (const auto& dir : search_path_) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
            if (item.is_regular_file(ec) && plugin_name_of(item.path()))
                files.push_back(item.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            if (!seen.insert(*plugin_name_of(file)).second) continue;
            try {
                out.push_back({file, &open(file), {}});
            } catch (const PluginLoadError& e) {
                out.push_back({file, nullptr, e.what()});
            }
        }
    }
    return out;
}

std::string PluginCatalog::search_path_text() const {
    std::ostringstream out;
    out << '[';
    for (std::size_t i = 0; i < search_path_.size(); ++i) {
        out << (i == 0 ? "" : ", ") << search_path_[i].string();
    }
    out << ']';
    return out.str();
}

LookupFactory plugin_catalog_factory(std::vector<std::filesystem::path> first,
                                     std::vector<std::filesystem::path> last) {
    return [first = std::move(first),
            last = std::move(last)](const std::vector<std::filesystem::path>& pipeline_paths) {
        std::vector<std::filesystem::path> search = first;
        search.insert(search.end(), pipeline_paths.begin(), pipeline_paths.end());
        search.insert(search.end(), last.begin(), last.end());
        return std::unique_ptr<ManifestLookup>(std::make_unique<PluginCatalog>(std::move(search)));
    };
}

std::vector<std::filesystem::path> plugin_search_path(
    const std::vector<std::filesystem::path>& extra) {
    std::vector<std::filesystem::path> path = extra;
    // Read while the host starts, before any thread that could change the environment.
    if (const char* env = std::getenv("RELAY_PLUGIN_PATH");  // NOLINT(concurrency-mt-unsafe)
        env != nullptr) {
        std::string_view rest = env;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const auto dir = rest.substr(0, colon);
            if (!dir.empty()) path.emplace_back(dir);
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    // The directories beside the binary only when they exist: they are defaults, and
    // listing absent defaults in "not found" messages would only be noise. Directories
    // the user named stay, so a typo in one shows up in those messages.
    std::error_code ec;
    const auto bin_dir = std::filesystem::path(boost::dll::program_location(ec)).parent_path();
    if (!ec) {
        for (const auto& dir :
             {bin_dir / "plugins", (bin_dir / ".." / RELAY_INSTALL_PLUGIN_SUBDIR)}) {
            std::error_code exists_ec;
            if (std::filesystem::is_directory(dir, exists_ec))
                path.push_back(dir.lexically_normal());
        }
    }
    std::vector<std::filesystem::path> unique;
    for (const auto& dir : path) {
        if (std::find(unique.begin(), unique.end(), dir) == unique.end()) unique.push_back(dir);
    }
    return unique;
}

}  // namespace relay::host
