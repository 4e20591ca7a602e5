#pragma once
#include "config/pipeline_loader.hpp"
#include "plugins/plugin_catalog.hpp"

#include <string>

namespace relay::testing {

/// A pipeline loaded from YAML text as `relay run` loads a file, against the real
/// plugins (build/plugins and build/test-plugins). The pipeline holds its plugin
/// catalog: a Host made from it keeps the plugins loaded.
inline host::Pipeline load_test_pipeline(const std::string& yaml,
                                         const std::string& file_name = "test-pipeline.yaml") {
    return host::load_pipeline_text(
        yaml, file_name,
        host::plugin_catalog_factory({}, {RELAY_PLUGIN_DIR, RELAY_TEST_PLUGIN_DIR}));
}

}  // namespace relay::testing
