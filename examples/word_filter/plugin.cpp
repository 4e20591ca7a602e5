// The word_filter processor's entry point: its manifest, exported for relay to load.
#include "word_filter.hpp"

#include <relay/sdk/plugin.hpp>

namespace {

const relay::sdk::Manifest& manifest() {
    static const relay::sdk::Manifest m{
        .name = "word_filter",
        .version = "1.0.0",
        .description = "masks listed words in a payload field",
        .schema = word_filter::WordFilter::schema(),
        .factory = relay::sdk::ProcessorFactory([](relay::sdk::PluginContext& ctx) {
            return std::make_unique<word_filter::WordFilter>(ctx);
        }),
        .check = {},
        // A processor keeps no state between messages: nothing for the cluster checks.
        .scope = relay::sdk::Scope::unspecified,
    };
    return m;
}

}  // namespace

RELAY_PLUGIN(manifest)
