#pragma once
#include "plugins/plugin_catalog.hpp"

#include <string>
#include <vector>

namespace relay::host {

/// `relay plugins`: each plugin's kind, version, file and config keys (type,
/// default, meaning), plus the files that are not usable and why.
std::string plugins_text(const PluginCatalog& catalog,
                         const std::vector<PluginCatalog::Entry>& entries);
/// The same as one JSON document: {"search_path": [...], "plugins": [...], "errors": [...]}.
std::string plugins_json(const PluginCatalog& catalog,
                         const std::vector<PluginCatalog::Entry>& entries);

}  // namespace relay::host
