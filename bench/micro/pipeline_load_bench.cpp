// Loading a pipeline: YAML parsing, the host's sections, environment references, and
// every plugin section validated against its plugin's schema (the real plugins, from
// the build's plugins directory, opened once outside the timing).
#include "config/pipeline_loader.hpp"
#include "plugins/plugin_catalog.hpp"

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

namespace {

namespace host = relay::host;

const std::string kPipeline = R"(# a production-like pipeline
node: { id: "${RELAY_NODE_ID:-bench}", threads: 2, drain_timeout: 10s }
transport:
  use: websocket
  listen: 127.0.0.1:3000
  max_payload: 1MiB
  max_connections: 50000
  cors_origins: [https://chat.example.com, https://www.example.com]
queue: { use: memory, capacity: 100000, store_batch_max: 500 }
presence: { use: local }
store:
  use: sqlite
  path: /var/lib/relay/chat.db
  batch_max: 1000
admin: { listen: 127.0.0.1:9100 }
log: { level: info }
)";

class CatalogLookup final : public host::ManifestLookup {
public:
    explicit CatalogLookup(host::PluginCatalog& catalog) : catalog_(catalog) {}
    const relay::sdk::Manifest* find(std::string_view name) override { return catalog_.find(name); }
    std::vector<std::string> names(relay::sdk::Kind kind) override { return catalog_.names(kind); }
    std::string search_path_text() const override { return catalog_.search_path_text(); }

private:
    host::PluginCatalog& catalog_;
};

void BM_LoadPipeline(benchmark::State& state) {
    host::PluginCatalog catalog(host::plugin_search_path({RELAY_PLUGIN_DIR}));
    auto lookup = [&](const std::vector<std::filesystem::path>&) {
        return std::unique_ptr<host::ManifestLookup>(std::make_unique<CatalogLookup>(catalog));
    };
    // Opens the plugin libraries once, outside the timing.
    benchmark::DoNotOptimize(host::load_pipeline_text(kPipeline, "bench.yaml", lookup));
    for (auto _ : state) {
        benchmark::DoNotOptimize(host::load_pipeline_text(kPipeline, "bench.yaml", lookup));
    }
}
BENCHMARK(BM_LoadPipeline)->Unit(benchmark::kMicrosecond);

}  // namespace
