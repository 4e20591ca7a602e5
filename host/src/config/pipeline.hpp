#pragma once
#include "config/diagnostic.hpp"
#include "config/manifest_lookup.hpp"
#include "config/plugin_config.hpp"

#include <relay/sdk/manifest.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relay::host {

/// One plugin slot of a pipeline, validated: the plugin exists, is of the slot's kind,
/// and its config matches the plugin's schema and check.
struct PluginSection {
    std::string slot;  ///< "transport", "queue", "presence", "store", "auth", "processors[0]"
    std::string use;   ///< plugin name
    Location where;    ///< of the section mapping (line 1, column 1 for a defaulted section)
    const sdk::Manifest* manifest = nullptr;  ///< from the lookup, never null after load
    std::shared_ptr<const PluginConfig> config;
};

/// A validated pipeline file. The member initialisers are the host sections' defaults
/// (host_schema.cpp shows them in the schema).
struct Pipeline {
    /// The lookup the manifests below came from (for relay, the plugin catalog, which
    /// holds the plugin libraries open), shared by every copy of the pipeline and by a
    /// Host made from it: the manifests and the plugins' code stay loaded as long as any
    /// of them lives. First member, so it is destroyed last.
    std::shared_ptr<ManifestLookup> lookup;
    std::filesystem::path file;
    std::string node_id;                              ///< node.id, default: the host name
    unsigned threads = 0;                             ///< node.threads, 0 = one per core
    std::chrono::milliseconds drain_timeout{10'000};  ///< node.drain_timeout
    std::vector<std::filesystem::path> plugin_paths;  ///< plugins.path, against the file's dir
    std::string log_level = "info";                   ///< log.level
    PluginSection transport;                          ///< required
    std::vector<PluginSection> processors;            ///< optional, in order
    PluginSection queue;                              ///< default: use memory
    PluginSection presence;                           ///< default: use local
    std::optional<PluginSection> store;               ///< absent: no history / recovery
    std::optional<PluginSection> auth;                ///< absent: open (sdk::Identity::open)
    std::optional<std::string> admin_listen;          ///< admin.listen (endpoint)
    std::optional<std::string> admin_token;           ///< admin.token
    std::optional<std::string> admin_api_token;       ///< admin.api_token
    std::uint64_t admin_api_max_body = 1024 * 1024;   ///< admin.api_max_body
    std::optional<std::string> admin_tls_cert;        ///< admin.tls_cert (with admin.tls_key)
    std::optional<std::string> admin_tls_key;         ///< admin.tls_key (with admin.tls_cert)
};

}  // namespace relay::host
