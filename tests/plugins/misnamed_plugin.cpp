// A plugin whose manifest name does not match its file name (librelay_misnamed.so).
#include <relay/sdk/plugin.hpp>

namespace {

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "othername",
        .version = "0.0.1",
        .description = "declares another name than its file (test)",
        .schema = {},
        .factory = relay::sdk::ProcessorFactory(
            [](relay::sdk::PluginContext&) -> std::unique_ptr<relay::sdk::Processor> {
                return nullptr;
            }),
        .check = {},
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
