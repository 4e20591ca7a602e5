#pragma once
#include "config/env_substitution.hpp"
#include "config/manifest_lookup.hpp"
#include "config/pipeline.hpp"
#include "config/plugin_config.hpp"

#include <relay/sdk/manifest.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace relay::host {

/// Reads and validates a pipeline file: YAML syntax, the host's sections, and each
/// plugin section against its plugin's manifest (kind, schema, check). `plugins.path`
/// is read first and handed to `make_lookup`. Environment references in values
/// (`${VAR}`, `${VAR:-default}`, `$$`) are expanded before type checks.
///
/// Throws ConfigErrors with every problem of the file, in file order. Nothing is
/// started; plugins are only looked up.
Pipeline load_pipeline(const std::filesystem::path& file, const LookupFactory& make_lookup,
                       const EnvLookup& env = process_env);

/// As load_pipeline, for `text` read from `file_name` (used in messages, and to
/// resolve relative plugin paths).
Pipeline load_pipeline_text(std::string_view text, const std::string& file_name,
                            const LookupFactory& make_lookup, const EnvLookup& env = process_env);

/// Validates one plugin section's keys, given as a YAML mapping without `use`
/// ("{ brokers: localhost:9092, partitions: 3 }"), exactly as the loader does for
/// section `section` of a file named `file_name`: schema, defaults, then the
/// manifest's check. For plugin unit tests that parse settings without a pipeline.
/// Throws ConfigErrors.
std::shared_ptr<const PluginConfig> load_plugin_config(const sdk::Manifest& manifest,
                                                       std::string_view yaml_text,
                                                       const std::string& section = "plugin",
                                                       std::string file_name = "test.yaml",
                                                       const EnvLookup& env = process_env);

}  // namespace relay::host
