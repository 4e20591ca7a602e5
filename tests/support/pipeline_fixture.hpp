#pragma once
#include "config/pipeline_loader.hpp"
#include "plugins/plugin_catalog.hpp"

#include <memory>
#include <string>

namespace relay::testing {

/// A pipeline loaded from YAML text against the real plugin catalog (build/plugins
/// and build/test-plugins), as `relay run` would load it.
struct LoadedPipeline {
    std::unique_ptr<host::PluginCatalog> catalog;
    host::Pipeline pipeline;
};

inline LoadedPipeline load_test_pipeline(const std::string& yaml,
                                         const std::string& file_name = "test-pipeline.yaml") {
    class Ref final : public host::ManifestLookup {
    public:
        explicit Ref(host::PluginCatalog& c) : c_(c) {}
        const sdk::Manifest* find(std::string_view name) override { return c_.find(name); }
        std::vector<std::string> names(sdk::Kind kind) override { return c_.names(kind); }
        std::string search_path_text() const override { return c_.search_path_text(); }

    private:
        host::PluginCatalog& c_;
    };
    LoadedPipeline out;
    auto make = [&](const std::vector<std::filesystem::path>& paths) {
        auto search = paths;
        search.emplace_back(RELAY_PLUGIN_DIR);
        search.emplace_back(RELAY_TEST_PLUGIN_DIR);
        out.catalog = std::make_unique<host::PluginCatalog>(search);
        return std::unique_ptr<host::ManifestLookup>(std::make_unique<Ref>(*out.catalog));
    };
    out.pipeline = host::load_pipeline_text(yaml, file_name, make);
    return out;
}

}  // namespace relay::testing
