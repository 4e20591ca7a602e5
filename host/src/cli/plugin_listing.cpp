#include "cli/plugin_listing.hpp"

#include "config/value_parsing.hpp"

#include <relay/sdk/config_values.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace relay::host {
namespace {

std::string default_text(const sdk::ConfigKey& key) {
    if (key.default_value) return key.secret ? "(secret)" : *key.default_value;
    return key.required ? "(required)" : "(unset)";
}

std::vector<const PluginCatalog::Entry*> sorted_by_kind(
    const std::vector<PluginCatalog::Entry>& entries) {
    std::vector<const PluginCatalog::Entry*> good;
    for (const auto& entry : entries) {
        if (entry.library != nullptr) good.push_back(&entry);
    }
    std::stable_sort(good.begin(), good.end(), [](const auto* a, const auto* b) {
        const auto& ma = *a->library->manifest;
        const auto& mb = *b->library->manifest;
        return std::pair(ma.kind(), ma.name) < std::pair(mb.kind(), mb.name);
    });
    return good;
}

}  // namespace

std::string plugins_text(const PluginCatalog& catalog,
                         const std::vector<PluginCatalog::Entry>& entries) {
    std::string out = fmt::format("plugin path: {}\n", catalog.search_path_text());
    const auto good = sorted_by_kind(entries);
    if (good.empty()) out += "no plugins found\n";
    for (const auto* entry : good) {
        const auto& m = *entry->library->manifest;
        out += fmt::format("\n{} {} {} - {}\n  file: {}\n", sdk::kind_name(m.kind()), m.name,
                           m.version, m.description, entry->file.string());
        if (m.schema.empty()) out += "  (no settings)\n";
        for (const auto& key : m.schema) {
            std::string constraint;
            if (!key.choices.empty())
                constraint = fmt::format(" one of {}", fmt::join(key.choices, "|"));
            if (key.min || key.max) constraint = fmt::format(" {}", sdk::values::bounds_text(key));
            if (key.live_reload) constraint += " (SIGHUP applies it live)";
            out += fmt::format("  {:<20} {:<9} {:<22} {}{}\n", key.name, type_name(key.type),
                               default_text(key), key.description, constraint);
        }
    }
    for (const auto& entry : entries) {
        if (entry.library == nullptr) out += fmt::format("\nunusable: {}\n", entry.error);
    }
    return out;
}

std::string plugins_json(const PluginCatalog& catalog,
                         const std::vector<PluginCatalog::Entry>& entries) {
    nlohmann::json doc;
    doc["search_path"] = nlohmann::json::array();
    for (const auto& dir : catalog.search_path()) doc["search_path"].push_back(dir.string());
    doc["plugins"] = nlohmann::json::array();
    for (const auto* entry : sorted_by_kind(entries)) {
        const auto& m = *entry->library->manifest;
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& key : m.schema) {
            nlohmann::json k{{"name", key.name},
                             {"type", type_name(key.type)},
                             {"required", key.required},
                             {"description", key.description}};
            k["default"] = key.default_value && !key.secret ? nlohmann::json(*key.default_value)
                                                            : nlohmann::json(nullptr);
            if (key.min) k["min"] = *key.min;
            if (key.max) k["max"] = *key.max;
            if (key.min || key.max) k["bounds"] = sdk::values::bounds_text(key);
            if (!key.choices.empty()) k["choices"] = key.choices;
            if (key.secret) k["secret"] = true;
            if (key.live_reload) k["reloadable"] = true;
            keys.push_back(std::move(k));
        }
        doc["plugins"].push_back({{"name", m.name},
                                  {"kind", std::string(sdk::kind_name(m.kind()))},
                                  {"version", m.version},
                                  {"description", m.description},
                                  {"file", entry->file.string()},
                                  {"keys", std::move(keys)}});
    }
    doc["errors"] = nlohmann::json::array();
    for (const auto& entry : entries) {
        if (entry.library == nullptr) {
            doc["errors"].push_back({{"file", entry.file.string()}, {"error", entry.error}});
        }
    }
    return doc.dump(2) + "\n";
}

}  // namespace relay::host
